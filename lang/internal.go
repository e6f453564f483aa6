package lang

import (
	"fmt"

	"github.com/nnclang/nnc/ops"
)

// recoverInternal turns a panic escaping the API into an internal error
// (code E901) so that no input can crash a caller.
func recoverInternal(file string, err *error) {
	if r := recover(); r != nil {
		*err = ErrorList{{Pos: ops.Pos{File: file, Line: 1, Col: 1}, Code: CodeInternal,
			Msg: fmt.Sprintf("internal compiler error: %v (please report this)", r)}}
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
