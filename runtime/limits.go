package runtime

import (
	"fmt"
	"math"
	"math/big"
	"sync/atomic"

	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// MaxBytes is the largest size, in bytes, of one tensor or one arena the
// runtime will allocate: ops.MaxTensorBytes, 2^48 bytes (256 TiB), the most a Go slice may hold
// on 64-bit machines (less on 32-bit ones). A shape whose byte size exceeds
// it, or overflows, is an error before anything is allocated.
const MaxBytes int64 = min(ops.MaxTensorBytes, math.MaxInt)

// ShapeBytes returns the element count and the byte size of a tensor of
// element type dt and the given shape, checking every product for overflow:
// a negative dimension, or a size above MaxBytes, is an error ("f32[4294967296,
// 4294967296] has 18446744073709551616 elements, more than 2^48 bytes").
func ShapeBytes(dt tensor.DType, shape []int) (elems, bytes int64, err error) {
	size := int64(dt.Size())
	if size == 0 {
		size = 1
	}
	elems = 1
	for _, d := range shape {
		if d < 0 {
			return 0, 0, fmt.Errorf("%s has a negative dimension", shapeString(dt, shape))
		}
		if d == 0 {
			return 0, 0, nil
		}
	}
	for _, d := range shape {
		if elems > MaxBytes/size/int64(d) {
			return 0, 0, fmt.Errorf("%s has %s elements, more than this machine can address (%s at most)",
				shapeString(dt, shape), bigProduct(shape), FormatBytes(MaxBytes))
		}
		elems *= int64(d)
	}
	return elems, elems * size, nil
}

// CheckShape is ShapeBytes's check alone, for a tensor about to be allocated.
func CheckShape(dt tensor.DType, shape []int) error {
	_, _, err := ShapeBytes(dt, shape)
	return err
}

// bigProduct prints the exact product of dims, however large.
func bigProduct(dims []int) string {
	p := big.NewInt(1)
	for _, d := range dims {
		p.Mul(p, big.NewInt(int64(d)))
	}
	return p.String()
}

// shapeString prints a type as .nn spells it: "f32[2, 3]".
func shapeString(dt tensor.DType, shape []int) string {
	return typeString(&tensor.Tensor{DType: dt, Shape: shape})
}

// FormatBytes prints a memory size with a binary unit: "1.50 MiB".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.2f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// addBytes adds two byte counts, saturating at math.MaxInt64.
func addBytes(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// memLimit is the limit set by SetMemoryLimit; 0 means the default.
var memLimit atomic.Int64

// SetMemoryLimit sets the most memory, in bytes, that the arena of one plan
// may take: running a plan whose peak (Plan.PeakBytes) is larger is refused
// before anything is allocated, with a *MemoryError, and so is initializing
// parameters larger than that. 0 restores the default, the memory available
// to the process when the plan is allocated (AvailableMemory); a negative
// limit is an error. The limit holds for the whole process, every session
// included.
func SetMemoryLimit(bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("memory limit %d is negative (0 means the memory available)", bytes)
	}
	memLimit.Store(bytes)
	return nil
}

// MemoryLimit returns the limit plans are held to now: the one set by
// SetMemoryLimit, or (set false) the memory available to the process.
func MemoryLimit() (limit int64, set bool) {
	if l := memLimit.Load(); l > 0 {
		return l, true
	}
	return AvailableMemory(), false
}

// MemoryError is the refusal to allocate a plan (or parameters) larger than
// the memory limit.
type MemoryError struct {
	What  string // "the plan" or "param l1.W"
	Need  int64  // bytes the allocation needs
	Limit int64  // the limit in force
	Set   bool   // whether the limit was set (SetMemoryLimit) or is the memory available
	// Values and Scratch split a plan's Need: its arenas (PeakBytes) and
	// its kernels' scratch (ScratchBytes).
	Values, Scratch int64
	// Largest is the node of the largest value of the plan, nil if unknown;
	// LargestBytes its size.
	Largest      *ops.Node
	LargestType  string
	LargestBytes int64
	// ScratchNode is the node whose kernel needs the most scratch, nil if
	// none needs any; ScratchMax that scratch.
	ScratchNode *ops.Node
	ScratchMax  int64
}

// Error names the size needed and the limit, with the position and type of
// the largest value, and the split between values and kernel scratch with
// the op needing the most scratch when the kernels need any. The position
// that starts the message is that of the largest value, or of the op
// needing the most scratch when that is larger.
func (e *MemoryError) Error() string {
	limit := fmt.Sprintf("the memory limit of %s", FormatBytes(e.Limit))
	if !e.Set {
		limit = fmt.Sprintf("the %s of memory available (%s)", FormatBytes(e.Limit), defaultLimitNote)
	}
	msg := fmt.Sprintf("%s needs %s of memory, more than %s", e.What, FormatBytes(e.Need), limit)
	if e.Scratch > 0 {
		msg = fmt.Sprintf("%s; its values take %s and its kernels' scratch %s", msg, FormatBytes(e.Values), FormatBytes(e.Scratch))
	}
	at := e.Largest
	if n := e.Largest; n != nil {
		msg = fmt.Sprintf("%s; its largest value is %s %s (%s)", msg, n.Op.Name, e.LargestType, FormatBytes(e.LargestBytes))
	}
	if n := e.ScratchNode; n != nil {
		where := ""
		if s := n.Pos.String(); s != "" {
			where = " at " + s
		}
		msg = fmt.Sprintf("%s; the most kernel scratch is %s's%s (%s)", msg, n.Op.Name, where, FormatBytes(e.ScratchMax))
		// The larger of the two places the message, unless it has no
		// source position (an optimizer's update) and the other has.
		if at == nil || e.ScratchMax > e.LargestBytes && (n.Pos.String() != "" || at.Pos.String() == "") {
			at = n
		}
	}
	if at != nil {
		msg = posPrefix(at) + msg
	}
	return msg
}

// defaultLimitNote is what a MemoryError says, in parentheses after the
// limit, when the limit is the default (the memory available) rather than
// one set. It speaks of the option, not of the nnc command's flag: the
// command replaces it with its own words (cmd/nnc, memoryText).
const defaultLimitNote = "the default limit; set a larger memory limit"

// checkMemory refuses an allocation of need bytes above the limit.
func checkMemory(what string, need int64) *MemoryError {
	limit, set := MemoryLimit()
	if need <= limit {
		return nil
	}
	return &MemoryError{What: what, Need: need, Limit: limit, Set: set}
}

// fallbackMemory is the memory assumed available where the system does not
// tell: 4 GiB.
const fallbackMemory int64 = 4 << 30
