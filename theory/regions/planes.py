"""Exact 2-D phase diagrams: a plane of parametrizations cut into convex pieces by verdict.

A plane is an affine map from two coordinates to the exponents ``(a, b, c)`` (:class:`PlaneFrame`):

* Golikov's one-hidden-layer family (Golikov 2020, arXiv:2003.05884), extended to depth
  L with one learning-rate exponent for every layer: horizontal ``q_sigma`` (init std of the
  readout), vertical ``q~`` (learning rates);
* TP4's plane (Yang & Hu 2021, arXiv:2011.14522, Sec. 3 and Fig. 1) in the gauge ``b_l = 1/2``:
  horizontal the readout scale ``s = a_{L+1} + b_{L+1}``, vertical one ``c`` for every layer.

The exponents are affine in the two coordinates, so the cover of
:mod:`widthlimits.theory.regions.cover` applies unchanged: the box is partitioned exactly into
polygons, segments and points, each with a constant verdict, and the named presets lying on the
plane are marked with their verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.classify import classify
from widthlimits.theory.exponents import is_pos_inf
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth, equivalent
from widthlimits.theory.presets import NAMED_POINTS
from widthlimits.theory.regions.cell import PieceStationarity, verdict_label, verdict_record
from widthlimits.theory.regions.cover import Cover, Mapper, ProgressFn, cover
from widthlimits.theory.regions.query import named_points_of

ZERO = Fraction(0)
ONE = Fraction(1)
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class PlaneFrame:
    """A 2-D affine slice of the exponent space: ``a, b, c`` are affine in ``variables``.

    ``kind="golikov"``: Golikov's one-hidden-layer family (Golikov 2020,
    arXiv:2003.05884) with one
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
        if self.kind == "golikov":  # his q~_w = q~_v = q~_a = q~ (the one place of his map)
            p = Parametrization.from_golikov(L, x, y, y, y)
            return p.a, p.b, p.c
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
                  box: tuple[Any, Any] = (-2, 2), time_limit: float | None = None,
                  parts: int = 1, mapper: Mapper | None = None,
                  progress: ProgressFn | None = None) -> dict[str, Any]:
    """Exact 2-D phase diagram: the box cut into convex pieces (polygons, segments, points),
    each labelled by its verdict, plus the named points that lie on the plane.

    Returns JSON-ready data: ``pieces`` (label, regime, dimension, vertices in counter-clockwise
    order for polygons, exact strings) and ``named_points`` (name, coordinates, label).
    ``time_limit``, ``parts``, ``mapper``, ``progress``: as in
    :func:`~widthlimits.theory.regions.cover.cover`; ``complete`` is False when the time limit
    stopped the cover (the pieces are those found so far).  The two stages are
    :func:`phase_cover` and :func:`phase_diagram_data` (the second is not bound by
    ``time_limit``: it writes what the cover established, in time proportional to it)."""
    cv = phase_cover(kind, depth, optimizer, activation=activation, loss=loss, box=box,
                     time_limit=time_limit, parts=parts, mapper=mapper, progress=progress)
    return phase_diagram_data(cv, kind, loss)


def _clip(poly: list[tuple[Fraction, Fraction]], f: tuple[Fraction, ...]
          ) -> list[tuple[Fraction, Fraction]]:
    """The convex polygon ``poly`` (vertices in order; possibly degenerate) cut by the closed
    half-plane ``f[0] x + f[1] y + f[2] <= 0`` (Sutherland & Hodgman 1974), exactly."""
    a, b, k = f
    val = [a * x + b * y + k for x, y in poly]
    out: list[tuple[Fraction, Fraction]] = []
    n = len(poly)
    for i in range(n):
        p, vp = poly[i], val[i]
        q, vq = poly[(i + 1) % n], val[(i + 1) % n]
        if vp <= 0:
            out.append(p)
        if (vp < 0 < vq) or (vq < 0 < vp):
            t = vp / (vp - vq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def closure_polygon(constraints: Sequence[tuple], square: list[tuple[Fraction, Fraction]]
                    ) -> list[tuple[Fraction, Fraction]]:
    """The vertices of the closure of a non-empty convex piece of the plane (inside the convex
    polygon ``square``), exactly: one vertex for a point, the two ends of a segment, else the
    polygon's corners counter-clockwise.  For a non-empty set the closure is the set with every
    strict inequality made non-strict (p + t (q - p), t < 1, satisfies them strictly), and it
    has the set's dimension.  Clipping costs O(constraints x corners), where simplifying first
    costs two LPs per constraint, each checked against all of them (a piece of a depth-20 cover
    has up to 1,156 constraints)."""
    poly = list(square)
    for f, rel in constraints:
        fr = tuple(Fraction(x) for x in f)
        poly = _clip(poly, fr)
        if rel == "==":
            poly = _clip(poly, tuple(-x for x in fr))
        if not poly:
            raise ValueError("internal: an empty piece")
    pts = sorted(set(poly))
    if len(pts) <= 2:
        return pts

    def cross(o: tuple, p: tuple, q: tuple) -> Fraction:
        return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])

    lower: list[tuple[Fraction, Fraction]] = []  # Andrew's monotone chain, collinear dropped
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[Fraction, Fraction]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    return hull if len(hull) >= 3 else [pts[0], pts[-1]]


