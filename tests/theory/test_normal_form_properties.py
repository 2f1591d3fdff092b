"""The max-of-min normal form (theory/derivation/symbolic.py) equals the expression it came from.

Property test (hypothesis): random max-plus expressions over three symbols, built from Max, Min,
sums, positive and negative rational multiples and +-oo, evaluated exactly at random rational
points before and after normalisation.  The negation rule -max_i min_j l_ij = min_i max_j -l_ij
and the pruning of dominated clauses are the steps this exercises.
"""

from __future__ import annotations

import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from widthlimits.theory.derivation.symbolic import from_normal_form, normal_form

X, Y, Z = sympy.symbols("x y z", real=True)
_rat = st.fractions(min_value=-3, max_value=3, max_denominator=4).map(sympy.Rational)
# few slopes (a pool of five), so that sums and products often meet one slope with different
# constants: the case where pruning must keep the larger constant
_affine = st.builds(lambda slope, d: slope + d,
                    st.sampled_from([X, Y, X - Y, -X + Z, sympy.Integer(0)]), _rat)
_atom = st.one_of(_affine, _affine, _affine, st.sampled_from([sympy.oo, -sympy.oo]))


def _combine(children: st.SearchStrategy) -> st.SearchStrategy:
    pair = st.lists(children, min_size=2, max_size=3)
    nonzero = _rat.filter(lambda r: r != 0)
    return st.one_of(
        pair.map(lambda a: sympy.Max(*a)),
        pair.map(lambda a: sympy.Min(*a)),
        pair.map(lambda a: sympy.Add(*a)).filter(lambda e: e is not sympy.nan),
        st.tuples(nonzero, children).map(lambda t: t[0] * t[1]).filter(lambda e: e is not sympy.nan),
    )


_expr = st.recursive(_atom, _combine, max_leaves=8).filter(lambda e: e is not sympy.nan)
_point = st.fixed_dictionaries({X: _rat, Y: _rat, Z: _rat})


@settings(max_examples=300, deadline=None)
@given(_expr, st.lists(_point, min_size=3, max_size=3))
@example(sympy.Max(X, Y + 1) + sympy.Max(X, Y), [{X: 0, Y: 0, Z: 0}] * 3)
def test_the_normal_form_takes_the_expressions_values(e: sympy.Expr, points: list) -> None:
    nf = normal_form(e)
    back = from_normal_form(nf)
    for pt in points:
        # from_normal_form builds Max/Min unevaluated (sympy's evaluation was the cost), and
        # subs keeps them so: doit() evaluates the numbers
        assert back.subs(pt).doit() == e.subs(pt).doit()


@settings(max_examples=200, deadline=None)
@given(_expr)
def test_negation_is_exact_and_twice_is_the_identity(e: sympy.Expr) -> None:
    assert normal_form(-1 * (-1 * e)) == normal_form(e)
    neg = from_normal_form(normal_form(-e))
    for v in (-1, 0, sympy.Rational(1, 2)):
        pt = {X: v, Y: 1 - v, Z: 2 * v}
        assert neg.subs(pt).doit() == -e.subs(pt).doit()
