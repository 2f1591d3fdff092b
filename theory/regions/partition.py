"""Reverse search: an exact partition of a region into convex pieces, one cell at a time.

Method.  Take a region :math:`R` (a polyhedron: the box :math:`[lo, hi]^k` or a part of it), an
exact rational point :math:`z` of it (:func:`widthlimits.theory.regions.polyhedra.find_point`)
and its cell :math:`C` (any convex polyhedron around :math:`z` on which the caller's answer is
constant: the width engine's cells, :mod:`widthlimits.theory.regions.cell`, or the residual
model's, :mod:`widthlimits.theory.depth.query`).  Report :math:`R \\cap C` and push the rest

.. math:: R \\setminus C = \\bigcup_j R \\cap c_1 \\cap \\dots \\cap c_{j-1} \\cap \\neg c_j

(the complement of a constraint :math:`c_j` of :math:`C` is one or two strict inequalities;
empty parts are pruned exactly: most parts are empty, because :math:`c_j` is implied by
:math:`R` and the earlier :math:`c_i`, and :func:`~widthlimits.theory.regions.polyhedra.nonempty_with`
decides that by LPs on a few of the rows, Clarkson-style; a non-empty part gets its point from
the LP on all of its rows).  This is a reverse search across each facet of the current cell,
done so that the pieces are disjoint and their union is exactly the region, whatever the
cells' shapes.  A point of a pushed region that lies in a cell already computed reuses it.

Budgets.  ``deadline`` (a ``time.time()`` value) stops the work: the pieces found so far are
exact, and the partition says it is not complete.  The search stops between cells; a cell that
is still being computed at the deadline may raise :class:`CellInterrupted` (one exact cell of a
deep net takes seconds), which ends the search the same way, the interrupted cell's region
still pending.  ``progress(cells, covered, pending)`` is
called at most every ``PROGRESS_INTERVAL`` seconds: cells computed so far, the fraction of the
box's volume covered (estimated from fixed sample points: the share not inside any pending
region) and the number of regions still pending.

One loop for every caller: the width engine's cover (:func:`widthlimits.theory.regions.cover.cover`)
and the residual model's query (:func:`widthlimits.theory.depth.query.depth_cover`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, Protocol, TypeVar

from widthlimits.theory.regions.polyhedra import (
    Constraint,
    Cuts,
    TightSet,
    find_point,
    negate,
    nonempty_with,
    satisfies,
)

#: sample points of the progress estimate
PROGRESS_SAMPLES = 256
#: seconds between two progress calls
PROGRESS_INTERVAL = 1.0

#: ``progress(cells_computed, fraction_of_box_volume_covered, regions_pending)``
ProgressFn = Callable[[int, float, int], None]


class CellLike(Protocol):
    """What the reverse search reads of a cell: its constraints (a convex polyhedron)."""

    @property
    def constraints(self) -> Sequence[Constraint]: ...


C = TypeVar("C", bound=CellLike)


class _QuickTest:
    """Cheap sufficient tests of emptiness (no LP), incremental: a constraint against the box,
    or against an opposite parallel constraint already added (``l.z + k rel 0`` and
    ``-l.z + k' rel' 0`` with ``k + k' > 0``, or ``= 0`` with a strict one)."""

    def __init__(self, lo: Fraction, hi: Fraction, cons: Sequence[Constraint] = ()) -> None:
        self.lo, self.hi = lo, hi
        self.best: dict[tuple, tuple[Fraction, bool]] = {}
        for c in cons:
            self.add(c)

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


def _samples(d: int, lo: Fraction, hi: Fraction) -> list[tuple[tuple[int, ...], int]]:
    """Fixed pseudo-random rational points of the box (denominator 997), scaled to integers."""
    rng = random.Random(12)
    q = 997
    return [(tuple(int(lo * q) + rng.randrange(int((hi - lo) * q) + 1) for _ in range(d)), q)
            for _ in range(PROGRESS_SAMPLES)]


def _in_region(zs: Sequence[int], dz: int, region: Sequence[Constraint]) -> bool:
    return satisfies([Fraction(z, dz) for z in zs], region)


class _Route:
    """Which route the cover's emptiness tests take: constraint generation
    (:func:`~widthlimits.theory.regions.polyhedra.nonempty_with`) or one LP on all rows.  The
    answers are the same, so the choice changes only the time; the costs differ by question
    (docs/queries.md: with 7 coordinates and 3% of the parts non-empty, constraint generation
    takes half the time; with 9 coordinates and 19% non-empty, a quarter more).  So the cover
    measures: a running mean of the CPU time of one test by each route, the cheaper route
    taken, the other every ``PROBE``-th test so that both means follow the question."""

    PROBE = 8
    ALPHA = 1 / 8

    def __init__(self) -> None:
        self.mean = {True: 0.0, False: 0.0}  # by "constraint generation?"; both tried first
        self.tests = 0
        self.cuts = True

    def use_cuts(self) -> bool:
        self.tests += 1
        best = self.mean[True] <= self.mean[False]
        self.cuts = (not best) if self.tests % self.PROBE == 0 else best
        return self.cuts

    def record(self, seconds: float) -> None:
        m, k = self.mean, self.cuts
        m[k] = seconds if m[k] == 0.0 else m[k] + self.ALPHA * (seconds - m[k])


def scaled(z: Sequence[Fraction]) -> tuple[tuple[int, ...], int]:
    """``z`` as integers over a common denominator: ``(z * dz, dz)``."""
    dz = math.lcm(1, *(x.denominator for x in z))
    return tuple(int(x * dz) for x in z), dz


class _Membership:
    """``z in cell`` for the cells found so far, on integers (the reuse test of the search):
    each constraint scaled once to integer coefficients, the point over a common denominator."""

    def __init__(self) -> None:
        self.rows: list[list[tuple[tuple[int, ...], int, str]]] = []

    def add(self, cell: CellLike) -> None:
        rows = []
        for f, r in cell.constraints:
            m = math.lcm(*(x.denominator for x in f))
            rows.append((tuple(int(x * m) for x in f[:-1]), int(f[-1] * m), r))
        self.rows.append(rows)

    def find(self, z: Sequence[Fraction]) -> int | None:
        """The index of the latest cell holding ``z`` (None: none does)."""
        zs, dz = scaled(z)
        for i in range(len(self.rows) - 1, -1, -1):
            for lin, k0, r in self.rows[i]:
                v = k0 * dz
                for k, x in zip(lin, zs, strict=True):
                    v += k * x
                if (v > 0) if r == "<=" else (v >= 0) if r == "<" else (v != 0):
                    break
            else:
                return i
        return None


class CellInterrupted(Exception):
    """Raised by a ``cell_at`` of :func:`partition` that stopped at the deadline inside a cell."""


@dataclass
class Partition(Generic[C]):
    """The pieces ``(constraints, point, cell)`` found (disjoint; their union is the region
    when ``complete``), the cells computed, the exact LPs solved, and whether the search ran to
    the end (False: ``stop`` or the deadline ended it with regions still pending)."""

    pieces: list[tuple[tuple[Constraint, ...], tuple[Fraction, ...], C]]
    cells: list[C]
    lp_calls: int
    complete: bool


def partition(region: Sequence[Constraint], d: int, box: tuple[Fraction, Fraction],
              cell_at: Callable[[list[Fraction]], C], *,
              stop: Callable[[C], bool] | None = None, deadline: float | None = None,
              progress: ProgressFn | None = None, order: str = "depth") -> Partition[C]:
    """Partition ``region`` (inside the box ``[lo, hi]^d``, ``d >= 1``) by reverse search over
    the cells ``cell_at(z)`` (module docstring).

    ``stop(cell)``: called on each piece's cell; True ends the search (an existence question
    answered).  ``order``: the pending region visited next is the last found (``"depth"``) or the
    first found (``"breadth"``); the same partition of the region either way when complete."""
    lo, hi = box
    lp = [0]

    def fp(cons: list[Constraint]) -> list[Fraction] | None:
        lp[0] += 1
        return find_point(cons, d)

    cells: list[C] = []
    member = _Membership()
    pieces: list[tuple[tuple[Constraint, ...], tuple[Fraction, ...], C]] = []
    route = _Route()
    complete = True
    region = list(region)
    start = fp(region)
    work: list[tuple[list[Constraint], list[Fraction]]] = [] if start is None else [(region, start)]
    samples = _samples(d, lo, hi) if progress is not None else []
    samples = [s for s in samples if _in_region(*s, region)]
    n_samples = len(samples)
    last = time.perf_counter()
    while work:
        R, z = work.pop(0 if order == "breadth" else -1)
        k = member.find(z)
        if k is None:
            try:
                cell = cell_at(z)
            except CellInterrupted:
                work.append((R, z))
                complete = False
                break
            cells.append(cell)
            member.add(cell)
        else:
            cell = cells[k]
        pieces.append((tuple(R) + tuple(cell.constraints), tuple(z), cell))
        if stop is not None and stop(cell):
            break
        if deadline is not None and time.time() > deadline:
            complete = False
            break
        quick = _QuickTest(lo, hi, R)  # R inter prefix, for cheap emptiness tests
        tight = TightSet(R)  # R inter prefix, deduplicated
        cuts = Cuts()  # constraints containing R inter prefix (nonempty_with)
        for c in cell.constraints:
            # R inter prefix inter (not c)
            feasible_any = False
            for alt in negate(c):
                if quick.empty_with(alt):
                    continue
                # most of these parts are empty (c is implied by R and the prefix): decided by
                # LPs on a few of the rows (nonempty_with) while that is the cheaper route
                # (_Route); the point of a non-empty part is the LP's on all of them either
                # way, so the partition does not depend on the route
                t_test = time.process_time()
                if route.use_cuts():
                    nonempty, n_lps = nonempty_with(tight.constraints(), alt, d, cuts)
                    lp[0] += n_lps
                    if not nonempty:
                        route.record(time.process_time() - t_test)
                        continue
                sub = tight.with_(alt)
                pt = fp(sub)
                route.record(time.process_time() - t_test)
                if pt is not None:
                    feasible_any = True
                    work.append((sub, pt))
            if feasible_any:
                quick.add(c)
                tight.add(c)
        if progress is not None and time.perf_counter() - last >= PROGRESS_INTERVAL:
            last = time.perf_counter()
            # a sample is covered iff no pending region holds it (pieces and pending regions
            # partition the region); once covered it stays covered
            samples = [s for s in samples if any(_in_region(*s, w[0]) for w in work)]
            progress(len(cells), 1 - len(samples) / n_samples if n_samples else 0.0, len(work))
    done = complete and not work
    if progress is not None:
        progress(len(cells), 1.0 if done else
                 1 - sum(any(_in_region(*s, w[0]) for w in work) for s in samples) / max(n_samples, 1),
                 len(work))
    return Partition(pieces, cells, lp[0], done)


__all__ = ["PROGRESS_INTERVAL", "PROGRESS_SAMPLES", "CellInterrupted", "CellLike", "Partition", "ProgressFn",
           "partition", "scaled"]
