"""Exact regions by active patterns ("evaluate and collapse"): cells, a cover of a box, queries.

Method
------
Fix some exponents and let the others be free coordinates :math:`z \\in \\mathbb Q^k`.  Every
exponent the engine (:mod:`widthlimits.theory.engine`) computes is built from the free
coordinates by ``+``, ``max``, ``min`` and ``-``, so it is a piecewise-affine function of
:math:`z`.  Instead of carrying the whole ``Max`` expression (which explodes), we run the
engine *at a rational point* :math:`z_0` with values that are pairs (affine form in :math:`z`,
its value at :math:`z_0`) (the ``ops=`` hook of :func:`~widthlimits.theory.engine.derive`):

* ``add`` adds forms; ``-inf`` (identically zero) stays ``-inf``;
* ``max``/``min`` return the argument that is largest/smallest *at* :math:`z_0` and record the
  inequalities "chosen >= (<=) each other argument"; ties are broken by a fixed symbolic
  perturbation :math:`z_0 + \\epsilon u` (``u`` a fixed generic direction, then the coordinate
  directions), so the choices are consistent and the cell is full-dimensional unless an
  equality is recorded;
* ``eq`` (the saturation test of entrywise optimizers) compares the values at :math:`z_0`
  exactly and records the equality or the strict inequality that keeps its answer.

On the *cell* :math:`C(z_0) = \\{z : \\text{all recorded (in)equalities hold}\\}` (a convex rational
polyhedron containing :math:`z_0`) every exponent equals its recorded affine form: the choices
made at :math:`z_0` stay valid on the whole cell (at a tie the chosen form equals the maximum).
The classification is then evaluated by the unmodified
:func:`widthlimits.theory.classify.classify_result` on these affine values; each comparison it
makes (with 0 or between exponents) records the *sign* (``<``, ``==``, ``>``) of the affine
difference at :math:`z_0`, which keeps the outcome of that comparison.  Adding those sign
conditions to the cell gives a convex polyhedron on which every verdict of the classifier is
constant (the classifier's control flow only depends on the outcomes of its comparisons).

Directional provenance.  Each value carries two masks of recorded constraints: under ``lo``
the exponent is >= its form, under ``hi`` it is <= its form.  ``max(x, y)`` with ``x`` chosen
is >= ``x``'s form wherever ``x`` is (no comparison needed) and <= it where ``y <= x`` and both
upper masks hold; ``min`` mirrored; sums add masks; negation swaps them.  A sign outcome only
needs one side ("e > 0" the lower mask, "e < 0" the upper one; "e == 0" both), so a verdict
that rests on signs (unstable: some exponent > 0; trivial: f_t - f_0 < 0 at every step) keeps
far fewer constraints.  (Golikov's GD query at depth 3, docs/queries.md: the plain "every
choice recorded" provenance had not finished after 21 minutes; now 343 cells in about 30 s.)

Stationarity.  The engine stops at the first step after which its state (accumulated update
blocks, normalizers) is identical *as affine forms* (``_Recorder.same_state``): equal forms are
equal on the whole cell and every later choice repeats, so the later steps are copies.

Cover.  The box :math:`[lo, hi]^k` is partitioned exactly: take a region :math:`R` (initially the
box) and an exact rational point of it (:func:`widthlimits.theory.polyhedra.find_point`), its cell
:math:`C`; report :math:`R \\cap C` with the cell's verdict and push the rest
:math:`R \\setminus C = \\bigcup_j R \\cap c_1 \\cap \\dots \\cap c_{j-1} \\cap \\neg c_j` (the
complement of each constraint of :math:`C` is one or two strict inequalities; empty parts are
pruned by the exact LP).  This is the "reverse search" across each facet of the current cell,
done so that the pieces are disjoint and their union is exactly the box (no point is missed,
whatever the cells' shapes).  Pieces are then grouped by verdict.

Horizon.  The engine is run for a fixed number of steps ``T = 2 (L + 1) + 6``, the cap of its own
default run.  Its default stops earlier only when the exponents are stationary (later steps then
repeat, so every verdict over 0..T is the same) or one step after a blow-up (then the verdict is
"unstable" either way), so the verdicts agree with :func:`~widthlimits.theory.classify.classify`
(tested on random points; for unstable points the per-layer lists, which the classifier
reports regardless of stability, can differ, and are not used: every property except
``unstable``/``moves``/``stable_at_init``/``degenerate_at_init`` requires stability).

Gauge.  Regions are reported modulo the width symmetry (TP4 Eq. 5; TP IVb Prop. 2.2.3) in the
frame of :func:`widthlimits.theory.frames.make_frame`: gauge ``sp`` (every ``a_l = 0``) or
``tp4`` (``b_l = 1/2`` for finite ``b_l``); a coordinate fixed by the user replaces the gauge
for its layer.  Optionally the hidden layers share their free coordinates (``shared_hidden``:
one ``c`` for every hidden layer, as in Golikov's families).

References: Yang & Hu 2021 (TP4) Sec. 3, 5 and Eq. 5; Yang & Littwin 2023 (TP IVb) Sec. 2.8;
Golikov 2020 (arXiv:2003.05884) Sec. 4; the deletion filter of Chinneck & Dravnieks 1991.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.classify import Classification, classify_result
from widthlimits.theory.engine import derive, same_structure
from widthlimits.theory.exponents import NEG_INF, fmt, is_pos_inf
from widthlimits.theory.frames import Frame, constraint_text, make_frame
from widthlimits.theory.golikov import is_mf_limit
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth, equivalent
from widthlimits.theory.polyhedra import (
    Constraint,
    find_point,
    merge_convex,
    negate,
    normalize,
    satisfies,
    simplify,
    vertices_and_rays,
)
from widthlimits.theory.presets import NAMED_POINTS, preset

ZERO = Fraction(0)
ONE = Fraction(1)
HALF = Fraction(1, 2)

#: properties accepted in ``want`` (conjunction; prefix ``not-`` negates; ``fl<l>``, ``mu<l>``);
#: evaluated on a verdict by :func:`has_property`
PROPERTIES = ("stable", "unstable", "stable_at_init", "degenerate_at_init", "moves", "nontrivial",
              "trivial", "feature_learning", "kernel", "operator", "fl_all", "maximal_update",
              "discrete_time", "mf_limit")
#: default bound on the number of free coordinates
MAX_FREE = 5
#: default box: every free coordinate in [-BOX, BOX]
BOX = Fraction(4)


# ------------------------------------------------------------------------------ affine values
class _Aff:
    """An exponent on a cell: affine form ``f = (k_1..k_d, k_0)`` and its value ``v`` at z0.

    Comparisons (used by the classifier) return the outcome at z0 and record, in ``rec``, the
    sign condition of the difference that keeps the outcome on the cell.
    """

    __slots__ = ("f", "v", "rec", "lo", "hi")

    def __init__(self, f: tuple[Fraction, ...], v: Fraction, rec: _Recorder, lo: int = 0,
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

    def __neg__(self) -> _Aff:
        return _Aff(tuple(-x for x in self.f), -self.v, self.rec, self.hi, self.lo)

    def __add__(self, other: Any) -> _Aff:
        o = self.rec.lift(other)
        return _Aff(tuple(x + y for x, y in zip(self.f, o.f, strict=True)), self.v + o.v, self.rec,
                    self.lo | o.lo, self.hi | o.hi)

    __radd__ = __add__

    def __sub__(self, other: Any) -> _Aff:
        return self + (-self.rec.lift(other))

    def __rsub__(self, other: Any) -> _Aff:
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
        if isinstance(other, (_Aff, int, Fraction, float)):
            return self._cmp(other, "==")
        return False

    def __ne__(self, other: Any) -> bool:  # type: ignore[override]
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __float__(self) -> float:
        return float(self.v)

    def __repr__(self) -> str:
        return f"_Aff({[str(x) for x in self.f]} = {self.v})"


class _Recorder:
    """The constraints of the current cell and the arithmetic of the engine on it (``ops``).

    Implements the interface of ``widthlimits.theory.engine.MaxPlusOps``.  ``symbolic`` is True so that
    the engine's numeric-only shortcuts (blow-up detection, stationarity test) are skipped; the
    number of steps is always given explicitly.
    """

    symbolic = True

    def __init__(self, d: int, z0: Sequence[Fraction], conv_cache: dict[Any, tuple[int, ...]],
                 symbols: Sequence[sympy.Symbol], D: int = 2) -> None:
        # integer arithmetic: forms are scaled by D (a common denominator of every coefficient
        # of the parametrization, even), values at z0 by D * Dz (Dz: denominator of z0); the
        # engine only adds, negates and compares, and constraints are scale invariant
        self.d = d
        self.z0 = tuple(z0)
        self.D = D
        self.Dz = math.lcm(1, *(Fraction(x).denominator for x in z0))
        self.zs = tuple(int(Fraction(x) * self.Dz) for x in z0)
        self.cons: dict[Constraint, int] = {}
        self.bits: dict[tuple, int] = {}  # (form, rel) as given -> its bit, skips normalizing
        self.verdict_mask = 0  # constraints the classifier's outcomes depend on
        self.global_mask = 0  # control-flow decisions of the engine (eq)
        self.cache = conv_cache
        self.norm_cache: dict[Any, Any] = conv_cache.setdefault("__normalized__", {})  # type: ignore[arg-type]
        self.symbols = list(symbols)
        # generic tie-break direction (fixed): z0 + eps u + eps^2 e_1 + ...
        self.u = (101, 103, 107, 109, 113, 127, 131, 137, 139, 149)[:d]
        self.ninf = NEG_INF
        self.zero = self.const(ZERO)
        self.half = self.const(HALF)
        self.one = self.const(ONE)

    # -- constraint recording
    def add_cons(self, form: tuple[Fraction, ...], rel: str) -> int:
        """Record ``form rel 0``; returns its bit (0 for a constraint without variables)."""
        key = (form, rel)
        b = self.bits.get(key)
        if b is not None:
            return b
        n = self.norm_cache.get(key)
        if n is None:
            n = self.norm_cache[key] = normalize(form, rel)
        if n is True:
            return 0
        if n is False:  # cannot happen for constraints true at z0
            raise AssertionError("internal: a recorded constraint fails at its own point")
        i = self.cons.get(n)  # type: ignore[call-overload]
        if i is None:
            i = self.cons[n] = len(self.cons)  # type: ignore[index]
        b = self.bits[key] = 1 << i
        return b

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
    def const(self, k: Fraction) -> _Aff:
        kk = Fraction(k) * self.D
        if kk.denominator != 1:
            raise ValueError(f"internal: constant {k} not a multiple of 1/{self.D}")
        ki = int(kk)
        return _Aff((0,) * self.d + (ki,), ki * self.Dz, self)

    def lift(self, x: Any) -> _Aff:
        if isinstance(x, _Aff):
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
            f = tuple(int(x * self.D) for x in _linear_form(e, self.symbols))
            self.cache[e] = f
        v = f[-1] * self.Dz + sum(k * z for k, z in zip(f, self.zs, strict=False))
        return _Aff(f, v, self)

    def out(self, e: Any) -> Any:
        return e

    def is_ninf(self, e: Any) -> bool:
        return isinstance(e, float) and e == NEG_INF

    def _key(self, x: _Aff) -> tuple:
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
            tight |= x.hi if largest else x.lo
            if x is best or x.f == best.f:
                continue
            # largest: x - best <= 0 ; smallest: best - x <= 0
            diff = tuple(map(operator.sub, x.f, best.f) if largest else map(operator.sub, best.f, x.f))
            tight |= self.add_cons(diff, "<=")
        lo, hi = (best.lo, tight) if largest else (tight, best.hi)
        if lo == best.lo and hi == best.hi:
            return best
        return _Aff(best.f, best.v, self, lo, hi)

    def mx(self, *xs: Any) -> Any:
        return self._pick(xs, True)

    def mn(self, *xs: Any) -> Any:
        return self._pick(xs, False)

    def add(self, *xs: Any) -> Any:
        fs = []
        v = lo = hi = 0
        for x in xs:
            if type(x) is not _Aff:
                if self.is_ninf(x):
                    return NEG_INF
                x = self.lift(x)
            fs.append(x.f)
            v += x.v
            lo |= x.lo
            hi |= x.hi
        if len(fs) == 2:
            f = tuple(map(operator.add, fs[0], fs[1]))
        else:
            f = tuple(map(sum, zip(*fs, strict=True)))
        return _Aff(f, v, self, lo, hi)

    def same_state(self, a: Any, b: Any) -> bool:
        """Identical engine state (lists/dicts of exponents): same keys, same affine forms.
        Records nothing: identical forms are equal on the whole cell."""
        def leaf(x: Any, y: Any) -> bool:
            if isinstance(x, _Aff) or isinstance(y, _Aff):
                return isinstance(x, _Aff) and isinstance(y, _Aff) and x.f == y.f
            return bool(x == y)  # -inf / +inf / None

        return same_structure(a, b, leaf)

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


def _linear_form(e: Any, symbols: Sequence[sympy.Symbol]) -> tuple[Fraction, ...]:
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


# ------------------------------------------------------------------------------ the frame
@dataclass(frozen=True)
class CellFrame:
    """Free coordinates: those of a :class:`~widthlimits.theory.frames.Frame`, optionally with
    the hidden layers 2..L sharing their free a, b, c (``shared_hidden``)."""

    base: Frame
    shared_hidden: bool = False

    @property
    def depth(self) -> int:
        return self.base.depth

    @property
    def optimizer(self) -> Optimizer:
        return self.base.optimizer

    @property
    def gauge(self) -> str:
        return self.base.gauge

    @property
    def variables(self) -> tuple[str, ...]:
        if not self.shared_hidden or self.depth < 2:
            return self.base.variables
        out: list[str] = []
        for v in self.base.variables:
            k, l = v[0], int(v[1:])
            if 2 <= l <= self.depth:
                name = f"{k}_hidden"
                if name not in out:
                    out.append(name)
            else:
                out.append(v)
        return tuple(out)

    def _index(self) -> dict[str, int]:
        """base variable -> index of the frame variable."""
        names = self.variables
        idx = {}
        for v in self.base.variables:
            k, l = v[0], int(v[1:])
            key = f"{k}_hidden" if (self.shared_hidden and self.depth >= 2
                                    and 2 <= l <= self.depth) else v
            idx[v] = names.index(key)
        return idx

    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]

    def parametrization(self) -> Parametrization:
        syms = self.symbols()
        idx = self._index()
        return self._build({v: syms[i] for v, i in idx.items()})

    def parametrization_at(self, z: Sequence[Fraction]) -> Parametrization:
        idx = self._index()
        return self._build({v: Fraction(z[i]) for v, i in idx.items()})

    def _build(self, vals_free: dict[str, Any]) -> Parametrization:
        vals = dict(self.base.values)
        for name, v in vals_free.items():
            vals[(name[0], int(name[1:]))] = v
        n = self.depth + 1
        return Parametrization(tuple(vals[("a", l)] for l in range(1, n + 1)),
                               tuple(vals[("b", l)] for l in range(1, n + 1)),
                               tuple(vals[("c", l)] for l in range(1, n + 1)))

    def point_of(self, p: Parametrization) -> list[Fraction] | None:
        """Coordinates of ``p`` moved by the symmetry into this frame (None if it does not
        match the fixed coordinates or the sharing)."""
        x = self.base.point_of(p)
        if x is None:
            return None
        idx = self._index()
        out: list[Fraction | None] = [None] * len(self.variables)
        for v, xv in zip(self.base.variables, x, strict=True):
            i = idx[v]
            if out[i] is not None and out[i] != xv:
                return None
            out[i] = xv
        return [Fraction(v) for v in out]  # type: ignore[arg-type]


def cell_frame(depth: int, optimizer: str | Optimizer, *, gauge: str = "sp",
               fix: dict[str, Sequence[Any]] | None = None, shared_hidden: bool = False,
               max_free: int = MAX_FREE) -> CellFrame:
    """The free coordinates for a query (fixed lists as in ``classify``: ``L+1`` values each)."""
    fr = CellFrame(make_frame(depth, optimizer, gauge=gauge, fix=fix), shared_hidden)
    k = len(fr.variables)
    if k > max_free:
        raise ValueError(
            f"{k} free coordinates ({', '.join(fr.variables)}) exceed the limit of {max_free}: "
            "fix more exponents (e.g. --fix b=... or --fix a=...), share the hidden layers, or "
            "raise the limit")
    return fr


# ------------------------------------------------------------------------------ verdicts
@dataclass(frozen=True)
class Verdict:
    """The classifier's verdict on a cell (all fields constant on it)."""

    regime: str
    stable: bool
    stable_at_init: bool
    degenerate_at_init: bool
    nontrivial: bool
    moves: bool
    feature_learning_layers: tuple[int, ...]
    maximal_update_layers: tuple[int, ...]
    discrete_time: bool
    mf_limit: bool

    @classmethod
    def of(cls, c: Classification) -> Verdict:
        st = c.stable
        return cls(c.regime, st, c.stable_at_init, c.degenerate_at_init, c.nontrivial,
                   st and c.first_nontrivial_step is not None,
                   tuple(c.feature_learning_layers) if st else (),
                   tuple(c.maximal_update_layers) if st else (),
                   bool(c.discrete_time) if st else False, bool(is_mf_limit(c)))

    def label(self) -> str:
        """Short text: regime, feature-learning layers and discrete/continuous time."""
        s = self.regime
        if self.regime == "feature_learning":
            s += " (FL layers " + ",".join(str(x) for x in self.feature_learning_layers) + ")"
        if self.stable and self.nontrivial:
            s += ", discrete-time" if self.discrete_time else ", continuous-time"
        return s

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"label": self.label()}


