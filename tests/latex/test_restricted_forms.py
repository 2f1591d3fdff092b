"""Exponents simplified on the stability conditions already established give the same conditions.

A symbolic run may simplify every exponent on a polyhedron D that contains the stability set
(:mod:`widthlimits.theory.derivation.restricted_forms`): a piece of a max of mins that another
piece dominates on D is dropped.  Three statements are tested:

* the simplification is exact on D: at rational points of D the pruned form has the value of the
  form (property test over random max-plus expressions and random domains);
* the derivation's conditions are the same sets with and without it (exact comparison, z3);
* the horizon: by default the conditions are those of ``classify``'s horizon; Golikov's depth-2
  family under SGD has points that are stable over steps 0..2 and blow up later, so the earlier
  fixed horizon 0..2 printed a wrong stability set (the witness is classified by the engine).
"""

from __future__ import annotations

import functools
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.classify import classify
from widthlimits.theory.derivation import symbolic_derivation
from widthlimits.theory.derivation.closed_form_conditions import difference_witness, same_sets
from widthlimits.theory.derivation.restricted_forms import Domain, prune_on
from widthlimits.theory.derivation.symbolic import linear_form, normal_clauses
from widthlimits.theory.parametrization import Parametrization

X, Y, Z = sympy.symbols("x_r y_r z_r", real=True)
SYMS = (X, Y, Z)

small = st.integers(-3, 3)
linear = st.builds(lambda a, b, c, k: a * X + b * Y + c * Z + sympy.Rational(k, 2),
                   small, small, small, st.integers(-4, 4))


def _expr(depth: int):  # type: ignore[no-untyped-def]
    if depth == 0:
        return linear
    sub = _expr(depth - 1)
    return st.one_of(
        linear,
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: sympy.Max(*xs, evaluate=False)),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: sympy.Min(*xs, evaluate=False)),
        st.tuples(sub, sub).map(lambda t: t[0] + t[1]),
    )


def _value(clauses, point) -> Fraction:  # type: ignore[no-untyped-def]
    """max_i min_j l_ij at ``point`` (symbol id -> value), exactly."""
    def lit(k, c):  # type: ignore[no-untyped-def]
        return sum((Fraction(int(v.numerator), int(v.denominator)) * point[s] for s, v in k),
                   Fraction(int(c.numerator), int(c.denominator)))
    return max(min(lit(k, c) for k, c in cl.items()) for cl in clauses)


#: test points: a grid of [-3, 3]^3 in steps of 1/2 (the domain's own sample points are where
#: the pruning's pre-filter looked, so they alone would not test it)
GRID = [(Fraction(i, 2), Fraction(j, 2), Fraction(k, 2))
        for i in range(-6, 7) for j in range(-6, 7) for k in range(-6, 7)]


@settings(max_examples=150, deadline=None)
@given(e=_expr(3), units=st.lists(linear, min_size=1, max_size=2))
def test_pruned_forms_equal_the_forms_on_the_domain(e, units) -> None:  # type: ignore[no-untyped-def]
    dom = Domain(SYMS)
    for u in units:
        k, c = linear_form(u)
        dom.add(k, c)
    forms = normal_clauses(e)
    if not forms or any(not cl for cl in forms):
        return
    pruned = prune_on([dict(c) for c in forms], dom)
    assert sum(len(c) for c in pruned) <= sum(len(c) for c in forms)
    ids = [linear_form(s)[0][0][0] for s in SYMS]
    for p in GRID:
        point = dict(zip(ids, p, strict=True))
        inside = all(_value([{k: c}], point) <= 0 for k, c in dom.units)
        if inside:
            assert _value(pruned, point) == _value(forms, point), (e, dom.units, p)


def test_a_domain_drops_what_it_dominates() -> None:
    """On x <= 0: max(x, 2x) is x; max(y, min(x, y)) is y; nothing else is dropped."""
    dom = Domain(SYMS)
    dom.add(*linear_form(X))
    for expr, expect in ((sympy.Max(X, 2 * X, evaluate=False), 1),
                         (sympy.Max(Y, sympy.Min(X, Y, evaluate=False), evaluate=False), 1)):
        assert len(prune_on(normal_clauses(expr), dom)) == expect
    assert len(prune_on(normal_clauses(sympy.Max(X, 2 * X, evaluate=False)), Domain(SYMS))) == 2
    # nothing to drop on x <= 0: y and x cross there, in a max and in a min
    assert len(prune_on(normal_clauses(sympy.Max(X, Y, evaluate=False)), dom)) == 2
    assert sum(map(len, prune_on(normal_clauses(sympy.Min(X, Y, evaluate=False)), dom))) == 2
    # y + x + 20 exceeds y only where x < -20, beyond every sample point: the exact LP decides
    far = Y + X + 20
    assert len(prune_on(normal_clauses(sympy.Max(Y, far, evaluate=False)), dom)) == 2
    assert sum(map(len, prune_on(normal_clauses(sympy.Min(Y, far, evaluate=False)), dom))) == 2


CASES = [("golikov", 1, "sgd"), ("golikov", 2, "sgd"), ("golikov", 2, "rmsprop"),
         ("tp4", 2, "sgd"), ("tp4", 2, "adam")]


@pytest.mark.parametrize(("family", "L", "opt"), CASES)
def test_restricted_conditions_equal_the_full_ones(family: str, L: int, opt: str) -> None:
    """Over steps 0..2 (where the unrestricted run finishes in seconds): the same stability set
    and the same non-trivial, feature-learning and discrete-time sets, exactly."""
    r = symbolic_derivation(family, L, opt, steps=2).symbolic
    f = symbolic_derivation(family, L, opt, steps=2, restrict=False).symbolic
    assert r.restricted and not f.restricted
    assert same_sets(r.stability, f.stability)
    for name in ("nontrivial", "feature_learning", "discrete_time"):
        assert same_sets(r.stability, f.stability, getattr(r, name), getattr(f, name)), name


@functools.cache
def _golikov2(steps: int | None):  # type: ignore[no-untyped-def]
    return symbolic_derivation("golikov", 2, "sgd", steps=steps)


def test_the_default_horizon_is_the_classifications() -> None:
    """Golikov's depth-2 family, SGD: the conditions over steps 0..2 admit points that blow up
    later; the default horizon's do not.  The witness is found exactly (z3) and classified."""
    full, short = _golikov2(None), _golikov2(2)
    assert "classification's horizon" in full.stop_reason or "stationary" in full.stop_reason
    w = difference_witness(short.symbolic.stability, full.symbolic.stability)
    assert w is not None  # stable by steps 0..2, not by the full horizon
    assert difference_witness(full.symbolic.stability, short.symbolic.stability) is None
    p = full.parametrization
    num = Parametrization(*(tuple(Fraction(str(sympy.sympify(v).subs(w))) for v in getattr(p, k))
                            for k in "abc"))
    assert classify(num, "sgd", "tanh", loss="logistic", steps=2).stable
    assert not classify(num, "sgd", "tanh", loss="logistic").stable
