"""The cover: an exact partition of a box of free coordinates into convex pieces, each with a
constant verdict.

Method.  The reverse search of :mod:`widthlimits.theory.regions.partition` over the
engine's cells (:mod:`widthlimits.theory.regions.cell`): each region's exact rational point, its
cell, the piece region-and-cell, and the rest of the region pushed facet by facet.

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
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.callable_module import make_callable
from widthlimits.theory.classify import Classification
from widthlimits.theory.regions.cell import Cell, CellEngine, horizon_steps
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.partition import CellInterrupted, ProgressFn, partition
from widthlimits.theory.regions.polyhedra import (
    Constraint,
    box_constraints,
)
from widthlimits.theory.regions.properties import wanted

#: default box: every free coordinate in [-BOX, BOX]
BOX = Fraction(4)
#: visiting orders of the pending regions (:func:`cover`'s ``order``)
ORDERS = ("depth", "breadth")

#: a ``map``-like callable: ``mapper(function, iterable)`` -> iterable of results, in order
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


#: seconds past the deadline at which a cell still in the engine is abandoned (CellInterrupted:
#: the search ends as at the deadline, that cell's region pending).  The search stops between
#: cells at the deadline; one exact cell of a deep net takes seconds (depth 100: about 5 s), so
#: a cell started just before it may finish, a longer one is not waited for.
CELL_GRACE_SECONDS = 2.0


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

    def stopped(self) -> Cover:
        """What this part establishes if stopped from outside: :func:`stopped_part`."""
        return stopped_part(self)


def cover_part(task: CoverTask) -> Cover:
    """Cover ``task.region`` (a sub-box); the cells' affine exponents keep only their forms
    (what why-not reads; :meth:`CellEngine.cell`), so the result is small to send back."""
    return _cover_region(task.frame, get_activation(task.activation), task.loss, task.box,
                         list(task.region), task.steps, task.want, task.first_witness,
                         task.deadline, None, task.order)


def stopped_part(task: CoverTask) -> Cover:
    """What a part interrupted inside its first cells establishes: nothing -- an empty,
    incomplete cover of its region (a caller that stops a part's work from outside, e.g. at a
    time limit, returns this in its place)."""
    return Cover(task.frame, task.activation, task.loss, task.box, (), 0, 0, 0, 0.0,
                 horizon_steps(task.frame.depth, task.steps), (), False)


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


def cover_within(frame: CellFrame, activation: str | Activation, loss: str,
                 box: tuple[Fraction, Fraction], region: Sequence[Constraint], *,
                 steps: int | None = None, want: Sequence[str] | None = None,
                 first_witness: bool = False, time_limit: float | None = None) -> Cover:
    """:func:`cover` of the polyhedron ``region`` (inside ``box``) instead of the whole box, in
    this process: e.g. one piece of an answer at a longer horizon ``steps``
    (:mod:`widthlimits.theory.regions.later`)."""
    deadline = None if time_limit is None else time.time() + time_limit
    return _cover_region(frame, get_activation(activation), loss, box, list(region), steps,
                         None if want is None else tuple(want), first_witness, deadline, None)


def _cover_region(frame: CellFrame, act: Activation, loss: str, box: tuple[Fraction, Fraction],
                  region: list[Constraint], steps: int | None, want: tuple[str, ...] | None,
                  first_witness: bool, deadline: float | None,
                  progress: ProgressFn | None, order: str = "depth") -> Cover:
    """The serial cover of ``region`` (inside ``box``): the reverse search of
    :func:`widthlimits.theory.regions.partition.partition` over the engine's cells."""
    t0 = time.perf_counter()
    lo, hi = box
    eng = CellEngine(frame, act, loss, steps,
                     None if deadline is None else deadline + CELL_GRACE_SECONDS)
    if eng.d == 0:
        try:
            c = eng.cell(())
        except CellInterrupted:  # the one cell, unfinished at the deadline: nothing established
            return Cover(frame, act.name, loss, (lo, hi), (), 0, eng.runs, 0,
                         time.perf_counter() - t0, eng.T, (), False)
        if progress is not None:
            progress(1, 1.0, 0)
        return Cover(frame, act.name, loss, (lo, hi), (CoverPiece((), (), c.verdict),), 1,
                     eng.runs, 0, time.perf_counter() - t0, eng.T, (c,))
    wanted_at: dict[int, bool] = {}  # id(cell) -> every wanted property holds at its point

    def witness(cell: Cell) -> bool:  # an existence question: one such point answers it
        if cell.partial:
            return False
        hit = wanted_at.get(id(cell))
        if hit is None:
            hit = wanted_at[id(cell)] = wanted(cell.verdict, want)  # type: ignore[arg-type]
        return hit

    part = partition(region, eng.d, (lo, hi), lambda z: eng.cell(z, want),
                     stop=witness if first_witness and want is not None else None,
                     deadline=deadline, progress=progress, order=order)
    pieces = tuple(CoverPiece(cons, z, cell.verdict, cell.partial) for cons, z, cell in part.pieces)
    return Cover(frame, act.name, loss, (lo, hi), pieces, len(part.cells), eng.runs,
                 part.lp_calls, time.perf_counter() - t0, eng.T, tuple(part.cells), part.complete)


__all__ = ["BOX", "CELL_GRACE_SECONDS", "ORDERS", "Cover", "CoverPiece", "CoverTask", "Mapper",
           "ProgressFn", "cover", "cover_part", "cover_within", "split_box", "stopped_part"]

# the package exports `cover`, the name of this module too: calling the module calls it
make_callable(__name__, cover)
