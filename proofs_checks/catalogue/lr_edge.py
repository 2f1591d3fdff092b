"""The largest stable learning rate scales with width as the engine's max-lr says (TP4 Thm 3.3).

Prediction (exact, from the engine): the experiment trains with rates ``eta * n^{-c_l}`` (the
parametrization's exponents ``c_l`` times one constant ``eta`` for every layer).  Shifting every
``c_l`` by the same ``delta``, the engine's limit is stable exactly for ``delta >= delta*``
(``lr_transfer.edge_shift``: ``delta* = max_l (c*_l - c_l)`` with ``c*`` the largest stable exponents of
:func:`widthlimits.theory.max_lr.max_lr`, checked against :func:`~widthlimits.theory.classify`
on both sides), so the finite-width edge of ``eta`` moves as ``n^{-delta*}``: 0 for muP under
SGD (TP4, arXiv:2011.14522, Thm 3.3 and Sec. 5) and Adam (TP IVb, arXiv:2308.01814, Table 1),
``n^{-1}`` for SP under SGD (TP4 Thm 3.3's corollary for SP) and ``n^{-3/2}`` for SP under Adam
(TP IVb Thm 2.8.12: Adam's hidden layers).

Experiment: the network and data of ``mup-lr-transfer`` (3 hidden tanh layers, no biases, MSE on
128 bundled digits with labels +-1, 20 full-batch steps, float32); per width and seed the edge
is measured by :func:`widthlimits.numerics.stability_edge.stability_edge` (unstable: the final
loss is not finite or exceeds the initial loss; a one-octave scan, then bisection to
``RESOLUTION`` octaves); the slope of the edge in width with the project's slope fitter.

Design (declared in code before the full run; what was seen before it is in ``HISTORY``): every
slope against the engine's ``-delta*`` +- ``TOL``, all four decisive; the headline is SP under
SGD; its control is the neighbouring half-integer exponents, ``-delta* +- 1/2`` (``n^{-1/2}``,
a ``1/sqrt(n)`` rule, and ``n^{-3/2}``, SP's edge under Adam).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from widthlimits.proofs_checks.catalogue.base import (
    Check,
    Context,
    ControlDesign,
    Design,
    Evidence,
    Outcome,
)
from widthlimits.proofs_checks.catalogue.lr_transfer import (
    DEPTH,
    N_SAMPLES,
    STEPS,
    edge_shift,
    experiment,
    sizes,
)

TOL = 0.2
CONTROL_SHIFT = 0.5
RESOLUTION = 1 / 32
HISTORY = (
    "seen before the design was fixed: one exploratory run (widths 128 and 512, 3 seeds, the "
    "lr-transfer grids) gave edges (log2) muP/SGD 2.58 -> 2.60, SP/SGD -1.19 -> -2.94, muP/Adam "
    "> 3 -> 2.76, SP/Adam > -5 -> -6.90; the scan grids below were set from it (wide enough to "
    "bracket every edge; the width of a grid does not change a bracketed edge)")
#: log2 of the scan grid per (optimizer, preset), one-octave steps
GRIDS: dict[tuple[str, str], tuple[int, int]] = {
    ("sgd", "sp"): (-8, 1), ("sgd", "mup"): (0, 5),
    ("adam", "mup"): (0, 7), ("adam", "sp"): (-13, -1),
}
#: the headline first
RUNS: tuple[tuple[str, str], ...] = (("sgd", "sp"), ("sgd", "mup"), ("adam", "mup"), ("adam", "sp"))


def edge_sweep(optimizer: str, name: str, widths: Sequence[int], seeds: int) -> list:
    """The measured edges, one :class:`~widthlimits.numerics.stability_edge.StabilityEdge` per
    width, on ``mup-lr-transfer``'s experiment."""
    from widthlimits.numerics.stability_edge import stability_edge

    cfg = experiment(optimizer, name)
    lo, hi = GRIDS[(optimizer, name)]
    grid = np.arange(lo, hi + 1, dtype=float)
    return [stability_edge(cfg, n, seeds, grid, resolution=RESOLUTION) for n in widths]


