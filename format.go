package nnc

import "github.com/nnclang/nnc/lang"

// Format returns the canonical formatting of a .nn source file, comments
// kept; a file that does not parse gives its syntax errors (an ErrorList).
func Format(filename string, src []byte) (out []byte, err error) {
	defer recoverInternal(&err)
	return lang.Format(filename, src)
}
