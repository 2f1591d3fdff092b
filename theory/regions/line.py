"""Exact stability along one free exponent: germ cells on a line, and the least stable value.

One exponent :math:`x` of a parametrization is free (e.g. the learning-rate exponent
:math:`c_l` of one layer); every exponent the engine computes is then a piecewise-affine
function of :math:`x` with integer slopes (the engine only adds, takes ``max``/``min`` and
subtracts; :mod:`widthlimits.theory.engine`).  :func:`germ_verdict` runs the engine once *at a
germ*: the point :math:`x_0` moved an infinitesimal step in a direction :math:`\\delta \\in
\\{-1, 0, +1\\}`, i.e. at every point :math:`x_0 + \\delta\\tau` for all small enough
:math:`\\tau > 0` (:math:`\\delta = 0`: the point itself).  Each exponent is carried as one
integer encoding the pair (value at :math:`x_0`, derivative along :math:`\\delta`), ordered
lexicographically, so the engine's own integer ``max``/``min``/``+``/``==`` decide exactly what
happens just beside :math:`x_0`; every comparison also records the :math:`\\tau` where its two
affine sides cross.  The cell is the open segment :math:`x_0 + \\delta\\,(0, \\tau_{min})`: on it
every comparison keeps its outcome, every exponent equals its affine form and the stability
verdict (:func:`widthlimits.theory.regions.properties.conditions`, the definitions of
:func:`~widthlimits.theory.classify.classify`, with the zero crossing of each exponent it reads
recorded) is constant.  An unstable run stops at its first blown-up :math:`h, x, f` exponent:
that exponent is affine and positive on the cell of the comparisons made so far (cut at its
own zero), which is what certifies the verdict; so unstable cells are large.

The germ :math:`x \\to -\\infty` is one more germ (the slope decides first, then the value):
its cell is :math:`(-\\infty, b)`.  :func:`least_stable` walks the cells from there rightwards
-- each open cell, then its right end point -- up to the first stable one, so it returns the
infimum of the stable set on the whole line (exact), whether it is attained, or that the stable
set is empty or unbounded below.  This is a cover of the line restricted to the cells the answer
needs (:mod:`widthlimits.theory.regions.cover` covers a box with the same verdicts), at the cost
of two to four engine runs on integers for the learning rates of the presets.  Where the run made
no ``eq`` decision between different germs, every exponent is continuous on the closed cell, so
a germ's verdict also decides its end points when the blown-up exponent is still positive there
(or when the germ is stable); otherwise the point is run.  :func:`least_stable_many` walks
several lines together: the next cells of each round in one batched germ run
(:mod:`widthlimits.theory.regions.germ_batch`), the end points their starts leave undecided in
one batched run (:mod:`widthlimits.theory.regions.line_batch`).

Run: the engine's default run, as in :func:`~widthlimits.theory.classify.classify` (until the
exponents are stationary -- tested exactly on the germs, which fixes them on the whole cell --
or a blow-up, at most ``2 (L + 1) + 6`` steps).  For the MSE loss the run is the logistic one,
as for the cells of :mod:`widthlimits.theory.regions.cell`: on the stable set the loss
derivative is :math:`\\Theta(1)` for both, so a point is stable for one iff for the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.engine import MaxPlusOps, derive
from widthlimits.theory.exponents import NEG_INF, is_pos_inf
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.regions.line_batch import stable_at_cs
from widthlimits.theory.regions.properties import conditions

HALF = Fraction(1, 2)

#: the free exponent's symbol in the parametrization handed to :func:`germ_verdict`
X = sympy.Symbol("x_free")
#: the encoding of a germ (value v, derivative t) is ``v * K + t``; slopes are sums of a few
#: integers, far below K / 2 (checked at every decoding)
_K = 1 << 64
_HALF_K = _K >> 1
#: guard on the number of cells walked by :func:`least_stable` (there are finitely many; this
#: only catches an internal error)
MAX_CELLS = 10_000


class _BlowUp(Exception):
    """Raised from the engine's record hook at the first blown-up h, x or f exponent."""


