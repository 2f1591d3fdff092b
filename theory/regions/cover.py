"""The cover: an exact partition of a box of free coordinates into convex pieces, each with a
constant verdict.

Method.  Take a region :math:`R` (initially the box :math:`[lo, hi]^k`), an exact rational point
:math:`z` of it (:func:`widthlimits.theory.regions.polyhedra.find_point`) and its cell :math:`C`
(:mod:`widthlimits.theory.regions.cell`).  Report :math:`R \\cap C` with the cell's verdict and
push the rest

.. math:: R \\setminus C = \\bigcup_j R \\cap c_1 \\cap \\dots \\cap c_{j-1} \\cap \\neg c_j

(the complement of a constraint :math:`c_j` of :math:`C` is one or two strict inequalities;
empty parts are pruned exactly: most parts are empty, because :math:`c_j` is implied by
:math:`R` and the earlier :math:`c_i`, and :func:`~widthlimits.theory.regions.polyhedra.nonempty_with`
decides that by LPs on a few of the rows, Clarkson-style; a non-empty part gets its point from
the LP on all of its rows).  This is a reverse search across each facet of the
current cell, done so that the pieces are disjoint and their union is exactly the box, whatever
the cells' shapes.  A point of a pushed region that lies in a cell already computed reuses it.

Independence.  Once the box is split into disjoint sub-boxes (half-open along the split
coordinates: :func:`split_box`), their covers are independent; their union is a partition of the
box with the same verdict at every point (the verdict at a point does not depend on the cover).
:func:`cover` runs the parts through any ``map``-like callable (``builtins.map``,
``Executor.map`` of a process pool, ...): theory stays free of executors.

Budgets.  ``time_limit`` stops the work: the pieces found so far are exact, the answer is marked
``complete=False``.  ``progress(cells, covered)`` is called as work proceeds: cells certified so
far and the fraction of the box covered (serial: estimated from fixed sample points, the share
not inside any pending region; parts: the exact share of finished sub-boxes) and the number of
regions still pending.  The volume is covered long before the end: lower-dimensional pieces
(on the hyperplanes where exponents tie) hold no volume and much of the work.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.classify import Classification
from widthlimits.theory.regions.affine import AffineValue
from widthlimits.theory.regions.cell import Cell, CellEngine, scaled
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.polyhedra import (
    Constraint,
    Cuts,
    TightSet,
    box_constraints,
    find_point,
    negate,
    nonempty_with,
    satisfies,
)
from widthlimits.theory.regions.properties import wanted

#: default box: every free coordinate in [-BOX, BOX]
BOX = Fraction(4)
#: visiting orders of the pending regions (:func:`cover`'s ``order``)
ORDERS = ("depth", "breadth")
#: sample points of the serial cover's progress estimate
PROGRESS_SAMPLES = 256
#: seconds between two progress calls of the serial cover
PROGRESS_INTERVAL = 1.0

#: a ``map``-like callable: ``mapper(function, iterable)`` -> iterable of results, in order
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]
#: ``progress(cells_certified, fraction_of_box_volume_covered, regions_pending)``
ProgressFn = Callable[[int, float, int], None]


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


@dataclass(frozen=True)
class CoverPiece:
    """One piece of the partition of the box: a convex polyhedron with a constant verdict
    (the :class:`~widthlimits.theory.classify.Classification` at ``point``; when ``partial``, only
    the failure of a wanted property is certified on the piece)."""

    constraints: tuple[Constraint, ...]
    point: tuple[Fraction, ...]
    verdict: Classification
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
    #: exact LPs solved (the small ones of the emptiness tests included)
    lp_calls: int
    seconds: float
    horizon: int
    cell_list: tuple[Cell, ...] = field(repr=False, default=())
    #: False when stopped early (first witness found, or the time limit passed): the pieces do
    #: not cover the box
    complete: bool = True
    #: the number of sub-boxes covered independently (1: one serial cover)
    parts: int = 1


def split_box(d: int, lo: Fraction, hi: Fraction, parts: int) -> list[list[Constraint]]:
    """At least ``parts`` disjoint sub-boxes whose union is ``[lo, hi]^d``: coordinates are
    halved in turn (``z_i <= mid`` and ``z_i > mid``) until there are enough (at most
    ``2^(3d)``)."""
    bounds = [[(lo, hi)] for _ in range(d)]
    k = 0
    while d and math.prod(len(b) for b in bounds) < parts and k < 3 * d:
        i = k % d
        bounds[i] = [h for a, b in bounds[i] for h in ((a, (a + b) / 2), ((a + b) / 2, b))]
        k += 1
    out = []
    for cell in itertools.product(*bounds):
        cs = box_constraints(d, lo, hi)
        for i, (a, b) in enumerate(cell):
            e = [Fraction(0)] * (d + 1)
            e[i] = Fraction(1)
            lin = tuple(e[:-1])
            if b < hi:
                cs.append((lin + (-b,), "<="))  # z_i <= b
            if a > lo:
                cs.append((tuple(-x for x in lin) + (a,), "<"))  # z_i > a
        out.append(cs)
    return out


@dataclass(frozen=True)
class CoverTask:
    """One independent part of a cover (picklable: sent to worker processes)."""

    frame: CellFrame
    activation: str
    loss: str
    box: tuple[Fraction, Fraction]
    region: tuple[Constraint, ...]
    steps: int | None
    want: tuple[str, ...] | None
    first_witness: bool
    deadline: float | None  # wall clock (time.time())
    order: str = "depth"


def cover_part(task: CoverTask) -> Cover:
    """Cover ``task.region`` (a sub-box); the cells' affine exponents keep only their forms
    (what why-not reads), so the result is small to send back."""
    cv = _cover_region(task.frame, get_activation(task.activation), task.loss, task.box,
                       list(task.region), task.steps, task.want, task.first_witness,
                       task.deadline, None, task.order)
    cells = tuple(replace(c, exponents={k: AffineValue(e.f, e.v, None, e.lo, e.hi)  # type: ignore[arg-type]
                                        if isinstance(e, AffineValue) else e
                                        for k, e in c.exponents.items()})
                  for c in cv.cell_list)
    return replace(cv, cell_list=cells)


def cover(frame: CellFrame, activation: str | Activation = "tanh", loss: str = "mse", *,
          box: tuple[Any, Any] = (-BOX, BOX), steps: int | None = None,
          want: Sequence[str] | None = None, first_witness: bool = False, order: str = "depth",
          time_limit: float | None = None, parts: int = 1, mapper: Mapper | None = None,
          progress: ProgressFn | None = None) -> Cover:
    """Partition the box ``[lo, hi]^k`` of the free coordinates into convex pieces with constant
    verdicts (see the module docstring).

    With ``want``, pieces lacking a wanted property only certify that
    (``CoverPiece.partial``; their verdict is the one at their point); ``first_witness`` stops at
    the first piece with every wanted property.  ``parts > 1`` splits the box into at least
    ``parts`` sub-boxes covered independently, through ``mapper`` (default ``builtins.map``).
    ``time_limit`` (seconds) stops the work with ``complete=False``; ``progress(cells, covered)``
    reports the work done.  ``order``: which pending region is visited next, the last found
    (``"depth"``, default: few regions pending, reaches thin sets such as RMSProp's mean-field
    line quickly) or the first found (``"breadth"``: reaches the box's large regions sooner);
    the same set either way, the number of cells before a witness differs (docs/queries.md)."""
    t0 = time.perf_counter()
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    lo, hi = Fraction(box[0]), Fraction(box[1])
    if not lo < hi:
        raise ValueError(f"box needs lo < hi, got [{lo}, {hi}]")
    if parts < 1:
        raise ValueError(f"parts must be >= 1, got {parts}")
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; choose 'depth' or 'breadth'")
    deadline = None if time_limit is None else time.time() + time_limit
    want_t = None if want is None else tuple(want)
    d = len(frame.variables)
    if parts == 1 or d == 0:
        return _cover_region(frame, act, loss, (lo, hi), box_constraints(d, lo, hi), steps,
                             want_t, first_witness, deadline, progress, order)
    regions = split_box(d, lo, hi, parts)
    tasks = [CoverTask(frame, act.name, loss, (lo, hi), tuple(r), steps, want_t, first_witness,
                       deadline, order) for r in regions]
    results: list[Cover] = []
    cells = 0
    for cv in (mapper or map)(cover_part, tasks):
        results.append(cv)
        cells += cv.cells
        if progress is not None:
            progress(cells, sum(c.complete for c in results) / len(tasks),
                     len(tasks) - len(results))
        if first_witness and want_t is not None and any(
                not pc.partial and wanted(pc.verdict, want_t) for pc in cv.pieces):
            break
    pieces = tuple(pc for cv in results for pc in cv.pieces)
    complete = len(results) == len(tasks) and all(cv.complete for cv in results)
    return Cover(frame, act.name, loss, (lo, hi), pieces, cells,
                 sum(cv.engine_runs for cv in results), sum(cv.lp_calls for cv in results),
                 time.perf_counter() - t0, results[0].horizon if results else 0,
                 tuple(c for cv in results for c in cv.cell_list), complete, len(tasks))


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


def _cover_region(frame: CellFrame, act: Activation, loss: str, box: tuple[Fraction, Fraction],
                  region: list[Constraint], steps: int | None, want: tuple[str, ...] | None,
                  first_witness: bool, deadline: float | None,
                  progress: ProgressFn | None, order: str = "depth") -> Cover:
    """The serial cover of ``region`` (inside ``box``), visiting the pending regions last
    found first (``order="depth"``) or first found first (``"breadth"``)."""
    t0 = time.perf_counter()
    lo, hi = box
    eng = CellEngine(frame, act, loss, steps)
    d = eng.d
    lp = [0]

    def fp(cons: list[Constraint]) -> list[Fraction] | None:
        lp[0] += 1
        return find_point(cons, d)

    cells: list[Cell] = []
    pieces: list[CoverPiece] = []
    if d == 0:
        c = eng.cell(())
        pieces.append(CoverPiece((), (), c.verdict))
        if progress is not None:
            progress(1, 1.0, 0)
        return Cover(frame, act.name, loss, (lo, hi), tuple(pieces), 1, eng.runs, 0,
                     time.perf_counter() - t0, eng.T, (c,))
    wanted_at: dict[int, bool] = {}  # id(cell) -> every wanted property holds at its point
    route = _Route()
    complete = True
    start = fp(region)
    work: list[tuple[list[Constraint], list[Fraction]]] = [] if start is None else [(region, start)]
    samples = _samples(d, lo, hi) if progress is not None else []
    samples = [s for s in samples if _in_region(*s, region)]
    n_samples = len(samples)
    last = time.perf_counter()
    while work:
        R, z = work.pop(0 if order == "breadth" else -1)
        zs, dz = scaled(z)
        cell = next((c for c in reversed(cells) if c.contains_scaled(zs, dz)), None)
        if cell is None:
            cell = eng.cell(z, want)
            cells.append(cell)
        pieces.append(CoverPiece(tuple(R) + cell.constraints, tuple(z), cell.verdict, cell.partial))
        if first_witness and want is not None and not cell.partial:
            hit = wanted_at.get(id(cell))
            if hit is None:
                hit = wanted_at[id(cell)] = wanted(cell.verdict, want)
            if hit:
                break  # an existence question: one point with every wanted property answers it
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
                # way, so the cover does not depend on the route
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
    return Cover(frame, act.name, loss, (lo, hi), tuple(pieces), len(cells), eng.runs, lp[0],
                 time.perf_counter() - t0, eng.T, tuple(cells), done)


__all__ = ["BOX", "ORDERS", "Cover", "CoverPiece", "CoverTask", "Mapper", "ProgressFn", "cover", "cover_part",
           "split_box"]
