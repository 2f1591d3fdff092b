"""Affine exponents on a cell and the recorder of the conditions that keep them affine.

Fix some exponents and let the others be free coordinates :math:`z \\in \\mathbb Q^d`.  Every
exponent the engine (:mod:`widthlimits.theory.engine`) computes is built from the free
coordinates by ``+``, ``max``, ``min`` and ``-``, so it is a piecewise-affine function of
:math:`z`.  Instead of carrying the whole ``Max`` expression (which explodes), the engine runs
*at a rational point* :math:`z_0` on :class:`AffineValue` s, pairs (affine form in :math:`z`,
its value at :math:`z_0`), through the ``ops=`` hook of
:func:`~widthlimits.theory.engine.derive` (:class:`Recorder` implements it):

* ``add`` adds forms; ``-inf`` (identically zero) stays ``-inf``;
* ``max``/``min`` return the argument that is largest/smallest *at* :math:`z_0` and record the
  inequalities "chosen >= (<=) each other argument"; ties are broken by a fixed symbolic
  perturbation :math:`z_0 + \\epsilon u` (``u`` a fixed generic direction, then the coordinate
  directions), so the choices are consistent;
* ``eq`` (the saturation test of entrywise optimizers) compares the values at :math:`z_0`
  exactly and records the equality or the strict inequality that keeps its answer;
* a comparison made by the classifier (``<``, ``==``, ... with 0 or between exponents) records
  the *sign* of the affine difference at :math:`z_0` that keeps its outcome.

On the polyhedron where the recorded (in)equalities hold, every exponent equals its form: the
choices made at :math:`z_0` stay valid there (at a tie the chosen form equals the maximum).

Directional provenance.  Each value carries two bit masks of recorded constraints: under ``lo``
the exponent is >= its form, under ``hi`` it is <= its form.  ``max(x, y)`` with ``x`` chosen
is >= ``x``'s form wherever ``x`` is (no comparison needed) and <= it where ``y <= x`` and both
upper masks hold; ``min`` mirrored; sums add masks; negation swaps them.  A sign outcome needs
one side only ("e > 0" the lower mask, "e < 0" the upper one, "e == 0" both), so a verdict that
rests on signs keeps far fewer constraints (:mod:`widthlimits.theory.regions.cell`).

Stationarity.  :meth:`Recorder.same_state` compares engine states *as affine forms*: equal forms
are equal on the whole cell, so every later step repeats.

Arithmetic is on integers: forms are scaled by ``D`` (a common denominator of the
parametrization's coefficients), values at :math:`z_0` by ``D * Dz``; constraints are scale
invariant.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.engine import same_structure
from widthlimits.theory.exponents import NEG_INF
from widthlimits.theory.regions.linalg import rank
from widthlimits.theory.regions.polyhedra import Constraint, normalize

ZERO = Fraction(0)
ONE = Fraction(1)
HALF = Fraction(1, 2)


#: entries of the normalized-constraint cache shared by the cells of one cover before it is
#: emptied (about 100 bytes each; a depth-30 cover adds about 7,000 per cell)
NORM_CACHE_MAX = 200_000


def join(a: int, b: int) -> int:
    """``a | b`` for provenance masks, returning ``a`` or ``b`` itself when the union adds nothing
    to it.  Masks grow to thousands of bits at depth (about L^2 recorded constraints) and every
    engine value keeps two, but most unions repeat a mask already held: at depth 100 (one cell
    of Golikov's plane) 189,000 values hold 29,000 distinct masks, so sharing them keeps 28 MB
    instead of 314 MB."""
    if not b or a is b:
        return a
    if not a:
        return b
    m = a | b
    if m == a:
        return a
    return b if m == b else m


class AffineValue:
    """An exponent on a cell: affine form ``f = (k_1..k_d, k_0)`` and its value ``v`` at z0.

    Comparisons (used by the classifier) return the outcome at z0 and record, in ``rec``, the
    sign condition of the difference that keeps the outcome on the cell.
    """

    __slots__ = ("f", "v", "rec", "lo", "hi")

    def __init__(self, f: tuple[Fraction, ...], v: Fraction, rec: Recorder, lo: int = 0,
                 hi: int = 0) -> None:
        # directional provenance, bit masks of recorded constraints: the exponent is >= its form
        # wherever the constraints of ``lo`` hold, and <= it wherever those of ``hi`` hold
        # (so it equals its form under ``lo | hi``).  max(x, y) >= x needs no comparison, only
        # x's lower certificate; max(x, y) <= x needs "y <= x" and both upper certificates.
        self.f, self.v, self.rec, self.lo, self.hi = f, v, rec, lo, hi

    @property
    def p(self) -> int:
        """Provenance of the equality "exponent == form"."""
        return self.lo | self.hi

    def cert(self, positive: bool) -> int:
        """Provenance of "exponent >= form" (``positive``) or "exponent <= form"."""
        return self.lo if positive else self.hi

    def __neg__(self) -> AffineValue:
        return AffineValue(tuple(-x for x in self.f), -self.v, self.rec, self.hi, self.lo)

    def __add__(self, other: Any) -> AffineValue:
        o = self.rec.lift(other)
        return AffineValue(tuple(x + y for x, y in zip(self.f, o.f, strict=True)), self.v + o.v, self.rec,
                    join(self.lo, o.lo), join(self.hi, o.hi))

    __radd__ = __add__

    def __sub__(self, other: Any) -> AffineValue:
        return self + (-self.rec.lift(other))

    def __rsub__(self, other: Any) -> AffineValue:
        return (-self) + other

    def _cmp(self, other: Any, op: str) -> bool:
        """Outcome of ``self op other`` at z0; records the condition on the affine difference
        that keeps this outcome on the cell (``<``/``<=`` keep ``<``, ``>=``...; a false
        equality keeps the side it is on)."""
        if isinstance(other, float):  # +-inf
            return {"<": other > 0, "<=": other > 0, ">": other < 0, ">=": other < 0,
                    "==": False}[op]
        o = self.rec.lift(other)
        diff = tuple(x - y for x, y in zip(self.f, o.f, strict=True))
        dv = self.v - o.v
        rec = self.rec
        neg = tuple(-x for x in diff)
        # "self - other > 0 (>= 0)" only needs self's lower and other's upper certificate;
        # "< 0 (<= 0)" the converse; "== 0" both
        up, down = self.lo | o.hi, self.hi | o.lo
        if op == "==":
            rec.verdict_mask |= rec.sign(diff, dv) | (up if dv > 0 else down if dv < 0 else up | down)
            return dv == 0
        if op in (">", "<="):  # outcome of diff > 0
            out = dv > 0
            rec.verdict_mask |= (rec.add_cons(neg, "<") | up) if out else (rec.add_cons(diff, "<=") | down)
            return out if op == ">" else not out
        out = dv < 0  # "<", ">=": outcome of diff < 0
        rec.verdict_mask |= (rec.add_cons(diff, "<") | down) if out else (rec.add_cons(neg, "<=") | up)
        return out if op == "<" else not out

    def __lt__(self, other: Any) -> bool:
        return self._cmp(other, "<")

    def __le__(self, other: Any) -> bool:
        return self._cmp(other, "<=")

    def __gt__(self, other: Any) -> bool:
        return self._cmp(other, ">")

    def __ge__(self, other: Any) -> bool:
        return self._cmp(other, ">=")

    def __eq__(self, other: Any) -> bool:  # type: ignore[override]
        if isinstance(other, (AffineValue, int, Fraction, float)):
            return self._cmp(other, "==")
        return False

    def __ne__(self, other: Any) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __float__(self) -> float:
        return float(self.v)

    def __repr__(self) -> str:
        return f"AffineValue({[str(x) for x in self.f]} = {self.v})"


def _tie_direction(d: int) -> tuple[int, ...]:
    """The fixed generic direction ``u`` of the tie-break: the first ``d`` primes above 100
    (distinct, so no two coordinates' forms tie along it by accident)."""
    out: list[int] = []
    k = 101
    while len(out) < d:
        if all(k % p for p in range(2, math.isqrt(k) + 1)):
            out.append(k)
        k += 1
    return tuple(out)


class Recorder:
    """The constraints of the current cell and the arithmetic of the engine on it (``ops``).

    Implements the interface of ``widthlimits.theory.engine.MaxPlusOps``.  ``symbolic`` is True so that
    the engine's numeric-only shortcuts (blow-up detection, stationarity test) are skipped; the
    number of steps is always given explicitly.
    """

    symbolic = True

    def __init__(self, d: int, z0: Sequence[Fraction], conv_cache: dict[Any, tuple[int, ...]],
                 symbols: Sequence[sympy.Symbol], D: int = 2,
                 hull: Sequence[tuple[Fraction, ...]] = ()) -> None:
        # integer arithmetic: forms are scaled by D (a common denominator of every coefficient
        # of the parametrization, even), values at z0 by D * Dz (Dz: denominator of z0); the
        # engine only adds, negates and compares, and constraints are scale invariant
        self.d = d
        self.z0 = tuple(z0)
        #: affine forms ``(k_1..k_d, k_0)`` that vanish on the set the run is asked about (the
        #: equalities of a lower-dimensional piece containing z0): :meth:`same_state` compares
        #: states on their common zero set, not on the whole cell
        self.hull = [tuple(Fraction(x) for x in f) for f in hull]
        self.D = D
        self.Dz = math.lcm(1, *(Fraction(x).denominator for x in z0))
        self.zs = tuple(int(Fraction(x) * self.Dz) for x in z0)
        self.cons: dict[Constraint, int] = {}
        # (form, rel) as given -> its constraint's index, skips normalizing (the index, not the
        # bit 1 << i: held for every key, single bits would cost O(#constraints^2) bytes)
        self.bits: dict[tuple, int] = {}
        self.verdict_mask = 0  # constraints the classifier's outcomes depend on
        self.global_mask = 0  # control-flow decisions of the engine (eq)
        self.cache = conv_cache
        self.norm_cache: dict[Any, Any] = conv_cache.setdefault("__normalized__", {})  # type: ignore[arg-type]
        if len(self.norm_cache) > NORM_CACHE_MAX:  # a cache, shared by a cover's cells: bounded
            self.norm_cache.clear()
        self.symbols = list(symbols)
        # generic tie-break direction (fixed): z0 + eps u + eps^2 e_1 + ...
        self.u = _tie_direction(d)
        self.ninf = NEG_INF
        self.zero = self.const(ZERO)
        self.half = self.const(HALF)
        self.one = self.const(ONE)

    # -- constraint recording
    def add_cons(self, form: tuple[Fraction, ...], rel: str) -> int:
        """Record ``form rel 0``; returns its bit (0 for a constraint without variables)."""
        key = (form, rel)
        i = self.bits.get(key)
        if i is not None:
            return 0 if i < 0 else 1 << i
        n = self.norm_cache.get(key)
        if n is None:
            n = self.norm_cache[key] = normalize(form, rel)
        if n is True:
            self.bits[key] = -1
            return 0
        if n is False:  # cannot happen for constraints true at z0
            raise AssertionError("internal: a recorded constraint fails at its own point")
        i = self.cons.get(n)  # type: ignore[call-overload]
        if i is None:
            i = self.cons[n] = len(self.cons)  # type: ignore[index]
        self.bits[key] = i
        return 1 << i

    def sign(self, diff: tuple[Fraction, ...], dv: Fraction) -> int:
        if dv < 0:
            return self.add_cons(diff, "<")
        if dv > 0:
            return self.add_cons(tuple(-x for x in diff), "<")
        return self.add_cons(diff, "==")

    def select(self, mask: int) -> list[Constraint]:
        """The recorded constraints whose bits are in ``mask``."""
        return [c for c, i in self.cons.items() if mask >> i & 1]

    # -- values
    def const(self, k: Fraction) -> AffineValue:
        kk = Fraction(k) * self.D
        if kk.denominator != 1:
            raise ValueError(f"internal: constant {k} not a multiple of 1/{self.D}")
        ki = int(kk)
        return AffineValue((0,) * self.d + (ki,), ki * self.Dz, self)

    def lift(self, x: Any) -> AffineValue:
        if isinstance(x, AffineValue):
            return x
        if isinstance(x, (int, Fraction)):
            return self.const(Fraction(x))
        raise TypeError(f"internal: cannot lift {x!r}")

    def conv(self, e: Any) -> Any:
        if isinstance(e, float):
            return NEG_INF if e < 0 else e
        if isinstance(e, (int, Fraction)):
            return self.const(Fraction(e))
        f = self.cache.get(e)
        if f is None:
            f = tuple(int(x * self.D) for x in linear_form(e, self.symbols))
            self.cache[e] = f
        v = f[-1] * self.Dz + sum(k * z for k, z in zip(f, self.zs, strict=False))
        return AffineValue(f, v, self)

    def out(self, e: Any) -> Any:
        return e

    def value(self, x: Any) -> Any:
        """The exact exponent at z0 (a ``Fraction``; ``-inf``/``+inf`` and numbers pass)."""
        if isinstance(x, AffineValue):
            return Fraction(x.v, self.D * self.Dz)
        return x

    def is_ninf(self, e: Any) -> bool:
        return isinstance(e, float) and e == NEG_INF

    def _key(self, x: AffineValue) -> tuple:
        lin = x.f[:-1]
        return (x.v, sum(k * u for k, u in zip(lin, self.u, strict=True)), lin)

    def _pick(self, xs: Sequence[Any], largest: bool) -> Any:
        vals = [x for x in xs if not self.is_ninf(x)]
        if not vals:
            return NEG_INF
        if len(vals) != len(xs) and not largest:
            return NEG_INF  # min with an identically zero quantity
        if len(vals) == 1:
            return vals[0]
        best = vals[0]
        for x in vals[1:]:
            if x.f == best.f:
                continue
            if x.v != best.v:
                better = (x.v > best.v) if largest else (x.v < best.v)
            else:
                kx, kb = self._key(x), self._key(best)
                better = (kx > kb) if largest else (kx < kb)
            if better:
                best = x
        # largest: max >= best needs best's lower certificate only; max <= best needs every
        # x <= best (the comparison and x's upper certificate).  Smallest: the mirror image.
        tight = 0
        for x in vals:
            tight = join(tight, x.hi if largest else x.lo)
            if x is best or x.f == best.f:
                continue
            # largest: x - best <= 0 ; smallest: best - x <= 0
            diff = tuple(map(operator.sub, x.f, best.f) if largest else map(operator.sub, best.f, x.f))
            tight = join(tight, self.add_cons(diff, "<="))
        lo, hi = (best.lo, tight) if largest else (tight, best.hi)
        if lo == best.lo and hi == best.hi:
            return best
        return AffineValue(best.f, best.v, self, lo, hi)

    def mx(self, *xs: Any) -> Any:
        return self._pick(xs, True)

    def mn(self, *xs: Any) -> Any:
        return self._pick(xs, False)

    def add(self, *xs: Any) -> Any:
        fs = []
        v = lo = hi = 0
        for x in xs:
            if type(x) is not AffineValue:
                if self.is_ninf(x):
                    return NEG_INF
                x = self.lift(x)
            fs.append(x.f)
            v += x.v
            lo = join(lo, x.lo)
            hi = join(hi, x.hi)
        if len(fs) == 2:
            f = tuple(map(operator.add, fs[0], fs[1]))
        else:
            f = tuple(map(sum, zip(*fs, strict=True)))
        return AffineValue(f, v, self, lo, hi)

    def same_state(self, a: Any, b: Any) -> bool:
        """Identical engine state (lists/dicts of exponents): same keys, same affine forms.
        Records nothing: identical forms are equal on the whole cell.

        With a ``hull`` (the equalities of a lower-dimensional set containing z0), forms that
        differ are also identical there when they agree at z0 and their difference is a
        combination of the hull's rows (then it vanishes on the hull's whole affine subspace,
        which contains z0): e.g. Golikov's mean-field point of his plane, where the forms of a
        cell around it differ off the point."""
        diffs: list[list[Fraction]] = []
        hull = self.hull

        def leaf(x: Any, y: Any) -> bool:
            if isinstance(x, AffineValue) or isinstance(y, AffineValue):
                if not (isinstance(x, AffineValue) and isinstance(y, AffineValue)):
                    return False
                if x.f == y.f:
                    return True
                if not hull or x.v != y.v:
                    return False
                diffs.append([Fraction(u - v, self.D) for u, v in zip(x.f, y.f, strict=True)])
                return True
            return bool(x == y)  # -inf / +inf / None

        if not same_structure(a, b, leaf):
            return False
        if not diffs:
            return True
        rows = [list(f) for f in hull]
        return rank(rows + diffs) == rank(rows)

    def sub(self, x: Any, y: Any) -> Any:
        if self.is_ninf(x):
            return NEG_INF
        return self.lift(x) - self.lift(y)

    def eq(self, x: Any, y: Any) -> bool:
        if self.is_ninf(x) or self.is_ninf(y):
            return self.is_ninf(x) and self.is_ninf(y)
        x, y = self.lift(x), self.lift(y)
        if x.f == y.f:
            return True
        diff = tuple(a - b for a, b in zip(x.f, y.f, strict=True))
        self.global_mask |= self.sign(diff, x.v - y.v) | x.p | y.p
        return x.v == y.v


def linear_form(e: Any, symbols: Sequence[sympy.Symbol]) -> tuple[Fraction, ...]:
    """sympy affine expression -> ``(k_1..k_d, k_0)`` (exact)."""
    e = sympy.expand(sympy.sympify(e))
    coeffs = e.as_coefficients_dict()
    out = [ZERO] * (len(symbols) + 1)
    index = {s: i for i, s in enumerate(symbols)}
    for term, k in coeffs.items():
        kk = Fraction(int(sympy.Rational(k).p), int(sympy.Rational(k).q))
        if term == 1:
            out[-1] += kk
        elif term in index:
            out[index[term]] += kk
        else:
            raise ValueError(f"internal: exponent {e} is not affine in the free coordinates")
    return tuple(out)


__all__ = ["AffineValue", "Recorder", "linear_form"]