class GermOps(MaxPlusOps):
    """The engine's max-plus arithmetic on germs (see the module docstring), recording where
    each comparison's outcome would change.

    An exponent :math:`e = \\alpha + \\sigma x` is one integer ``P * K + S``: at a finite germ
    ``P = M e(x0)`` and ``S = sigma * direction`` (``K = 1`` at a point, where ``S = 0``); at
    the germ :math:`x \\to -\\infty` (``x0 = None``) ``P = -sigma`` and ``S = M alpha`` (the
    slope decides first).  ``M`` scales every value to an integer.  ``bound`` is the far end
    of the cell: ``x0 + direction * tau`` (finite germ) or the cell's right end (at
    :math:`-\\infty`); None when the cell is unbounded that way."""

    def __init__(self, x0: Fraction | None, direction: int, D: int,
                 cache: dict | None = None, scale: int | None = None) -> None:
        super().__init__(False, 2)
        if x0 is None and direction != -1:
            raise ValueError("internal: the germ at -infinity has direction -1")
        self.x0 = None if x0 is None else Fraction(x0)
        self.direction = direction
        # integers at x0 (``scale``: a common multiple, for lanes of one batched run)
        self.M = scale or D * (1 if x0 is None else self.x0.denominator)
        if self.x0 is not None and (self.M * self.x0).denominator != 1:
            raise ValueError(f"internal: scale {self.M} does not make {self.x0} an integer")
        self.K = 1 if direction == 0 else _K
        self._mx0 = None if self.x0 is None else int(self.M * self.x0)
        # constants' encodings, shared by the runs of one walk (keyed by the encoding's scale)
        self._consts: dict = {} if cache is None else cache.setdefault(
            (self.M, self.K, x0 is None), {})
        self.ninf = NEG_INF
        self.zero = 0
        self.half = self.conv(HALF)
        self.one = self.conv(Fraction(1))
        # the free exponent x itself: value x0, slope 1
        self.free = -_K if x0 is None else int(self.M * self.x0) * self.K + direction
        self._far: tuple[int, int] | None = None  # (num, den), den > 0
        #: an ``eq`` found two different germs: the exponents may jump at the cell's end
        self.split = False

    # -- encoding
    def conv(self, e: Any) -> Any:
        if isinstance(e, float):
            return e
        if isinstance(e, Fraction | int):
            out = self._consts.get(e)
            if out is None:
                v = Fraction(e) * self.M
                if v.denominator != 1:
                    raise ValueError(f"internal: constant {e} not a multiple of 1/{self.M}")
                out = self._consts[e] = int(v) if self.x0 is None else int(v) * self.K
            return out
        if isinstance(e, sympy.Expr) and not e.is_number:
            if e == X:
                return self.free
            if e == -X:
                return -self.free
            raise ValueError(f"internal: exponent {e} is not +-{X}")
        v = Fraction(e) * self.M
        if v.denominator != 1:
            raise ValueError(f"internal: constant {e} not a multiple of 1/{self.M}")
        return int(v) if self.x0 is None else int(v) * self.K

    def out(self, e: Any) -> Any:
        return e

    def decode(self, e: int) -> tuple[int, int]:
        """``(P, S)`` of the encoding ``P * K + S`` (see the class docstring)."""
        if self.K == 1:
            return e, 0
        s = e % _K
        if s >= _HALF_K:
            s -= _K
        if not -_HALF_K // 2 < s < _HALF_K // 2:
            raise OverflowError("internal: a value out of the germ encoding's range")
        return (e - s) // _K, s

    def at(self, e: int, x: Fraction) -> Fraction:
        """The affine form of the germ ``e`` evaluated at ``x``."""
        p, s = self.decode(e)
        if self.x0 is None:
            return Fraction(s, self.M) - p * x
        return Fraction(p, self.M) + s * self.direction * (x - self.x0)

    @property
    def bound(self) -> Fraction | None:
        if self._far is None:
            return None
        return Fraction(*self._far)

    # -- recording
    def _cut(self, num: int, den: int) -> None:
        """A comparison changes its outcome at ``num / den`` (den > 0): keep the nearest."""
        far = self._far
        if far is None:
            self._far = (num, den)
        elif self.x0 is not None and self.direction < 0:  # the cell ends to the left: the largest
            if num * far[1] > far[0] * den:
                self._far = (num, den)
        elif num * far[1] < far[0] * den:
            self._far = (num, den)

    def sign_change(self, e: Any, other: Any = 0) -> None:
        """Record where ``e - other`` (both finite) changes sign inside the cell."""
        if not self.direction:
            return
        # the encoding is linear: decode e - other (K = _K off a point), inlined for speed
        d = e - other
        ds = d % _K
        if ds >= _HALF_K:
            ds -= _K
        if not -_HALF_K // 2 < ds < _HALF_K // 2:
            raise OverflowError("internal: a value out of the germ encoding's range")
        dp = (d - ds) // _K
        if self.x0 is None:
            # e - other = (ds - dp * M x) / M with -dp the slope: a root at x = ds / (M dp)
            if dp:
                num, den = ds, self.M * dp
                self._cut(-num if den < 0 else num, abs(den))
            return
        # e - other = dp / M + ds * tau: a root at tau > 0 iff dp, ds of opposite signs, at
        # x0 + direction * tau = (M x0 ds - direction dp) / (M ds), in integers (M x0 is one)
        if (dp > 0 > ds) or (dp < 0 < ds):
            num, den = self._mx0 * ds - self.direction * dp, self.M * ds
            self._cut(-num, -den) if den < 0 else self._cut(num, den)

    def mx(self, *xs: Any) -> Any:
        if not xs:
            return self.ninf
        best = max(xs)
        if len(xs) > 1 and self.direction and best != self.ninf:
            for x in xs:
                if x != best and x != self.ninf:
                    self.sign_change(best, x)
        return best

    def mn(self, *xs: Any) -> Any:
        best = min(xs)
        if len(xs) > 1 and self.direction and best != self.ninf:
            for x in xs:
                if x != best:
                    self.sign_change(best, x)
        return best

    def eq(self, x: Any, y: Any) -> bool:
        if x == y:
            return True  # identical germs: identical affine forms on the cell
        self.split = True
        if x != self.ninf and y != self.ninf:
            self.sign_change(x, y)
        return False

    def same_state(self, a: Any, b: Any) -> bool:
        return bool(a == b)


