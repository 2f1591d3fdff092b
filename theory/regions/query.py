"""Queries: the exact set of free exponents (in a box) whose limit has the wanted properties,
as a union of convex rational polyhedra.

The answer is read off the cover (:mod:`widthlimits.theory.regions.cover`): the pieces whose
verdict has every wanted property (definitions: :mod:`widthlimits.theory.regions.properties`,
TP4, Yang & Hu 2021, arXiv:2011.14522, Sec. 3; TP IVb, Yang & Littwin 2023, arXiv:2308.01814,
Sec. 2.8; Golikov 2020, arXiv:2003.05884, Sec. 4).  Pieces with the same verdict are simplified
(redundant constraints dropped by the exact LP) and merged where their union is convex
(:func:`~widthlimits.theory.regions.merge.merge_convex`), then described by their vertices.
Regions are reported modulo the width symmetry (TP4 Eq. 5; TP IVb Prop. 2.2.3) in the frame of
:mod:`widthlimits.theory.regions.frame`.  The presets lying in the frame are tested one cell
each (``named_points``).  An empty answer comes with a why-not
(:mod:`widthlimits.theory.regions.why_not`) and the minimal conflicting wanted properties (a
deletion filter over the verdicts of a full cover).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.callable_module import make_callable
from widthlimits.theory.classify import LOOK_AHEAD, Classification, classify
from widthlimits.theory.closed_forms import faithful_d
from widthlimits.theory.frames import constraint_text
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.presets import NAMED_POINTS, preset
from widthlimits.theory.regions.cell import (
    CellEngine,
    PieceStationarity,
    verdict_key,
    verdict_label,
)
from widthlimits.theory.regions.cover import BOX, Mapper, ProgressFn, cover
from widthlimits.theory.regions.frame import MAX_FREE, CellFrame, region_frame
from widthlimits.theory.regions.later import (
    CONTINUE_SECONDS,
    CONTINUE_TOTAL_SECONDS,
    Later,
    continue_piece,
)
from widthlimits.theory.regions.linalg import rank
from widthlimits.theory.regions.merge import merge_convex_until
from widthlimits.theory.regions.polyhedra import (
    Constraint,
    find_point,
    satisfies,
    simplify,
    tightest,
    vertices_and_rays,
)
from widthlimits.theory.regions.properties import contradiction, minimal_conflict, parse_want, wanted
from widthlimits.theory.regions.why_not import Conflict, why_not


@dataclass(frozen=True)
class RegionPiece:
    """One convex piece of a query's answer (closure described by its vertices; in the box there
    are no rays).  ``verdict`` is the classification at one point of the piece (its
    ``parametrization``); the fields of :func:`~widthlimits.theory.regions.cell.verdict_key` are
    the same on the whole piece.

    ``all_steps``: the verdict holds at every step on the whole piece (unstable, or the
    exponents stationary there within the horizon).  False: a stable verdict over steps
    ``0..T`` whose exponents still move at step ``T`` (the horizon of ``stats``); a later
    step may blow up (``classify`` at a point continues its run).  Pieces that differ in it
    are not merged.  ``later``: for such a piece, what it does up to ``LOOK_AHEAD * T`` steps,
    certified on the whole piece (:func:`~widthlimits.theory.regions.later.continue_piece`;
    None when all steps hold, or past the time limit)."""

    constraints: tuple[Constraint, ...]
    point: tuple[Fraction, ...]
    variables: tuple[str, ...]
    verdict: Classification
    vertices: tuple[tuple[Fraction, ...], ...] | None = None
    all_steps: bool = True
    later: Later | None = None
    #: False for a piece given as the cover found it (time limit): implicit equalities possible
    simplified: bool = True

    def contains(self, z: Sequence[Fraction]) -> bool:
        return satisfies(z, self.constraints)

    @functools.cached_property
    def dimension(self) -> int:
        """The dimension of the piece: ``d`` minus the rank of its equalities, the implicit ones
        too (a non-strict inequality that cannot hold strictly on the piece, e.g. ``c1 <= -3``
        beside ``c1 >= -3`` in a piece given as the cover found it; one LP each; a simplified
        piece has them explicit already)."""
        d = len(self.variables)
        eqs = [f[:-1] for f, r in self.constraints if r == "=="]
        for c in () if self.simplified else self.constraints:
            if c[1] == "<=" and rank(eqs + [c[0][:-1]]) > rank(eqs) and \
                    find_point(list(self.constraints) + [(c[0], "<")], d) is None:
                eqs.append(c[0][:-1])
        return d - rank(eqs)

    def to_json(self) -> dict[str, Any]:
        def pt(v: Sequence[Fraction]) -> dict[str, str]:
            return {n: str(x) for n, x in zip(self.variables, v, strict=True)}

        txt = [constraint_text(c, self.variables) for c in self.constraints]
        return {
            "equalities": [t for t, c in zip(txt, self.constraints, strict=True) if c[1] == "=="],
            "inequalities": [t for t, c in zip(txt, self.constraints, strict=True) if c[1] != "=="],
            "vertices": None if self.vertices is None else [pt(v) for v in self.vertices],
            "rays": [],
            # a piece as the cover found it (time limit) may hide equalities: its dimension is
            # one LP per inequality, which the limit does not leave time for (null)
            "dimension": self.dimension if self.simplified else None,
            "point": pt(self.point),
            "verdict": verdict_label(self.verdict),
            "all_steps": self.all_steps,
            "later": None if self.later is None else self.later.to_json(self.variables),
        }


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
            f"</td><td>{html.escape(r['verdict'])}"
            f"{'' if r['all_steps'] else ' (steps 0..' + str(out['stats']['horizon_steps']) + ' only)'}"
            "</td></tr>"
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
            "coords": fr.coords,
            "want": list(self.want),
            "fixed": fr.fixed_values(),
            "variables": list(fr.variables),
            "shared_hidden": fr.shared_hidden,
            "box": [str(self.box[0]), str(self.box[1])],
            # null while undecided: a stopped cover that found no piece has not shown emptiness
            "empty": self.empty if self.complete or self.pieces else None,
            "regions": [p.to_json() for p in self.pieces],
            "named_points": list(self.named_points),
            "why_not": [c.to_json() for c in self.why_not],
            "conflicting_properties": list(self.conflicting_properties),
            "stats": self.stats,
            "notes": list(self.notes),
            "complete": self.complete,
        }


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
    parts: int = 1,
    mapper: Mapper | None = None,
    progress: ProgressFn | None = None,
    writing: Callable[[int, int], None] | None = None,
    coords: str = "abc",
    merging: Callable[[int, int, int], None] | None = None,
    later: bool = False,
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
    parts, mapper
        Split the box into at least ``parts`` sub-boxes covered independently through the
        ``map``-like ``mapper`` (e.g. an executor's ``map``); the answer is the same set.  With
        a mapper the answer's pieces are simplified through it too (:func:`simplify_part`), in
        order; the same pieces as simplified in this process.
    progress : callable, optional
        ``progress(cells_certified, fraction_of_box_volume_covered, regions_pending)`` during
        the cover.
    writing : callable, optional
        ``writing(pieces_done, pieces)`` while the answer's pieces are simplified (after the
        cover; the time limit bounds this stage too).
    merging : callable, optional
        ``merging(pieces_left, pieces_before, pairs_tested)`` while the pieces of one verdict
        are merged into convex unions (after the simplification; within the time limit too).
    later : bool
        For each piece still moving at the horizon, its fate up to ``LOOK_AHEAD * T`` steps,
        certified on the whole piece (``RegionPiece.later``,
        :func:`~widthlimits.theory.regions.later.continue_piece`), within
        ``CONTINUE_SECONDS`` per piece, ``CONTINUE_TOTAL_SECONDS`` in all and the time limit.
        Off by default: on the degenerate part of the space there can be dozens of such pieces
        (49 of 88 in Golikov's depth-2 stable set, 25 s).
    coords : {"abc", "golikov"}
        The free coordinates: exponents per layer (default), or Golikov's exponents
        ``q_sigma, q_w, q_v, q_a`` (:mod:`~widthlimits.theory.regions.golikov_frame`), with
        ``fix`` then mapping some of those names to single values.

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
    frame = region_frame(depth, optimizer, coords=coords, gauge=gauge, fix=fix,
                         shared_hidden=shared_hidden, max_free=max_free)
    wants = parse_want(want, frame.depth)
    clash = contradiction(wants)
    if clash is not None:  # empty by the wanted properties alone
        lo, hi = Fraction(box[0]), Fraction(box[1])
        return QueryResult(frame, wants, get_activation(activation).name, loss, (lo, hi), (), (),
                           (), {"cells": 0, "cover_pieces": 0, "parts": 1, "seconds":
                                round(time.perf_counter() - t0, 3)},
                           (f"{clash[0]} and {clash[1]} cannot hold together: empty without "
                            "computing any exponent",), clash, True)
    cv = cover(frame, activation, loss, box=box, want=wants, time_limit=time_limit, parts=parts,
               mapper=mapper, progress=progress)
    d = len(frame.variables)
    lp0 = cv.lp_calls
    pieces: list[RegionPiece] = []
    memo: dict[int, bool] = {}

    def ok(v: Classification, ws: Sequence[str]) -> bool:
        k = id(v)
        if k not in memo:
            memo[k] = wanted(v, ws)
        return memo[k]

    found = [pc for pc in cv.pieces if ok(pc.verdict, wants)]
    # writing the pieces (simplify, merge, vertices: LPs per piece and per pair) keeps to the
    # time limit too: past it, the cover's pieces are given as found (exact, with the point the
    # cover found in each), not simplified or merged, and the stats say how many
    deadline = None if time_limit is None else t0 + time_limit

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    raw = 0
    merge_stopped = False
    # by verdict and by whether it holds at every step (RegionPiece.all_steps)
    groups: dict[tuple, tuple[Classification, list[tuple[list[Constraint], Any]]]] = {}
    stationary = PieceStationarity(frame, get_activation(activation), loss, cv.horizon)

    def all_steps(v: Classification, cs: Sequence[Constraint] | None, point: Any) -> bool:
        """On a simplified piece (equalities explicit); past the time limit, or on a piece as
        the cover found it, only the cell's own run counts (no more runs)."""
        return v.all_steps or (cs is not None and bool(d) and not late()
                               and stationary(v, cs, point))

    # with parts and a mapper (worker processes) the pieces are simplified there too, in order
    done = None
    if mapper is not None and parts > 1 and d and found and not late():
        wall = None if deadline is None else time.time() + (deadline - time.perf_counter())
        done = iter(mapper(simplify_part, [SimplifyTask(tuple(pc.constraints), d, wall)
                                           for pc in found]))
    for k, pc in enumerate(found):
        if writing is not None:
            writing(k, len(found))
        cs = (next(done) if done is not None else
              simplify(pc.constraints, d) if d and not late() else None)
        if cs is not None:
            entry: tuple[list[Constraint], Any] = (cs, None)
        else:
            entry = (tightest(pc.constraints), pc.point)
            raw += bool(d)
        key = (verdict_key(pc.verdict), all_steps(pc.verdict, cs, pc.point))
        groups.setdefault(key, (pc.verdict, []))[1].append(entry)
    continue_until = time.perf_counter() + CONTINUE_TOTAL_SECONDS
    for (_, settled), (verdict, entries) in groups.items():
        if describe and d and len(entries) > 1 and not late():
            kept = [e for e in entries if e[1] is not None]  # as found: not merged
            todo = [e[0] for e in entries if e[1] is None]
            css, finished = merge_convex_until(
                todo, d, deadline, None if merging is None else
                functools.partial(_merge_report, merging, len(todo)))
            merge_stopped |= not finished
            entries = [(cs, None) for cs in css] + kept  # same verdict, convex union: one piece
        for cs_list, found_point in entries:
            cs = tuple(cs_list)
            point = found_point if found_point is not None else (
                find_point(list(cs), d) if d else [])
            verts = None
            if describe and d and not late():
                vr = vertices_and_rays(cs, d)
                if vr is not None:
                    verts = tuple(tuple(v) for v in vr[0])
            fate = None
            if later and not settled and not late():  # what its points do after the horizon
                budget = min(CONTINUE_SECONDS, max(0.0, continue_until - time.perf_counter()),
                             math.inf if deadline is None else deadline - time.perf_counter())
                fate = (continue_piece(frame, activation, loss, cv.box, cs,
                                       LOOK_AHEAD * cv.horizon, budget) if budget > 0 else
                        Later(LOOK_AHEAD * cv.horizon, None))
            pieces.append(RegionPiece(cs, tuple(point or ()), frame.variables, verdict, verts,
                                      settled, fate, found_point is None))
    if writing is not None:
        writing(len(found), len(found))
    named = tuple(n for n in named_points_in(frame, wants, activation, loss))
    conflicts: tuple[Conflict, ...] = ()
    props: tuple[str, ...] = ()
    filter_skipped = False
    if not pieces and explain and cv.complete:
        conflicts = why_not(cv, wants)
        # deletion filter over the wanted properties (on the verdicts of a full cover: no LP);
        # that cover keeps to what is left of the time limit, and without it complete there is
        # no filter (a partial cover could call properties conflicting that are not)
        left = None if deadline is None else deadline - time.perf_counter()
        full = cv if len(wants) == 1 else (
            None if left is not None and left <= 0 else
            cover(frame, activation, loss, box=box, parts=parts, mapper=mapper, time_limit=left))
        filter_skipped = full is None or not full.complete
        if not filter_skipped:
            verdicts = list({id(pc.verdict): pc.verdict for pc in full.pieces}.values())
            props = minimal_conflict(wants, lambda ws: any(wanted(v, ws) for v in verdicts))
    stats = {"cells": cv.cells, "cover_pieces": len(cv.pieces), "answer_pieces_before_merge":
             len(found), "engine_runs": cv.engine_runs,
             "lp_calls_cover": lp0, "seconds": round(time.perf_counter() - t0, 3),
             "horizon_steps": cv.horizon}
    notes = (f"free coordinates restricted to the box [{cv.box[0]}, {cv.box[1]}]^{d}",
             f"verdicts over steps 0..{cv.horizon} (the engine's horizon for depth {frame.depth})",
             "pieces are disjoint; their union is the answer within the box")
    moving = sum(not p.all_steps for p in pieces)
    if moving:
        blow = sum(p.later is not None and p.later.blows_up is True for p in pieces)
        notes += (f"{moving} of {len(pieces)} pieces are stable over steps 0..{cv.horizon} with "
                  f"exponents still moving at step {cv.horizon}: their verdict is not shown for "
                  "later steps" + (f"; continued to step {LOOK_AHEAD * cv.horizon}, {blow} of "
                                   "them blow up at every point" if later else
                                   ", where they may blow up (--later continues them)"),)
    stats["pieces_moving_at_horizon"] = moving
    if raw:
        notes += (f"time limit: {raw} of {len(found)} pieces are given as the cover found them "
                  "(exact, not simplified or merged)",)
    if merge_stopped:
        notes += ("time limit: the merging of pieces with one verdict stopped; the same set, in "
                  "more pieces",)
    if filter_skipped:
        notes += ("time limit: the minimal set of conflicting properties was not computed",)
    stats["pieces_not_simplified"] = raw
    stats["merge_stopped"] = merge_stopped
    stats["certified_pieces"] = len(cv.pieces)
    stats["parts"] = cv.parts
    return QueryResult(frame, wants, cv.activation, loss, cv.box, tuple(pieces), named, conflicts,
                       stats, notes, props, cv.complete)


