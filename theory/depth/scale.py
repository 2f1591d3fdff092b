"""Two-variable exponents: a quantity of size :math:`\\Theta(n^{e_n} L^{e_L})`.

Order of limits.  Width goes to infinity first, then depth, as in Tensor Programs VI (Yang, Yu,
Zhu, Hayou 2023, arXiv 2310.02244, Sec. 3.3: "the width is taken to infinity first, followed by
depth") and Bordelon et al. 2023 (arXiv 2309.16620, Sec. 4: the large width and depth
limit).  Hayou & Yang 2023 (arXiv 2302.00453) prove that the two limits commute for the forward
pass of residual networks with L^{-1/2} branches.  For power counting this means: two sizes
compare *lexicographically*, the width exponent first, the depth exponent breaking ties.  A
product adds both exponents, a sum without cancellation takes the lexicographic maximum.

Sums over blocks (the one rule that is new in depth).  A sum of L terms of size
:math:`L^{e}` each has size

* :math:`L^{e + 1}` if the terms are *correlated* (they point the same way): every block's
  update is driven by the same loss gradient, so the blocks' contributions to the change of the
  residual stream and of the output add coherently (TP VI Sec. 1 and the summary of Sec. 3.1: the
  :math:`\\Theta(1)` update accumulates :math:`\\Theta(1/L)` correlated terms across depth; in the
  infinite-depth limit an integral over the depth, Prop. 4.4; Bordelon et al. Sec. 4; CompleteP,
  Dey et al. 2025, arXiv 2505.01618, Table 1: block learning rates :math:`L^{\\alpha-1}`, so that
  each block's update contributes :math:`\\Theta(1/L)`);
* :math:`L^{e + 1/2}` if the terms are *uncorrelated* (independent, mean zero): the branch outputs
  at initialization, :math:`W^l_0 \\phi(\\cdot)` with independent :math:`W^l_0` (TP VI Sec. 1 and
  Claim 7.1, stable at initialization iff alpha >= 1/2; Hayou et al. 2021, Stable ResNet, arXiv
  2010.12859: the stream at init is a sum of independent increments, Brownian in the depth
  variable when the branches carry :math:`L^{-1/2}`), and likewise the backward pass at init.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from widthlimits.theory.exponents import as_exponent, fmt


@dataclass(frozen=True, slots=True)
class Scale:
    """The exponent pair of :math:`\\Theta(n^{n} L^{L})`; ordered lexicographically (width first),
    comparable with numbers (``e_L = 0``) and with ``+-inf``.

    >>> Scale(0, -1) < Scale(0, 0) < Scale(Fraction(1, 2), -3)
    True
    """

    n: Fraction
    L: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _exact(self.n, "e_n"))
        object.__setattr__(self, "L", _exact(self.L, "e_L"))

    def __add__(self, other: Any) -> Scale:
        o = as_scale(other)
        return Scale(self.n + o.n, self.L + o.L)

    __radd__ = __add__

    def __neg__(self) -> Scale:
        return Scale(-self.n, -self.L)

    def __sub__(self, other: Any) -> Scale:
        return self + (-as_scale(other))

    def __rsub__(self, other: Any) -> Scale:
        return as_scale(other) - self

    def _key(self, other: Any) -> tuple[tuple[Fraction, Fraction], Any] | None:
        if isinstance(other, float) and math.isinf(other):
            return None
        o = as_scale(other)
        return (self.n, self.L), (o.n, o.L)

    def __lt__(self, other: Any) -> bool:
        k = self._key(other)
        return other > 0 if k is None else k[0] < k[1]

    def __le__(self, other: Any) -> bool:
        k = self._key(other)
        return other > 0 if k is None else k[0] <= k[1]

    def __gt__(self, other: Any) -> bool:
        k = self._key(other)
        return other < 0 if k is None else k[0] > k[1]

    def __ge__(self, other: Any) -> bool:
        k = self._key(other)
        return other < 0 if k is None else k[0] >= k[1]

    def as_dict(self) -> dict[str, str]:
        return {"e_n": str(fmt(self.n)), "e_L": str(fmt(self.L))}

    def __str__(self) -> str:
        return f"n^{fmt(self.n)} L^{fmt(self.L)}"


def is_symbolic(v: Any) -> bool:
    """True for an exponent that is an affine form on a cell of free coordinates
    (:class:`widthlimits.theory.regions.affine.AffineValue`): the depth engine then runs on the
    forms and records the conditions its comparisons depend on (:mod:`.query`).  Checked
    without importing the region machinery, which is loaded iff such a value exists."""
    mod = sys.modules.get("widthlimits.theory.regions.affine")
    return mod is not None and isinstance(v, mod.AffineValue)


def _exact(v: Any, name: str) -> Fraction:
    if is_symbolic(v):
        return v
    e = as_exponent(v, name=name)
    if not isinstance(e, Fraction):
        raise ValueError(f"`{name}` must be a finite exact number, got {v!r}")
    return e


def as_scale(v: Any) -> Scale:
    """A Scale from a Scale, a pair ``(e_n, e_L)`` or a single width exponent (``e_L = 0``)."""
    if isinstance(v, Scale):
        return v
    if isinstance(v, tuple) and len(v) == 2:
        return Scale(*v)
    return Scale(v, 0)


#: an identically zero quantity
ZERO_SIZE = -math.inf
#: a quantity that grows faster than any power of L (an exponential blow-up in depth)
DIVERGES = math.inf
ONE = Scale(0, 0)
Size = Scale | float  # float only for -inf (identically zero) and +inf (diverges)


def is_zero(s: Size) -> bool:
    return isinstance(s, float) and s == -math.inf


def is_diverging(s: Size) -> bool:
    return isinstance(s, float) and s == math.inf


def smax(*xs: Size) -> Size:
    """Size of a sum without cancellation: the lexicographic maximum (``-inf`` if all zero)."""
    if any(is_diverging(x) for x in xs):
        return DIVERGES
    vals = [x for x in xs if not is_zero(x)]
    return max(vals) if vals else ZERO_SIZE


def smin(*xs: Size) -> Size:
    if any(is_zero(x) for x in xs):
        return ZERO_SIZE
    vals = [x for x in xs if not is_diverging(x)]
    return min(vals) if vals else DIVERGES


def smul(*xs: Any) -> Size:
    """Size of a product: exponents add; a zero factor makes the product zero, a diverging
    factor (times a nonzero one) diverges."""
    if any(isinstance(x, float) and is_zero(x) for x in xs):
        return ZERO_SIZE
    if any(isinstance(x, float) and is_diverging(x) for x in xs):
        return DIVERGES
    total = ONE
    for x in xs:
        total = total + as_scale(x)
    return total


def sdiv(x: Size, y: Scale) -> Size:
    """x / y for a nonzero finite y."""
    return smul(x, -y)


def exceeds(s: Size, bound: Scale = None) -> bool:  # type: ignore[assignment]
    """True iff ``s`` is lexicographically larger than ``bound`` (default Theta(1))."""
    b = ONE if bound is None else bound
    if is_diverging(s):
        return True
    if is_zero(s):
        return False
    return s > b  # type: ignore[operator]


#: where each rule for a sum over blocks comes from (module docstring), keyed by ``correlated``
SUM_SOURCES: dict[bool, str] = {
    True: "TP VI (Yang, Yu, Zhu, Hayou 2023, arXiv 2310.02244) Sec. 1, Sec. 3.1, Prop. 4.4; "
          "Bordelon et al. 2023 (arXiv 2309.16620) Sec. 4; CompleteP (Dey et al. 2025, "
          "arXiv 2505.01618) Table 1",
    False: "TP VI (arXiv 2310.02244) Sec. 1, Claim 7.1; Hayou et al. 2021 (Stable ResNet, "
           "arXiv 2010.12859)",
}


def depth_sum(term: Size, correlated: bool) -> Size:
    """Size of a sum over the L blocks of terms of size ``term`` each (module docstring):
    ``+1`` in L if correlated (coherent), ``+1/2`` if uncorrelated (independent, mean zero)."""
    return smul(term, Scale(0, 1 if correlated else Fraction(1, 2)))


def cap_one(s: Size) -> Size:
    """A normalized quantity (LayerNorm output, a bounded ratio): at most Theta(1)."""
    return smin(s, ONE)


def fmt_size(s: Size) -> dict[str, str]:
    if is_zero(s):
        return {"e_n": "-inf", "e_L": "-inf"}
    if is_diverging(s):
        return {"e_n": "inf", "e_L": "inf"}
    return s.as_dict()  # type: ignore[union-attr]