def has_property(v: Verdict, name: str, depth: int, entrywise: bool) -> bool:
    """Evaluate one property on a verdict (definitions as in :mod:`widthlimits.theory.classify`).

    ``moves``: f_t - f_0 = Theta(1) at some step (stability not required); ``feature_learning``:
    the regime (non-trivial and some layer learns features); ``fl<l>``: stable and
    x^l_t - x^l_0 = Theta(1) at some step; ``fl_all``: stable and every hidden layer learns
    features; ``mu<l>``: stable and layer l updated maximally; ``maximal_update``: stable and
    every layer updated maximally; ``discrete_time``: stable and f_{t+1} - f_t = Theta(1) in the
    stationary regime; ``mf_limit``: Golikov's criterion; prefix ``not-`` negates.
    """
    if name.startswith("not-"):
        return not has_property(v, name[4:], depth, entrywise)
    L = depth
    if name == "stable":
        return v.stable
    if name == "unstable":
        return not v.stable
    if name == "stable_at_init":
        return v.stable_at_init
    if name == "degenerate_at_init":
        return v.degenerate_at_init
    if name == "moves":
        return v.moves
    if name == "nontrivial":
        return v.nontrivial
    if name == "trivial":
        return v.stable and not v.nontrivial
    if name == "feature_learning":
        return v.regime == "feature_learning"
    if name in ("kernel", "operator"):
        return v.regime == name
    if name == "fl_all":
        return v.stable and set(range(1, L + 1)) <= set(v.feature_learning_layers)
    if name == "maximal_update":
        return v.stable and set(range(1, L + 2)) <= set(v.maximal_update_layers)
    if name == "discrete_time":
        return v.stable and v.discrete_time
    if name == "mf_limit":
        return v.mf_limit
    for pre, lst, hi in (("fl", v.feature_learning_layers, L), ("mu", v.maximal_update_layers, L + 1)):
        if name.startswith(pre) and name[len(pre):].isdigit():
            l = int(name[len(pre):])
            if not 1 <= l <= hi:
                raise ValueError(f"`want` {name!r}: layer must be in 1..{hi}")
            return v.stable and l in lst
    raise ValueError(f"unknown property {name!r} in `want`; choose from {', '.join(PROPERTIES)}, "
                     "fl<l>, mu<l> (or not-<property>)")


