//go:build js && wasm

package main

import "syscall/js"

// main registers the global object nnc (play.go's package comment) and
// waits for calls.
func main() {
	api := js.Global().Get("Object").New()
	api.Set("check", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return toJSON(check(arg(args, 0), arg(args, 1)))
	}))
	api.Set("hover", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return toJSON(hover(arg(args, 0), intArg(args, 1), intArg(args, 2)))
	}))
	api.Set("format", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return toJSON(format(arg(args, 0)))
	}))
	api.Set("graph", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return toJSON(graph(arg(args, 0), arg(args, 1), len(args) > 2 && args[2].Truthy()))
	}))
	js.Global().Set("nnc", api)
	if ready := js.Global().Get("nncReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// arg is the i-th argument as a string ("" when absent or not a string).
func arg(args []js.Value, i int) string {
	if i >= len(args) || args[i].Type() != js.TypeString {
		return ""
	}
	return args[i].String()
}

// intArg is the i-th argument as an int (0 when absent or not a number).
func intArg(args []js.Value, i int) int {
	if i >= len(args) || args[i].Type() != js.TypeNumber {
		return 0
	}
	f := args[i].Float()
	if f != f || f < -1<<30 || f > 1<<30 {
		return 0
	}
	return int(f)
}
