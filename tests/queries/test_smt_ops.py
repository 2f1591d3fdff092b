"""The LRA encoding of max-plus arithmetic (theory.regions.smt_ops): the polarity-relaxed
formula of a sign condition holds at a point iff the exact value there satisfies it
(hypothesis, random max/min/+ expressions over two coordinates, exact rationals)."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.regions.smt_ops import SmtOps, compile_formula, z3_module

X, Y = sympy.symbols("x y")
HALVES = st.integers(-6, 6).map(lambda k: Fraction(k, 2))


def leaves():
    return st.tuples(st.integers(-1, 1), st.integers(-1, 1), HALVES).map(lambda t: ("lin",) + t)


def trees():
    return st.recursive(leaves(), lambda kids: st.one_of(
        st.tuples(st.sampled_from(["max", "min", "add"]), st.lists(kids, min_size=1, max_size=3))
    ), max_leaves=8)


def build(t, ops):
    if t[0] == "lin":
        return ops.conv(t[1] * X + t[2] * Y + sympy.Rational(t[3].numerator, t[3].denominator))
    args = [build(x, ops) for x in t[1]]
    return {"max": ops.mx, "min": ops.mn, "add": ops.add}[t[0]](*args)


def value(t, z):
    if t[0] == "lin":
        return t[1] * z[0] + t[2] * z[1] + t[3]
    vals = [value(x, z) for x in t[1]]
    return {"max": max, "min": min, "add": sum}[t[0]](vals)


@settings(max_examples=150, deadline=None)
@given(trees(), trees(), st.sampled_from([">", ">=", "==", "!=", "<=", "<"]),
       st.tuples(HALVES, HALVES), st.booleans())
def test_relaxed_formula_is_exact_at_points(t1, t2, op, z, negate):
    z3 = z3_module()
    ops = SmtOps([X, Y], (Fraction(-4), Fraction(4)), 2)
    e1, e2 = build(t1, ops), build(t2, ops)
    # a conjunction mixing polarities: (e1 op 0) and (e2 <= 0), possibly negated
    f = ("and", (("sign", op, e1), ("sign", "<=", e2)))
    if negate:
        f = ("not", f)
    top, defs = compile_formula(f, ops)
    s = z3.Solver()
    s.add(*defs, top, ops.atoms[0] == 2 * z[0], ops.atoms[1] == 2 * z[1])
    v1, v2 = value(t1, z), value(t2, z)
    truth = {">": v1 > 0, ">=": v1 >= 0, "==": v1 == 0, "!=": v1 != 0, "<=": v1 <= 0,
             "<": v1 < 0}[op] and v2 <= 0
    assert (s.check() == z3.sat) == (truth != negate)
