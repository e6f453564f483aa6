package autodiff

import "github.com/nnclang/nnc/ops"

// The loop op differentiates its body with this package's transforms.
func init() {
	ops.SetBodyDerivatives(VJP, JVP)
}
