package nnc

import (
	"embed"
	"fmt"
	"strings"
)

// nncSources are the sources a standalone package copies (codegen.Spec's
// Sources): the ops, kernels and tensor packages with the kernels'
// assembly and its header (test files are left out when copying), nnc's LICENSE, and go.mod for its go version.
//
//go:embed ops/*.go kernels/*.go kernels/*.s kernels/*.h tensor/*.go LICENSE go.mod
var nncSources embed.FS

// goVersion is the go line of nnc's go.mod ("1.26.0"), which a standalone
// package's go.mod repeats: the copied code needs that Go.
func goVersion() (string, error) {
	b, err := nncSources.ReadFile("go.mod")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("nnc's go.mod has no go line")
}
