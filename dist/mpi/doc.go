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
//   - MPI_Alltoall, a sum in rank order in Go (dist.SumInOrderF32), then
//     MPI_Allgather: AllreduceF32/F64. MPI_Allreduce's own order of
//     summation is not specified (it depends on the algorithm Open MPI
//     picks for the message size and the number of ranks), so its sums
//     are not bitwise those of another rank count's layout nor of the
//     in-process Comm. Here the buffer is cut into N chunks; Alltoall
//     sends chunk r of every rank to rank r (a reduce-scatter's traffic,
//     (N-1)/N of the buffer per rank), rank r sums its chunk's N parts in
//     rank order, and Allgather returns the summed chunks to everyone
//     (another (N-1)/N): the traffic of a ring allreduce, 2(N-1)/N of the
//     buffer, with every element summed as SumInOrderF32 sums it. It
//     needs 2 buffer copies of memory and one more pass over the data.
//   - MPI_Bcast: BcastF32/F64. MPI_Barrier: Barrier.
//   - MPI_Abort: Abort (the message is printed to stderr first; mpirun then
//     kills every rank). MPI_Finalize: Close.
//
// Counts are C ints: a call moves at most 1<<28 elements per rank and
// chunk, longer buffers go in several calls.
package mpi