class _SignLogic:
    """Sign conditions on germs; each records the exponent's zero crossing."""

    def __init__(self, ops: GermOps) -> None:
        self.ops = ops

    def _finite(self, e: Any) -> bool:
        if e == NEG_INF:
            return False
        self.ops.sign_change(e)
        return True

    def pos(self, e: Any) -> bool:
        return self._finite(e) and e > 0

    def zero(self, e: Any) -> bool:
        return self._finite(e) and e == 0

    def neg(self, e: Any) -> bool:
        return not self._finite(e) or e < 0

    def nonneg(self, e: Any) -> bool:
        return self._finite(e) and e >= 0

    def all(self, xs: Any) -> bool:
        return all(xs)

    def any(self, xs: Any) -> bool:
        return any(xs)

    def not_(self, x: Any) -> bool:
        return not x


@dataclass(frozen=True)
class GermVerdict:
    """Stability on one cell: the point ``x0`` (``direction == 0``), the open segment from
    ``x0`` to ``bound`` (``direction == +-1``), or :math:`(-\\infty, \\text{bound})`
    (``x0`` None).  ``bound`` None: the cell is unbounded that way."""

    x0: Fraction | None
    direction: int
    stable: bool
    bound: Fraction | None
    #: the cell's end point ``bound`` is certainly unstable too: the run made no ``eq``
    #: decision between different germs, so every exponent it computed is continuous on the
    #: closed cell (max, min, + and - of continuous functions), and the blown-up exponent's form
    #: is still positive at ``bound``
    bound_unstable: bool = False
    #: for a germ (``direction != 0``): the verdict at ``x0`` itself when continuity decides it
    #: (no ``eq`` decision between different germs; a stable germ has every exponent <= 0 at
    #: ``x0``, an unstable one a blown-up exponent > 0 at ``x0``), else None
    start_stable: bool | None = None


def common_denominator(p: Parametrization) -> int:
    """Least common denominator of the fixed exponents (even, as the engine adds 1/2)."""
    D = 2
    for v in (*p.a, *p.b, *p.c, *(p.d or ())):
        if isinstance(v, Fraction):
            D = math.lcm(D, v.denominator)
    return D


