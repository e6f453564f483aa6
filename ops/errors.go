package ops

import (
	"fmt"
	"strconv"
	"strings"
)

// InferError is a type error from an op's rule. Its message names operands
// as {0}, {1}, ... so that the front end can put in the source text of each
// operand ("x is f32[B, 64], W is f32[32, 128]").
type InferError struct {
	Op  string
	Msg string
}

// Error renders the message with the operands labelled "x", "y", "z", ...
func (e *InferError) Error() string { return e.Format(nil) }

// Format renders the message with labels[i] for operand i; missing labels
// fall back to "operand i+1".
func (e *InferError) Format(labels []string) string {
	msg := e.Msg
	for i := 0; i < 16; i++ {
		ph := "{" + strconv.Itoa(i) + "}"
		if !strings.Contains(msg, ph) {
			continue
		}
		l := "operand " + strconv.Itoa(i+1)
		if i < len(labels) && labels[i] != "" {
			l = labels[i]
		} else if labels == nil && i < 3 {
			l = []string{"x", "y", "z"}[i]
		}
		msg = strings.ReplaceAll(msg, ph, l)
	}
	return e.Op + ": " + msg
}

// IndexError reports an integer operand (take's ids, embedding's ids,
// cross_entropy's labels) holding a value outside the range the op accepts:
// "f.nn:3:12: take: index 7 out of range [-5, 5) at position 1 of the ids".
type IndexError struct {
	Pos    Pos    // the op's position in the .nn source
	Op     string // the op's name
	What   string // "index", "label", "id"
	Of     string // the operand: "ids", "labels"
	Value  int64  // the offending value
	Lo, Hi int64  // the accepted range [Lo, Hi)
	At     []int  // the value's position in the operand (one index per axis)
}

// Error prints the position, the op, the value, the range and where it is.
func (e *IndexError) Error() string {
	at := ""
	if len(e.At) == 1 {
		at = fmt.Sprint(e.At[0])
	} else {
		at = strings.ReplaceAll(fmt.Sprint(e.At), " ", ", ")
	}
	pos := ""
	if s := e.Pos.String(); s != "" {
		pos = s + ": "
	}
	return fmt.Sprintf("%s%s: %s %d out of range [%d, %d) at position %s of the %s", pos, e.Op, e.What, e.Value, e.Lo, e.Hi, at, e.Of)
}

// checkRange reports, through ctx, the first of ids outside [lo, hi) as an
// IndexError of node n; it returns false when there is one. shape is the
// concrete shape of ids, for the position in the message. The scan is a
// single pass with one comparison per value.
func checkRange[L ~int32 | ~int64](ctx *Ctx, n *Node, ids []L, shape []int, lo, hi int64, what, of string) bool {
	for i, v := range ids {
		if int64(v) < lo || int64(v) >= hi {
			ctx.Fail(&IndexError{Pos: n.Pos, Op: n.Op.Name, What: what, Of: of, Value: int64(v), Lo: lo, Hi: hi, At: unflatten(i, shape)})
			return false
		}
	}
	return true
}

// unflatten turns flat index i into one index per axis of shape (i itself
// for a shape of rank 0 or 1).
func unflatten(i int, shape []int) []int {
	if len(shape) <= 1 {
		return []int{i}
	}
	at := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if d := shape[k]; d > 0 {
			at[k] = i % d
			i /= d
		}
	}
	return at
}