def parse_want(want: str | Sequence[str], depth: int) -> tuple[str, ...]:
    """``"nontrivial,fl_all"`` -> ``("nontrivial", "fl_all")``, validated."""
    items = [w.strip() for w in (want.split(",") if isinstance(want, str) else want)]
    if not items or any(not w for w in items):
        raise ValueError(f"`want` has an empty entry: {want!r}")
    dummy = Verdict("trivial", True, True, False, False, False, (), (), False, False)
    for w in items:
        has_property(dummy, w, depth, False)  # raises on unknown names / bad layers
    return tuple(items)


# ------------------------------------------------------------------------------ one cell
@dataclass(frozen=True)
class Cell:
    """A convex polyhedron (``constraints``, containing ``point``) on which every exponent is
    affine and the verdict is constant."""

    constraints: tuple[Constraint, ...]
    point: tuple[Fraction, ...]
    verdict: Verdict
    exponents: dict = field(repr=False, compare=False, default_factory=dict)
    engine_constraints: tuple[Constraint, ...] = field(repr=False, compare=False, default=())
    partial: bool = False

    def contains(self, z: Sequence[Fraction]) -> bool:
        return satisfies(z, self.constraints)

    def contains_scaled(self, zs: Sequence[int], dz: int) -> bool:
        """``contains(z)`` for ``z = zs / dz`` (integers; fast path of the cover)."""
        ints = self.__dict__.get("_ints")
        if ints is None:
            ints = []
            for f, r in self.constraints:
                m = math.lcm(*(x.denominator for x in f))
                ints.append((tuple(int(x * m) for x in f[:-1]), int(f[-1] * m), r))
            object.__setattr__(self, "_ints", ints)
        for lin, k0, r in ints:
            v = k0 * dz
            for k, z in zip(lin, zs, strict=True):
                v += k * z
            if (v > 0) if r == "<=" else (v >= 0) if r == "<" else (v != 0):
                return False
        return True


def _scaled(z: Sequence[Fraction]) -> tuple[tuple[int, ...], int]:
    dz = math.lcm(1, *(x.denominator for x in z))
    return tuple(int(x * dz) for x in z), dz


