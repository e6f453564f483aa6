//go:build !mpi

package nnc

import (
	"errors"

	"github.com/nnclang/nnc/dist"
)

// MPIComm returns an error: this nnc was built without -tags mpi, so it
// has no MPI (with the tag, it returns this process's rank of the job
// mpirun started; docs/distributed.md).
func MPIComm() (dist.Comm, error) {
	return nil, errors.New("this nnc was built without MPI: build it with -tags mpi (cgo and Open MPI's libopenmpi-dev; docs/distributed.md), or emulate the ranks in one process with --shards N")
}
