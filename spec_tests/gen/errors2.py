"""Programs that must be rejected, at least one per error code of
lang/errors.go that a program can trigger (E901, an internal error, is a bug
in nnc and has no case), each with its position, message fragments and the
code file naming the stable codes.

Positions come from the program text (pos(), line_of()) following the
conventions of errors.py: an operator's error at the operator, a name's at
the name, a call's at its callee, a syntax error at the unexpected token;
line only where the column is a matter of taste.
"""

from common import Case, select, line_of, pos, write_all

# Cases that fail today because of a bug or a missing feature in nnc; this
# script does not write them (the conformance report lists why).
PENDING = []

cases = []


def case(name, header, program, entry="f"):
    c = Case("diagnostics", name, header, program, entry)
    c.src = c.program
    cases.append(c)
    return c


def err(c, position, *fragments):
    c.error("main.nn:%s: %s" % (position, " ... ".join(fragments)))
    return c


# ---- E101 syntax ----
c = case("e101_missing_operand", "E101: an expression cut off after a binary operator is a syntax error at the token found instead.", """
fn f(x: f32[3]) -> f32[3] {
    return x +
}
""")
err(c, pos(c.src, "}"), "unexpected").code("E101")

c = case("e101_bad_character", "E101: a character that is no token is rejected by the lexer at that character.", """
fn f(x: f32[3]) -> f32[3] {
    return x $ 2.0
}
""")
err(c, pos(c.src, "$"), "$").code("E101")

c = case("e101_unclosed_block", "E101: a block left open at the end of the file: the error is at the end of the file (line 3, after the last newline).", """
fn f(x: f32[3]) -> f32[3] {
    return x
""")
err(c, "3:1", "unexpected", "end of file").code("E101")

# ---- E102 import ----
c = case("e102_missing_file", "E102: importing a file that does not exist is an error at the import.", """
import "missing.nn" as m

fn f(x: f32[3]) -> f32[3] {
    return x
}
""")
err(c, pos(c.src, "import"), "missing.nn").code("E102")

c = case("e102_unknown_std", "E102: an unknown standard library module is an error at the import.", """
import "std/layers"

fn f(x: f32[3]) -> f32[3] {
    return x
}
""")
err(c, pos(c.src, "import"), "std/layers").code("E102")

# ---- E103 duplicate ----
c = case("e103_duplicate_param", "E103: a model member declared twice is an error at the second declaration.", """
model M() {
    param W: f32[3] = zeros()
    param W: f32[3] = ones()

    fn forward(x: f32[3]) -> f32[3] {
        return x * W
    }
}
""", "M.forward")
err(c, line_of(c.src, "param W", 1), "W", "already declared").code("E103")

c = case("e103_duplicate_argument", "E103: two parameters of one function with the same name.", """
fn f(x: f32[3], x: f32[3]) -> f32[3] {
    return x
}
""")
err(c, line_of(c.src, "fn f"), "x", "already declared").code("E103")

# ---- E201 undefined ----
c = case("e201_undefined_model", "E201: building a model that is not declared, with a did-you-mean for the one that is.", """
model Layer() {
    fn forward(x: f32[3]) -> f32[3] {
        return x
    }
}

model Net() {
    l = Layr()

    fn forward(x: f32[3]) -> f32[3] {
        return l(x)
    }
}
""", "Net.forward")
err(c, pos(c.src, "Layr"), "undefined", "Layr", "Layer").code("E201")

c = case("e201_no_cascade", "E201: every undefined name is reported, and an expression built on one causes no further errors.", """
fn f(x: f32[3]) -> f32[3] {
    y = relu(z) @ x
    w = sum(q) + y
    return x
}
""")
err(c, pos(c.src, "z)"), "undefined", "z")
err(c, pos(c.src, "q)"), "undefined", "q").code("E201", "E201")

# ---- E202 not callable / not indexable ----
c = case("e202_call_tensor", "E202: calling a tensor is an error naming it and its type.", """
fn f(x: f32[3]) -> f32[3] {
    return x(1)
}
""")
err(c, pos(c.src, "x(1)"), "x", "f32[3]", "not a function").code("E202")

c = case("e202_index_number", "E202: indexing a compile-time number.", """
const N = 4

fn f(x: f32[3]) -> f32[3] {
    return x * N[0]
}
""")
err(c, line_of(c.src, "N[0]"), "int", "cannot be indexed").code("E202")

# ---- E203 no member ----
c = case("e203_model_member", "E203: a member a model does not have, at the member's name.", """
import "std/nn"

model M() {
    l = nn.Dense(2, 2)

    fn forward(x: f32[B, 2]) -> f32[B, 2] {
        return x @ l.V
    }
}
""", "M.forward")
err(c, line_of(c.src, "l.V"), "Dense", "V").code("E203")