class _Engine:
    """Runs the engine + classifier on cells of one frame (caches the sympy conversions)."""

    def __init__(self, frame: CellFrame, activation: Activation, loss: str,
                 steps: int | None = None) -> None:
        self.frame = frame
        self.act = activation
        self.loss = loss
        self.p_sym = frame.parametrization()
        self.symbols = frame.symbols()
        self.d = len(self.symbols)
        self.T = steps if steps is not None else 2 * (frame.depth + 1) + 6
        self.cache: dict[Any, tuple[int, ...]] = {}
        D = 2
        for v in (*self.p_sym.a, *self.p_sym.b, *self.p_sym.c):
            if is_pos_inf(v):
                continue
            for k in _linear_form(v, self.symbols):
                D = math.lcm(D, k.denominator)
        self.D = D
        self.runs = 0
        self.seconds = 0.0

    def cell(self, z0: Sequence[Fraction], want: Sequence[str] | None = None) -> Cell:
        """The cell of ``z0``.  With ``want``: if the verdict at z0 lacks a wanted property, the
        cell only certifies that (``Cell.partial``): its constraints are those of one failing
        condition (the smallest), so it can be much larger than the full-verdict cell."""
        t0 = time.perf_counter()
        z0 = tuple(Fraction(x) for x in z0)
        rec = _Recorder(self.d, z0, self.cache, self.symbols, self.D)
        # MSE: on the stable set f_t = O(1) at every step, so the loss derivative max(1, |f|) is
        # Theta(1) as for the logistic loss and the two runs coincide step by step; a run is
        # stable for one loss iff it is for the other.  The logistic run avoids the feedback
        # terms k (1 - c) that cut the unstable region into many cells.
        eff_loss = "logistic" if self.loss == "mse" else self.loss
        pos: dict[tuple, int] = {}

        def on_record(q: str, layer: int | None, t: int, value: Any) -> None:
            pos[(q, layer, t)] = len(rec.cons)

        res = derive(self.p_sym, self.frame.optimizer, self.act, loss=eff_loss, steps=self.T,
                     trace=False, ops=rec, on_record=on_record)
        res = dataclasses.replace(res, parametrization=self.frame.parametrization_at(z0))
        engine_cons = tuple(_tightest(list(rec.cons)))
        c = classify_result(res)
        v = Verdict.of(c)
        ex = res.exponents
        partial = False
        if c.stable:
            # the classifier's outcomes hold on the constraints their operands depend on
            mask = rec.verdict_mask | rec.global_mask
            if want is not None and not wanted(v, want, self.frame.depth,
                                               self.frame.optimizer.entrywise):
                alt = self._failing_masks(rec, res.exponents, v, want)
                if alt:
                    mask = min(alt, key=int.bit_count) | rec.global_mask
                    partial = True
        else:
            # collapse: an unstable verdict only needs the step-0 facts it reports and one
            # blown-up exponent e > 0 (a violation of the classifier's stability test), valid
            # under its own provenance; take the one with the fewest constraints
            cands = [(ex[k].lo.bit_count(), pos[k], k) for k in pos if k[0] in ("h", "x", "f")
                     and isinstance(ex[k], _Aff) and ex[k].v > 0]
            vexp = ex[min(cands)[2]] if cands else c.violations[0].exponent
            mask = rec.global_mask | _keep_sign(rec, vexp, positive=True)
            for l in range(1, self.frame.depth + 1):
                for q in ("h", "x"):
                    mask |= _keep_sign(rec, ex[(q, l, 0)], positive=True)
                mask |= _keep_sign(rec, ex[("h", l, 0)], positive=False)
            mask |= _keep_sign(rec, ex[("f", None, 0)], positive=True)
        self.runs += 1
        self.seconds += time.perf_counter() - t0
        return Cell(tuple(_tightest(rec.select(mask))), z0, v, dict(ex), engine_cons, partial)

    def _failing_masks(self, rec: _Recorder, ex: dict, v: Verdict, want: Sequence[str]) -> list[int]:
        """Certificates (constraint masks) of wanted conditions that fail at z0 on a stable
        cell: "f_t - f_0 != Theta(1) at every step", "x^l_t - x^l_0 != Theta(1) at every step",
        "f_{t+1} - f_t != Theta(1)" -- each the signs of those exponents and their provenance."""
        L, T = self.frame.depth, self.T

        def never_zero(keys: list[tuple]) -> int | None:
            m = 0
            for k in keys:
                e = ex[k]
                if not isinstance(e, _Aff):
                    continue
                if e.v == 0:
                    return None
                m |= rec.sign(e.f, e.v) | e.cert(e.v > 0)
            return m

        ws = set(want)
        out: list[int] = []
        needs_moves = ws & {"nontrivial", "moves", "mf_limit", "feature_learning", "kernel", "operator"}
        if needs_moves and not v.moves:
            m = never_zero([("df", None, t) for t in range(1, T + 1)])
            if m is not None:
                out.append(m)
        fl_layers = set()
        if ws & {"fl_all", "mf_limit"}:
            fl_layers |= set(range(1, L + 1))
        fl_layers |= {int(w[2:]) for w in ws if w.startswith("fl") and w[2:].isdigit()}
        for l in sorted(fl_layers - set(v.feature_learning_layers)):
            m = never_zero([("dx", l, t) for t in range(1, T + 1)])
            if m is not None:
                out.append(m)
        if ws & {"discrete_time", "mf_limit"} and not v.discrete_time:
            m = never_zero([("df_step", None, T)])
            if m is not None:
                out.append(m)
        return out


def _keep_sign(rec: _Recorder, e: Any, positive: bool) -> int:
    """Record the condition that keeps the outcome of ``e > 0`` (``positive``) or ``e < 0``;
    returns its bit together with the provenance of ``e``."""
    if not isinstance(e, _Aff):
        return 0
    neg = tuple(-x for x in e.f)
    if positive:
        holds = e.v > 0
        bit = rec.add_cons(neg, "<") if holds else rec.add_cons(e.f, "<=")
    else:
        holds = e.v < 0
        bit = rec.add_cons(e.f, "<") if holds else rec.add_cons(neg, "<=")
    # "e > 0" and "e >= 0" need e's lower certificate, "e < 0" and "e <= 0" its upper one
    return bit | e.cert(positive == holds)


class _QuickTest:
    """Cheap sufficient tests of emptiness (no LP), incremental: a constraint against the box,
    or against an opposite parallel constraint already added (``l.z + k rel 0`` and
    ``-l.z + k' rel' 0`` with ``k + k' > 0``, or ``= 0`` with a strict one)."""

    def __init__(self, lo: Fraction, hi: Fraction, cons: Sequence[Constraint] = ()) -> None:
        self.lo, self.hi = lo, hi
        self.best: dict[tuple, tuple[Fraction, bool]] = {}
        for c in cons:
            self.add(c)

    def copy(self) -> _QuickTest:
        q = _QuickTest.__new__(_QuickTest)
        q.lo, q.hi, q.best = self.lo, self.hi, dict(self.best)
        return q

    @staticmethod
    def _parts(c: Constraint) -> list[tuple[tuple, Fraction, bool]]:
        f, r = c
        lin, k = f[:-1], f[-1]
        if r == "==":
            return [(lin, k, False), (tuple(-x for x in lin), -k, False)]
        return [(lin, k, r == "<")]

    def add(self, c: Constraint) -> None:
        for ln, kk, strict in self._parts(c):
            old = self.best.get(ln)
            if old is None or kk > old[0] or (kk == old[0] and strict):
                self.best[ln] = (kk, strict)

    def empty_with(self, c: Constraint) -> bool:
        """True if the constraints added so far and ``c`` certainly have no common point."""
        lo, hi = self.lo, self.hi
        for ln, kk, st in self._parts(c):
            # minimum of ln.z over the box
            m = sum((x * (lo if x > 0 else hi) for x in ln), kk)
            if m > 0 or (m == 0 and st):
                return True
            opp = self.best.get(tuple(-x for x in ln))
            if opp is not None and (kk + opp[0] > 0 or (kk + opp[0] == 0 and (st or opp[1]))):
                return True
        return False


