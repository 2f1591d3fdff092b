"""Queries over alpha and the L-exponents: the exact set of depth scalings with wanted regimes.

Question: which branch exponent ``alpha`` (and which L-exponents of the block learning rate,
Adam's epsilon, the weight decay) give, e.g., stable-in-depth, non-lazy blocks?  The answer is a
finite union of rational polyhedra in the free coordinates, each with a witness point.

Why it is exact.  The depth engine (:mod:`.engine`) builds every exponent from the model's
exponents by ``+``, ``-``, the lexicographic ``max``/``min`` of :mod:`.scale` and comparisons
(``exceeds``, the regime tests); the sums over blocks add constants (+1 or +1/2 in L).  Nothing
multiplies two exponents, so every ``e_n`` and ``e_L`` is a piecewise-affine function of alpha and
of the hyperparameters' exponents, and so are the rules of :mod:`.rules` (each solves an affine
equation, checked after).  The engine is therefore run *unchanged* at a rational point on the
affine values of the region engine (:class:`widthlimits.theory.regions.affine.AffineValue`,
recorded by its :class:`~widthlimits.theory.regions.affine.Recorder`): a lexicographic comparison
of two sizes becomes "the n-forms are equal, or this one is smaller" and then the same for the
L-forms, and every such outcome is recorded as a linear (in)equality of the free coordinates.
On the polyhedron of all recorded conditions (the *cell*) the engine takes the same path, so
the regime is constant there.  The box is partitioned into such cells by the reverse search of
:mod:`widthlimits.theory.regions.cover` (the complement of a cell, facet by facet, exact LP of
:mod:`widthlimits.theory.regions.lp`); pieces with the wanted regime are simplified and
merged (:func:`~widthlimits.theory.regions.merge.merge_convex`).  Every answer piece's
witness is re-classified by the ordinary engine on Fractions (``checked``).

Tied hyperparameters (``tie``): ``lr`` sets the block (and LN, bias) learning-rate L-exponents by
the rule "every block contributes Theta(1/L)" at each point (the transferring learning rate,
:func:`.rules.block_lr_exponent`; TP VI Sec. 1, Sec. 3.1 and Claim 7.2, CompleteP Table 1);
``eps`` sets Adam's epsilon at the gradient's scale (:func:`.rules.epsilon_exponents`); ``wd``
sets the weight decay to a depth-free relative decay (:func:`.rules.weight_decay_exponent`).  A
point where a tied rule has no solution gets the verdict ``no rule`` (no wanted property holds there).

Headline (docs/depth.md): under Adam with the transferring LR, ``non_lazy`` holds exactly at
``alpha = 1`` (CompleteP, Dey et al. 2025, arXiv 2505.01618: its lazy-learning argument),
``lazy`` for ``alpha < 1`` (TP VI, Yang et al. 2023, arXiv 2310.02244, Claim 7.6).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.depth.engine import DepthRegime, derive_depth
from widthlimits.theory.depth.model import DepthModelError, ResidualModel, exact
from widthlimits.theory.depth.rules import (
    RuleError,
    block_lr_exponent,
    epsilon_exponents,
    param_lr_exponent,
    weight_decay_exponent,
)
from widthlimits.theory.frames import constraint_text
from widthlimits.theory.regions.affine import AffineValue, Recorder
from widthlimits.theory.regions.linalg import rank
from widthlimits.theory.regions.merge import merge_convex_until
from widthlimits.theory.regions.partition import ProgressFn, partition
from widthlimits.theory.regions.polyhedra import (
    Constraint,
    box_constraints,
    find_point,
    satisfies,
    simplify,
    vertices_and_rays,
)
from widthlimits.theory.regions.properties import minimal_conflict

#: free coordinates: alpha, and the L-exponents of every block layer (LR = eta L^{-c_L},
#: epsilon = n^{-d} L^{-d_L}, lambda = n^{-wd} L^{-wd_L})
FREE = {
    "alpha": "branch multiplier L^{-alpha}",
    "c_L": "block learning rate ~ L^{-c_L}",
    "d_L": "block Adam epsilon ~ L^{-d_L}",
    "wd_L": "block weight decay ~ L^{-wd_L}",
    "ln_c_L": "LayerNorm gain (and bias) learning rate ~ L^{-ln_c_L}",
    "bias_c_L": "bias learning rate ~ L^{-bias_c_L}",
}
#: free coordinates that are not the block layers': the parameter group they set
_GROUPS = {"ln_c_L": "norm", "bias_c_L": "bias"}
#: hyperparameters that can be tied to the depth rules (module docstring)
TIES = ("lr", "eps", "wd")
#: wanted properties: name -> (meaning, test on the regime)
PROPERTIES: dict[str, tuple[str, Any]] = {
    "stable_depth": ("no quantity blows up with L (stream, backward signal, output, updates)",
                     lambda r: r.stable),
    "block_1_over_L": ("every block contributes Theta(1/L) to the stream's update",
                       lambda r: r.contribution_state == "exact"),
    "non_lazy": ("each block's features move Theta(1) (complete feature learning, CompleteP)",
                 lambda r: r.features_state == "exact"),
    "lazy": ("each block's features move o(1) in L: layerwise linearization (TP VI Claim 7.6)",
             lambda r: r.features_state == "below"),
    "output_theta1": ("the output moves Theta(1)", lambda r: r.output_state == "exact"),
}
#: default box of every free coordinate
BOX = (Fraction(-4), Fraction(4))


class DepthQueryError(DepthModelError):
    """Bad input to the depth query (one line; the CLI exits 2)."""


def parse_depth_want(want: str | Sequence[str]) -> tuple[str, ...]:
    """``"non_lazy,stable_depth"`` -> ``("non_lazy", "stable_depth")``; ``not-`` negates."""
    items = [w.strip() for w in (want.split(",") if isinstance(want, str) else want)]
    if not items or any(not w for w in items):
        raise DepthQueryError(f"`want` needs comma-separated properties, got {want!r}")
    for w in items:
        if w.removeprefix("not-") not in PROPERTIES:
            raise DepthQueryError(f"unknown depth property {w!r}; choose from "
                                  f"{', '.join(PROPERTIES)} (prefix not- negates)")
    return tuple(items)


def has_properties(regime: DepthRegime | None, want: Sequence[str]) -> bool:
    """Every property of ``want`` holds (``regime None``: a tied rule has no solution)."""
    if regime is None:
        return False
    for w in want:
        neg = w.startswith("not-")
        if PROPERTIES[w.removeprefix("not-")][1](regime) == neg:
            return False
    return True


def _check_names(free: Sequence[str], tie: Sequence[str], model: ResidualModel) -> None:
    for v in free:
        if v not in FREE:
            raise DepthQueryError(f"unknown free coordinate {v!r}; choose from {', '.join(FREE)}")
    if len(set(free)) != len(free):
        raise DepthQueryError(f"a free coordinate is listed twice: {', '.join(free)}")
    for t in tie:
        if t not in TIES:
            raise DepthQueryError(f"unknown tie {t!r}; choose from {', '.join(TIES)}")
    clash = {"lr": ("c_L", "ln_c_L", "bias_c_L"), "eps": ("d_L",), "wd": ("wd_L",)}
    for t in tie:
        for v in clash[t]:
            if v in free:
                raise DepthQueryError(f"{v} cannot be free and tied to the rule ({t}) at once")
    if "ln_c_L" in free and model.layernorm not in ("gain", "gain_bias"):
        raise DepthQueryError(f"ln_c_L needs LayerNorm parameters (gain or gain_bias); the model's "
                              f"LayerNorm is {model.layernorm!r}")
    if "bias_c_L" in free and not model.biases:
        raise DepthQueryError("bias_c_L needs a model with biases (completep has them)")
    if ("d_L" in free or "eps" in tie) and not model.entrywise:
        raise DepthQueryError(f"epsilon (d_L, eps) needs Adam or AdamW, not {model.optimizer}")
    if "d_L" in free and any(s.d is None for s in model.block):
        raise DepthQueryError("the model's block epsilon is negligible (no d): d_L has no effect; "
                              "tie eps or pick a model with epsilon (completep)")
    if ("wd_L" in free or "wd" in tie) and (model.weight_decay == "none" or model.block[0].wd is None):
        raise DepthQueryError("the model has no weight decay on its blocks: wd_L/wd has no effect")


def _denominator(model: ResidualModel) -> int:
    """A common denominator of every exponent of the model, times 2 (the sums over blocks and
    the CLT add halves): the recorder's integer scale."""
    dens = [2, Fraction(model.alpha).denominator]
    for s in (*model.roles().values(), model.bias, model.norm):
        for k in ("a", "b", "c", "a_L", "b_L", "c_L", "d", "d_L", "wd", "wd_L"):
            v = getattr(s, k)
            if v is not None:
                dens.append(Fraction(v).denominator)
    return 2 * math.lcm(*dens)