c = case("e203_std_model", "E203: a misspelled std/nn model, with a did-you-mean.", """
import "std/nn"

model M() {
    l = nn.Dence(2, 2)

    fn forward(x: f32[B, 2]) -> f32[B, 2] {
        return l(x)
    }
}
""", "M.forward")
err(c, line_of(c.src, "nn.Dence"), "Dence", "Dense").code("E203")

# ---- E204 arguments ----
c = case("e204_model_missing_argument", "E204: a model argument without a default must be given where the model is built.", """
import "std/nn"

model M() {
    l = nn.Dense(2)

    fn forward(x: f32[B, 2]) -> f32[B, 2] {
        return l(x)
    }
}
""", "M.forward")
err(c, line_of(c.src, "nn.Dense"), "n_out").code("E204")

c = case("e204_builtin_arity", "E204: a built-in called with too many arguments.", """
fn f(x: f32[3]) -> f32[3] {
    return relu(x, 2)
}
""")
err(c, line_of(c.src, "relu"), "relu", "1", "2").code("E204")

c = case("e204_unknown_option", "E204: an option a built-in does not have.", """
fn f(x: f32[2, 3]) -> f32[2] {
    return sum(x, axes = 1)
}
""")
err(c, line_of(c.src, "axes"), "axes").code("E204")

# ---- E205 not constant ----
c = case("e205_if_tensor", "E205: an if condition must be a compile-time bool, not a tensor.", """
fn f(x: f32[3]) -> f32[3] {
    if sum(x) > 0.0 {
        return x
    }
    return -x
}
""")
err(c, line_of(c.src, "if sum"), "compile-time", "bool").code("E205")

c = case("e205_loop_bound", "E205: a loop bound must be a compile-time int.", """
fn f(x: f32[3]) -> f32[3] {
    for i in 0..sum(x) {
        x = x * 2.0
    }
    return x
}
""")
err(c, line_of(c.src, "for i"), "sum(x)", "constant int").code("E205")

c = case("e205_axis", "E205: an axis must be a compile-time int, not a tensor.", """
fn f(x: f32[2, 3], a: i32) -> f32[2] {
    return sum(x, axis = a)
}
""")
err(c, line_of(c.src, "axis = a"), "axis", "must be an int", "i32").code("E205")

# ---- E301 type rules ----
c = case("e301_conv_channels", "E301: conv2d whose kernel expects other input channels names both shapes.", """
fn f(x: f32[1, 3, 8, 8], K: f32[4, 2, 3, 3]) -> f32[1, 4, 6, 6] {
    return conv2d(x, K)
}
""")
err(c, line_of(c.src, "conv2d("), "conv2d", "f32[1, 3, 8, 8]", "f32[4, 2, 3, 3]").code("E301")

c = case("e301_concat", "E301: concat of operands that differ off the joined axis.", """
fn f(a: f32[2, 3], b: f32[3, 3]) -> f32[2, 6] {
    return concat(a, b, axis = 1)
}
""")
err(c, line_of(c.src, "concat("), "concat", "f32[2, 3]", "f32[3, 3]").code("E301")

c = case("e301_layer_norm_gain", "E301: a layer_norm gain whose size is not the last axis.", """
fn f(x: f32[2, 4], g: f32[3], b: f32[4]) -> f32[2, 4] {
    return layer_norm(x, g, b)
}
""")
err(c, line_of(c.src, "layer_norm("), "layer_norm", "f32[3]").code("E301")

c = case("e301_embedding_ids", "E301: embedding ids must be integers.", """
fn f(ids: f32[4], table: f32[10, 3]) -> f32[4, 3] {
    return embedding(ids, table)
}
""")
err(c, line_of(c.src, "embedding("), "embedding", "f32[4]").code("E301")

c = case("e301_reshape_count", "E301: reshape to a shape with another number of elements.", """
fn f(x: f32[2, 3]) -> f32[4, 2] {
    return reshape(x, [4, 2])
}
""")
err(c, line_of(c.src, "reshape("), "reshape", "[2, 3]", "[4, 2]").code("E301")

# ---- E302 return ----
c = case("e302_tuple_arity", "E302: returning two values from a function declared to return three.", """
fn f(x: f32[3]) -> (f32[3], f32[3], f32[3]) {
    return x, x
}
""")
err(c, line_of(c.src, "return"), "f").code("E302")

