"""Germ verdicts of many lines in one engine run: the germs of
:mod:`widthlimits.theory.regions.line` on per-problem vectors.

:func:`~widthlimits.theory.regions.line.least_stable_many` walks one line per problem (the
layer-by-layer questions of :mod:`widthlimits.theory.max_lr`: the same ``a``, ``b``, one ``c_l``
free, the others fixed), and every round asks each line for the verdict of its next cell: a germ
at a different point per problem.  :func:`germ_verdicts` answers a round with one run of the
engine on :class:`BatchGermOps`: the vectors of :mod:`widthlimits.theory.regions.line_batch`
(one entry per problem, collapsed to one value where every problem agrees) whose entries are the
germ encodings of :class:`~widthlimits.theory.regions.line.GermOps`, one ``GermOps`` per problem
(its *lane*) keeping that problem's bookkeeping: where each comparison's outcome would change
(the cell's end), whether an ``eq`` decision split two germs, the blown-up exponent.  Every
lane's encodings share one scale (a common multiple of the points' denominators), so the
constants are one value for all lanes.

Each entry is exactly the exponent of its own problem's germ run, and each lane records every
comparison its own run makes (a comparison of collapsed values in every lane still running).
It may record a few more: where the problems differ in which terms are identically zero (a
frozen layer in some lanes only), the batch keeps the term for all and compares it where a
single run would have skipped it, e.g. an entrywise optimizer's normalizer of a frozen layer.
An extra comparison only moves the lane's cell end closer (or marks it split): the verdict is
certified on a part of the cell of :func:`~widthlimits.theory.regions.line.germ_verdict`, never
on more, so the walk stays exact and at most takes more steps (tested against single runs).  A lane
stops recording at its first blown-up h, x or f exponent (its verdict is then *unstable*, as a
single run stops there); when half of the running lanes or more have stopped, the vectors drop
their entries and the run goes on with the others
(:meth:`~widthlimits.theory.regions.line_batch.BatchOps.compact`).  Earlier, the run restarted
with the running lanes alone, repeating the steps before the blow-up, and a stopped lane cost its
entries until then: at depth 100 (golikov-mf, SGD) restarting at one half took 2.29 s, at three
quarters 2.03 s, at seven eighths 1.98 s, never 1.92 s (but Adam 1.12-1.20 s, slowest with no
restart).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.activations import Activation
from widthlimits.theory.exponents import NEG_INF, is_pos_inf
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.regions.line import (
    GermOps,
    GermVerdict,
    X,
    blown_verdict,
    common_denominator,
    run_verdict,
)
from widthlimits.theory.regions.line_batch import (
    BatchOps,
    NoneRunning,
    VecLogic,
    columns_of,
    run_batch,
)
from widthlimits.theory.regions.properties import conditions


class BatchGermOps(BatchOps):
    """Germ arithmetic on per-problem vectors (module docstring)."""

    def __init__(self, columns: dict[sympy.Symbol, tuple[Any, ...]], lanes: list[GermOps],
                 updated: list[tuple[bool, ...]]) -> None:
        super().__init__(columns, lanes[0].M, len(lanes), updated)
        self.lanes = lanes  # the running lanes, one per entry (``index``: their problems)
        self.finite = lanes[0].x0 is not None
        self.half = lanes[0].half
        self.one = lanes[0].one
        self.blown_at: list[Any] = [None] * len(lanes)  # per problem

    def _compacted(self, keep: list[int]) -> None:
        self.lanes = [self.lanes[k] for k in keep]

    def _entry(self, i: int, v: Any) -> Any:
        if isinstance(v, sympy.Expr) and v == X:
            return -self.lanes[i].free
        if is_pos_inf(v):
            return NEG_INF
        return self.lanes[i].conv(-v)

    def conv(self, e: Any) -> Any:
        if isinstance(e, float):
            return NEG_INF if e < 0 else e
        if isinstance(e, sympy.Expr) and not e.is_number:
            if e in (X, -X):
                t = tuple(lane.free if e == X else -lane.free for lane in self.lanes)
                return self._collapse(t)
            if e.could_extract_minus_sign() and -e in self.columns:
                return self._collapse(tuple(self._entry(i, v)
                                            for i, v in enumerate(self.columns[-e])))
            raise ValueError(f"internal: exponent {e} is not +-x or -(a batch column)")
        return self.lanes[0].conv(e)

    # -- comparisons, recorded per lane
    def _may_change(self, d: int) -> bool:
        """Can the shared difference ``d`` of two collapsed values change sign in some cell?"""
        dp, ds = self.lanes[0].decode(d)
        if not self.finite:
            return bool(dp)
        return (dp > 0 > ds) or (dp < 0 < ds)

    def _record_all(self, best: Any, xs: Sequence[Any]) -> None:
        for x in xs:
            if x != best and x != NEG_INF and self._may_change(best - x):
                for lane, al in zip(self.lanes, self.alive, strict=True):
                    if al:
                        lane.sign_change(best, x)

    def _lanewise(self, pick: Any, xs: Sequence[Any], skip_ninf: bool) -> Any:
        xs = [self.fit(x) for x in xs]
        if len(xs) == 2:
            return self._lanewise2(pick is max, xs[0], xs[1], skip_ninf)
        out = []
        for i, vals in enumerate(zip(*_cols(xs, self.n), strict=True)):
            best = pick(vals)
            if self.alive[i] and best != NEG_INF:
                lane = self.lanes[i]
                for v in vals:
                    if v != best and not (skip_ninf and v == NEG_INF):
                        lane.sign_change(best, v)
            out.append(best)
        return self._collapse(tuple(out))

    def _lanewise2(self, is_max: bool, x: Any, y: Any, skip_ninf: bool) -> Any:
        """:meth:`_lanewise` of two values (the engine's usual case), the same records."""
        n, alive, lanes = self.n, self.alive, self.lanes
        out = []
        for i, u, v in zip(range(n), x if type(x) is tuple else (x,) * n,
                           y if type(y) is tuple else (y,) * n, strict=True):
            if u == v:
                out.append(u)
                continue
            best, other = (u, v) if (u > v) == is_max else (v, u)
            if alive[i] and best != NEG_INF and not (skip_ninf and other == NEG_INF):
                lanes[i].sign_change(best, other)
            out.append(best)
        return self._collapse(tuple(out))

    def _compare(self, pick: Any, xs: Sequence[Any], skip_ninf: bool) -> Any:
        if not any(type(x) is tuple for x in xs):
            best = pick(xs)
            if best != NEG_INF:
                self._record_all(best, xs)
            return best
        return self._lanewise(pick, xs, skip_ninf)

    def mx(self, *xs: Any) -> Any:
        if len(xs) < 2:
            return xs[0] if xs else NEG_INF
        return self._compare(max, xs, True)

    def mn(self, *xs: Any) -> Any:
        return xs[0] if len(xs) == 1 else self._compare(min, xs, False)

    def mean_gate(self, e: Any, q: Any) -> Any:
        """:meth:`GermOps.eq` ``(q, 0)`` per lane: the mean component ``e`` of an entrywise
        update's input is present iff ``q != 0``; a ``q`` that is not identically zero on the
        cell splits it where it crosses 0."""
        qs = self.fit(q) if type(q) is tuple else (q,) * self.n
        es = self.fit(e) if type(e) is tuple else (e,) * self.n
        out = []
        for i, (ee, qq) in enumerate(zip(es, qs, strict=True)):
            if qq == 0:
                out.append(NEG_INF)
                continue
            if self.alive[i] and ee != NEG_INF:  # a lane with no mean component: no gate
                lane = self.lanes[i]
                lane.split = True
                if qq != NEG_INF:
                    lane.sign_change(qq, 0)
            out.append(ee)
        return self._collapse(tuple(out))

    def blown(self, value: Any) -> None:
        """Stop the lanes whose h, x or f exponent ``value`` is positive beside their point;
        drop their entries when half of the running lanes or more have stopped."""
        vals = self.fit(value) if type(value) is tuple else (value,) * self.n
        for i, v in enumerate(vals):
            if self.alive[i] and v != NEG_INF and v > 0:
                self.lanes[i].sign_change(v)  # positive on the cell up to its zero
                self.blown_at[self.index[i]] = v
                self.alive[i] = False
        if 2 * sum(self.alive) <= self.n:
            self.compact()


def _cols(xs: Sequence[Any], n: int) -> list[Any]:
    return [x if type(x) is tuple else (x,) * n for x in xs]


class _GermVecLogic(VecLogic):
    """Sign conditions per lane, each recording the exponent's zero crossing in its lane."""

    def __init__(self, ops: BatchGermOps) -> None:
        super().__init__(ops)
        self.ops = ops

    def pos(self, e: Any) -> Any:
        ops = self.ops
        if type(e) is not tuple:
            if e == NEG_INF:
                return False
            ops._record_all(0, (e,))
            return e > 0
        out = []
        for i, v in enumerate(ops.fit(e)):
            if v == NEG_INF:
                out.append(False)
                continue
            if ops.alive[i]:
                ops.lanes[i].sign_change(v)
            out.append(v > 0)
        return tuple(out)


def germ_verdicts(problems: Sequence[Parametrization], x0s: Sequence[Fraction | None],
                  direction: int, optimizer: Optimizer, activation: Activation, loss: str,
                  D: int | None = None) -> list[GermVerdict]:
    """:func:`~widthlimits.theory.regions.line.germ_verdict` of each problem (equal ``a``, ``b``,
    ``d``, no infinite ``b``; the free symbol :data:`X` in ``c``) at its own point ``x0s[i]``
    in ``direction`` (all points finite and ``direction`` +-1, or all None and -1: the germs at
    :math:`-\\infty`), by one batched engine run (module docstring).  ``D``: a common multiple
    of the problems' :func:`~widthlimits.theory.regions.line.common_denominator` (computed if
    None; any multiple gives the same verdicts, only the encodings' scale differs)."""
    n = len(problems)
    if n == 0:
        return []
    first = problems[0]
    if any(p.a != first.a or p.b != first.b or p.d != first.d for p in problems):
        raise ValueError("internal: a batch shares a, b and d")
    finite = [x is not None for x in x0s]
    if not direction or (any(finite) and not all(finite)) or (not all(finite) and direction != -1):
        raise ValueError("internal: a germ batch is all finite points (direction +-1) or all "
                         "-infinity (direction -1)")
    if D is None:
        D = math.lcm(*(common_denominator(p) for p in problems))
    scale = D * math.lcm(1, *(x.denominator for x in x0s if x is not None))
    cache: dict = {}
    lanes = [GermOps(x, direction, D, cache, scale=scale) for x in x0s]
    columns, batch_c, updated = columns_of(first, [p.c for p in problems])
    ops = BatchGermOps(columns, lanes, updated)
    try:
        res = run_batch(first, batch_c, ops, optimizer, activation, loss)
    except NoneRunning:
        return [blown_verdict(lane, ops.blown_at[i]) for i, lane in enumerate(lanes)]
    lg = _GermVecLogic(ops)
    holds = lg.all([c.holds for c in conditions("stable", res.exponents, res.depth, res.steps,
                                                optimizer.entrywise, lg)])
    ran = {i: k for k, i in enumerate(ops.index) if ops.alive[k]}  # problem -> its entry
    return [run_verdict(lane, bool(holds[ran[i]])) if i in ran
            else blown_verdict(lane, ops.blown_at[i]) for i, lane in enumerate(lanes)]


__all__ = ["BatchGermOps", "germ_verdicts"]