class _Tight:
    """Constraints with, among inequalities of the same (normalized) linear part, only the
    tightest kept; incremental (``add``) with a one-off extension (``with_``)."""

    def __init__(self, cons: Sequence[Constraint] = ()) -> None:
        self.best: dict[tuple[Fraction, ...], Constraint] = {}
        self.eqs: list[Constraint] = []
        for c in cons:
            self.add(c)

    def _beats(self, c: Constraint) -> bool:
        """``c`` is tighter than the kept inequality with its linear part (or there is none)."""
        f, r = c
        old = self.best.get(f[:-1])
        return old is None or f[-1] > old[0][-1] or (f[-1] == old[0][-1] and r == "<")

    def add(self, c: Constraint) -> None:
        if c[1] == "==":
            if c not in self.eqs:
                self.eqs.append(c)
        elif self._beats(c):
            self.best[c[0][:-1]] = c

    def constraints(self) -> list[Constraint]:
        return self.eqs + list(self.best.values())

    def with_(self, c: Constraint) -> list[Constraint]:
        """The tightest list of the constraints added so far and ``c`` (not added)."""
        if c[1] == "==":
            return self.eqs + ([] if c in self.eqs else [c]) + list(self.best.values())
        if self._beats(c):
            b = dict(self.best)
            b[c[0][:-1]] = c
            return self.eqs + list(b.values())
        return self.constraints()


def _tightest(cons: Sequence[Constraint]) -> list[Constraint]:
    """Among inequalities with the same (normalized) linear part keep the tightest one."""
    return _Tight(cons).constraints()


# ------------------------------------------------------------------------------ the cover
def box_constraints(d: int, lo: Fraction, hi: Fraction) -> list[Constraint]:
    out: list[Constraint] = []
    for i in range(d):
        e = [ZERO] * (d + 1)
        e[i] = ONE
        out.append((tuple(e[:-1]) + (-hi,), "<="))  # z_i - hi <= 0
        out.append((tuple(-x for x in e[:-1]) + (lo,), "<="))  # lo - z_i <= 0
    return out


@dataclass(frozen=True)
class CoverPiece:
    """One piece of the partition of the box: a convex polyhedron with a constant verdict."""

    constraints: tuple[Constraint, ...]
    point: tuple[Fraction, ...]
    verdict: Verdict
    partial: bool = False


@dataclass(frozen=True)
class Cover:
    """An exact partition of the box into convex pieces with constant verdicts."""

    frame: CellFrame
    activation: str
    loss: str
    box: tuple[Fraction, Fraction]
    pieces: tuple[CoverPiece, ...]
    cells: int
    engine_runs: int
    lp_calls: int
    seconds: float
    horizon: int
    cell_list: tuple[Cell, ...] = field(repr=False, default=())
    #: False when stopped early (first witness found, or the deadline passed): the pieces do not
    #: cover the box
    complete: bool = True


def cover(frame: CellFrame, activation: str | Activation = "tanh", loss: str = "mse", *,
          box: tuple[Any, Any] = (-BOX, BOX), steps: int | None = None,
          want: Sequence[str] | None = None, first_witness: bool = False,
          deadline: float | None = None) -> Cover:
    """Partition the box ``[lo, hi]^k`` of the free coordinates into convex pieces with constant
    verdicts (see the module docstring).  With ``want``, pieces lacking a wanted property only
    certify that (``CoverPiece.partial``; their verdict is the one at their point)."""
    t0 = time.perf_counter()
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    lo, hi = Fraction(box[0]), Fraction(box[1])
    if not lo < hi:
        raise ValueError(f"box needs lo < hi, got [{lo}, {hi}]")
    eng = _Engine(frame, act, loss, steps)
    d = eng.d
    lp = [0]

    def fp(cons: list[Constraint]) -> list[Fraction] | None:
        lp[0] += 1
        return find_point(cons, d)

    B = box_constraints(d, lo, hi)
    cells: list[Cell] = []
    pieces: list[CoverPiece] = []
    if d == 0:
        c = eng.cell(())
        pieces.append(CoverPiece((), (), c.verdict))
        return Cover(frame, act.name, loss, (lo, hi), tuple(pieces), 1, eng.runs, 0,
                     time.perf_counter() - t0, eng.T, (c,))
    complete = True
    start = fp(B)
    work: list[tuple[list[Constraint], list[Fraction]]] = [(B, start)]  # type: ignore[list-item]
    while work:
        R, z = work.pop()
        zs, dz = _scaled(z)
        cell = next((c for c in reversed(cells) if c.contains_scaled(zs, dz)), None)
        if cell is None:
            cell = eng.cell(z, want)
            cells.append(cell)
        pieces.append(CoverPiece(tuple(R) + cell.constraints, tuple(z), cell.verdict, cell.partial))
        if first_witness and want is not None and wanted(cell.verdict, want, frame.depth,
                                                         frame.optimizer.entrywise):
            break  # an existence question: one point with every wanted property answers it
        if deadline is not None and time.perf_counter() > deadline:
            complete = False
            break
        quick = _QuickTest(lo, hi, R)  # R inter prefix, for cheap emptiness tests
        tight = _Tight(R)  # R inter prefix, deduplicated
        for c in cell.constraints:
            # R inter prefix inter (not c)
            feasible_any = False
            for alt in negate(c):
                if quick.empty_with(alt):
                    continue
                sub = tight.with_(alt)
                pt = fp(sub)
                if pt is not None:
                    feasible_any = True
                    work.append((sub, pt))
            if feasible_any:
                quick.add(c)
                tight.add(c)
    return Cover(frame, act.name, loss, (lo, hi), tuple(pieces), len(cells), eng.runs, lp[0],
                 time.perf_counter() - t0, eng.T, tuple(cells), complete and not work)


# ------------------------------------------------------------------------------ queries
@dataclass(frozen=True)
class RegionPiece:
    """One convex piece of a query's answer (closure described by its vertices; in the box there
    are no rays)."""

    constraints: tuple[Constraint, ...]
    point: tuple[Fraction, ...]
    variables: tuple[str, ...]
    verdict: Verdict
    vertices: tuple[tuple[Fraction, ...], ...] | None = None

    def contains(self, z: Sequence[Fraction]) -> bool:
        return satisfies(z, self.constraints)

    @property
    def dimension(self) -> int:
        eqs = [f[:-1] for f, r in self.constraints if r == "=="]
        return len(self.variables) - _rank(eqs)

    def to_json(self) -> dict[str, Any]:
        def pt(v: Sequence[Fraction]) -> dict[str, str]:
            return {n: str(x) for n, x in zip(self.variables, v, strict=True)}

        txt = [constraint_text(c, self.variables) for c in self.constraints]
        return {
            "equalities": [t for t, c in zip(txt, self.constraints, strict=True) if c[1] == "=="],
            "inequalities": [t for t, c in zip(txt, self.constraints, strict=True) if c[1] != "=="],
            "vertices": None if self.vertices is None else [pt(v) for v in self.vertices],
            "rays": [],
            "dimension": self.dimension,
            "point": pt(self.point),
            "verdict": self.verdict.label(),
        }


