//go:build mpi

package mpi

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

static int nnc_init(int *provided) {
	int err = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
	if (err != MPI_SUCCESS) return err;
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int nnc_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int nnc_size(int *n) { return MPI_Comm_size(MPI_COMM_WORLD, n); }
static int nnc_alltoall_f32(const float *in, float *out, int n) {
	return MPI_Alltoall(in, n, MPI_FLOAT, out, n, MPI_FLOAT, MPI_COMM_WORLD);
}
static int nnc_alltoall_f64(const double *in, double *out, int n) {
	return MPI_Alltoall(in, n, MPI_DOUBLE, out, n, MPI_DOUBLE, MPI_COMM_WORLD);
}
static int nnc_allgather_f32(const float *in, float *out, int n) {
	return MPI_Allgather(in, n, MPI_FLOAT, out, n, MPI_FLOAT, MPI_COMM_WORLD);
}
static int nnc_allgather_f64(const double *in, double *out, int n) {
	return MPI_Allgather(in, n, MPI_DOUBLE, out, n, MPI_DOUBLE, MPI_COMM_WORLD);
}
static int nnc_bcast_f32(float *buf, int n, int root) { return MPI_Bcast(buf, n, MPI_FLOAT, root, MPI_COMM_WORLD); }
static int nnc_bcast_f64(double *buf, int n, int root) { return MPI_Bcast(buf, n, MPI_DOUBLE, root, MPI_COMM_WORLD); }
static int nnc_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int nnc_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int nnc_finalize(void) { return MPI_Finalize(); }
static int nnc_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static void nnc_error_string(int code, char *buf, int *len) { MPI_Error_string(code, buf, len); }
static int nnc_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/nnclang/nnc/dist"
)

// piece is the most elements one MPI call moves (counts are C ints).
const piece = 1 << 28

var (
	initMu  sync.Mutex
	initted *comm
)

// comm is the dist.Comm of MPI_COMM_WORLD.
type comm struct {
	mu         sync.Mutex // MPI_THREAD_SERIALIZED: one call at a time
	rank, size int
	closed     bool
	g32        []float32 // the allreduce's buffers, grown as needed
	g64        []float64
}

// Init initializes MPI (MPI_Init_thread, MPI_THREAD_SERIALIZED; errors
// returned, not fatal) and returns the Comm of MPI_COMM_WORLD. It may be
// called once per process; a second call returns the same Comm.
func Init() (dist.Comm, error) {
	initMu.Lock()
	defer initMu.Unlock()
	if initted != nil {
		return initted, nil
	}
	var provided C.int
	if e := C.nnc_init(&provided); e != C.MPI_SUCCESS {
		return nil, mpiErr("MPI_Init_thread", e)
	}
	if provided < C.nnc_thread_serialized() {
		return nil, fmt.Errorf("mpi: the MPI library gives thread level %d, below MPI_THREAD_SERIALIZED", int(provided))
	}
	c := &comm{}
	var r, n C.int
	if e := C.nnc_rank(&r); e != C.MPI_SUCCESS {
		return nil, mpiErr("MPI_Comm_rank", e)
	}
	if e := C.nnc_size(&n); e != C.MPI_SUCCESS {
		return nil, mpiErr("MPI_Comm_size", e)
	}
	c.rank, c.size = int(r), int(n)
	initted = c
	return c, nil
}

// mpiErr is the error of an MPI call: its name, code and MPI's text.
func mpiErr(call string, code C.int) error {
	buf := make([]byte, int(C.nnc_max_error_string()))
	var n C.int
	C.nnc_error_string(code, (*C.char)(unsafe.Pointer(&buf[0])), &n)
	return fmt.Errorf("mpi: %s: %s (error %d)", call, string(buf[:max(0, min(int(n), len(buf)))]), int(code))
}

func (c *comm) Rank() int { return c.rank }
func (c *comm) Size() int { return c.size }

func (c *comm) check(what string) error {
	if c.closed {
		return fmt.Errorf("mpi: rank %d: %s after Close", c.rank, what)
	}
	return nil
}