def tied_model(model: ResidualModel, tie: Sequence[str]) -> ResidualModel:
    """The model with the tied hyperparameters set by the depth rules (module docstring);
    raises :class:`.rules.RuleError` where a rule has no solution."""
    m = model
    if "lr" in tie:
        # LN and bias first: their updates are computed from gradients at init, which do not
        # depend on the block LR, and they enter the block's update the block rule solves
        if m.layernorm in ("gain", "gain_bias"):
            m = m.with_(norm=m.norm.with_(c_L=param_lr_exponent(m, "norm", "dW.norm")))
        if m.biases:
            m = m.with_(bias=m.bias.with_(c_L=param_lr_exponent(m, "bias", "dW.bias_out")))
        m = m.with_block(c_L=block_lr_exponent(m.with_(weight_decay="none")))
    if "eps" in tie:
        eps = epsilon_exponents(m.with_block(d=None))
        roles = {k: s.with_(d=eps[k][0], d_L=eps[k][1]) for k, s in m.roles().items()}
        m = m.with_(embedding=roles["embedding"], readout=roles["readout"],
                    block=tuple(roles[f"block.{i + 1}"] for i in range(len(m.block))))
    if "wd" in tie:
        m = m.with_block(wd_L=weight_decay_exponent(m))
    return m