def _rank(rows: list[tuple[Fraction, ...]]) -> int:
    m = [list(r) for r in rows]
    rank, col = 0, 0
    ncol = len(m[0]) if m else 0
    while rank < len(m) and col < ncol:
        piv = next((i for i in range(rank, len(m)) if m[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        m[rank], m[piv] = m[piv], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][col] != 0:
                fct = m[i][col] / m[rank][col]
                m[i] = [x - fct * y for x, y in zip(m[i], m[rank], strict=True)]
        rank += 1
        col += 1
    return rank


@dataclass(frozen=True)
class Conflict:
    """A minimal set of conditions that cannot hold together on one cell (deletion filter)."""

    conditions: tuple[str, ...]
    cell_point: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"conditions": list(self.conditions), "cell_point": list(self.cell_point)}


@dataclass(frozen=True)
class QueryResult:
    """Answer of :func:`query`: the set of free coordinates (in the box) with every property in
    ``want``, as a union of convex rational polyhedra."""

    frame: CellFrame
    want: tuple[str, ...]
    activation: str
    loss: str
    box: tuple[Fraction, Fraction]
    pieces: tuple[RegionPiece, ...]
    named_points: tuple[str, ...]
    why_not: tuple[Conflict, ...]
    stats: dict[str, Any]
    notes: tuple[str, ...] = ()
    conflicting_properties: tuple[str, ...] = ()
    #: False when the time limit stopped the cover: the pieces are those found so far
    complete: bool = True

    @property
    def empty(self) -> bool:
        return not self.pieces

    def contains(self, z: Sequence[Fraction]) -> bool:
        return any(p.contains(z) for p in self.pieces)

    def _repr_html_(self) -> str:
        """A table for notebooks: one row per convex piece (conditions, verdict)."""
        import html

        out = self.to_json()
        head = (f"<p>depth {out['depth']}, {out['optimizer']}, want {', '.join(self.want)}; "
                f"free {', '.join(out['variables'])} in [{out['box'][0]}, {out['box'][1]}]"
                f"{'' if self.complete else ' (INCOMPLETE: time limit)'}</p>")
        if self.empty:
            rows = "".join(f"<tr><td colspan=3>{html.escape(t)}</td></tr>"
                           for c in self.why_not for t in c.conditions)
            return head + f"<table><tr><th colspan=3>empty; why not</th></tr>{rows}</table>"
        rows = "".join(
            f"<tr><td>{i}</td><td>{html.escape(' and '.join(r['equalities'] + r['inequalities']))}"
            f"</td><td>{html.escape(r['verdict'])}</td></tr>"
            for i, r in enumerate(out["regions"], 1))
        return (head + "<table><tr><th>#</th><th>conditions</th><th>verdict</th></tr>"
                f"{rows}</table>")

    def to_json(self) -> dict[str, Any]:
        fr = self.frame
        return {
            "schema": "widthlimits.query/2",
            "depth": fr.depth,
            "optimizer": fr.optimizer.name,
            "activation": self.activation,
            "loss": self.loss,
            "gauge": fr.gauge,
            "want": list(self.want),
            "fixed": {f"{k}{l}": fmt(v) for (k, l), v in sorted(fr.base.values.items())},
            "variables": list(fr.variables),
            "shared_hidden": fr.shared_hidden,
            "box": [str(self.box[0]), str(self.box[1])],
            "empty": self.empty,
            "regions": [p.to_json() for p in self.pieces],
            "named_points": list(self.named_points),
            "why_not": [c.to_json() for c in self.why_not],
            "conflicting_properties": list(self.conflicting_properties),
            "stats": self.stats,
            "notes": list(self.notes),
            "complete": self.complete,
        }


def wanted(v: Verdict, want: Sequence[str], depth: int, entrywise: bool) -> bool:
    return all(has_property(v, w, depth, entrywise) for w in want)


def query(
    depth: int,
    optimizer: str | Optimizer = "sgd",
    want: str | Sequence[str] = "nontrivial",
    *,
    activation: str | Activation = "tanh",
    loss: str = "mse",
    gauge: str = "sp",
    fix: dict[str, Sequence[Any]] | None = None,
    shared_hidden: bool = False,
    box: tuple[Any, Any] = (-BOX, BOX),
    max_free: int = MAX_FREE,
    describe: bool = True,
    explain: bool = True,
    time_limit: float | None = None,
) -> QueryResult:
    """The exact set of free exponents (in the box) whose limit has every property in ``want``.

    Parameters
    ----------
    depth, optimizer, activation, loss
        The network and training (as in :func:`widthlimits.theory.classify.classify`).
    want : str or sequence of str
        Conjunction of properties: ``stable``, ``unstable``, ``stable_at_init``,
        ``degenerate_at_init``, ``moves``, ``nontrivial``, ``trivial``, ``feature_learning``,
        ``kernel``, ``operator``, ``fl_all``, ``maximal_update``, ``discrete_time``,
        ``mf_limit`` (Golikov's criterion, :func:`widthlimits.theory.golikov.is_mf_limit`),
        ``fl<l>``, ``mu<l>``; prefix ``not-`` negates.
    gauge, fix, shared_hidden
        The frame (:func:`cell_frame`): fixed exponent lists, gauge for the symmetry, and
        whether hidden layers share their free coordinates.
    box : (lo, hi)
        Every free coordinate is restricted to ``[lo, hi]`` (default ``[-4, 4]``).
    describe, explain
        Compute vertices of each piece / a "why not" for an empty answer.
    time_limit : float, optional
        Seconds for the cover; when reached, the answer holds the pieces found so far and
        ``complete`` is False (its ``empty`` then only says none was found yet).

    Returns
    -------
    QueryResult
        ``pieces`` (disjoint convex polyhedra, simplified, with vertices), ``named_points``,
        ``why_not`` (for an empty answer) and statistics.

    Examples
    --------
    muP's initialization in SP form (a = 0, b = (0, 1)) admits feature learning; SP's (b = (0, 1/2))
    does not, whatever the learning rates:

    >>> query(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [0, 1]}).empty
    False
    >>> query(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [0, "1/2"]}).empty
    True
    """
    t0 = time.perf_counter()
    frame = cell_frame(depth, optimizer, gauge=gauge, fix=fix, shared_hidden=shared_hidden,
                       max_free=max_free)
    wants = parse_want(want, frame.depth)
    deadline = None if time_limit is None else t0 + time_limit
    cv = cover(frame, activation, loss, box=box, want=wants, deadline=deadline)
    d = len(frame.variables)
    ent = frame.optimizer.entrywise
    lp0 = cv.lp_calls
    pieces: list[RegionPiece] = []
    found = [pc for pc in cv.pieces if wanted(pc.verdict, wants, frame.depth, ent)]
    groups: dict[Verdict, list[list[Constraint]]] = {}
    for pc in found:
        groups.setdefault(pc.verdict, []).append(simplify(pc.constraints, d) if d else [])
    for verdict, css in groups.items():
        if describe and d and len(css) > 1:
            css = merge_convex(css, d)  # same verdict, convex union: one piece
        for cs_list in css:
            cs = tuple(cs_list)
            point = find_point(list(cs), d) if d else []
            verts = None
            if describe and d:
                vr = vertices_and_rays(cs, d)
                if vr is not None:
                    verts = tuple(tuple(v) for v in vr[0])
            pieces.append(RegionPiece(cs, tuple(point or ()), frame.variables, verdict, verts))
    named = tuple(n for n in named_points_in(frame, wants, activation, loss))
    conflicts: tuple[Conflict, ...] = ()
    props: tuple[str, ...] = ()
    if not pieces and explain and cv.complete:
        conflicts = why_not(cv, wants)
        # deletion filter over the wanted properties (on the verdicts of a full cover: no LP)
        full = cv if len(wants) == 1 else cover(frame, activation, loss, box=box)
        keep = list(wants)
        i = 0
        while i < len(keep):
            trial = keep[:i] + keep[i + 1:]
            if not any(wanted(pc.verdict, trial, frame.depth, ent) for pc in full.pieces):
                keep = trial
            else:
                i += 1
        props = tuple(keep)
    stats = {"cells": cv.cells, "cover_pieces": len(cv.pieces), "answer_pieces_before_merge":
             len(found), "engine_runs": cv.engine_runs,
             "lp_calls_cover": lp0, "seconds": round(time.perf_counter() - t0, 3),
             "horizon_steps": cv.horizon}
    notes = (f"free coordinates restricted to the box [{cv.box[0]}, {cv.box[1]}]^{d}",
             f"verdicts over steps 0..{cv.horizon} (the engine's horizon for depth {frame.depth})",
             "pieces are disjoint; their union is the answer within the box")
    stats["certified_pieces"] = len(cv.pieces)
    return QueryResult(frame, wants, cv.activation, loss, cv.box, tuple(pieces), named, conflicts,
                       stats, notes, props, cv.complete)


def _named_points_of(frame: Any, names: Sequence[str]) -> list[tuple[str, list[Fraction]]]:
    """``(name, coordinates)`` of the presets that exist at the frame's depth and optimizer and
    lie in the frame (moved there by the width symmetry)."""
    out = []
    for name in names:
        try:
            pp = preset(name, frame.depth, frame.optimizer)
        except ValueError:
            continue
        x = frame.point_of(pp)
        if x is not None:
            out.append((name, x))
    return out


def named_points_in(frame: CellFrame, want: Sequence[str], activation: str | Activation = "tanh",
                    loss: str = "mse") -> list[str]:
    """Names from NAMED_POINTS whose parametrization (moved into the frame) has every property
    in ``want`` (exact: one cell computation at the point; not restricted to the box)."""
    eng = _Engine(frame, get_activation(activation), loss)
    out = []
    for name, x in _named_points_of(frame, NAMED_POINTS):
        if wanted(eng.cell(x).verdict, want, frame.depth, frame.optimizer.entrywise):
            out.append(name)
    return out


def verdict_at(frame: CellFrame, z: Sequence[Any], activation: str | Activation = "tanh",
               loss: str = "mse") -> Verdict:
    """The verdict at one point of the frame (exact)."""
    return _Engine(frame, get_activation(activation), loss).cell([Fraction(x) for x in z]).verdict


# ------------------------------------------------------------------------------ why not
_QTEXT = {"h": "pre-activation h", "x": "activation x", "f": "output f", "df": "output change f_t - f_0",
          "dx": "feature change x_t - x_0", "dWx": "effective update (W_t - W_0) x",
          "df_step": "per-step change f_{t+1} - f_t"}


def _want_conditions(want: Sequence[str], ex: dict, L: int, T: int
                     ) -> tuple[list[tuple[str, Any, str]], list[list[tuple[str, Any, str]]]]:
    """Conjunctive conditions (label, exponent, rel) and existential groups (choose one) that
    the wanted properties impose on the exponents of one cell."""
    conj: list[tuple[str, Any, str]] = []
    groups: list[list[tuple[str, Any, str]]] = []

    def key(q: str, l: int | None, t: int) -> str:
        return f"{q}" + (f"^{l}" if l is not None else "") + f"_{t}"

    need_stable = any(w in ("stable", "nontrivial", "trivial", "feature_learning", "kernel", "operator",
                            "fl_all", "maximal_update", "discrete_time", "mf_limit")
                      or (w[:2] in ("fl", "mu") and w[2:].isdigit()) for w in want)
    if need_stable:
        for t in range(T + 1):
            for l in range(1, L + 1):
                for q in ("h", "x"):
                    conj.append((f"stability: {_QTEXT[q]} {key(q, l, t)} = O(1)", ex[(q, l, t)], "<="))
            conj.append((f"stability: output {key('f', None, t)} = O(1)", ex[("f", None, t)], "<="))
        conj.append((f"stability: per-step change {key('df_step', None, T)} = O(1)",
                     ex[("df_step", None, T)], "<="))

    def exists(q: str, l: int | None, what: str) -> list[tuple[str, Any, str]]:
        return [(f"{what}: {_QTEXT[q]} {key(q, l, t)} = Theta(1)", ex[(q, l, t)], "==")
                for t in range(1, T + 1)]

    for w in want:
        if w in ("nontrivial", "moves", "mf_limit", "feature_learning", "kernel", "operator"):
            groups.append(exists("df", None, "non-trivial"))
        if w in ("fl_all", "mf_limit"):
            for l in range(1, L + 1):
                groups.append(exists("dx", l, f"feature learning in layer {l}"))
        if w in ("discrete_time", "mf_limit"):
            conj.append((f"discrete time: per-step change {key('df_step', None, T)} = Theta(1)",
                         ex[("df_step", None, T)], "=="))
        if w == "maximal_update":
            for l in range(1, L + 2):
                groups.append(exists("dWx", l, f"maximal update of layer {l}"))
        for pre, q, what in (("fl", "dx", "feature learning in layer"),
                             ("mu", "dWx", "maximal update of layer")):
            if w.startswith(pre) and w[2:].isdigit():
                groups.append(exists(q, int(w[2:]), f"{what} {int(w[2:])}"))
    return conj, groups


def _as_constraint(e: Any, rel: str) -> Constraint | bool:
    """``e rel 0`` with ``e`` an affine value (or -inf)."""
    if isinstance(e, float):
        return rel == "<="  # -inf <= 0 holds, -inf == 0 does not
    return normalize(e.f, rel)


def why_not(cv: Cover, want: Sequence[str], max_cells: int = 12) -> tuple[Conflict, ...]:
    """For an empty answer: on each engine cell (where every exponent is affine) the wanted
    conditions conflict; a minimal conflicting subset is found by the deletion filter
    (Chinneck & Dravnieks 1991) with the exact LP, trying to drop the cell's own constraints first.
    Returns the distinct conflicts found, smallest first (at most a few)."""
    fr = cv.frame
    d = len(fr.variables)
    L, T = fr.depth, cv.horizon
    B = box_constraints(d, *cv.box)
    seen_cells: set = set()
    found: dict[tuple[str, ...], Conflict] = {}
    for cell in cv.cell_list:
        key = frozenset(cell.engine_constraints)
        if key in seen_cells:
            continue
        seen_cells.add(key)
        if len(seen_cells) > max_cells:
            break
        conj, groups = _want_conditions(want, cell.exponents, L, T)
        labelled: list[tuple[str, Constraint]] = []
        bad = False
        for lab, e, rel in conj:
            c = _as_constraint(e, rel)
            if c is False:
                labelled = [(lab + " (impossible)", ((ZERO,) * d + (ONE,), "<="))]
                bad = True
                break
            if c is not True and all(c != x for _, x in labelled):
                labelled.append((lab, c))  # type: ignore[arg-type]
        choices: list[tuple[str, Constraint] | None] = []
        for g in groups:
            opts = []
            for lab, e, rel in g:
                c = _as_constraint(e, rel)
                if c is True:
                    opts = [None]
                    break
                if c is not False and all(c != o[1] for o in opts if o):
                    opts.append((lab, c))
            if not opts:
                labelled = [(g[0][0].split(":")[0] + ": impossible on this cell (the exponent is "
                             "-inf or a non-zero constant at every step)",
                             ((ZERO,) * d + (ONE,), "<="))]
                bad = True
                break
            choices.append(opts[0] if len(opts) == 1 else None)
            if len(opts) > 1:
                # several steps could do: keep the most permissive single choice found feasible
                base = [c for _, c in labelled] + list(cell.engine_constraints) + B
                pick = next((o for o in opts if o and find_point(base + [o[1]], d) is not None), opts[0])
                choices[-1] = pick
        if not bad:
            labelled += [c for c in choices if c is not None]
        cellc = [("cell", c) for c in cell.engine_constraints] + [("box", c) for c in B]
        allc = cellc + labelled
        if find_point([c for _, c in allc], d) is not None:
            continue  # the simple choice of steps is feasible here; skip (conservative)
        keep = list(allc)
        i = 0
        while i < len(keep):
            trial = keep[:i] + keep[i + 1:]
            if find_point([c for _, c in trial], d) is None:
                keep = trial
            else:
                i += 1
        texts = []
        for lab, c in keep:
            if lab in ("cell", "box"):
                texts.append(f"{lab}: {constraint_text(c, fr.variables)}")
            else:
                texts.append(f"{lab}, i.e. {constraint_text(c, fr.variables)}")
        k = tuple(texts)
        if k not in found:
            found[k] = Conflict(k, tuple(str(x) for x in cell.point))
    out = sorted(found.values(), key=lambda c: (sum(t.startswith(("cell", "box")) for t in c.conditions),
                                                len(c.conditions)))
    return tuple(out[:3])


__all__ = ["BOX", "MAX_FREE", "PROPERTIES", "Cell", "CellFrame", "Conflict", "Cover", "CoverPiece",
           "QueryResult", "RegionPiece", "Verdict", "cell_frame", "cover", "has_property",
           "named_points_in", "parse_want", "query", "verdict_at", "why_not"]


# ------------------------------------------------------------------------------ planes
@dataclass(frozen=True)
class PlaneFrame:
    """A 2-D affine slice of the exponent space: ``a, b, c`` are affine in ``variables``.

    ``kind="golikov"``: Golikov's one-hidden-layer family (golikov.md Sec. 1) with one
    learning-rate exponent for both layers, :math:`\\tilde q_w = \\tilde q_a = \\tilde q`:
    ``a = 0, b = (0, -q_sigma), c = (-q~, -(q~ + 2 q_sigma))``; horizontal ``q_sigma`` (init
    std of the readout :math:`\\propto n^{q_\\sigma}`), vertical ``q~`` (learning rates
    :math:`\\eta_w \\propto n^{\\tilde q}`, :math:`\\eta_a \\propto n^{\\tilde q + 2 q_\\sigma}`).
    Golikov's modes on it: mean field (-1, 1), NTK (-1/2, 0), intermediate q: (-q, 2q - 1).

    ``kind="tp4"``: TP4's plane (Yang & Hu 2021, Sec. 3 and Fig. 1) in the TP4 gauge
    ``b_l = 1/2``: input and hidden layers as in muP/NTK (``a_1 + b_1 = 0``,
    ``a_l + b_l = 1/2``), horizontal ``s = a_{L+1} + b_{L+1}``, vertical one learning-rate
    exponent ``c`` for every layer.  muP is (1, 0); NTK (1/2, 1).
    """

    kind: str
    depth: int
    optimizer: Optimizer
    variables: tuple[str, ...]
    shared_hidden: bool = False

    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]

    def _abc(self, x: Any, y: Any) -> tuple[tuple, tuple, tuple]:
        L = self.depth
        if self.kind == "golikov":
            return ((0,) * (L + 1), (0,) + (-x,) * L,
                    (-y,) + (-(y + x),) * (L - 1) + (-(y + 2 * x),))
        return ((-HALF,) + (ZERO,) * (L - 1) + (x - HALF,), (HALF,) * (L + 1), (y,) * (L + 1))

    def parametrization(self) -> Parametrization:
        x, y = self.symbols()
        return Parametrization(*self._abc(x, y))

    def parametrization_at(self, z: Sequence[Fraction]) -> Parametrization:
        return Parametrization(*self._abc(Fraction(z[0]), Fraction(z[1])))

    def point_of(self, p: Parametrization) -> list[Fraction] | None:
        """Coordinates of ``p`` (moved by the symmetry) in the plane, or None if off the plane."""
        for x, y in [self._guess(p)]:
            if x is None:
                return None
            q = self.parametrization_at([x, y])

            if equivalent(p, q, self.optimizer):
                return [x, y]
        return None

    def _guess(self, p: Parametrization) -> tuple[Any, Any]:
        if any(is_pos_inf(v) for v in (*p.b, *p.c)):
            return None, None
        if self.kind == "golikov":
            sp = p.canonical(self.optimizer, "sp")
            return -sp.b[-1], -sp.c[0]
        tp = p.canonical(self.optimizer, "tp4")
        return tp.a[-1] + HALF, tp.c[0]


