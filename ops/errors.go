package ops

import (
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