def _at(model: ResidualModel, free: Sequence[str], z: Sequence[Any]) -> ResidualModel:
    """The model with the free coordinates set to ``z`` (Fractions or affine values)."""
    vals = dict(zip(free, z, strict=True))
    m = model.with_(alpha=vals["alpha"]) if "alpha" in vals else model
    for name, group in _GROUPS.items():
        if name in vals:
            m = m.with_(**{group: getattr(m, group).with_(c_L=vals[name])})
    blk = {k: v for k, v in vals.items() if k != "alpha" and k not in _GROUPS}
    return m.with_block(**blk) if blk else m


def regime_at(model: ResidualModel, free: Sequence[str], z: Sequence[Any],
              tie: Sequence[str] = ()) -> DepthRegime | None:
    """The depth regime at one point, by the ordinary engine on Fractions (None: a tied rule has
    no solution there)."""
    zz = [exact(x, name) for x, name in zip(z, free, strict=True)]
    try:
        return derive_depth(tied_model(_at(model, free, zz), tie)).regime
    except RuleError:
        return None


@dataclass(frozen=True)
class DepthCell:
    """The polyhedron around a point on which the engine's path (so the regime) is constant."""

    constraints: tuple[Constraint, ...]
    regime: DepthRegime | None

    def contains(self, z: Sequence[Fraction]) -> bool:
        return satisfies(z, self.constraints)


def depth_cell(model: ResidualModel, free: Sequence[str], z0: Sequence[Fraction],
               tie: Sequence[str] = ()) -> DepthCell:
    """Run the engine on affine values at ``z0`` and collect every recorded condition."""
    d = len(free)
    rec = Recorder(d, z0, {}, [], _denominator(model))
    zs = [AffineValue(tuple(rec.D if j == i else 0 for j in range(d)) + (0,), rec.D * rec.zs[i], rec)
          for i in range(d)]
    try:
        regime: DepthRegime | None = derive_depth(tied_model(_at(model, free, zs), tie)).regime
    except RuleError:
        regime = None
    return DepthCell(tuple(rec.cons), regime)


def regime_key(r: DepthRegime | None) -> tuple[str, ...]:
    if r is None:
        return ("no rule",)
    return (str(r.stable), r.contribution_state, r.features_state, r.output_state)


def regime_label(r: DepthRegime | None) -> str:
    return "no rule: a tied rule has no solution" if r is None else r.summary


@dataclass(frozen=True)
class DepthPiece:
    """One convex piece of the answer with its witness, re-classified on Fractions."""

    constraints: tuple[Constraint, ...]
    witness: tuple[Fraction, ...]
    variables: tuple[str, ...]
    regime: DepthRegime | None
    vertices: tuple[tuple[Fraction, ...], ...] | None
    checked: bool

    @property
    def dimension(self) -> int:
        return len(self.variables) - rank([f[:-1] for f, r in self.constraints if r == "=="])

    def contains(self, z: Sequence[Fraction]) -> bool:
        return satisfies(z, self.constraints)

    def conditions(self) -> list[str]:
        return [constraint_text(c, self.variables) for c in self.constraints]

    def to_json(self) -> dict[str, Any]:
        def pt(v: Sequence[Fraction]) -> dict[str, str]:
            return {n: str(x) for n, x in zip(self.variables, v, strict=True)}

        return {"conditions": self.conditions(), "dimension": self.dimension,
                "witness": pt(self.witness), "witness_reclassified": self.checked,
                "vertices": None if self.vertices is None else [pt(v) for v in self.vertices],
                "regime": regime_label(self.regime)}