def phase_cover(kind: str, depth: int = 1, optimizer: str | Optimizer = "sgd", *,
                activation: str | Activation = "tanh", loss: str = "mse",
                box: tuple[Any, Any] = (-2, 2), time_limit: float | None = None,
                parts: int = 1, mapper: Mapper | None = None,
                progress: ProgressFn | None = None) -> Cover:
    """The exact cover of the plane's box (:func:`phase_diagram`'s first stage)."""
    fr = plane_frame(kind, depth, optimizer)
    return cover(fr, activation, loss, box=box, time_limit=time_limit,  # type: ignore[arg-type]
                 parts=parts, mapper=mapper, progress=progress)


def phase_diagram_data(cv: Cover, kind: str, loss: str = "mse") -> dict[str, Any]:
    """:func:`phase_diagram`'s data from the cover ``cv`` of the plane ``kind`` (each piece
    simplified and its vertices found, exactly; the named points classified)."""
    fr = cv.frame
    out_pieces = []
    square = [(cv.box[0], cv.box[0]), (cv.box[1], cv.box[0]), (cv.box[1], cv.box[1]),
              (cv.box[0], cv.box[1])]
    stationary = PieceStationarity(fr, get_activation(cv.activation), cv.loss, cv.horizon)

    def hull(verts: list[tuple[Fraction, Fraction]], dim: int) -> list:
        """The affine hull of a point or a segment, read off its closure's vertices (no LP on
        the piece's many constraints); none for a 2-D piece."""
        (x0, y0), *rest = verts
        if dim == 0:
            return [((ONE, ZERO, -x0), "=="), ((ZERO, ONE, -y0), "==")]
        if dim == 1:
            (x1, y1) = rest[0]
            return [((y1 - y0, x0 - x1, -(y1 - y0) * x0 - (x0 - x1) * y0), "==")]
        return []

    for pc in cv.pieces:
        verts = closure_polygon(pc.constraints, square)
        dim = 0 if len(verts) == 1 else 1 if len(verts) == 2 else 2
        settled = stationary(pc.verdict, hull(verts, dim), pc.point)
        if dim == 2 and len(verts) >= 3:
            cx = sum(v[0] for v in verts) / len(verts)
            cy = sum(v[1] for v in verts) / len(verts)

            verts.sort(key=lambda v: math.atan2(float(v[1] - cy), float(v[0] - cx)))
        out_pieces.append({"label": verdict_label(pc.verdict), "regime": str(pc.verdict.regime),
                           "verdict": verdict_record(pc.verdict), "dimension": dim,
                           "vertices": [[str(a), str(b)] for a, b in verts],
                           "point": [str(x) for x in pc.point], "all_steps": settled})
    act = get_activation(cv.activation)
    named = []
    names = list(NAMED_POINTS) + ["golikov-intermediate:1/2", "golikov-intermediate:1"]
    for name, x in named_points_of(fr, names):  # classify's verdict is the cell's
        c = classify(fr.parametrization_at(x), fr.optimizer, act, loss=loss)
        named.append({"name": name, "point": [str(v) for v in x], "label": verdict_label(c)})
    return {"schema": "widthlimits.phase-diagram/1", "plane": kind, "depth": fr.depth,
            "optimizer": fr.optimizer.name, "activation": cv.activation, "loss": loss,
            "axes": list(fr.variables), "box": [str(cv.box[0]), str(cv.box[1])],
            "axes_meaning": PLANE_AXES[kind], "pieces": out_pieces, "named_points": named,
            "stats": {"cells": cv.cells, "pieces": len(cv.pieces), "seconds": round(cv.seconds, 3),
                      "parts": cv.parts, "horizon_steps": cv.horizon,
                      "pieces_moving_at_horizon": sum(not pc["all_steps"] for pc in out_pieces)},
            "complete": cv.complete}


PLANE_AXES = {
    "golikov": ["q_sigma: readout (and hidden) init std ~ n^{q_sigma} (SP form, a = 0)",
                "q~: learning rates eta_input ~ n^{q~}, eta_hidden ~ n^{q~ + q_sigma}, "
                "eta_readout ~ n^{q~ + 2 q_sigma} (Golikov's q~_w = q~_v = q~_a = q~)"],
    "tp4": ["s = a_{L+1} + b_{L+1} (readout scale; TP4 gauge b = 1/2, input a_1 + b_1 = 0, "
            "hidden a_l + b_l = 1/2)",
            "c: one learning-rate exponent for every layer (lr ~ n^{-c})"],
}


__all__ = ["PLANE_AXES", "PlaneFrame", "closure_polygon", "phase_cover", "phase_diagram",
           "phase_diagram_data", "plane_frame"]
