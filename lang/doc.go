// Package lang is the front end of nnc: it parses .nn source, checks it and
// lowers it to an ops graph.
//
// The pipeline is a straight line:
//
//	lexer.go    tokens; newlines end statements except inside ( ) and [ ]
//	grammar.go  the participle grammar (concrete syntax)
//	parse.go    concrete syntax → the AST of ast.go, with positions
//	interp.go   a symbolic interpreter: every expression evaluates to a value
//	            (a graph node, a compile-time int/float/bool/string, a tuple, a
//	            model instance, a function)
//	call.go     calls are inlined; declared parameter types are unified with
//	            the arguments (types.go), binding shape variables
//	model.go    model instances: arguments, params and states (builder
//	            leaves named by path), sub-models, methods
//	builtins.go the built-in functions, each lowered to registered ops
//	module.go   Load, Lower, Signature, Entries; train.go: train blocks
//
// Shapes are checked by the ops' own type rules through ops.Builder.Apply:
// there is one shape-rule implementation, and its errors name the operands
// by their source text. Load checks every function with its declared
// symbolic signature and every model method with the model's defaults (an
// argument without a default is a symbolic dimension), in evaluation and
// training modes. All errors are collected, sorted and deduplicated, with
// stable codes (errors.go); an expression whose error was reported evaluates
// to an invalid value that silences further errors. No input makes the API
// panic: a panic is recovered into an E901 error with a position.
//
// Comparisons (< <= > >= == !=) of tensors give 0/1 masks of the operands'
// element type, not bool tensors: the ops registry compares into float
// masks (less, greater, equal), and a mask is directly usable in
// arithmetic and as where's condition. On masks, a && b is a*b, a || b is
// maximum(a, b) and !a is 1-a. On compile-time values they are bools.
//
// Loops (`for t in 0..T`) and scan are unrolled when the graph is built. A
// bound that is a shape variable is resolved from LowerOptions.Shapes;
// while checking (Load) and for Signature such a loop runs once, for types.
//
// Syntax chosen where LANGUAGE.md is silent:
//   - scan(step, init, xs): step is a function or method value (`cell`,
//     `layer.cell`) taking (carry, x_t) and returning (carry, y_t); the
//     carry and xs may be tuples; the result is the tuple (carry, ys).
//   - Tensor literals take the element type of their context (the other
//     operand, the parameter or result type), f32 otherwise, i32 as ids.
//   - split(x, n or [sizes], axis = 0) gives a tuple; pad(x, p, value = 0)
//     with p an int (every side of every axis) or [before, after, ...] for
//     the last axes; concat and stack take tensors or one list of them.
//   - attention(q, k, v, mask = m, scale = s, causal = false);
//     batch_norm(x, gamma, beta, mean = m, var = v) normalizes with given
//     (running) statistics, without them with the batch's.
//   - arange(stop) or arange(start, stop, step); eye(n, m); normal(shape,
//     mean, std) and uniform(shape, low, high) are seeded per call site.
//   - Indexing: integers, negative indices, `...`, steps, bounds that are
//     shape variables (pos[:T], step 1), and one integer tensor index
//     (NumPy's take along that axis).
//   - jvp(y, x, t), vjp(y, x, v), hvp(y, x, v) (builtins_diff.go): J·t,
//     vᵀJ and the Hessian of a scalar y times v, x a tensor or a tuple (vjp
//     also params), lowered to autodiff.JVP, VJP and HVP, so they nest.
//   - Custom gradients (customgrad.go): `fn f(x: T) -> R { ... } grad(x,
//     y, g) { ... }`, the block on the line of the body's `}`, one name per
//     parameter, then the output and its cotangent; it returns one
//     cotangent per float tensor parameter. Each call is wrapped with
//     autodiff.Custom, its rule (registered per definition and compile-time
//     configuration) inlining the block; each call also checks the block on
//     a scratch graph (E309).
//
// The standard library (std/nn.nn) is .nn source embedded in the binary;
// `import "path.nn" as name` reads a file relative to the importing one.
package lang