def germ_verdict(p: Parametrization, optimizer: Optimizer, activation: Activation, loss: str,
                 x0: Fraction | None, direction: int, D: int | None = None,
                 cache: dict | None = None) -> GermVerdict:
    """Stability of ``p`` (one exponent equal to the symbol :data:`X`) on the cell of the germ
    at ``x0`` in ``direction`` (``x0`` None: at :math:`-\\infty`; see the module docstring)."""
    ops = GermOps(x0, direction, D or common_denominator(p), cache)
    eff = "logistic" if loss == "mse" else loss

    blown: list[int] = []

    def on_record(q: str, layer: int | None, t: int, value: Any) -> None:
        if q in ("h", "x", "f") and value != NEG_INF and value > 0:
            ops.sign_change(value)  # positive on the cell up to its zero
            blown.append(value)
            raise _BlowUp

    try:
        res = derive(p, optimizer, activation, loss=eff, trace=False, ops=ops, on_record=on_record)
    except _BlowUp:
        return blown_verdict(ops, blown[0])
    cs = conditions("stable", res.exponents, res.depth, res.steps, optimizer.entrywise,
                    _SignLogic(ops))
    return run_verdict(ops, all(c.holds for c in cs))


def blown_verdict(ops: GermOps, blown: int) -> GermVerdict:
    """The verdict of a germ run stopped at its blown-up exponent ``blown``: unstable on the
    cell; its end point and start point unstable too where continuity decides it (no ``eq``
    decision split two germs, and the exponent's form still positive there)."""
    b, x0 = ops.bound, ops.x0
    end_unstable = b is not None and not ops.split and ops.at(blown, b) > 0
    start = (False if x0 is not None and ops.direction and not ops.split and ops.at(blown, x0) > 0
             else None)
    return GermVerdict(x0, ops.direction, False, b, end_unstable, start)


def run_verdict(ops: GermOps, stable: bool) -> GermVerdict:
    """The verdict of a germ run that ran to its end (``stable``: every condition holds); a
    stable germ decides its start point too where no ``eq`` decision split two germs."""
    start = True if stable and ops.x0 is not None and ops.direction and not ops.split else None
    return GermVerdict(ops.x0, ops.direction, stable, ops.bound, False, start)


@dataclass(frozen=True)
class LeastStable:
    """The infimum of the stable values of the free exponent (``value`` None: the stable set is
    empty or unbounded below, see ``note``); ``attained``: the infimum itself is stable;
    ``runs``: engine runs spent."""

    value: Fraction | None
    attained: bool
    note: str
    runs: int


def least_stable(p: Parametrization, optimizer: str | Optimizer, activation: str | Activation,
                 loss: str = "mse") -> LeastStable:
    """The least stable value of the free exponent :data:`X` of ``p``, exactly, on the whole
    line: the cells from :math:`-\\infty` rightwards (each open cell, then its right end point)
    up to the first stable one."""
    opt = get_optimizer(optimizer)
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    if sum(1 for v in (*p.a, *p.b, *p.c) if isinstance(v, sympy.Expr) and v == X) != 1:
        raise ValueError(f"internal: exactly one exponent must be the free symbol {X}")
    D = common_denominator(p)
    cache: dict = {}
    runs = 0
    cell = germ_verdict(p, opt, act, loss, None, -1, D, cache)
    runs += 1
    if cell.stable:
        return LeastStable(None, False, "unbounded below: every smaller value is stable", runs)
    for _ in range(MAX_CELLS):
        if cell.bound is None:
            return LeastStable(None, False, "no stable value (unstable on the whole line)", runs)
        x = cell.bound
        point: bool | None = False if cell.bound_unstable else None
        runs += 1
        cell = germ_verdict(p, opt, act, loss, x, 1, D, cache)  # the next cell
        if point is None:
            point = cell.start_stable
        if point is None:  # its start point, when continuity does not decide it
            runs += 1
            point = germ_verdict(p, opt, act, loss, x, 0, D, cache).stable
        if point:
            return LeastStable(x, True, "", runs)
        if cell.stable:
            return LeastStable(x, False, "", runs)
    raise RuntimeError(f"internal: more than {MAX_CELLS} cells walked")