@dataclass(frozen=True)
class SimplifyTask:
    """One answer piece to simplify (picklable: sent to worker processes with the cover's
    mapper); ``deadline`` is wall-clock (``time.time()``) or None."""

    constraints: tuple[Constraint, ...]
    d: int
    deadline: float | None

    def stopped(self) -> None:
        """What a task stopped from outside (at a time limit) establishes: no simplified form;
        the piece is given as the cover found it."""
        return None


def simplify_part(task: SimplifyTask) -> list[Constraint] | None:
    """:func:`~widthlimits.theory.regions.polyhedra.simplify` of one piece, or None if its
    deadline has passed (the piece is then given as found, as in a serial query)."""
    if task.deadline is not None and time.time() > task.deadline:
        return None
    return simplify(task.constraints, task.d)


def _merge_report(merging: Callable[[int, int, int], None], before: int, left: int,
                  tested: int) -> None:
    """``merge_convex_until``'s ``progress(left, tested)`` as ``merging(left, before, tested)``."""
    merging(left, before, tested)


def named_points_of(frame: Any, names: Sequence[str]) -> list[tuple[str, list[Fraction]]]:
    """``(name, coordinates)`` of the presets that exist at the frame's depth and optimizer and
    lie in the frame (moved there by the width symmetry).  In a frame with gradient exponents
    ``d`` a preset without them (epsilon negligible) is taken with TP IVb's faithful ``d``
    (:func:`widthlimits.theory.closed_forms.faithful_d`), the epsilon scaling its tables give."""
    with_d = bool(getattr(getattr(frame, "base", frame), "with_d", False))
    out = []
    for name in names:
        try:
            pp = preset(name, frame.depth, frame.optimizer)
            if with_d and pp.d is None:
                pp = dataclasses.replace(pp, d=faithful_d(pp.a, pp.b))
        except ValueError:
            continue
        x = frame.point_of(pp)
        if x is not None:
            out.append((name, x))
    return out