# ---- E303 shape variables ----
c = case("e303_method", "E303: a shape variable bound to two sizes by the arguments of a method call.", """
model M() {
    fn pair(x: f32[N, 2], y: f32[N, 2]) -> f32[N, 2] {
        return x + y
    }

    fn forward(a: f32[3, 2], b: f32[5, 2]) -> f32[3, 2] {
        return pair(a, b)
    }
}
""", "M.forward")
err(c, line_of(c.src, "pair(a, b)"), "N", "3", "5").code("E303")

# ---- E304 argument type ----
c = case("e304_dtype", "E304: an argument of another element type than the parameter's.", """
fn g(x: f32[3]) -> f32[3] {
    return x
}

fn f(x: f64[3]) -> f32[3] {
    return g(x)
}
""")
err(c, line_of(c.src, "g(x)"), "g", "f64[3]", "f32[3]").code("E304")

# ---- E305 grad ----
c = case("e305_grad_non_scalar", "E305: grad of a non-scalar.", """
fn f(x: f32[3]) -> f32[3] {
    return grad(x * 2.0, x)
}
""")
err(c, line_of(c.src, "grad("), "grad", "f32[3]", "scalar").code("E305")

# ---- E306 param shapes ----
c = case("e306_param_shape_variable", "E306: a param's shape may not use a shape variable.", """
model M() {
    param W: f32[B, 3] = zeros()

    fn forward(x: f32[B, 3]) -> f32[B, 3] {
        return x * W
    }
}
""", "M.forward")
err(c, line_of(c.src, "param W"), "W", "B").code("E306")

c = case("e306_state_ellipsis", "E306: a state's shape may not use `...`.", """
model M() {
    state s: f32[..., 3] = zeros()

    fn forward(x: f32[3]) -> f32[3] {
        return x
    }
}
""", "M.forward")
err(c, line_of(c.src, "state s"), "s", "...").code("E306")

# ---- E307 missing return ----
c = case("e307_missing_return", "E307: a function with a declared result that does not return, at its declaration.", """
fn f(x: f32[3]) -> f32[3] {
    y = x
}
""")
err(c, line_of(c.src, "fn f"), "missing return", "f32[3]").code("E307")

c = case("e307_branch_without_return", "E307: a function whose only return is in the branch of a compile-time if that is not taken.", """
const FLAG = false

fn f(x: f32[3]) -> f32[3] {
    if FLAG {
        return x
    }
}
""")
err(c, line_of(c.src, "fn f"), "missing return").code("E307")

# ---- E308 values ----
c = case("e308_index_range", "E308: an index out of range, naming the axis and its size.", """
fn f(x: f32[6]) -> f32 {
    return x[7]
}
""")
err(c, line_of(c.src, "x[7]"), "7", "6").code("E308")

c = case("e308_negative_dim", "E308: a negative dimension in a creation shape.", """
fn f() -> f32[2, 3] {
    return zeros([2, -3])
}
""")
err(c, line_of(c.src, "zeros"), "negative", "-3").code("E308")

c = case("e308_axis_range", "E308: an axis out of range for the operand's rank.", """
fn f(x: f32[2, 3]) -> f32[2] {
    return sum(x, axis = 2)
}
""")
err(c, line_of(c.src, "axis = 2"), "axis 2", "out of range", "f32[2, 3]").code("E308")

c = case("e308_const_division", "E308: dividing a compile-time int by zero.", """
const N = 4
const Z = N - 4

fn f(x: f32[3]) -> f32[3] {
    return x * (N / Z)
}
""")
err(c, line_of(c.src, "N / Z"), "zero").code("E308")

# ---- E401 unsupported ----
c = case("e401_two_tensor_indices", "E401: tensor indices on axes that are not adjacent (x[i, :, i]) are not implemented yet.", """
fn f(x: f32[3, 4, 3], i: i32[2]) -> f32[2, 4] {
    return x[i, :, i]
}
""")
err(c, line_of(c.src, "x[i, :, i]"), "take", "gather").code("E401")

c = case("e102_import_cycle", "E102: files that import each other form a cycle, an error at the import that closes it.", """
import "a.nn" as A

fn f(x: f32[3]) -> f32[3] {
    return x
}
""").file("a.nn", """
import "b.nn" as B
""").file("b.nn", """
import "a.nn" as A
""")
c.error("b.nn:1:1: import cycle ... a.nn").code("E102")

c = case("e101_in_imported_file", "E101: a syntax error in an imported file is reported at its position in that file.", """
import "bad.nn" as bad

fn f(x: f32[3]) -> f32[3] {
    return x
}
""").file("bad.nn", """
fn g(x: f32[3]) -> f32[3] {
    return x *
}
""")
c.error("bad.nn:3:1: ... unexpected ... }").code("E101")

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
