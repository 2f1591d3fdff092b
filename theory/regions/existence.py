"""Existence questions without a cover: is the set of scalings with the wanted properties
empty?  If not, a witness.

Method.  The engine runs once over the free coordinates with :class:`SmtOps` (its exponents
become affine forms over the coordinates and over fresh variables defined by exact ``max``/
``min`` constraints, :mod:`widthlimits.theory.regions.smt_ops`); the wanted properties become
formulas over those exponents (:mod:`widthlimits.theory.regions.properties`, the definitions of
:mod:`widthlimits.theory.classify`); z3's decision procedure for linear real arithmetic (exact
rationals, strict inequalities) answers.  ``sat``: the model's coordinates are a witness, which is
re-classified by the ordinary engine (:func:`widthlimits.theory.classify.classify`) as a check.
``unsat``: the set is empty (certified by the solver's exact arithmetic); the unsatisfiable core
of the tracked conditions names the conflicting conditions as sentences about layers and steps.

Horizon: the engine runs for ``T = 2 (L + 1) + 6`` steps, the cap of its default run (see
:mod:`widthlimits.theory.regions.cell` for why verdicts over ``0..T`` are those of ``classify``).
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.classify import classify
from widthlimits.theory.engine import derive
from widthlimits.theory.exponents import is_pos_inf
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.regions.cell import horizon_steps
from widthlimits.theory.regions.cover import BOX, ORDERS, ProgressFn, cover
from widthlimits.theory.regions.frame import CellFrame, region_frame
from widthlimits.theory.regions.lift import lifted
from widthlimits.theory.regions.properties import (
    conditions,
    contradiction,
    needs_stability,
    parse_want,
    wanted,
)
from widthlimits.theory.regions.query import named_points_in, named_points_of
from widthlimits.theory.regions.smt_ops import SmtOps, common_denominator, compile_formula, z3_module
from widthlimits.theory.regions.why_not import why_not


class FormulaLogic:
    """Sign conditions on :class:`SVal` exponents as formulas for
    :func:`~widthlimits.theory.regions.smt_ops.compile_formula`."""

    def pos(self, e: Any) -> Any:
        return ("sign", ">", e)

    def zero(self, e: Any) -> Any:
        return ("sign", "==", e)

    def neg(self, e: Any) -> Any:
        return ("sign", "<", e)

    def nonneg(self, e: Any) -> Any:
        return ("sign", ">=", e)

    def all(self, xs: Sequence[Any]) -> Any:
        return ("and", tuple(xs))

    def any(self, xs: Sequence[Any]) -> Any:
        return ("or", tuple(xs))

    def not_(self, x: Any) -> Any:
        return (not x) if isinstance(x, bool) else ("not", x)


@dataclass(frozen=True)
class Existence:
    """Answer of :func:`exists`.

    ``empty`` is True (certified), False (``witness`` given) or None (not decided within the
    time limit: ``complete`` is False).  ``witness`` are the free coordinates (exact), and
    ``witness_check`` the ordinary classification at the witness.  ``why_not`` (empty answers)
    lists conditions that cannot hold together, as sentences.
    """

    frame: CellFrame
    want: tuple[str, ...]
    activation: str
    loss: str
    box: tuple[Fraction, Fraction]
    empty: bool | None
    witness: tuple[Fraction, ...] | None
    witness_parametrization: Parametrization | None
    witness_check: dict[str, Any] | None
    why_not: tuple[str, ...]
    complete: bool
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        fr = self.frame
        return {
            "schema": "widthlimits.exists/1",
            "depth": fr.depth, "optimizer": fr.optimizer.name, "activation": self.activation,
            "loss": self.loss, "gauge": fr.gauge, "want": list(self.want),
            "coords": fr.coords,
            "fixed": fr.fixed_values(),
            "variables": list(fr.variables),
            "box": [str(self.box[0]), str(self.box[1])],
            "empty": self.empty, "complete": self.complete,
            "witness": None if self.witness is None else
            {n: str(x) for n, x in zip(fr.variables, self.witness, strict=True)},
            "witness_parametrization": None if self.witness_parametrization is None
            else self.witness_parametrization.as_dict(),
            "witness_check": self.witness_check,
            "why_not": list(self.why_not),
            "stats": self.stats,
        }

    def _repr_html_(self) -> str:
        fr = self.frame
        state = ("not decided (time limit)" if self.empty is None else
                 "empty (certified)" if self.empty else "non-empty")
        rows = [("depth", fr.depth), ("optimizer", fr.optimizer.name),
                ("activation", self.activation), ("want", ", ".join(self.want)),
                ("free", ", ".join(fr.variables)), ("box", f"[{self.box[0]}, {self.box[1]}]"),
                ("answer", state)]
        if self.witness is not None:
            rows.append(("witness", ", ".join(f"{n} = {x}" for n, x in
                                              zip(fr.variables, self.witness, strict=True))))
            rows.append(("regime at witness", (self.witness_check or {}).get("regime")))
        for i, t in enumerate(self.why_not, 1):
            rows.append((f"why not ({i})", t))
        rows.append(("seconds", self.stats.get("seconds")))
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in rows)
        return f"<table>{body}</table>"


def free_frame(depth: int, optimizer: str | Optimizer, *, gauge: str = "sp",
               fix: dict[str, Sequence[Any]] | None = None,
               shared_hidden: bool = False) -> CellFrame:
    """The free coordinates (no bound on their number: existence does not enumerate)."""
    return region_frame(depth, optimizer, gauge=gauge, fix=fix, shared_hidden=shared_hidden,
                        max_free=None)


@dataclass
class Encoding:
    """The engine over a frame as LRA: definitions, exponents, the box, the horizon."""

    ops: SmtOps
    exponents: dict
    box: list[Any]
    steps: int
    loss: str


def encode(frame: CellFrame, activation: Activation, loss: str, box: tuple[Fraction, Fraction],
           want: Sequence[str], steps: int | None = None,
           bounds: Sequence[tuple[Fraction, Fraction]] | None = None) -> Encoding:
    """Run the engine once on SMT terms over ``frame``'s coordinates restricted to ``box``
    (and to ``bounds``, one range per coordinate, if given)."""
    p = frame.parametrization()
    syms = frame.symbols()
    vals = [v for v in (*p.a, *p.b, *p.c, *(p.d or ())) if not is_pos_inf(v)]
    ops = SmtOps(syms, box, common_denominator(vals, syms), bounds)
    T = horizon_steps(frame.depth, steps)
    # MSE: on the stable set the loss derivative is Theta(1), as for the logistic loss, so the
    # runs coincide there (see widthlimits.theory.regions.cell); the logistic run has no feedback max
    eff = "logistic" if loss == "mse" and needs_stability(want) else loss
    res = derive(p, frame.optimizer, activation, loss=eff, steps=T, trace=False, ops=ops)
    z3 = z3_module()
    bx = []
    for i in range(len(syms)):
        u = ops.atoms[i]
        bx += [u >= z3.RealVal(ops.lo[i]), u <= z3.RealVal(ops.hi[i])]
    return Encoding(ops, res.exponents, bx, T, eff)


def _fraction(v: Any) -> Fraction:
    return Fraction(v.numerator_as_long(), v.denominator_as_long())


def exists(
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
    time_limit: float | None = None,
    explain: bool = True,
    progress: Any = None,
    method: str = "search",
    seeds: bool = True,
    cover_progress: ProgressFn | None = None,
    order: str = "depth",
    coords: str = "abc",
    lift: bool = True,
) -> Existence:
    """Is there a point of the box whose limit has every property of ``want``?  Exact.

    Parameters as in :func:`widthlimits.theory.regions.query.query` (no limit on the number of free
    coordinates).  ``time_limit`` (seconds) bounds the solver; if it is reached the answer has
    ``empty=None, complete=False``.  ``progress(stage, seconds)`` is called after each stage.

    ``method="search"`` (default): the exact cells of :func:`widthlimits.theory.regions.cover.cover`,
    visited so that a cell whose point lacks a wanted property only certifies that (one failing
    condition's constraints, so it is large), stopping at the first cell whose verdict has every
    wanted property; emptiness is certified when the visited pieces cover the box.
    ``method="smt"``: the whole question as one LRA formula decided by z3 (see the module
    docstring).  Both are exact; their speeds differ by question (benchmarks/bench_regions.py).
    ``seeds``: the search first tries the named parametrizations lying in the frame and the box.
    ``order``: the search's visiting order, ``"depth"`` or ``"breadth"``
    (:func:`~widthlimits.theory.regions.cover.cover`); the same answer, a different number of
    cells before a witness.  ``coords="golikov"``: the free coordinates are Golikov's exponents
    (:mod:`~widthlimits.theory.regions.golikov_frame`; ``fix`` then maps ``q_sigma``, ``q_w``,
    ``q_v``, ``q_a`` to single values).  ``lift``: where the frame is a slice of a larger one
    (shared hidden layers; Golikov's family at a fixed ``q_sigma``), the search first runs on
    the larger frame, whose empty answer certifies this one's
    (:mod:`~widthlimits.theory.regions.lift`); ``False``: on this frame only.  The same answer.

    Examples
    --------
    >>> r = exists(3, "sgd", "mf_limit", fix={"a": [0] * 4, "b": [0, 1, 1, 1]}, box=(-2, 2))
    >>> r.empty, r.complete
    (True, True)
    >>> exists(2, "sgd", "feature_learning", fix={"a": [0] * 3, "b": [0, 1, 1]}).empty
    False
    """
    t0 = time.perf_counter()
    frame = region_frame(depth, optimizer, coords=coords, gauge=gauge, fix=fix,
                         shared_hidden=shared_hidden, max_free=None)
    wants = parse_want(want, frame.depth)
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    lo, hi = Fraction(box[0]), Fraction(box[1])
    if not lo < hi:
        raise ValueError(f"box needs lo < hi, got [{lo}, {hi}]")
    if time_limit is not None and time_limit <= 0:
        raise ValueError(f"time limit must be positive, got {time_limit}")
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; choose 'depth' or 'breadth'")

    def stage(name: str) -> None:
        if progress is not None:
            progress(name, time.perf_counter() - t0)

    clash = contradiction(wants)
    if clash is not None:  # empty by the wanted properties alone
        return Existence(frame, wants, act.name, loss, (lo, hi), True, None, None, None,
                         (f"{clash[0]} and {clash[1]} cannot hold together",), True,
                         {"cells": 0, "method": "none: the wanted properties contradict",
                          "seconds": round(time.perf_counter() - t0, 3)})
    if method == "search":
        empty, witness, why, stats = _search_lifting(frame, act, loss, (lo, hi), wants, time_limit,
                                                     t0, explain, seeds, cover_progress, order,
                                                     lift)
        stage("search")
    elif method == "smt":
        empty, witness, why, stats = _smt(frame, act, loss, (lo, hi), wants, time_limit, t0,
                                          explain, stage)
    else:
        raise ValueError(f"unknown method {method!r}; choose 'search' or 'smt'")
    wp = check = None
    if witness is not None:
        wp = frame.parametrization_at(witness)
        c = classify(wp, frame.optimizer, act, loss=loss)
        if not wanted(c, wants):
            raise AssertionError(f"internal: the witness {witness} fails the check by classify "
                                 f"(regime {c.regime})")
        check = {"regime": str(c.regime), "stable": c.stable, "nontrivial": c.nontrivial,
                 "feature_learning_layers": list(c.feature_learning_layers), "wanted": True,
                 # False: stable over the horizon with exponents still moving (the note says
                 # what continuing the run shows)
                 "all_steps": c.all_steps,
                 "horizon_note": next((n for n in c.notes if "not stationary" in n), None)}
        stage("check witness")
    stats["method"] = method
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    return Existence(frame, wants, act.name, loss, (lo, hi), empty, witness, wp, check, why,
                     empty is not None, stats)


def explain_empty(conds: Sequence[Any], defs: Sequence[Any], enc: Encoding, names: Sequence[str],
                  box: tuple[Fraction, Fraction], time_limit: float | None, t0: float
                  ) -> tuple[str, ...]:
    """Conditions (sentences) that cannot hold together: an unsatisfiable core of the tracked
    conditions and box bounds, shrunk by z3's core minimization."""
    z3 = z3_module()
    s = z3.SolverFor("QF_LRA")
    s.set("core.minimize", True)
    if time_limit is not None:
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            return ()
        s.set("timeout", max(1, int(left * 1000)))
    # the definitions the whole property needed serve every condition (a superset of each one's)
    s.add(*defs)
    tracked: dict[str, str] = {}
    lits = []
    for i, c in enumerate(conds):
        f, _ = compile_formula(c.holds, enc.ops)
        p = z3.Bool(f"cond{i}")
        tracked[str(p)] = c.text
        s.add(z3.Implies(p, f))
        lits.append(p)
    for i, b in enumerate(enc.box):
        p = z3.Bool(f"box{i}")
        tracked[str(p)] = (f"box: {names[i // 2]} {'>=' if i % 2 == 0 else '<='} "
                           f"{box[0] if i % 2 == 0 else box[1]}")
        s.add(z3.Implies(p, b))
        lits.append(p)
    if s.check(*lits) != z3.unsat:
        return ()
    core = [str(x) for x in s.unsat_core()]
    return tuple(tracked[k] for k in core if k.startswith("cond")) + tuple(
        tracked[k] for k in core if k.startswith("box"))


def _search_lifting(frame: Any, act: Activation, loss: str, box: tuple[Fraction, Fraction],
                    wants: tuple[str, ...], time_limit: float | None, t0: float, explain: bool,
                    seeds: bool, progress: ProgressFn | None, order: str, lift: bool
                    ) -> tuple[bool | None, tuple[Fraction, ...] | None, tuple[str, ...], dict]:
    """:func:`_search`, first on the larger frame of :func:`~widthlimits.theory.regions.lift.lifted`
    when there is one: its empty answer certifies this frame's; its witness answers only if it
    lies on this frame (in the box), otherwise this frame is searched with the time left.  The
    frame's own named points are tried before either."""
    big = lifted(frame, box) if lift else None
    if big is None:
        return _search(frame, act, loss, box, wants, time_limit, t0, explain, seeds, progress, order)
    if seeds:
        hit = _seed(frame, act, loss, box, wants, None if time_limit is None else t0 + time_limit)
        if hit is not None:
            return hit
    bframe, bbox = big
    empty, w, why, stats = _search(bframe, act, loss, bbox, wants, time_limit, t0, explain, False,
                                   progress, order)
    stats["lifted_to"] = {"variables": list(bframe.variables),
                          "box": [str(bbox[0]), str(bbox[1])], "cells": stats.get("cells", 0)}
    if empty:
        note = (f"(certified on the larger frame {', '.join(bframe.variables)} in "
                f"[{bbox[0]}, {bbox[1]}], which contains this one; the conditions are in its "
                "coordinates)")
        return True, None, (note, *why) if why else (), stats
    if empty is None:
        return None, None, (), stats
    z = frame.point_of(bframe.parametrization_at(w))  # type: ignore[arg-type]
    if z is not None and all(box[0] <= x <= box[1] for x in z):
        return False, tuple(z), (), stats
    empty, w2, why, own = _search(frame, act, loss, box, wants, time_limit, t0, explain, False,
                                  progress, order)
    own["lifted_to"] = {**stats["lifted_to"], "witness_off_this_frame": True}
    own["cells"] = own.get("cells", 0) + stats.get("cells", 0)
    return empty, w2, why, own


def _seed(frame: Any, act: Activation, loss: str, box: tuple[Fraction, Fraction],
          wants: tuple[str, ...], deadline: float | None
          ) -> tuple[bool, tuple[Fraction, ...], tuple[str, ...], dict] | None:
    """A named parametrization in the frame and the box with every wanted property, if any."""
    for name in named_points_in(frame, wants, act, loss, deadline):
        z = dict(named_points_of(frame, [name])).get(name)  # (with faithful d in a d-frame)
        if z is not None and all(box[0] <= x <= box[1] for x in z):
            return False, tuple(z), (), {"cells": 0, "seed": name,
                                         "horizon_steps": horizon_steps(frame.depth)}
    return None


def _search(frame: CellFrame, act: Activation, loss: str, box: tuple[Fraction, Fraction],
            wants: tuple[str, ...], time_limit: float | None, t0: float, explain: bool,
            seeds: bool = True, progress: ProgressFn | None = None, order: str = "depth"
            ) -> tuple[bool | None, tuple[Fraction, ...] | None, tuple[str, ...], dict]:
    """Cells visited until the first wanted one (or the box is covered).  The named
    parametrizations that lie in the frame and the box are tried first (one cell each)."""
    deadline = None if time_limit is None else t0 + time_limit
    hit = _seed(frame, act, loss, box, wants, deadline) if seeds else None
    if hit is not None:
        return hit
    left = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
    cv = cover(frame, act, loss, box=box, want=wants, first_witness=True, time_limit=left, order=order,
               progress=progress)
    hit = next((pc for pc in cv.pieces if not pc.partial and wanted(pc.verdict, wants)), None)
    stats: dict[str, Any] = {"cells": cv.cells, "pieces": len(cv.pieces),
                             "engine_runs": cv.engine_runs, "lp_calls": cv.lp_calls,
                             "horizon_steps": cv.horizon}
    if hit is not None:
        return False, tuple(hit.point), (), stats
    if not cv.complete:
        return None, None, (), stats
    why: tuple[str, ...] = ()
    if explain:
        conflicts = why_not(cv, wants)  # smallest first
        why = conflicts[0].conditions if conflicts else ()
    return True, None, why, stats


def _smt(frame: CellFrame, act: Activation, loss: str, box: tuple[Fraction, Fraction],
         wants: tuple[str, ...], time_limit: float | None, t0: float, explain: bool,
         stage: Any) -> tuple[bool | None, tuple[Fraction, ...] | None, tuple[str, ...], dict]:
    """One LRA formula, decided by z3."""
    lo, hi = box
    z3 = z3_module()
    enc = encode(frame, act, loss, (lo, hi), wants)
    stage("encode")
    L, T = frame.depth, enc.steps
    conds = [c for w in wants for c in conditions(w, enc.exponents, L, T,
                                                  frame.optimizer.entrywise, FormulaLogic())]
    s = z3.SolverFor("QF_LRA")
    s.set("arith.solver", 2)  # measured: far faster than the default on these formulas
    if time_limit is not None:
        left = time_limit - (time.perf_counter() - t0)
        s.set("timeout", max(1, int(left * 1000)))
    top, defs = compile_formula(("and", tuple(c.holds for c in conds)), enc.ops)
    s.add(*defs)
    s.add(*enc.box)
    s.add(top)
    stage("compile")
    r = s.check()
    stage("solve")
    names = frame.variables
    stats: dict[str, Any] = {"atoms": len(enc.ops.atoms), "definitions": len(defs),
                             "conditions": len(conds), "horizon_steps": T}
    witness = None
    why: tuple[str, ...] = ()
    if r == z3.sat:
        m = s.model()
        D = enc.ops.D
        witness = tuple(_fraction(m.eval(enc.ops.atoms[i], model_completion=True)) / D
                        for i in range(len(names)))
        empty: bool | None = False
    elif r == z3.unsat:
        empty = True
        if explain:
            why = explain_empty(conds, defs, enc, names, (lo, hi), time_limit, t0)
    else:
        empty = None
    return empty, witness, why, stats