def edge_evidence(widths: Sequence[int], log2_edges: np.ndarray, delta: Fraction, label: str,
                  rng: int, decisive: bool = True) -> Evidence:
    """``log2_edges[width, seed]`` (NaN: not bracketed) -> the slope of the edge in width against
    ``-delta`` +- ``TOL``."""
    from widthlimits.numerics.fits import fit_exponent

    fit = fit_exponent(list(widths), 2.0 ** np.asarray(log2_edges, dtype=float), rng=rng)
    per = ", ".join(f"n={n}: 2^{np.nanmean(r):.2f}" if np.isfinite(r).any() else
                    f"n={n}: not bracketed" for n, r in zip(widths, log2_edges, strict=True))
    miss = int(np.isnan(log2_edges).sum())
    pred = -float(delta)
    return Evidence(f"slope in width of the largest stable LR, {label}", f"{-delta}",
                    fit.slope, fit.ci_low, fit.ci_high, (pred - TOL, pred + TOL),
                    decisive=decisive,
                    note=f"edge (seed mean) {per}; {miss} of {log2_edges.size} seed edges not "
                         "bracketed by the grid")


def _run(ctx: Context) -> Outcome:
    widths, seeds = sizes(ctx)
    ev, rows = [], []
    for o, p in RUNS:
        delta = edge_shift(p, o)
        edges = edge_sweep(o, p, widths, seeds)
        log2 = np.stack([e.log2_edge for e in edges])
        ev.append(edge_evidence(widths, log2, delta, f"{o.upper()}, {p}", ctx.seed % 2**32))
        rows.append([f"{p}/{o}", f"n^{-delta}"]
                    + [f"{np.nanmean(r):.2f}" if np.isfinite(r).any() else "-" for r in log2]
                    + [str(sum(e.simulations for e in edges))])
    table = ("edge per width (log2 of the LR constant, seed mean)",
             ["run", "engine", *[f"n={n}" for n in widths], "simulations"], rows)
    return Outcome(
        tuple(ev), tables=(table,),
        prediction="the largest stable LR moves as n^{-delta*}, delta* the engine's least "
                   "stable common shift of the LR exponents: muP 0 (SGD, Adam), SP 1 (SGD), "
                   "3/2 (Adam)",
        notes=(f"{DEPTH} hidden tanh layers, MSE on {N_SAMPLES} digits, {STEPS} full-batch steps, "
               f"float32; widths {widths}, {seeds} seeds; unstable: final loss not finite or "
               f"above the initial loss; scan in octaves then bisection to 1/{round(1 / RESOLUTION)}"
               " octave", HISTORY))


CHECKS = (
    Check(
        id="max-lr-edge",
        title="The largest stable learning rate moves with width as the engine's max-lr says",
        paper="Yang & Hu 2021, TP4 (arXiv:2011.14522); Yang & Littwin 2023, TP IVb "
              "(arXiv:2308.01814)",
        source="TP4 Thm 3.3 (stability conditions; SP's largest stable SGD rate 1/n); TP IVb "
               "Thm 2.8.12 and Table 1 (Adam)",
        statement=r"\eta_{\max}(n)\propto n^{-\delta^*},\quad \delta^*=\max_l(c^*_l-c_l):\ "
                  r"\mu P\ 0,\ SP_{SGD}\ 1,\ SP_{Adam}\ 3/2",
        assumptions=("3 hidden layers, tanh, no biases", "MSE on 128 digits, 20 full-batch "
                     "steps, float32", "one LR constant for every layer", "unstable: final loss "
                     "not finite or above the initial loss"),
        design=Design(tolerance=TOL, control=ControlDesign(
            shift=CONTROL_SHIFT, reason="the neighbouring half-integer exponents (a 1/sqrt(n) "
                                        "rule; SP's n^{-3/2} under Adam)")),
        run=_run, quick_budget_s=180.0, full_budget_s=1800.0),
)