@dataclass(frozen=True)
class DepthQueryResult:
    model: ResidualModel
    free: tuple[str, ...]
    tie: tuple[str, ...]
    want: tuple[str, ...]
    box: tuple[tuple[Fraction, Fraction], ...]
    pieces: tuple[DepthPiece, ...]
    conflicting: tuple[str, ...]
    stats: dict[str, Any] = field(default_factory=dict)
    #: False when the time limit stopped the cover: the pieces are exact but do not cover the
    #: box, and an empty answer is not certified
    complete: bool = True

    @property
    def empty(self) -> bool:
        return not self.pieces

    def contains(self, z: Sequence[Fraction]) -> bool:
        return any(p.contains(z) for p in self.pieces)

    def to_json(self) -> dict[str, Any]:
        return {"schema": "widthlimits.depth-query/1", "model": self.model.name,
                "optimizer": self.model.optimizer, "free": list(self.free), "tie": list(self.tie),
                "want": list(self.want),
                "box": {v: [str(lo), str(hi)] for v, (lo, hi) in zip(self.free, self.box, strict=True)},
                "fixed_alpha": None if "alpha" in self.free else str(self.model.alpha),
                # null while undecided (a stopped search that found no piece)
                "empty": self.empty if self.complete or self.pieces else None,
                "complete": self.complete,
                "regions": [p.to_json() for p in self.pieces],
                "conflicting_properties": list(self.conflicting), "stats": self.stats}


def _boxes(free: Sequence[str], box: Any) -> tuple[tuple[Fraction, Fraction], ...]:
    out = []
    for v in free:
        lo, hi = box[v] if isinstance(box, Mapping) else box
        lo, hi = exact(lo, "box"), exact(hi, "box")
        if not lo < hi:
            raise DepthQueryError(f"box of {v} needs lo < hi, got [{lo}, {hi}]")
        out.append((lo, hi))
    return tuple(out)


