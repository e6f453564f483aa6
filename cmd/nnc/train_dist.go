package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nnclang/nnc"
)

// distFlags are train's flags of data-parallel training
// (docs/distributed.md).
type distFlags struct {
	o           *nnc.TrainOptions
	distributed bool
}

// addDistFlags registers --shards and --distributed into fs, writing into o.
func addDistFlags(fs *flag.FlagSet, o *nnc.TrainOptions) *distFlags {
	f := &distFlags{o: o}
	fs.IntVar(&o.Shards, "shards", 0, "split every batch into N shards computed one after another and summed as N ranks would (bitwise the parameters of --distributed with N ranks)")
	fs.BoolVar(&f.distributed, "distributed", false, "train data-parallel as one rank of the MPI job mpirun started (an nnc built with -tags mpi); only rank 0 writes -o, --log, checkpoints and progress")
	return f
}

// parse checks the flags and, with --distributed, joins the MPI job. It
// returns the function that leaves it given the command's error: after an
// error (unless an interruption, which stops every rank) it aborts the
// job, naming this rank and the error, so that no rank waits for this one;
// else MPI_Finalize. It also returns the writer of the
// final lines: stdout on rank 0, nothing on the others, which are also
// made quiet.
func (f *distFlags) parse(fs *flag.FlagSet, stdout io.Writer, quiet *bool) (func(error), io.Writer, error) {
	if err := positiveInt(fs, "shards", f.o.Shards); err != nil {
		return nil, nil, err
	}
	if !f.distributed {
		return func(error) {}, stdout, nil
	}
	if f.o.Shards > 0 {
		return nil, nil, usagef("--shards emulates ranks in one process: it cannot be combined with --distributed")
	}
	c, err := nnc.MPIComm()
	if err != nil {
		return nil, nil, fmt.Errorf("--distributed: %w", err)
	}
	f.o.Comm = c
	if c.Rank() != 0 {
		stdout, *quiet = io.Discard, true
	}
	leave := func(err error) {
		if err != nil && !errors.Is(err, errReported) {
			c.Abort(err)
		}
		c.Close()
	}
	return leave, stdout, nil
}

// report writes, unless quiet, where a data-parallel run's steps spent
// their time on this rank (rank 0 under --distributed).
func (f *distFlags) report(w io.Writer, res *nnc.TrainResult, quiet bool) {
	if quiet || res == nil || res.Details == nil || res.Details.Parallel == nil || res.Details.Parallel.Steps == 0 {
		return
	}
	t := res.Details.Parallel
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(t.Steps) }
	what, n := "shards", f.o.Shards
	if f.o.Comm != nil {
		what, n = "ranks", f.o.Comm.Size()
	}
	fmt.Fprintf(w, "data-parallel, %d %s: %d steps, per step %.3f ms computing the shard(s), %.3f ms summing over the %s after it, %.3f ms updating",
		n, what, t.Steps, ms(t.Shards), ms(t.Comm), what, ms(t.Apply))
	if t.Buckets > 0 {
		fmt.Fprintf(w, "; the gradients' sums took %.3f ms, %.3f ms of it during the backward pass", ms(t.Buckets), ms(t.Overlapped))
	}
	fmt.Fprintln(w)
}
