"""Programs that must be rejected, each with its expected error line(s).

Positions are computed from the program text (pos()), at the token that fails:
a binary operator's error is at the operator, an unknown name at the name, a
call with missing arguments at the first character of the callee, a syntax
error at the unexpected token. Where the column is a matter of taste (a return
statement, a keyword argument, an error that may sit at the call or at the
offending argument) only the line is checked (line_of()). Messages are checked
by fragments that must all appear.
"""

import numpy as np

from common import Case, line_of, pos, write_all

cases = []


def case(name, header, program, entry="f"):
    c = Case("errors", name, header, program, entry)
    cases.append(c)
    return c


def err(c, position, *fragments):
    c.error("main.nn:%s: %s" % (position, " ... ".join(fragments)))


src = """
fn f(x: f32[3]) -> f32[3] {
    return x + )
}
"""
err(case("syntax_error", "A syntax error is reported at the unexpected token.", src),
    pos(src.strip("\n") + "\n", ")\n"), "unexpected")

src = """
fn f(x: f32[3) -> f32[3] {
    return x
}
"""
err(case("syntax_error_type", "An unclosed bracket in a type is a syntax error at the token found instead of `]`.", src),
    pos(src.strip("\n") + "\n", ")"), "unexpected")

src = """
fn f(hidden: f32[3]) -> f32[3] {
    return relu(hiden) * 2
}
"""
err(case("undefined_name", "An undefined name is reported at its use, with a did-you-mean suggestion.", src),
    pos(src.strip("\n") + "\n", "hiden)"), "undefined", "hiden", "hidden")

src = """
fn f(x: f32[3]) -> f32[3] {
    return tanhh(x)
}
"""
err(case("undefined_function", "An unknown function name is reported at the call, suggesting the built-in it resembles.", src),
    pos(src.strip("\n") + "\n", "tanhh"), "undefined", "tanhh", "tanh")

src = """
fn f(x: f32[B, 64], W: f32[32, 128]) -> f32[B, 128] {
    return x @ W
}
"""
err(case("matmul_inner_mismatch", "A matmul whose inner dimensions differ is a compile-time error at `@` naming both operands and their shapes.", src),
    pos(src.strip("\n") + "\n", "@"), "matmul: inner dimensions differ: x is f32[B, 64], W is f32[32, 128]")

src = """
fn f(x: f32[2, 3], y: f32[4]) -> f32[2, 3] {
    return x + y
}
"""
err(case("broadcast_failure", "Shapes that do not broadcast are an error at the operator, spelling out both shapes.", src),
    pos(src.strip("\n") + "\n", "+"), "broadcast", "f32[2, 3]", "f32[4]")

src = """
fn f(x: f32[3], y: f64[3]) -> f32[3] {
    return x * y
}
"""
err(case("dtype_mismatch", "Mixing f32 and f64 operands is an error at the operator (no implicit promotion).", src),
    pos(src.strip("\n") + "\n", "*"), "f32[3]", "f64[3]")

src = """
fn g(a: f32[N], b: f32[N]) -> f32[N] {
    return a * b
}

fn f(x: f32[3], y: f32[4]) -> f32[3] {
    return g(x, y)
}
"""
err(case("shape_var_disagreement", "A shape variable bound to 3 by one argument and 4 by another is an error at the call.", src),
    line_of(src.strip("\n") + "\n", "g(x, y)"), "N", "3", "4")

src = """
fn f(x: f32[3]) -> f32[4] {
    return x * 2
}
"""
err(case("wrong_return_shape", "Returning f32[3] from a function declared -> f32[4] is an error on the return line.", src),
    line_of(src.strip("\n") + "\n", "return"), "f32[4]", "f32[3]")

src = """
fn f(x: f32[3]) -> f64[3] {
    return x * 2
}
"""
err(case("wrong_return_dtype", "Returning f32[3] from a function declared -> f64[3] is an error on the return line.", src),
    line_of(src.strip("\n") + "\n", "return"), "f64[3]", "f32[3]")

src = """
fn g(a: f32[3], b: f32[3]) -> f32[3] {
    return a + b
}

fn f(x: f32[3]) -> f32[3] {
    return g(x) * 2
}
"""
err(case("too_few_arguments", "Calling a two-parameter function with one argument is an error at the call.", src),
    pos(src.strip("\n") + "\n", "g(x)"), "argument")

src = """
fn g(a: f32[3], b: f32[3]) -> f32[3] {
    return a + b
}

fn f(x: f32[3]) -> f32[3] {
    return g(x, x, x)
}
"""
err(case("too_many_arguments", "Calling a two-parameter function with three arguments is an error at the call.", src),
    line_of(src.strip("\n") + "\n", "g(x, x, x)"), "argument")