def depth_cover(model: ResidualModel, free: Sequence[str], box: Sequence[tuple[Fraction, Fraction]],
                tie: Sequence[str] = (), *, deadline: float | None = None,
                progress: ProgressFn | None = None
                ) -> tuple[list[tuple[tuple[Constraint, ...], tuple[Fraction, ...], DepthCell]], int, bool]:
    """A partition of the box into convex pieces ``(constraints, point, cell)`` with constant
    regime: the reverse search of :func:`widthlimits.theory.regions.partition.partition` (the
    width cover's, with its exact emptiness tests) over the depth engine's cells.  Returns the
    pieces, the number of cells computed and whether the box is covered (False: ``deadline``, a
    ``time.time()`` value, stopped the search; the pieces found are exact)."""
    d = len(free)
    if d == 0:
        return [((), (), depth_cell(model, free, (), tie))], 1, True
    region: list[Constraint] = []
    for i, (lo, hi) in enumerate(box):
        region += [c for c in box_constraints(d, lo, hi)[2 * i:2 * i + 2]]
    # the enclosing cube: the search's cheap emptiness test and its progress samples only need
    # a box containing the region
    cube = (min(lo for lo, _ in box), max(hi for _, hi in box))
    part = partition(region, d, cube, lambda z: depth_cell(model, free, z, tie),
                     deadline=deadline, progress=progress)
    return part.pieces, len(part.cells), part.complete


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def depth_query(model: ResidualModel, free: Sequence[str] = ("alpha",),
                want: str | Sequence[str] = "non_lazy", *, tie: Sequence[str] = (),
                box: Any = BOX, time_limit: float | None = None,
                progress: ProgressFn | None = None) -> DepthQueryResult:
    """The exact set of free coordinates (in the box) where every wanted property holds.

    Parameters
    ----------
    model : ResidualModel
        The base model (e.g. a preset of :mod:`.presets`); its exponents not freed or tied stay.
    free : names from :data:`FREE`
        ``alpha``, ``c_L``, ``d_L``, ``wd_L`` (the L-exponents apply to every block layer).
    want : names from :data:`PROPERTIES`, ``not-`` negates
    tie : names from :data:`TIES`
        Hyperparameters set by the depth rules at every point (module docstring).
    box : (lo, hi) or {name: (lo, hi)}
    time_limit : float, optional
        Seconds for the whole query.  At the limit the cover stops (``complete`` False: the
        pieces found so far are exact, an empty answer is not certified) and the merging of the
        answer's pieces stops with the merges made (the same set, in more pieces).
    progress : callable, optional
        ``progress(cells, fraction_of_box_covered, regions_pending)`` during the cover.

    Examples
    --------
    Adam with the transferring learning rate: non-lazy blocks only at alpha = 1.

    >>> from widthlimits.theory.depth.presets import depth_preset
    >>> r = depth_query(depth_preset("depth-mup", "adam"), ["alpha"], "non_lazy", tie=["lr"],
    ...                 box=(0, 2))
    >>> [p.conditions() for p in r.pieces]
    [['alpha == 1']]
    """
    t0, c0 = time.perf_counter(), time.process_time()
    free_t, tie_t = tuple(free), tuple(dict.fromkeys(tie))
    wants = parse_depth_want(want)
    _check_names(free_t, tie_t, model)
    boxes = _boxes(free_t, box)
    if time_limit is not None and not time_limit > 0:
        raise DepthQueryError(f"time_limit must be positive, got {time_limit}")
    deadline = None if time_limit is None else time.time() + time_limit
    pieces, ncells, complete = depth_cover(model, free_t, boxes, tie_t, deadline=deadline,
                                           progress=progress)
    d = len(free_t)
    merge_deadline = None if time_limit is None else t0 + time_limit  # perf_counter, as t0
    groups: dict[tuple, tuple[DepthRegime | None, list[list[Constraint]]]] = {}
    raw: list[tuple[DepthRegime | None, list[Constraint], tuple[Fraction, ...]]] = []
    for cons, z, cell in pieces:
        if not has_properties(cell.regime, wants):
            continue
        if d and _past(merge_deadline):  # past the time limit: as the cover found it
            raw.append((cell.regime, list(cons), z))
        else:
            groups.setdefault(regime_key(cell.regime), (cell.regime, []))[1].append(
                simplify(cons, d) if d else [])
    out: list[DepthPiece] = []
    merge_stopped = False
    for regime, css in groups.values():
        if d and len(css) > 1:
            css, finished = merge_convex_until(css, d, merge_deadline)
            merge_stopped |= not finished
        for cs in css:
            vr = vertices_and_rays(tuple(cs), d) if d else None
            # witness: the mean of the closure's vertices lies in the piece's relative interior
            # (bounded pieces: the box); checked, else a point of the LP
            w: tuple[Fraction, ...] = ()
            if vr is not None and vr[0]:
                w = tuple(sum(col, Fraction(0)) / len(vr[0]) for col in zip(*vr[0], strict=True))
            if d and not satisfies(w, cs):
                w = tuple(find_point(cs, d) or ())
            out.append(DepthPiece(tuple(cs), w, free_t, regime,
                                  None if vr is None else tuple(tuple(v) for v in vr[0]),
                                  has_properties(regime_at(model, free_t, w, tie_t), wants)))
    for regime, cs, w in raw:  # the cover's point as witness, no vertices
        out.append(DepthPiece(tuple(cs), w, free_t, regime, None,
                              has_properties(regime_at(model, free_t, w, tie_t), wants)))
    out.sort(key=lambda p: tuple(p.witness))
    conflicting: tuple[str, ...] = ()
    if not out and complete:  # deletion filter over the cells' regimes: a minimal set never true together
        regimes = list({regime_key(c.regime): c.regime for _, _, c in pieces}.values())
        conflicting = minimal_conflict(wants, lambda ws: any(has_properties(r, ws) for r in regimes))
    stats = {"cells": ncells, "cover_pieces": len(pieces), "pieces_not_simplified": len(raw),
             "merge_stopped": merge_stopped,
             "seconds": round(time.perf_counter() - t0, 3),
             "cpu_seconds": round(time.process_time() - c0, 3)}
    return DepthQueryResult(model, free_t, tie_t, wants, boxes, tuple(out), conflicting, stats,
                            complete)


__all__ = ["FREE", "PROPERTIES", "TIES", "DepthCell", "DepthPiece", "DepthQueryError",
           "DepthQueryResult", "depth_cell", "depth_cover", "depth_query", "parse_depth_want",
           "regime_at", "tied_model"]
