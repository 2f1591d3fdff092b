"""Maximal stable learning-rate exponents per layer (the minimal ``c_l``) for a given
initialization ``(a, b)``, solved exactly.

Two rules:

``rule="tp"`` (default; Tensor Programs' readout rule, answered by the engine)
    1. the readout first: the least :math:`c_{L+1}` for which the engine says *stable* with the
       hidden layers frozen; 2. then, with that :math:`c_{L+1}`, for each layer :math:`l \\le L`
       the least :math:`c_l` that is stable with the other layers frozen; 3. the joint vector is
       checked with :func:`widthlimits.theory.classify.classify`.  Each least value is computed
       exactly as the infimum of the engine's one-dimensional stable set, not by sampling: the
       germ cells of :mod:`widthlimits.theory.regions.line` walked from :math:`-\\infty` to the
       first stable cell (the hidden layers' questions together, their cell ends classified by one
       batched run, :mod:`widthlimits.theory.regions.line_batch`); ``method="cover"`` gives the
       same answers from the exact 1-D cover of a box
       (:func:`widthlimits.theory.regions.cover.cover`), the earlier and slower route.
       For nonlinear activations this reproduces TP4 Thm 3.3 / TP IVb Thm 2.8.12
       (:math:`2a_{L+1}+c_{L+1}\\ge1` resp. :math:`a_{L+1}+c_{L+1}\\ge1`, then :math:`r_l\\ge0` and
       :math:`a_{L+1}+b_{L+1}+r\\ge1`).

``rule="everett-full"`` / ``"everett-none"``
    Everett et al. (2024, arXiv:2407.05872, Table 1 and its alignment assumptions) as encoded
    in the maxP package, with :math:`(\\alpha,\\omega,u)=(1,\\tfrac12,1)`
    (full alignment) or all :math:`\\tfrac12` (none): residuals

    .. math::
        r_1 = g_1 + a_1 + c_1,\\quad
        r_l = \\min(g_l + a_l + c_l - \\alpha,\\; g_l + a_l + c_l + r_{l-1} - u,\\;
                   a_l + b_l + r_{l-1} - \\omega),\\\\
        r_{L+1} = \\min(a_{L+1}+b_{L+1}+r_L-\\omega,\\; k a_{L+1}+c_{L+1}-\\alpha,\\;
                   k a_{L+1}+c_{L+1}+r_L-u) ,

    with :math:`g_l = \\min(a_{L+1}+b_{L+1}, 2a_{L+1}+c_{L+1}) + a_l`, :math:`k = 2` for SGD and
    :math:`g_l = 0`, :math:`k = 1` for Adam; all :math:`r \\ge 0`; maxP's objective
    :math:`\\min \\sum_l c_l` (an exact LP with one auxiliary variable per ``min``, see
    :func:`everett_max_lr`).  maxP writes ``1/2`` for the hidden :math:`a_l+b_l`; we keep
    :math:`a_l + b_l` (equal when the init is stable).

The two rules differ in the readout: Everett's :math:`\\omega_{L+1} = \\tfrac12` accepts
:math:`a_{L+1}+b_{L+1}+r \\ge \\tfrac12`, TP4/TP IVb require :math:`\\ge 1` (TP4, Yang & Hu 2021,
arXiv:2011.14522, Thm 3.3: :math:`W^{L+1}_0` is correlated with :math:`\\Delta x^L` through
backprop, Sec. 5; TP IVb, Yang & Littwin 2023, arXiv:2308.01814, Thm 2.8.12).  Every result
lists the layers where they disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.classify import Violation, classify
from widthlimits.theory.exponents import INF, Exponent, as_exponent, fmt, is_pos_inf
from widthlimits.theory.frames import make_frame
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth, equal_runs
from widthlimits.theory.regions.cell import Cell
from widthlimits.theory.regions.cover import Cover, cover
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.line import LeastStable, X, least_stable, least_stable_many
from widthlimits.theory.regions.lp import lp_max_sparse
from widthlimits.theory.regions.polyhedra import (
    Constraint,
    bounding_box,
    satisfies,
)

HALF = Fraction(1, 2)
RULES = ("tp", "everett-full", "everett-none")

#: Everett et al. (arXiv:2407.05872) Table 1 as transcribed in the maxP package (embedding /
#: hidden / readout), used only to flag differences; (opt, alignment, preset) -> c
EVERETT_TABLE: dict[tuple[str, str, str], tuple[Fraction, Fraction, Fraction]] = {
    (o, al, p): tuple(Fraction(x) for x in v)  # type: ignore[misc]
    for (o, al, p), v in {
        ("sgd", "full", "sp"): ("-1/2", "1/2", "1"), ("sgd", "none", "sp"): ("-1/2", "0", "1/2"),
        ("adam", "full", "sp"): ("0", "1", "1"), ("adam", "none", "sp"): ("0", "1/2", "1/2"),
        ("sgd", "full", "ntp"): ("-1/2", "-1/2", "0"), ("sgd", "none", "ntp"): ("-1/2", "-1", "-1/2"),
        ("adam", "full", "ntp"): ("0", "1/2", "1/2"), ("adam", "none", "ntp"): ("0", "0", "0"),
        ("sgd", "full", "mup"): ("0", "0", "0"), ("sgd", "none", "mup"): ("0", "-1/2", "0"),
        ("adam", "full", "mup"): ("1/2", "1", "1/2"), ("adam", "none", "mup"): ("1/2", "1/2", "0"),
        ("sgd", "full", "mfp"): ("-1", "-1", "-1"), ("sgd", "none", "mfp"): ("-1", "-3/2", "-1"),
        ("adam", "full", "mfp"): ("0", "1/2", "0"), ("adam", "none", "mfp"): ("0", "0", "1/2"),
    }.items()
}
#: a probable transcription error in maxP's table (maxP +1/2; the width symmetry from muP and the
#: LP give -1/2)
SUSPECT_CELL = ("adam", "none", "mfp")


@dataclass(frozen=True)
class MaxLR:
    """Maximal stable learning-rate exponents (least ``c_l``) for one initialization.

    Attributes
    ----------
    c : tuple of Fraction
        The answer of ``rule``, one per weight layer (``None`` where no least value exists).
    rule : str
        ``"tp"``, ``"everett-full"`` or ``"everett-none"``.
    tp, everett_full, everett_none : tuple or None
        The three rules side by side (always computed, for comparison).
    disagreements : tuple of str
        Layers where the TP rule and Everett's full-alignment rule differ, with the reason
        (consecutive layers with the same two answers in one line, ``"layers 2-100: ..."``).
    engine_check : dict
        ``classify`` at the answer: regime and whether it is stable.
    notes : tuple of str
    init_blow_up : Violation or None
        What blows up at step 0 when the initialization ``(a, b)`` itself is unstable (then no
        learning rate is stable, ``tp`` is all None and the first note says so); None when the
        initialization is stable (:func:`init_blow_up`).
    d : tuple of Fraction or None
        The entrywise optimizer's gradient/epsilon exponents the answer assumes (None: epsilon
        negligible).
    tp_status : tuple of str
        Per layer, what ``tp``'s entry is (:data:`STATUSES`): ``"value"`` (the least stable
        exponent), ``"unbounded"`` (every rate is stable: no least value), ``"none"`` (no rate is
        stable) or ``"not computed"`` (the readout-first rule stops: the readout has no least
        value).  ``None`` in ``c`` means one of the last three.
    """

    depth: int
    optimizer: str
    a: tuple[Fraction, ...]
    b: tuple[Exponent, ...]
    rule: str
    c: tuple[Fraction | None, ...]
    tp: tuple[Fraction | None, ...] | None
    everett_full: tuple[Fraction, ...] | None
    everett_none: tuple[Fraction, ...] | None
    disagreements: tuple[str, ...]
    engine_check: dict[str, Any]
    notes: tuple[str, ...] = field(default=())
    init_blow_up: Violation | None = None
    d: tuple[Fraction, ...] | None = None
    tp_status: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        def row(v: tuple | None) -> list[str | None] | None:
            return None if v is None else [fmt(x) if x is not None else None for x in v]

        return {
            "schema": "widthlimits.max_lr/1",
            "depth": self.depth,
            "optimizer": self.optimizer,
            "a": [fmt(x) for x in self.a],
            "b": [fmt(x) for x in self.b],
            "d": None if self.d is None else [fmt(x) for x in self.d],
            "rule": self.rule,
            "c": row(self.c),
            "tp": row(self.tp),
            "everett_full": row(self.everett_full),
            "everett_none": row(self.everett_none),
            "disagreements": list(self.disagreements),
            "engine_check": self.engine_check,
            "notes": list(self.notes),
            "init_blow_up": None if self.init_blow_up is None else self.init_blow_up.as_dict(),
            "tp_status": list(self.tp_status),
        }


# ------------------------------------------------------------------------------ Everett's LP
def everett_max_lr(a: tuple[Fraction, ...], b: tuple[Fraction, ...], optimizer: str | Optimizer,
                   alignment: str) -> tuple[Fraction, ...] | None:
    """Everett et al.'s maximal stable ``c`` (maxP objective ``min sum c``), exactly.

    Returns None if the constraints are infeasible (or unbounded).

    The LP has one auxiliary variable per ``min``: :math:`\\gamma \\le` each alternative of
    :math:`g_l - a_l` (SGD-type; pinned to 0 for entrywise optimizers) and :math:`\\rho_l \\le`
    each alternative of :math:`r_l`, with :math:`\\rho_l \\ge 0` and the readout conditions on
    :math:`\\rho_L`.  Every alternative is non-decreasing in :math:`\\gamma` and
    :math:`\\rho_{l-1}`, so by induction :math:`\\rho_l \\le r_l` for any feasible point, and
    :math:`(\\gamma, \\rho) = (g - a, r)` is feasible whenever ``c`` is: the projection on ``c`` is
    exactly the set where every :math:`r \\ge 0`, with O(L) constraints (expanding the nested
    mins instead gives :math:`2^L` (entrywise) to :math:`3^L` (SGD) linear inequalities).
    """
    opt = get_optimizer(optimizer)
    if alignment not in ("full", "none"):
        raise ValueError(f"unknown alignment {alignment!r}; choose 'full' or 'none'")
    al, om, u = (Fraction(1), HALF, Fraction(1)) if alignment == "full" else (HALF, HALF, HALF)
    n = len(a)
    L = n - 1
    # variables: c_1..c_n (indices 0..n-1), gamma (n), rho_1..rho_L (n+1..n+L)
    d = n + 1 + L
    gam = n

    def c_(l: int) -> int:
        return l - 1

    def rho(l: int) -> int:
        return n + l

    rows: list[tuple[dict[int, Fraction], Fraction]] = []  # sum row_i x_i <= bound, sparse

    def nonneg(coefs: dict[int, int], k: Fraction) -> None:
        """``sum coefs[i] x_i + k >= 0`` as ``-(...) <= k``."""
        rows.append(({i: Fraction(-x) for i, x in coefs.items()}, Fraction(k)))

    ab_out = a[L] + b[L]
    if opt.entrywise:  # g_l = 0
        nonneg({gam: 1}, Fraction(0))
        nonneg({gam: -1}, Fraction(0))
        k_out = 1
    else:  # g_l = min(a_{L+1} + b_{L+1}, 2 a_{L+1} + c_{L+1}) + a_l
        nonneg({gam: -1}, ab_out)
        nonneg({gam: -1, c_(n): 1}, 2 * a[L])
        k_out = 2
    nonneg({gam: 1, c_(1): 1, rho(1): -1}, 2 * a[0] if not opt.entrywise else a[0])
    nonneg({rho(1): 1}, Fraction(0))
    for l in range(2, L + 1):
        i = l - 1
        g_a = a[i] if not opt.entrywise else Fraction(0)  # g_l - gamma
        nonneg({gam: 1, c_(l): 1, rho(l): -1}, g_a + a[i] - al)
        nonneg({gam: 1, rho(l - 1): 1, c_(l): 1, rho(l): -1}, g_a + a[i] - u)
        nonneg({rho(l - 1): 1, rho(l): -1}, a[i] + b[i] - om)
        nonneg({rho(l): 1}, Fraction(0))
    nonneg({rho(L): 1}, ab_out - om)
    nonneg({c_(n): 1}, k_out * a[L] - al)
    nonneg({rho(L): 1, c_(n): 1}, k_out * a[L] - u)
    st, _, x = lp_max_sparse({i: Fraction(-1) for i in range(n)}, rows, d)
    if st != "optimal" or x is None:
        return None
    return tuple(x[:n])


# ------------------------------------------------------------------------------ the TP rule
#: half-width of the first box ``[-B, B]`` of the free ``c_l`` in :func:`_least_c_cover`.  The answer
#: does not depend on it: the box is only where the cover starts (every cell certifies its verdict
#: on the whole cell, also outside the box), and it is widened while the cell at an end of the box
#: leaves the answer open.  64 is far beyond any least c seen (|c| <= 3 for the presets up to depth
#: 4), so no widening happens in practice, and a 1-D cover costs the same for a larger box (the
#: cells beyond the last breakpoint are unbounded).
LEAST_C_BOX = Fraction(64)
#: widenings of the box before giving up (each one moves past a cell not seen before; there are
#: finitely many, so this is a guard against an internal error, not a limit of the method)
_MAX_WIDEN = 64


def _extent(cons: Sequence[Constraint]) -> tuple[Fraction | None, Fraction | None]:
    """Lower and upper end of the closure of a 1-D polyhedron (None: unbounded that way, or
    both None if it is empty)."""
    box = bounding_box(cons, 1)
    return (None, None) if box is None else box[0]


def _least_c_line(a: tuple, b: tuple, c: list[Exponent], layer: int, optimizer: Optimizer,
                  activation: str, loss: str, d: tuple | None = None
                  ) -> tuple[Fraction | None, bool, str]:
    """Least c_layer (others as in ``c``) with a stable engine verdict, exactly: the walk of
    :func:`widthlimits.theory.regions.line.least_stable` over the germ cells of the line (the
    same verdicts as the cover's cells, only the cells the answer needs).

    Returns (value, attained, note)."""
    cs = [X if l == layer else c[l - 1] for l in range(1, len(a) + 1)]
    return _note(least_stable(Parametrization(a, b, tuple(cs), d), optimizer, activation, loss),
                 layer)


def _unbounded_note(layer: int) -> str:
    """The note of a layer with no least c because every c is stable (both methods)."""
    return f"c_{layer} unbounded below: every learning rate is stable"


def _empty_note(layer: int) -> str:
    """The note of a layer with no least c because no c is stable (both methods)."""
    return f"no stable c_{layer} (unstable for every learning rate)"


def _note(r: LeastStable, layer: int) -> tuple[Fraction | None, bool, str]:
    note = ""
    if r.value is None:
        note = _unbounded_note(layer) if r.note.startswith("unbounded") else _empty_note(layer)
    return r.value, r.attained, note


def _least_c_cover(a: tuple, b: tuple, c: list[Exponent], layer: int, optimizer: Optimizer,
                   activation: str, loss: str, d: tuple | None = None
                   ) -> tuple[Fraction | None, bool, str]:
    """Least c_layer (others as in ``c``) with a stable engine verdict, exactly.

    The frame has one free coordinate, ``c_layer`` (every a, b and the other c fixed, gauge
    ``sp``); :func:`widthlimits.theory.regions.cover.cover` cuts the box ``[lo, hi]`` (initially
    ``[-LEAST_C_BOX, LEAST_C_BOX]``) into intervals with constant exact verdicts, and the answer
    is the least end of the closures of the stable ones; ``attained`` says whether that end is
    itself stable.  Outside the box: a cell certifies its verdict on all of it, so if the cell at
    ``lo`` is stable and unbounded below, every smaller c is stable ("unbounded below"); if it is
    unstable and unbounded below, no smaller c is stable; if the box has no stable c and the cell
    at ``hi`` is unbounded above, no c at all is stable.  Otherwise the end cell is bounded and
    the box is widened past it.

    Returns (value, attained, note)."""
    L = len(a) - 1
    c_free = [None if l == layer else c[l - 1] for l in range(1, L + 2)]
    fix = {"a": list(a), "b": list(b), "c": c_free} | ({} if d is None else {"d": list(d)})
    frame = CellFrame(make_frame(L, optimizer, gauge="sp", fix=fix))
    lo, hi = -LEAST_C_BOX, LEAST_C_BOX
    for _ in range(_MAX_WIDEN):
        cv = cover(frame, activation, loss, box=(lo, hi), want=("stable",))

        def end_cell(z: Fraction, cv: Cover = cv) -> Cell:
            return next(cl for cl in cv.cell_list if cl.contains((z,)))

        first = end_cell(lo)
        below, _ = _extent(first.constraints)
        if below is None and first.verdict.stable:
            return None, False, _unbounded_note(layer)
        if below is not None:  # the verdict below the cell is not known yet
            lo = below - LEAST_C_BOX
            continue
        stable = [pc for pc in cv.pieces if pc.verdict.stable]
        if not stable:
            _, above = _extent(end_cell(hi).constraints)
            if above is None:
                return None, False, _empty_note(layer)
            hi = above + LEAST_C_BOX
            continue
        best = min(_extent(pc.constraints)[0] for pc in stable)  # type: ignore[type-var]
        # the pieces partition the box exactly, each with its certified verdict
        at_best = next(pc for pc in cv.pieces if satisfies((best,), pc.constraints))
        return best, at_best.verdict.stable, ""
    raise RuntimeError(f"internal: the least c_{layer} was not isolated after {_MAX_WIDEN} "
                       f"widenings of the box (now [{lo}, {hi}])")


def _check_method(method: str) -> str:
    """``method`` if it is one of the two ways to find a least ``c_l`` (``"line"``,
    ``"cover"``), else the one error every entry point gives."""
    if method not in ("line", "cover"):
        raise ValueError(f"unknown method {method!r}; choose 'line' or 'cover'")
    return method


def least_c(a: tuple, b: tuple, c: Sequence[Exponent], layer: int, optimizer: str | Optimizer,
            activation: str = "tanh", loss: str = "mse", *, method: str = "line",
            d: tuple | None = None) -> tuple[Fraction | None, bool, str]:
    """Least ``c_layer`` (1-based; the other exponents as in ``c``, ``inf`` = frozen) with a
    stable engine verdict, exactly: ``(value, attained, note)``; ``value`` None when every
    ``c_layer`` or none is stable (``note`` says which).  ``method``: ``"line"`` (germ cells,
    :mod:`widthlimits.theory.regions.line`) or ``"cover"`` (1-D cover of a box); the same
    answers.  ``d``: the gradient/epsilon exponents of an entrywise optimizer (TP IVb), None for
    epsilon negligible."""
    opt = get_optimizer(optimizer)
    if _check_method(method) == "line":
        return _least_c_line(a, b, list(c), layer, opt, activation, loss, d)
    return _least_c_cover(a, b, list(c), layer, opt, activation, loss, d)


def init_blow_up(a: tuple, b: tuple, optimizer: str | Optimizer, activation: str = "tanh",
                 loss: str = "mse") -> Violation | None:
    """What blows up at step 0 of the initialization ``(a, b)``, or None if nothing does.

    Step 0 (:math:`h^l_0, x^l_0, f_0`) does not depend on the learning rates, so this is the
    engine's verdict at init with every layer frozen (``c = inf``, no step computed): when it is
    unstable, every ``c`` is, and no least ``c_l`` exists for a reason that is not the readout
    rule's."""
    L = len(a) - 1
    cl = classify(Parametrization(tuple(a), tuple(b), (INF,) * (L + 1)), optimizer, activation,
                  loss=loss, steps=0)
    return None if cl.stable_at_init else cl.first_blow_up


def init_unstable_note(v: Violation) -> str:
    """The note of an initialization that is unstable at step 0 (``v``: what blows up first)."""
    return f"no stable learning rate: the initialization is unstable at step 0, whatever c is: {v}"


def tp_max_lr(a: tuple, b: tuple, optimizer: str | Optimizer, *, activation: str = "tanh",
              loss: str = "mse", method: str = "line", d: tuple | None = None
              ) -> tuple[tuple[Fraction | None, ...], list[str]]:
    """The readout-first rule answered by the engine (see the module docstring).

    ``method="line"`` (default): each least ``c_l`` by the germ-cell walk of
    :mod:`widthlimits.theory.regions.line`; ``"cover"``: by the 1-D cover of a box (the earlier
    method, kept as the reference of the tests and the benchmark).  Both are exact and give the
    same answers.

    An initialization unstable at step 0 (:func:`init_blow_up`) has no stable learning rate in
    any layer: the answer is all None with one note naming what blows up, not a readout note.
    ``d``: an entrywise optimizer's gradient/epsilon exponents (TP IVb), fixed in every run."""
    opt = get_optimizer(optimizer)
    _check_method(method)
    c, notes, _ = _tp_max_lr(a, b, opt, activation, loss, method,
                             init_blow_up(a, b, opt, activation, loss), d)
    return c, notes


#: what a layer's entry of the TP rule's answer is: a least value, every value stable
#: (unbounded below), no value stable, or not computed (the readout has no least value)
STATUSES = ("value", "unbounded", "none", "not computed")


#: how an entry without a value reads in a sentence
_STATUS_WORDS = {"unbounded": "every c is stable", "none": "no stable c",
                 "not computed": "not computed"}


def _status(v: Fraction | None, note: str, layer: int) -> str:
    """The status of layer ``layer``'s least c ``v`` with its note (:func:`_unbounded_note`)."""
    if v is not None:
        return "value"
    return "unbounded" if note == _unbounded_note(layer) else "none"


def _tp_max_lr(a: tuple, b: tuple, opt: Optimizer, activation: str, loss: str, method: str,
               blow_up: Violation | None, d: tuple | None = None
               ) -> tuple[tuple[Fraction | None, ...], list[str], tuple[str, ...]]:
    """:func:`tp_max_lr` with the initialization's verdict (:func:`init_blow_up`) given; also
    each layer's status (:data:`STATUSES`)."""
    L = len(a) - 1
    if blow_up is not None:
        return (None,) * (L + 1), [init_unstable_note(blow_up)], ("none",) * (L + 1)

    def least(c: list[Exponent], layer: int) -> tuple[Fraction | None, bool, str]:
        if method == "cover":
            return _least_c_cover(a, b, c, layer, opt, activation, loss, d)
        return _least_c_line(a, b, c, layer, opt, activation, loss, d)

    notes: list[str] = []
    c: list[Exponent] = [INF] * (L + 1)
    out: list[Fraction | None] = [None] * (L + 1)
    v, att, note = least(c, L + 1)
    if note:
        notes.append(f"readout: {note}")
    if v is not None and not att:
        notes.append(f"readout: c_{L + 1} > {v} (the bound itself is unstable)")
    out[L] = v
    if v is None:
        readout = _status(v, note, L + 1)
        what = ("every readout rate is stable" if readout == "unbounded" else
                "no readout rate is stable")
        where = "layer 1" if L == 1 else f"layers 1-{L}"
        notes.append(f"{where}: not computed: the readout-first rule fixes c_{L + 1} at its least "
                     f"stable value first, and there is none ({what} while the hidden layers are "
                     "frozen); fix the readout's c and ask classify or query")
        return tuple(out), notes, ("not computed",) * L + (readout,)
    c[L] = v
    if method == "line":  # the hidden layers' questions are independent: walked together
        probs = [Parametrization(a, b, tuple(X if k == l else c[k - 1] for k in range(1, L + 2)),
                                 d) for l in range(1, L + 1)]
        hidden = [_note(r, l) for l, r in
                  enumerate(least_stable_many(probs, opt, activation, loss), start=1)]
    else:
        hidden = [least(c, l) for l in range(1, L + 1)]
    for l, (v, att, note) in enumerate(hidden, start=1):
        if note:
            notes.append(f"layer {l}: {note}")
        if v is not None and not att:
            notes.append(f"layer {l}: c_{l} > {v} (the bound itself is unstable)")
        out[l - 1] = v
    status = tuple(_status(v, note, l) for l, (v, _, note) in enumerate(hidden, start=1)) + \
        ("value",)
    return tuple(out), notes, status


def max_lr(
    a: Any,
    b: Any,
    optimizer: str | Optimizer = "sgd",
    *,
    alignment: str | None = None,
    activation: str = "tanh",
    loss: str = "mse",
    preset_name: str | None = None,
    method: str = "line",
    d: Any = None,
) -> MaxLR:
    """Maximal stable learning-rate exponent per layer for the initialization ``(a, b)``.

    Parameters
    ----------
    a, b : sequence of exact exponents, one per weight layer (``b`` may contain ``inf``)
    alignment : {None, "full", "none"}
        None: Tensor Programs' readout rule answered by the engine (default).  "full"/"none":
        Everett et al.'s alignment constraints (module docstring).
    preset_name : str, optional
        Used only to compare with Everett's published table (sp, ntp, mup, mfp).
    method : {"line", "cover"}
        How the TP rule's least values are found (:func:`tp_max_lr`); the same exact answers.
    d : sequence of exact exponents, optional
        An entrywise optimizer's gradient/epsilon exponents (TP IVb's abcd, arXiv:2308.01814,
        Sec. 2.2: epsilon ~ n^{-d}), one per layer, fixed in every run of the TP rule; None
        (default): epsilon negligible.  Everett et al.'s rules assume epsilon negligible, so with
        ``d`` they are not computed (and ``alignment`` is refused).

    Examples
    --------
    >>> from widthlimits.theory.presets import preset
    >>> p = preset("mup", 1, "sgd")
    >>> [str(x) for x in max_lr(p.a, p.b, "sgd").c]
    ['0', '0']
    """
    opt = get_optimizer(optimizer)
    a_ = tuple(as_exponent(x, name="a") for x in a)
    b_ = tuple(as_exponent(x, name="b") for x in b)
    L = check_depth(len(a_) - 1)
    if len(b_) != L + 1:
        raise ValueError(f"`b` has {len(b_)} values but `a` has {len(a_)}")
    for i, x in enumerate(a_):
        if not isinstance(x, Fraction):
            raise ValueError(f"`a[{i + 1}]` = {fmt(x)}: must be a finite exact number")
    if alignment not in (None, "full", "none"):
        raise ValueError(f"unknown alignment {alignment!r}; choose 'full' or 'none'")
    _check_method(method)
    d_ = _check_d(d, L, opt, alignment)
    notes: list[str] = []
    blow_up = init_blow_up(a_, b_, opt, activation, loss)
    tp, tp_notes, status = _tp_max_lr(a_, b_, opt, activation, loss, method, blow_up, d_)
    notes += tp_notes
    if d_ is not None:
        notes.append("Everett et al.'s rules assume epsilon negligible: not computed with d")
    finite_b = d_ is None and all(not is_pos_inf(x) for x in b_)
    ev_full = everett_max_lr(a_, b_, opt, "full") if finite_b else None  # type: ignore[arg-type]
    ev_none = everett_max_lr(a_, b_, opt, "none") if finite_b else None  # type: ignore[arg-type]
    rule = "tp" if alignment is None else f"everett-{alignment}"
    c = tp if alignment is None else (ev_full if alignment == "full" else ev_none)
    if c is None:
        c = tuple([None] * (L + 1))
        notes.append(f"{rule}: no feasible learning rates")
    dis: list[str] = []
    if ev_full is not None:
        # consecutive layers with the same pair of answers: one line
        for l, k in equal_runs(list(zip(tp, ev_full, status, strict=True))):
            if tp[l] != ev_full[l]:
                where = f"layer {l + 1}" if k == l else f"layers {l + 1}-{k + 1}"
                mine = (f"c = {fmt(tp[l])}" if tp[l] is not None else
                        f"{_STATUS_WORDS[status[l]]}")
                dis.append(f"{where}: TP rule (engine) {mine}, Everett full alignment "
                           f"c = {fmt(ev_full[l])}")
        if dis and blow_up is not None:
            dis.append("reason: the initialization is unstable at step 0 whatever c is (see the "
                       "note), which Everett et al.'s rule does not check: it assumes a stable "
                       "initialization")
        elif dis:
            dis.append("reason: Everett's readout omega = 1/2 accepts a_{L+1} + b_{L+1} + r >= 1/2; "
                       "TP4/TP IVb need >= 1 (W^{L+1}_0 is LLN-correlated with dx^L through "
                       "backprop; TP4, arXiv:2011.14522, Thm 3.3 and Sec. 5)")
    if preset_name is not None and L == 1 or (preset_name is not None and L >= 1):
        key_opt = "adam" if opt.entrywise else "sgd"
        for al, mine in (("full", ev_full), ("none", ev_none)):
            ref = EVERETT_TABLE.get((key_opt, al, str(preset_name)))
            if ref is None or mine is None:
                continue
            mine3 = (mine[0], mine[1] if L >= 2 else None, mine[-1])
            for idx, nm in ((0, "embedding"), (1, "hidden"), (2, "readout")):
                if mine3[idx] is None or mine3[idx] == ref[idx]:
                    continue
                tag = (" -- the suspect cell of maxP's transcription (maxP +1/2; the "
                       "symmetry from muP and this LP give -1/2)"
                       if (key_opt, al, preset_name) == SUSPECT_CELL and idx == 2 else "")
                notes.append(f"Everett {al} alignment, {nm}: LP gives {fmt(mine3[idx])}, the maxP "
                             f"transcription of Everett's table has {fmt(ref[idx])}{tag}")
    check: dict[str, Any] = {}
    if all(x is not None for x in c):
        p = Parametrization(a_, b_, tuple(c), d_)  # type: ignore[arg-type]
        cl = classify(p, opt, activation, loss=loss)
        check = {"regime": cl.regime, "stable": cl.stable,
                 "violations": [str(v) for v in cl.violations]}
        if not cl.stable:
            notes.append(f"{rule}: the engine says this c is unstable ({cl.violations[0]})")
    return MaxLR(L, opt.name, a_, b_, rule, tuple(c), tp, ev_full, ev_none, tuple(dis), check,
                 tuple(notes), blow_up, d_, status)


def _check_d(d: Any, L: int, opt: Optimizer, alignment: str | None) -> tuple[Fraction, ...] | None:
    """``d`` as exact finite exponents, one per layer, or None; refused for SGD-type optimizers
    (there n^d is the learning-rate exponent c - d, TP IVb Remark 2.2.4) and with Everett's
    rules (they assume epsilon negligible)."""
    if d is None:
        return None
    if not opt.entrywise:
        raise ValueError(f"`d` applies to entrywise optimizers (adam, rmsprop, signsgd); with "
                         f"{opt.name} a gradient factor n^d is the learning-rate exponent c - d "
                         "(TP IVb Remark 2.2.4)")
    if alignment is not None:
        raise ValueError("Everett et al.'s alignment rules assume epsilon negligible: give `d` "
                         "or `alignment`, not both")
    d_ = tuple(as_exponent(x, name="d") for x in d)
    if len(d_) != L + 1:
        raise ValueError(f"`d` has {len(d_)} values but `a` has {L + 1}")
    for i, x in enumerate(d_):
        if not isinstance(x, Fraction):
            raise ValueError(f"`d[{i + 1}]` = {fmt(x)}: must be a finite exact number")
    return d_  # type: ignore[return-value]


__all__ = ["EVERETT_TABLE", "MaxLR", "RULES", "STATUSES", "SUSPECT_CELL", "everett_max_lr", "init_blow_up",
           "init_unstable_note", "least_c", "max_lr", "tp_max_lr"]
