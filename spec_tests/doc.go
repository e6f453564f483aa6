// Package spectests is nnc's conformance suite: .nn programs with inputs and
// independently computed expected outputs, gradients or errors, one txtar
// file per case under cases/. The runner is spec_test.go; the case format is
// described in README.md, and the scripts in gen/ produce the cases.
package spectests
