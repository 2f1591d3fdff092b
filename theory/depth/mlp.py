"""Today's width engine in two variables: a plain MLP whose hyperparameters also scale with L.

The plain MLP is the special case of the residual model without skip connections.  Its power
counting in (n, L) is today's engine (:func:`widthlimits.theory.engine.derive`) run with the
two-variable arithmetic :class:`PairOps` in place of the max-plus arithmetic on width exponents:
an exponent of ``n^{e_n} L^{e_L}`` is a :class:`.scale.Scale`; sums add both parts, maxima are
lexicographic (width first, :mod:`.scale`).  The L-exponents enter through a formal
infinitesimal: the parametrization's entries are ``e_n + e_L * EPSILON`` (a sympy symbol),
which :meth:`PairOps.conv` reads back as the pair.  With every L-exponent absent the result is
today's engine's, exponent for exponent (tested on random points); with L-exponents present
the width parts are unchanged (the width-first order of limits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.depth.scale import Scale
from widthlimits.theory.engine import EngineResult, derive, same_structure
from widthlimits.theory.exponents import as_exponent
from widthlimits.theory.parametrization import Parametrization

#: the formal infinitesimal log L / log n (width first): e_n + e_L * EPSILON
EPSILON = sympy.Symbol("epsilon_L", positive=True)


class PairOps:
    """The ops interface of :class:`widthlimits.theory.engine.MaxPlusOps` on Scale pairs."""

    symbolic = False

    def __init__(self) -> None:
        self.ninf: Any = -math.inf
        self.zero = Scale(0, 0)
        self.half = Scale(Fraction(1, 2), 0)
        self.one = Scale(1, 0)

    def conv(self, e: Any) -> Any:
        if isinstance(e, float):
            return e
        if isinstance(e, Fraction | int):
            return Scale(e, 0)
        expr = sympy.expand(sympy.sympify(e))
        if expr in (sympy.oo, -sympy.oo):
            return math.inf if expr == sympy.oo else -math.inf
        poly = sympy.Poly(expr, EPSILON)
        if poly.degree() > 1 or expr.free_symbols - {EPSILON}:
            raise ValueError(f"not an exponent e_n + e_L * epsilon_L: {e!r}")
        return Scale(as_exponent(poly.coeff_monomial(1)), as_exponent(poly.coeff_monomial(EPSILON)))

    def out(self, e: Any) -> Any:
        return e

    def mx(self, *xs: Any) -> Any:
        return max(xs) if xs else self.ninf

    def mn(self, *xs: Any) -> Any:
        return min(xs)

    def is_ninf(self, e: Any) -> bool:
        return isinstance(e, float) and e == -math.inf

    def add(self, *xs: Any) -> Any:
        total = self.zero
        for x in xs:
            if self.is_ninf(x):
                return self.ninf
            total = total + x
        return total

    def sub(self, x: Any, y: Any) -> Any:
        if self.is_ninf(x):
            return self.ninf
        return x - y

    def eq(self, x: Any, y: Any) -> bool:
        return x == y

    def same_state(self, a: Any, b: Any) -> bool:
        return same_structure(a, b, lambda x, y: x == y)


def with_depth_exponents(
    p: Parametrization,
    a_L: Sequence[Any] | None = None,
    b_L: Sequence[Any] | None = None,
    c_L: Sequence[Any] | None = None,
    d_L: Sequence[Any] | None = None,
) -> Parametrization:
    """``p`` with per-layer L-exponents added as ``e_n + e_L * EPSILON`` (inf entries kept)."""

    def join(vals: Sequence[Any] | None, extra: Sequence[Any] | None, name: str) -> Any:
        if vals is None:
            if extra is not None and any(as_exponent(x) != 0 for x in extra):
                raise ValueError(f"`{name}_L` given but the parametrization has no `{name}`")
            return None
        if extra is None:
            return vals
        if len(extra) != len(vals):
            raise ValueError(f"`{name}_L` has {len(extra)} values, the parametrization {len(vals)}")
        out = []
        for v, x in zip(vals, extra, strict=True):
            xe = as_exponent(x, name=f"{name}_L")
            if isinstance(v, float) or xe == 0:
                out.append(v)
            else:
                out.append(sympy.Rational(v.numerator, v.denominator) + sympy.Rational(
                    xe.numerator, xe.denominator) * EPSILON)
        return tuple(out)

    return Parametrization(join(p.a, a_L, "a"), join(p.b, b_L, "b"), join(p.c, c_L, "c"),
                           join(p.d, d_L, "d"), name=p.name)


def derive_two_variable(p: Parametrization, optimizer: str = "sgd", activation: str = "tanh",
                        **kwargs: Any) -> EngineResult:
    """Today's engine on ``p`` (possibly with L-exponents, see :func:`with_depth_exponents`) in
    two variables: every exponent in the result is a Scale (or -inf)."""
    return derive(p, optimizer, activation, ops=PairOps(), trace=False, **kwargs)
