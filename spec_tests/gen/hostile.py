"""Hostile programs (issue 9): shapes too large to exist, compile-time
integer overflow, source nested past the limit, import cycles and absolute
import paths. Each must be rejected with its position and stable code, never
run with a wrapped-around shape or crash the checker.

Positions come from the program text (pos(), line_of()); sizes are checked
against ops.MaxTensorBytes = 2^48 bytes.
"""

from common import Case, select, line_of, pos, write_all

PENDING = []

cases = []


def case(name, header, program, entry="f"):
    c = Case("errors/hostile", name, header, program, entry)
    c.src = c.program
    cases.append(c)
    return c


def err(c, position, *fragments):
    c.error("main.nn:%s: %s" % (position, " ... ".join(fragments)))
    return c


c = case("e310_zeros_overflow", "E310: zeros of 2^32 x 2^32 elements (2^64, which wraps to 0 in int64) is too large, at the call.", """
fn f() -> f32[4294967296, 4294967296] {
    return zeros([4294967296, 4294967296])
}
""")
err(c, pos(c.src, "zeros"), "zeros", "too large", "int64").code("E310")

c = case("e310_broadcast_overflow", "E310: broadcast_to a shape of 2^65 elements is too large (its sum used to be 0).", """
fn f(x: f32) -> f32 {
    return sum(broadcast_to(x, [4294967296, 4294967296, 2]))
}
""")
err(c, pos(c.src, "broadcast_to"), "broadcast_to", "f32[4294967296, 4294967296, 2]", "too large").code("E310")

c = case("e310_over_2_48_bytes", "E310: 2^46 + 1 f32 elements are 4 bytes over the limit of 2^48 bytes.", """
fn f(x: f32) -> f32 {
    return sum(ones([70368744177665]))
}
""")
err(c, pos(c.src, "ones"), "70368744177665 elements of 4 bytes", "281474976710656").code("E310")

c = case("e310_input_too_large", "E310: an input type of 10^18 f32 elements, at the parameter's type.", """
fn f(x: f32[1000000000, 1000000000]) -> f32 {
    return sum(x)
}
""")
err(c, pos(c.src, "f32[1000000000"), "parameter x", "too large").code("E310")

c = case("e310_int_overflow", "E310: compile-time int arithmetic that overflows int64, at the operator.", """
fn f(x: f32[4]) -> f32 {
    n = 3037000500 * 3037000500
    return sum(x) * n
}
""")
err(c, pos(c.src, "* 3037000500"), "integer overflow", "3037000500 * 3037000500").code("E310")

c = case("e310_int_power", "E310: 2 ** 63 does not fit in int64.", """
fn f(x: f32[4]) -> f32 {
    return sum(x) * 2 ** 63
}
""")
err(c, pos(c.src, "**"), "integer overflow", "2 ** 63").code("E310")

c = case("e104_deep_parentheses", "E104: 300 nested parentheses go past the nesting limit of 256, at the parenthesis that does.", """
fn f(x: f32) -> f32 {
    return %sx%s
}
""" % ("(" * 300, ")" * 300))
# The body's brace is level 1; parenthesis k is level k + 1: the 256th is level 257.
err(c, pos(c.src, "(", nth=255 + 1), "nested too deeply", "256").code("E104")

c = case("e104_many_minus", "E104: 300 unary minus signs in a row go past the nesting limit.", """
fn f(x: f32) -> f32 {
    return %sx
}
""" % ("-" * 300))
err(c, pos(c.src, "return -", offset=len("return ") + 255), "nested too deeply").code("E104")

c = case("e102_two_file_cycle", "E102: a.nn and b.nn import each other: the error names the cycle in order, at the import that closes it.", """
import "a.nn" as A

fn f(x: f32[3]) -> f32[3] {
    return x
}
""").file("a.nn", """
import "b.nn" as B
""").file("b.nn", """
import "a.nn" as A
""")
c.error("b.nn:1:1: import cycle: a.nn imports b.nn, which imports a.nn").code("E102")

c = case("e102_absolute_import", "E102: an absolute import path is refused (imports are relative to the importing file).", """
import "/etc/passwd" as p

fn f(x: f32[3]) -> f32[3] {
    return x
}
""")
err(c, "1:1", "/etc/passwd", "absolute paths are not allowed").code("E102")

c = case("e304_wide_list_label", "E304: one float among 3,000 tensors in concat's list: the error labels the list with its first 100 characters (a label of the whole list per item was quadratic) and the item's index.", """
fn f(x: f32[2]) -> f32[6002] {
    return concat([%s1.5, x])
}
""" % ("x, " * 3000))
# "[" and 33 items "x, " are the label's 100 characters, then "…".
err(c, pos(c.src, "concat([", offset=len("concat(")), "concat: [" + "x, " * 33 + "\u2026[3000] must be a tensor, got a float").code("E304")

live = select(cases, PENDING)

if __name__ == "__main__":
    write_all(live)