def plane_frame(kind: str, depth: int = 1, optimizer: str | Optimizer = "sgd") -> PlaneFrame:
    """The 2-D planes of the phase diagrams: ``"golikov"`` (q_sigma, q~) or ``"tp4"`` (s, c)."""
    L = check_depth(depth)
    if kind == "golikov":
        return PlaneFrame(kind, L, get_optimizer(optimizer), ("q_sigma", "q_lr"))
    if kind == "tp4":
        return PlaneFrame(kind, L, get_optimizer(optimizer), ("s", "c"))
    raise ValueError(f"unknown plane {kind!r}; choose 'golikov' or 'tp4'")


def phase_diagram(kind: str, depth: int = 1, optimizer: str | Optimizer = "sgd", *,
                  activation: str | Activation = "tanh", loss: str = "mse",
                  box: tuple[Any, Any] = (-2, 2)) -> dict[str, Any]:
    """Exact 2-D phase diagram: the box cut into convex pieces (polygons, segments, points),
    each labelled by its verdict, plus the named points that lie on the plane.

    Returns JSON-ready data: ``pieces`` (label, regime, dimension, vertices in counter-clockwise
    order for polygons, exact strings) and ``named_points`` (name, coordinates, label)."""
    fr = plane_frame(kind, depth, optimizer)
    cv = cover(fr, activation, loss, box=box)  # type: ignore[arg-type]
    out_pieces = []
    for pc in cv.pieces:
        cs = simplify(pc.constraints, 2)
        vr = vertices_and_rays(cs, 2)
        verts = [tuple(v) for v in vr[0]] if vr is not None else []
        eqs = [f[:-1] for f, r in cs if r == "=="]
        dim = 2 - _rank(eqs)
        if dim == 2 and len(verts) >= 3:
            cx = sum(v[0] for v in verts) / len(verts)
            cy = sum(v[1] for v in verts) / len(verts)

            verts.sort(key=lambda v: math.atan2(float(v[1] - cy), float(v[0] - cx)))
        out_pieces.append({"label": pc.verdict.label(), "regime": pc.verdict.regime,
                           "verdict": pc.verdict.as_dict(), "dimension": dim,
                           "vertices": [[str(a), str(b)] for a, b in verts],
                           "point": [str(x) for x in pc.point]})
    eng = _Engine(fr, get_activation(activation), loss)  # type: ignore[arg-type]
    named = []
    names = list(NAMED_POINTS) + ["golikov-intermediate:1/2", "golikov-intermediate:1"]
    for name, x in _named_points_of(fr, names):
        named.append({"name": name, "point": [str(v) for v in x],
                      "label": eng.cell(x).verdict.label()})
    return {"schema": "widthlimits.phase-diagram/1", "plane": kind, "depth": fr.depth,
            "optimizer": fr.optimizer.name, "activation": cv.activation, "loss": loss,
            "axes": list(fr.variables), "box": [str(cv.box[0]), str(cv.box[1])],
            "axes_meaning": PLANE_AXES[kind], "pieces": out_pieces, "named_points": named,
            "stats": {"cells": cv.cells, "pieces": len(cv.pieces), "seconds": round(cv.seconds, 3)}}


PLANE_AXES = {
    "golikov": ["q_sigma: readout (and hidden) init std ~ n^{q_sigma} (SP form, a = 0)",
                "q~: learning rates eta_input ~ n^{q~}, eta_hidden ~ n^{q~ + q_sigma}, "
                "eta_readout ~ n^{q~ + 2 q_sigma} (Golikov's q~_w = q~_v = q~_a = q~)"],
    "tp4": ["s = a_{L+1} + b_{L+1} (readout scale; TP4 gauge b = 1/2, input a_1 + b_1 = 0, "
            "hidden a_l + b_l = 1/2)",
            "c: one learning-rate exponent for every layer (lr ~ n^{-c})"],
}
