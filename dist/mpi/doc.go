// Package mpi is a dist.Comm over Open MPI's C API, for nnc train under
// mpirun. It is built only with the build tag mpi (go build -tags mpi),
// with cgo against libmpi (pkg-config ompi-c; Debian's libopenmpi-dev);
// without the tag the package holds no code, and nnc stays pure Go.
//
// The binding is the few calls training uses, each with MPI_ERRORS_RETURN
// on MPI_COMM_WORLD so that a failed call returns its error
// (MPI_Error_string) instead of killing the process:
//
//   - MPI_Init_thread with MPI_THREAD_SERIALIZED (Go moves goroutines
//     between threads; the Comm serializes its calls with a mutex),
//     MPI_Comm_rank, MPI_Comm_size: Init.
//   - MPI_Allgather, then a sum in rank order in Go (dist.SumInOrderF32):
//     AllreduceF32/F64. MPI_Allreduce's own order of summation is not
//     specified (it depends on the algorithm Open MPI picks for the
//     message size and the number of ranks), so it would not give results
//     bitwise independent of the rank count's layout; gathering every
//     rank's buffer costs (N-1)·bytes received per rank instead of a
//     ring's 2(N-1)/N·bytes, and N·bytes of memory (docs/distributed.md).
//   - MPI_Bcast: BcastF32/F64. MPI_Barrier: Barrier.
//   - MPI_Abort: Abort (the message is printed to stderr first; mpirun then
//     kills every rank). MPI_Finalize: Close.
//
// Counts are C ints: buffers are sent in pieces of at most 1<<28 elements.
package mpi
