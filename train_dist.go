package nnc

import (
	"fmt"

	"github.com/nnclang/nnc/dist"
	"github.com/nnclang/nnc/train"
)

// DataParallel are the settings of data-parallel training, part of
// TrainOptions (docs/distributed.md). Each global batch of the train
// block's size is split into contiguous shards by rank
// (train.ShardRows); each shard's gradient, weighted by its rows, is summed
// over the ranks in rank order, and every rank applies the same update of
// the global batch's mean gradient. With Comm, every rank of the job
// calls Train with the same program and options; rank 0's initial
// parameters and states are broadcast, and only rank 0 writes Output, Log,
// Progress and checkpoints (a resume reads the checkpoint on every rank).
// With Shards, one process computes the N shards one after another and
// sums them as the ranks would: its parameters are bitwise those of a job
// of N ranks.
type DataParallel struct {
	// Shards, from 1 to train.MaxShards, emulates that many ranks in this
	// process; 0: no emulation.
	Shards int
	// Comm, when not nil, is this process's rank of a job (dist.NewLocal
	// for goroutines, dist/mpi under -tags mpi for MPI).
	Comm dist.Comm
}

// parallel is the train.Parallel of o's settings, nil when training is
// not data-parallel.
func (o *TrainOptions) parallel() (*train.Parallel, error) {
	switch {
	case o.Shards < 0 || o.Shards > train.MaxShards:
		return nil, &OptionError{Option: "TrainOptions.Shards", Value: fmt.Sprint(o.Shards), Msg: fmt.Sprintf("want a number of shards from 1 to %d (0: none)", train.MaxShards)}
	case o.Comm != nil && o.Shards > 0:
		return nil, &OptionError{Option: "TrainOptions.Shards", Value: fmt.Sprint(o.Shards), Msg: "emulated shards and a communicator (TrainOptions.Comm) exclude each other"}
	case o.Comm == nil && o.Shards == 0:
		return nil, nil
	}
	return &train.Parallel{Comm: o.Comm, Shards: o.Shards}, nil
}

// setParallel makes tr's step data-parallel when opts ask for it, before
// the step is built.
func (tr *training) setParallel(opts *TrainOptions) error {
	par, err := opts.parallel()
	if err != nil || par == nil {
		return err
	}
	tr.so.Parallel = par
	return nil
}

// parallelRun finishes a data-parallel run's preparation: it optimizes
// the apply graph as the step is, and leaves the writing of parameters,
// logs and progress to rank 0.
func (p *Program) parallelRun(tr *training, opts *TrainOptions) error {
	par := tr.so.Parallel
	if par == nil {
		return nil
	}
	if par.Apply == nil {
		return fmt.Errorf("internal error: the data-parallel step has no apply graph")
	}
	var err error
	if par.Apply, err = p.optimize(par.Apply); err != nil {
		return err
	}
	if opts.Comm != nil && opts.Comm.Rank() != 0 {
		opts.Output, opts.Log, opts.Progress, opts.Warnings = "", "", nil, nil
	}
	return nil
}

// parallelControls leaves the checkpoints to rank 0 (every rank still
// resumes from cfg.Resume).
func parallelControls(opts *TrainOptions, cfg *train.Config) {
	if opts.Comm != nil && opts.Comm.Rank() != 0 {
		cfg.Checkpoint = nil
	}
}
