package kernels

// The assembly kernels gemm_amd64.s, gemm_small_amd64.s, fused_amd64.s and
// conv_direct_amd64.s are written by the generators gemm_gen.go,
// gemm_small_gen.go, fused_gen.go and conv_direct_gen.go; edit those and run
// "go generate ./kernels". TestGeneratedFilesCurrent fails when a committed
// file differs from its generator's output.

//go:generate go run gemm_gen.go
//go:generate go run gemm_small_gen.go
//go:generate go run fused_gen.go
//go:generate go run conv_direct_gen.go
