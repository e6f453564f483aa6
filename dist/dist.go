// Package dist is the communication of data-parallel training: a Comm
// connects the ranks of a job (one process each under MPI, or goroutines
// of one process with NewLocal) and offers the few collectives training
// needs: a sum over the ranks (AllreduceF32, AllreduceF64), a broadcast,
// a barrier, and Abort, which ends the whole job naming the rank that
// failed.
//
// Determinism: every Comm forms a sum in rank order, ((0 + x₀) + x₁) +
// … + x_{N-1}, element by element, in the element type of the buffer
// (SumInOrderF32, SumInOrderF64), so that the result does not depend on
// the ranks' timing nor on the transport; the in-process Comm and the
// MPI one (package dist/mpi, build tag mpi) give bitwise the same sums,
// and so does a single process that computes the N parts itself and sums
// them with the same functions (nnc train --shards N).
package dist

import (
	"errors"
	"fmt"
)

// Comm is one rank's end of a job's communication. The collectives must
// be called by every rank of the job in the same order with buffers of
// the same length; a call returns an error (a *RankError when a rank
// failed or left) instead of blocking forever when another rank aborts or
// closes its Comm. A Comm is used by one goroutine at a time.
type Comm interface {
	// Rank is this process's rank, from 0 to Size()-1.
	Rank() int
	// Size is the number of ranks in the job.
	Size() int
	// AllreduceF32 replaces buf, on every rank, by the element-wise sum
	// of every rank's buf, formed in rank order (SumInOrderF32).
	AllreduceF32(buf []float32) error
	// AllreduceF64 is AllreduceF32 for float64 buffers.
	AllreduceF64(buf []float64) error
	// BcastF32 copies root's buf into every other rank's buf.
	BcastF32(buf []float32, root int) error
	// BcastF64 is BcastF32 for float64 buffers.
	BcastF64(buf []float64, root int) error
	// Barrier returns when every rank has called it.
	Barrier() error
	// Abort ends the job because of err: the other ranks' pending and
	// later calls return a *RankError naming this rank and err (under
	// MPI, the whole job is killed by MPI_Abort after err is printed).
	Abort(err error)
	// Close leaves the job; a rank still waiting for this one gets an
	// error. Under MPI it finalizes MPI.
	Close() error
}

// RankError is the failure of one rank, as the other ranks see it.
type RankError struct {
	Rank int
	Err  error
}

func (e *RankError) Error() string { return fmt.Sprintf("rank %d: %v", e.Rank, e.Err) }

// Unwrap returns the rank's error.
func (e *RankError) Unwrap() error { return e.Err }

// ErrLeft is the error of a rank that closed its Comm while others
// still expected it in a collective.
var ErrLeft = errors.New("left the job (closed its communicator) before the collective")

// SumInOrderF32 sets dst[i] to ((0 + parts[0][i]) + parts[1][i]) + … in
// float32 arithmetic: the order every Comm sums in. Every part must have
// dst's length.
func SumInOrderF32(dst []float32, parts [][]float32) {
	for i := range dst {
		s := float32(0)
		for _, p := range parts {
			s += p[i]
		}
		dst[i] = s
	}
}

// SumInOrderF64 is SumInOrderF32 in float64.
func SumInOrderF64(dst []float64, parts [][]float64) {
	for i := range dst {
		s := 0.0
		for _, p := range parts {
			s += p[i]
		}
		dst[i] = s
	}
}

// checkRoot reports a root outside [0, size).
func checkRoot(root, size int) error {
	if root < 0 || root >= size {
		return fmt.Errorf("dist: broadcast root %d is not a rank of a job of %d", root, size)
	}
	return nil
}
