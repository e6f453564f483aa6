package lang

import (
	"fmt"
	"runtime/debug"

	"github.com/nnclang/nnc/ops"
)

// recoverInternal turns a panic escaping the API into an internal error
// (code E901) so that no input can crash a caller.
func recoverInternal(file string, err *error) {
	if r := recover(); r != nil {
		_ = debug.Stack
		*err = ErrorList{{Pos: ops.Pos{File: file, Line: 1, Col: 1}, Code: CodeInternal,
			Msg: fmt.Sprintf("internal compiler error: %v (please report this)", r)}}
	}
}
