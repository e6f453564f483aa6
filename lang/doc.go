// Package lang is the front end of nnc: it parses .nn source, checks it and
// lowers it to an ops graph.
//
// # Stages and files
//
// Syntax. The source becomes a syntax tree, with positions:
//
//	lexer.go      tokens; newlines end statements except inside ( ) and [ ]
//	nesting.go    a bound on nesting, checked on the tokens before parsing
//	grammar.go    the participle grammar (concrete syntax)
//	parse.go      concrete syntax → the syntax tree of ast.go (unexported)
//	syntax_msg.go syntax errors worded for people
//	format*.go    the canonical text of a file (nnc fmt)
//
// Loading (module.go). Load parses a file and its imports, declares the
// names of each file (fileScope), evaluates constants and then checks every
// function with its declared symbolic signature and every model method with
// the model's defaults, in evaluation and training modes (checkAll); train
// blocks are read by train.go.
//
// Evaluation. One walk resolves names, checks types and lowers to the
// graph: .nn is evaluated when it is compiled (loops are unrolled, `if`
// tests compile-time values, model arguments decide shapes and which
// sub-models exist), so what a name means and whether an expression is
// well typed depend on values that the same walk computes. Checking is
// lowering on a scratch builder with symbolic shapes. The walk is split by
// concern:
//
//	interp.go     the interpreter's state: the builder, the step budget,
//	              errors; frames (one per inlined call)
//	value.go      the values an expression evaluates to (a graph node, a
//	              compile-time int, float, bool or string, a tuple, a model
//	              instance, a function) and operand labels for messages
//	scope.go      name resolution: locals, the model's members and
//	              arguments, the file's declarations and imports, built-ins
//	stmt.go       statements; expr.go expressions; interp_const.go
//	              compile-time arithmetic; literal.go tensor literals;
//	              index.go indexing and slicing
//	call.go       calls are inlined; declared parameter types are unified
//	              with the arguments (types.go), binding shape variables
//	model.go      model instances: arguments, params and states (builder
//	              leaves named by path), sub-models, methods
//	customgrad.go functions with their own gradient
//	apply.go      the one place where an op is added to the graph
//	lower.go      entries: Lower, Signature, Entries; shapes.go binds shape
//	              variables to concrete shapes
//	query*.go     the query API for editors: Analyze checks like Load and
//	              keeps errors, syntax trees and each expression's value
//	              (the one hook: interp.obs in eval)
//
// Built-in functions. Most are derived from the op registry: an op with a
// built-in signature (ops.Builtin: operands, attributes with kinds,
// defaults and checks) is the built-in of its name, and one generic
// lowering (builtin.go) matches a call's arguments to the signature,
// checks and converts them and applies the op; a new op with a signature
// is a new built-in without an edit here. Written by hand
// (builtin.go's specials) are those that are not one op or whose
// arguments mean more than the op's attributes: grad, jvp, vjp, hvp
// (builtin_diff.go), scan (scan.go), dropout, l1, l2, batch_norm with
// given statistics, attention with causal (builtin_nn.go), reshape with
// -1, transpose, split, pad, flatten, zeros, ones, full and arange
// (builtin_shape.go). builtin_args.go reads arguments for both.
//
// Shapes are checked by the ops' own type rules through ops.Builder.Apply:
// there is one shape-rule implementation, and its errors name the operands
// by their source text. All errors are collected, sorted and deduplicated,
// with stable codes (errors.go); an expression whose error was reported
// evaluates to an invalid value that silences further errors.
//
// # Public API
//
// What the root package (and the tests of the packages above lang) use is
// exported, and nothing else: Load and Module (Entries, Lower, Signature,
// ModelArgs, TrainModels, TrainBlock); LowerOptions, Lowered and Arg;
// NeedsShapes and BindShapes; Format (nnc fmt); the errors (Error,
// ErrorList and the stable codes, which docs/language.md lists); a train
// block's settings (TrainSpec, Value, Call, Map); for editors (the
// language server, package lsp), the query API of query.go: Analyze and
// Analysis (Info, Definition, Symbols, Completions), StdSource. The
// syntax tree, the
// parser and the interpreter are internal: their names are unexported, so
// that the language can change its syntax tree without breaking callers.
// syntax_compat.go keeps, for now, exported aliases of the syntax tree's
// names that train.go spells (and train.go declares MapLit); they go when
// train.go uses the unexported names.
//
// lang recovers no panics: user input is reported as errors, and a panic
// is a broken invariant, which the root package's API boundary reports as
// an *nnc.InternalError.
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
