package lang

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/nnclang/nnc/ops"
)

var panicPos = regexp.MustCompile(`^[^\s:]*:(\d+):(\d+):`)

// recoverInternal turns a panic escaping the API into an internal error
// (code E901) so that no input can crash a caller.
func recoverInternal(file string, err *error) {
	if r := recover(); r != nil {
		pos := ops.Pos{File: file, Line: 1, Col: 1}
		msg := fmt.Sprint(r)
		// Panics of the parser library start with the position.
		if m := panicPos.FindStringSubmatch(msg); m != nil {
			pos.Line, _ = strconv.Atoi(m[1])
			pos.Col, _ = strconv.Atoi(m[2])
		}
		*err = ErrorList{{Pos: pos, Code: CodeInternal,
			Msg: fmt.Sprintf("internal compiler error: %s (please report this)", msg)}}
	}
}

// guard runs fn, turning a panic into an internal error at the position
// being interpreted, so that checking goes on with the next declaration.
func (i *interp) guard(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			i.errorf(i.pos, CodeInternal, "internal compiler error: %v (please report this)", r)
		}
	}()
	fn()
}
