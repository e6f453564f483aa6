//go:build mpi

package nnc

import (
	"github.com/nnclang/nnc/dist"
	"github.com/nnclang/nnc/dist/mpi"
)

// MPIComm initializes MPI (package dist/mpi) and returns this process's
// rank of the job mpirun started, for TrainOptions.Comm (nnc train
// --distributed). This nnc was built with -tags mpi; the Comm's Close
// finalizes MPI.
func MPIComm() (dist.Comm, error) { return mpi.Init() }