def named_points_in(frame: CellFrame, want: Sequence[str], activation: str | Activation = "tanh",
                    loss: str = "mse", deadline: float | None = None) -> list[str]:
    """Names from NAMED_POINTS whose parametrization (moved into the frame) has every property
    in ``want`` (exact: :func:`~widthlimits.theory.classify.classify` at the point, whose
    verdicts are the cells'; not restricted to the box).  Past ``deadline`` (``time.perf_counter``)
    the names found so far."""
    act = get_activation(activation)
    out = []
    for name, x in named_points_of(frame, NAMED_POINTS):
        if deadline is not None and time.perf_counter() > deadline:
            break
        c = classify(frame.parametrization_at(x), frame.optimizer, act, loss=loss)
        if wanted(c, want):
            out.append(name)
    return out


def verdict_at(frame: CellFrame, z: Sequence[Any], activation: str | Activation = "tanh",
               loss: str = "mse") -> Classification:
    """The verdict at one point of the frame (exact; over the region verbs' horizon)."""
    return CellEngine(frame, get_activation(activation), loss).cell([Fraction(x) for x in z]).verdict


__all__ = ["QueryResult", "RegionPiece", "SimplifyTask", "named_points_in", "named_points_of",
           "query", "simplify_part", "verdict_at"]

# the package exports `query`, the name of this module too: calling the module calls it
make_callable(__name__, query)