// AllreduceF32 sums buf over the ranks in rank order, as a ring's
// reduce-scatter and allgather do but with every element's sum formed by
// one rank in rank order: buf is cut into N chunks of ⌈len/N⌉ elements
// (the last padded with zeros); MPI_Alltoall brings chunk r of every rank
// to rank r, which sums them in rank order (dist.SumInOrderF32);
// MPI_Allgather gives every rank every summed chunk. Each rank sends and
// receives 2(N-1)/N of the buffer, as a ring allreduce.
func (c *comm) AllreduceF32(buf []float32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check("allreduce"); err != nil {
		return err
	}
	n := c.size
	for lo := 0; lo < len(buf); lo += piece * n {
		part := buf[lo:min(lo+piece*n, len(buf))]
		k := (len(part) + n - 1) / n // elements per chunk
		if cap(c.g32) < 2*k*n+k {
			c.g32 = make([]float32, 2*k*n+k)
		}
		send, recv, mine := c.g32[:k*n], c.g32[k*n:2*k*n], c.g32[2*k*n:2*k*n+k]
		clear(send[copy(send, part):])
		if e := C.nnc_alltoall_f32((*C.float)(unsafe.Pointer(&send[0])), (*C.float)(unsafe.Pointer(&recv[0])), C.int(k)); e != C.MPI_SUCCESS {
			return mpiErr("MPI_Alltoall", e)
		}
		parts := make([][]float32, n)
		for r := range parts {
			parts[r] = recv[r*k : (r+1)*k]
		}
		dist.SumInOrderF32(mine, parts)
		if e := C.nnc_allgather_f32((*C.float)(unsafe.Pointer(&mine[0])), (*C.float)(unsafe.Pointer(&send[0])), C.int(k)); e != C.MPI_SUCCESS {
			return mpiErr("MPI_Allgather", e)
		}
		copy(part, send)
	}
	return nil
}

// AllreduceF64 is AllreduceF32 for float64 (MPI_DOUBLE).
func (c *comm) AllreduceF64(buf []float64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check("allreduce"); err != nil {
		return err
	}
	n := c.size
	for lo := 0; lo < len(buf); lo += piece * n {
		part := buf[lo:min(lo+piece*n, len(buf))]
		k := (len(part) + n - 1) / n
		if cap(c.g64) < 2*k*n+k {
			c.g64 = make([]float64, 2*k*n+k)
		}
		send, recv, mine := c.g64[:k*n], c.g64[k*n:2*k*n], c.g64[2*k*n:2*k*n+k]
		clear(send[copy(send, part):])
		if e := C.nnc_alltoall_f64((*C.double)(unsafe.Pointer(&send[0])), (*C.double)(unsafe.Pointer(&recv[0])), C.int(k)); e != C.MPI_SUCCESS {
			return mpiErr("MPI_Alltoall", e)
		}
		parts := make([][]float64, n)
		for r := range parts {
			parts[r] = recv[r*k : (r+1)*k]
		}
		dist.SumInOrderF64(mine, parts)
		if e := C.nnc_allgather_f64((*C.double)(unsafe.Pointer(&mine[0])), (*C.double)(unsafe.Pointer(&send[0])), C.int(k)); e != C.MPI_SUCCESS {
			return mpiErr("MPI_Allgather", e)
		}
		copy(part, send)
	}
	return nil
}

// BcastF32 is MPI_Bcast of MPI_FLOAT from root.
func (c *comm) BcastF32(buf []float32, root int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRoot("broadcast", root); err != nil {
		return err
	}
	for lo := 0; lo < len(buf); lo += piece {
		part := buf[lo:min(lo+piece, len(buf))]
		if e := C.nnc_bcast_f32((*C.float)(unsafe.Pointer(&part[0])), C.int(len(part)), C.int(root)); e != C.MPI_SUCCESS {
			return mpiErr("MPI_Bcast", e)
		}
	}
	return nil
}

// BcastF64 is MPI_Bcast of MPI_DOUBLE from root.
func (c *comm) BcastF64(buf []float64, root int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkRoot("broadcast", root); err != nil {
		return err
	}
	for lo := 0; lo < len(buf); lo += piece {
		part := buf[lo:min(lo+piece, len(buf))]
		if e := C.nnc_bcast_f64((*C.double)(unsafe.Pointer(&part[0])), C.int(len(part)), C.int(root)); e != C.MPI_SUCCESS {
			return mpiErr("MPI_Bcast", e)
		}
	}
	return nil
}

func (c *comm) checkRoot(what string, root int) error {
	if err := c.check(what); err != nil {
		return err
	}
	if root < 0 || root >= c.size {
		return fmt.Errorf("mpi: broadcast root %d is not a rank of a job of %d", root, c.size)
	}
	return nil
}

// Barrier is MPI_Barrier.
func (c *comm) Barrier() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check("barrier"); err != nil {
		return err
	}
	if e := C.nnc_barrier(); e != C.MPI_SUCCESS {
		return mpiErr("MPI_Barrier", e)
	}
	return nil
}

// Abort prints "nnc: rank R: err" to stderr and calls MPI_Abort with
// code 1, which ends every rank of the job (mpirun reports it). It does
// not return unless MPI_Abort fails, in which case the process exits.
func (c *comm) Abort(err error) {
	fmt.Fprintf(os.Stderr, "nnc: rank %d of %d failed, aborting the job: %v\n", c.rank, c.size, err)
	C.nnc_abort(1)
	os.Exit(1)
}

// Close is MPI_Finalize (once; the Comm cannot be used after it).
func (c *comm) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if e := C.nnc_finalize(); e != C.MPI_SUCCESS {
		return mpiErr("MPI_Finalize", e)
	}
	return nil
}
