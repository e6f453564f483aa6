//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"
)

// main registers the global object nnc (play.go's package comment), calls
// nncReady when there is one, and waits for calls.
func main() {
	api := js.Global().Get("Object").New()
	register(api, "check", func(args []js.Value) any { return check(arg(args, 0)) })
	register(api, "summary", func(args []js.Value) any { return summary(arg(args, 0), arg(args, 1)) })
	register(api, "hover", func(args []js.Value) any { return hover(arg(args, 0), intArg(args, 1), intArg(args, 2)) })
	register(api, "format", func(args []js.Value) any { return format(arg(args, 0)) })
	register(api, "graph", func(args []js.Value) any {
		return graph(arg(args, 0), arg(args, 1), len(args) > 2 && args[2].Truthy())
	})
	js.Global().Set("nnc", api)
	if ready := js.Global().Get("nncReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// register sets api[name] to a function that returns f's result as JSON;
// a panic (a bug) becomes {"error": ...} instead of ending the program.
func register(api js.Value, name string, f func([]js.Value) any) {
	api.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if r := recover(); r != nil {
				out = toJSON(map[string]string{"error": fmt.Sprintf("internal error in %s (a bug in the playground): %v", name, r)})
			}
		}()
		return toJSON(f(args))
	}))
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
