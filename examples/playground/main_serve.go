//go:build !(js && wasm)

package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
)

// main, on systems other than js/wasm, serves a built playground (build.sh
// writes it to dist/) on a loopback address.
func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := flag.String("dir", "examples/playground/dist", "the folder build.sh wrote")
	flag.Parse()
	if _, err := os.Stat(*dir + "/nnc.wasm"); err != nil {
		fmt.Fprintf(os.Stderr, "playground: %s has no nnc.wasm: run examples/playground/build.sh first\n", *dir)
		os.Exit(1)
	}
	fmt.Printf("playground: http://%s/\n", *addr)
	if err := http.ListenAndServe(*addr, http.FileServer(http.Dir(*dir))); err != nil {
		fmt.Fprintln(os.Stderr, "playground:", err)
		os.Exit(1)
	}
}