def least_stable_many(problems: Sequence[Parametrization], optimizer: str | Optimizer,
                      activation: str | Activation, loss: str = "mse") -> list[LeastStable]:
    """:func:`least_stable` for several problems at once (equal ``a``, ``b``; the free symbol
    :data:`X` in ``c``): the cells are walked per problem as there, in the same order (the next
    cell, then the end point between them where continuity does not decide it); each round's
    next cells are found by one batched germ run
    (:func:`widthlimits.theory.regions.germ_batch.germ_verdicts`: each problem's own verdict, on
    a cell no larger than its single run's) and the end points left undecided are classified
    together by one batched engine run
    (:func:`widthlimits.theory.regions.line_batch.stable_at_points`); one run per problem when
    some ``b`` is infinite, where the batch's mean-component test could differ from a
    problem's.  Running the next cells first lets their starts decide the end points: at depth
    100 (golikov-mf, SGD) no end point is run, against six batched runs (0.38 s of 1.05 s) when
    the end points were classified before the next cells."""
    opt = get_optimizer(optimizer)
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    for p in problems:
        if sum(1 for v in p.c if isinstance(v, sympy.Expr) and v == X) != 1:
            raise ValueError(f"internal: exactly one c must be the free symbol {X}")
    batch = bool(problems) and all(not is_pos_inf(v) for v in problems[0].b) and all(
        p.a == problems[0].a and p.b == problems[0].b and p.d == problems[0].d for p in problems)
    caches: list[dict] = [{} for _ in problems]
    Ds = [common_denominator(p) for p in problems]
    D_all = math.lcm(*Ds)
    runs = [0] * len(problems)
    out: list[LeastStable | None] = [None] * len(problems)

    def germ(i: int, x0: Fraction | None, direction: int) -> GermVerdict:
        runs[i] += 1
        return germ_verdict(problems[i], opt, act, loss, x0, direction, Ds[i], caches[i])

    def at(p: Parametrization, x: Fraction) -> tuple:
        return tuple(x if isinstance(v, sympy.Expr) and v == X else v for v in p.c)

    def germs(idx: list[int], x0s: list[Fraction | None], direction: int) -> list[GermVerdict]:
        """The germs of several problems: one batched run (germ_batch) or one run each."""
        if not batch or len(idx) < 2:
            return [germ(i, x, direction) for i, x in zip(idx, x0s, strict=True)]
        from widthlimits.theory.regions.germ_batch import germ_verdicts  # it imports this module

        for i in idx:
            runs[i] += 1
        return germ_verdicts([problems[i] for i in idx], x0s, direction, opt, act, loss, D_all)

    cells: dict[int, GermVerdict] = {}
    idx = list(range(len(problems)))
    for i, cell in zip(idx, germs(idx, [None] * len(idx), -1), strict=True):
        if cell.stable:
            out[i] = LeastStable(None, False, "unbounded below: every smaller value is stable",
                                 runs[i])
        else:
            cells[i] = cell
    for _ in range(MAX_CELLS):
        if not cells:
            return [r for r in out if r is not None]
        for i, cell in list(cells.items()):
            if cell.bound is None:
                out[i] = LeastStable(None, False, "no stable value (unstable on the whole line)",
                                     runs[i])
                del cells[i]
        idx = list(cells)
        nxts = dict(zip(idx, germs(idx, [cells[i].bound for i in idx], 1),  # the next cells
                        strict=True))
        # each cell's end point: unstable by continuity, else decided by the next cell's run
        # where continuity decides its start (as in least_stable), else run (together)
        point = {i: False if cells[i].bound_unstable else nxts[i].start_stable for i in idx}
        ask = [i for i in idx if point[i] is None]
        if ask:
            if batch:
                verdicts = stable_at_cs(problems[0], [at(problems[i], cells[i].bound)  # type: ignore[arg-type]
                                                      for i in ask], opt, act, loss)
            else:
                verdicts = [germ(i, cells[i].bound, 0).stable for i in ask]
            for i, v in zip(ask, verdicts, strict=True):
                runs[i] += batch
                point[i] = v
        for i in idx:
            x = cells[i].bound
            if point[i]:
                out[i] = LeastStable(x, True, "", runs[i])
                del cells[i]
            elif nxts[i].stable:
                out[i] = LeastStable(x, False, "", runs[i])
                del cells[i]
            else:
                cells[i] = nxts[i]
    raise RuntimeError(f"internal: more than {MAX_CELLS} cells walked")


__all__ = ["GermOps", "GermVerdict", "LeastStable", "MAX_CELLS", "X", "blown_verdict",
           "common_denominator", "germ_verdict", "least_stable", "least_stable_many", "run_verdict"]