src = """
fn f(x: f32[3]) -> f32[3] {
    return grad(x * 2, x)
}
"""
err(case("grad_non_scalar", "grad of a non-scalar value is an error at the grad call.", src),
    line_of(src.strip("\n") + "\n", "grad"), "scalar")

src = """
fn f(x: f32[3], k: i32[3]) -> i32[3] {
    return grad(sum(x), k)
}
"""
err(case("grad_wrt_integer", "grad with respect to an integer value is an error at the grad call.", src),
    line_of(src.strip("\n") + "\n", "grad"), "i32")

src = """
fn f(logits: f32[N, 3], labels: i32[N]) -> f32 {
    return cross_entropy(logits, labels)
}
"""
c = case("grad_api_wrt_integer", "The Grad API refuses an integer input in wrt (grad/labels.json); the error names it.", src)
c.input("logits", [[1, 2, 3], [0, 0, 1]]).input("labels", np.array([2, 0], dtype=np.int32))
c.grad("labels", [0, 0], "i32")
c.error("differentiate ... labels ... i32")

src = """
fn f(x: f32[2, 3]) -> f32[2, 3] {
    return softmax(x, axs = 0)
}
"""
err(case("unknown_keyword", "An unknown keyword argument is an error naming it.", src),
    line_of(src.strip("\n") + "\n", "axs"), "axs")

src = """
fn f(x: f32[3]) -> f32[3] {
    return x * scale
}

fn g(x: f32[3]) -> f32[3] {
    return x + offset
}
"""
c = case("errors_sorted", "Every error of a file is reported, sorted by position.", src)
err(c, pos(src.strip("\n") + "\n", "scale"), "undefined", "scale")
err(c, pos(src.strip("\n") + "\n", "offset"), "undefined", "offset")

src = """
import "std/nn"

model Net() {
    layer = nn.Dense(4, 2)

    fn forward(x: f32[B, 3]) -> f32[B, 2] {
        return layer(x)
    }
}
"""
c = case("submodel_input_shape", "Passing f32[B, 3] to a Dense(4, 2) is an error at the call of the sub-model.", src, "Net.forward")
err(c, line_of(src.strip("\n") + "\n", "layer(x)"), "f32[B, 3]")

src = """
fn f(x: f32[3]) -> f32[3] {
    return x * 2
}
"""
c = case("entry_not_found", "Asking for an entry the program does not define is an error (from Func) naming it.", src, "nosuch")
c.error("nosuch")

src = """
fn f(x: f32[3]) -> f32[3] {
    return x * 2
}
"""
c = case("run_input_shape", "An input whose shape differs from the declared one is an error from Run naming both types, not a panic.", src)
c.input("x", [1, 2, 3, 4]).error("x ... f32[3] ... f32[4]")

src = """
fn f(x: f32[N], y: f32[N]) -> f32[N] {
    return x + y
}
"""
c = case("run_shape_var_mismatch", "Inputs that bind the entry's shape variable N to 3 and to 4 are an error from Run.", src)
c.input("x", [1, 2, 3]).input("y", [1, 2, 3, 4]).error("N")

src = """
fn f(x: f32[3]) -> f32[3] {
    return x * 2
}

fn f(x: f32[3]) -> f32[3] {
    return x * 3
}
"""
c = case("duplicate_declaration", "Declaring a function twice is an error at the second declaration.", src)
err(c, line_of(src.strip("\n") + "\n", "fn f", 1), "f")

# The stable codes (lang/errors.go) of each case's errors, in order; the
# runner checks them through the case's code file. Errors of the Grad API and
# of Run come from the runtime, without codes.
CODES = {
    "syntax_error": ["E101"],
    "syntax_error_type": ["E101"],
    "undefined_name": ["E201"],
    "undefined_function": ["E201"],
    "matmul_inner_mismatch": ["E301"],
    "broadcast_failure": ["E301"],
    "dtype_mismatch": ["E301"],
    "shape_var_disagreement": ["E303"],
    "wrong_return_shape": ["E302"],
    "wrong_return_dtype": ["E302"],
    "too_few_arguments": ["E204"],
    "too_many_arguments": ["E204"],
    "grad_non_scalar": ["E305"],
    "grad_wrt_integer": ["E305"],
    "unknown_keyword": ["E204"],
    "errors_sorted": ["E201", "E201"],
    "submodel_input_shape": ["E304"],
    "entry_not_found": ["E206"],
    "duplicate_declaration": ["E103"],
}
for c in cases:
    c.code(*CODES.get(c.name, []))

write_all(cases)
