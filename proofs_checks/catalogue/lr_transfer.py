"""muP's learning-rate transfer across widths (Yang et al. 2022, TP V, arXiv:2203.03466).

Design (declared in code before the numbers; the one change after the first exploratory run is
recorded in ``SP_WINDOW_HISTORY`` and docs/checks.md):

* headline: the log-log slope in width of the loss-minimizing learning rate under muP with SGD,
  predicted 0 (TP V Sec. 3 and Fig. 1: muP's optimal hyperparameters are width-stable), window
  ``[-LR_TOL, LR_TOL]``; muP with Adam (TP IVb's Adam muP, arXiv:2308.01814, Table 1) the same;
  both decisive;
* SP (preset ``sp``: one constant learning rate for every layer) with SGD and with Adam: the
  optimum drifts toward smaller rates, at most as fast as SP's largest stable rate, whose
  exponent the engine derives (:func:`widthlimits.theory.max_lr.max_lr`: ``1/n`` for SGD, TP4
  arXiv:2011.14522 Thm 3.3; ``n^{-3/2}`` for Adam's hidden layers, TP IVb Thm 2.8.12):
  window ``[-c_max - LR_TOL, -LR_TOL]`` (decisive);
* control: the muP/SGD slope judged against ``+-1/2`` (half SP's ``n^{-1}`` drift, either way).

Experiment: a 3-hidden-layer tanh MLP (no biases), MSE on the bundled 8x8 digits (labels +-1 for
digits 5-9 / 0-4, 128 examples, ``widthlimits.numerics.data``), 20 full-batch steps, one learning
rate constant for every layer (times the parametrization's width factors) on the grid
``2^{k/2}``; the final training loss per seed; per seed the argmin, refined by a parabola through
its neighbours (:func:`widthlimits.proofs_checks.catalogue.depth.optimal_multiplier`); the slope
of ``log eta*`` on ``log n`` with a BCa bootstrap CI over seeds (``numerics.fits.fit_exponent``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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

LR_TOL = 0.2  # the LR grid's spacing is 2^{1/2}: a slope of 0.2 moves the optimum ~1 grid step
CONTROL_SHIFT = 0.5
SP_WINDOW_HISTORY = (
    "declared first: SP's window [-1.2, -0.2] for SGD and Adam alike (SGD's 1/n bound, TP4 Thm "
    "3.3); changed after the first exploratory run (widths 128/512/2048, 2 seeds, grid 2^k) "
    "showed SP/Adam's optimum at 2^-8, 2^-11, <= 2^-14 (slope about -1.5): the bound is now "
    "the engine's largest stable SP rate per optimizer (max_lr: SGD c = 1, Adam c = 3/2 in the "
    "hidden layers), the same -1.2 for SGD")
STEPS = 20
N_SAMPLES = 128
DEPTH = 3
#: log2 of the learning-rate grid per (optimizer, preset): half-octave steps, chosen from the
#: exploratory run so that every width's optimum is bracketed (widened, never tuned on slopes)
GRIDS: dict[tuple[str, str], tuple[float, float]] = {
    ("sgd", "mup"): (-2.0, 4.0), ("sgd", "sp"): (-9.0, 0.0),
    ("adam", "mup"): (-5.0, 3.0), ("adam", "sp"): (-19.0, -5.0),
}
RUNS: tuple[tuple[str, str], ...] = (("sgd", "mup"), ("adam", "mup"), ("sgd", "sp"), ("adam", "sp"))


def sizes(ctx: Context) -> tuple[tuple[int, ...], int]:
    widths = (128, 256, 512) if ctx.quick else (128, 256, 512, 1024, 2048)
    return widths, ctx.seeds(3, 8)


def edge_shift(name: str, optimizer: str, depth: int = DEPTH) -> Fraction:
    """``delta*``: the least common shift of every layer's learning-rate exponent that the engine
    classifies stable, from :func:`~widthlimits.theory.max_lr.max_lr` (``max_l (c*_l - c_l)``)
    and checked by :func:`~widthlimits.theory.classify.classify` at ``delta*`` (stable) and
    ``delta* - 1/64`` (unstable); a RuntimeError if the engine's stable set along the shift is
    not that.  With one rate for every layer the largest stable rate moves as ``n^{-delta*}``."""
    from dataclasses import replace

    from widthlimits.theory.classify import classify
    from widthlimits.theory.max_lr import max_lr
    from widthlimits.theory.presets import preset

    p = preset(name, depth, optimizer)
    top = max_lr(p.a, p.b, optimizer).c
    if any(c is None for c in top):
        raise RuntimeError(f"max_lr has no largest stable exponent for {name}/{optimizer}")
    delta = max(Fraction(t) - Fraction(c) for t, c in zip(top, p.c, strict=True))

    def stable(d: Fraction) -> bool:
        return classify(replace(p, c=tuple(c + d for c in p.c)), optimizer, "tanh").stable

    if not stable(delta) or stable(delta - Fraction(1, 64)):
        raise RuntimeError(f"the engine's edge for {name}/{optimizer} is not at the shift "
                           f"{delta} that max_lr gives")
    return delta


def sp_bound(optimizer: str) -> Fraction:
    """The engine's largest stable learning-rate exponent for SP with one rate for all layers
    (TP4 Thm 3.3, TP IVb Thm 2.8.12): SP's :func:`edge_shift` (its exponents are all 0)."""
    return edge_shift("sp", optimizer)


def experiment(optimizer: str, name: str) -> object:
    """The simulation behind both learning-rate checks (this one and ``max-lr-edge``): the
    preset at depth ``DEPTH``, tanh, MSE on ``N_SAMPLES`` digits with labels +-1, ``STEPS``
    full-batch steps, float32, learning-rate constant 1 (scaled by the sweeps)."""
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig
    from widthlimits.theory.presets import preset

    data = DataConfig(kind="digits", n_samples=N_SAMPLES, d_in=64, target="labels", seed=3)
    return SimulationConfig(preset(name, DEPTH, optimizer), optimizer=optimizer,
                            activation="tanh", loss="mse", eta=1.0, steps=STEPS, data=data,
                            dtype="float32", quantities=("f",))


def log2_grid(optimizer: str, name: str) -> np.ndarray:
    lo, hi = GRIDS[(optimizer, name)]
    return np.arange(2 * lo, 2 * hi + 1) / 2


@dataclass(frozen=True)
class LRSweep:
    """Final training losses ``losses[width, grid point, seed]`` (inf where diverged)."""

    optimizer: str
    preset: str
    widths: tuple[int, ...]
    log2_eta: np.ndarray
    losses: np.ndarray

    def optima(self) -> np.ndarray:
        """``eta*[width, seed]`` (NaN where the grid does not bracket the optimum)."""
        from widthlimits.proofs_checks.catalogue.depth import optimal_multiplier

        lg = self.log2_eta * np.log(2.0)
        return np.stack([optimal_multiplier(self.losses[i], lg) for i in range(len(self.widths))])


#: a row stops once its last ``STOP_AFTER`` rates each have every seed's loss above ``STOP_RATIO``
#: times the best seed-mean loss so far (or diverged): the remaining, larger rates cannot hold the
#: argmin of a curve that rises past its minimum (a cost rule, added before the first full run)
STOP_AFTER, STOP_RATIO = 2, 3.0


def past_the_optimum(row: np.ndarray) -> bool:
    """``row[k, seed]``: the losses so far along the grid; True when larger rates can be skipped."""
    if len(row) <= STOP_AFTER:
        return False
    if not np.isfinite(row[-1]).any():
        return True
    with np.errstate(invalid="ignore"):
        best = np.min(np.mean(row, axis=1))
    return bool(np.isfinite(best) and np.all(row[-STOP_AFTER:] > STOP_RATIO * best))


def lr_sweep(optimizer: str, name: str, widths: Sequence[int], seeds: int) -> LRSweep:
    """The sweep behind one curve family; larger rates are skipped (counted as diverged) once
    every seed has diverged at a grid point or the row is past its optimum
    (:func:`past_the_optimum`)."""
    from dataclasses import replace

    from widthlimits.numerics.simulator import simulate

    base = experiment(optimizer, name)
    grid = log2_grid(optimizer, name)
    out = np.full((len(widths), len(grid), seeds), np.inf)
    for i, n in enumerate(widths):
        for k, lg in enumerate(grid):
            cfg = replace(base, eta=float(2.0 ** lg))  # type: ignore[type-var]
            loss = simulate(cfg, n, seeds=seeds).loss[:, -1]
            out[i, k] = np.where(np.isfinite(loss), loss, np.inf)
            if past_the_optimum(out[i, :k + 1]):
                break
    return LRSweep(optimizer, name, tuple(widths), grid, out)


def slope_evidence(sweep: LRSweep, window: tuple[float, float], predicted: str, label: str,
                   rng: int) -> tuple[Evidence, str]:
    from widthlimits.numerics.fits import fit_exponent

    eta = sweep.optima()
    fit = fit_exponent(list(sweep.widths), eta, rng=rng)
    per = ", ".join(f"n={n}: 2^{np.log2(np.nanmean(eta[i])):.2f}" if np.isfinite(eta[i]).any()
                    else f"n={n}: not bracketed" for i, n in enumerate(sweep.widths))
    ev = Evidence(f"slope in width of the loss-minimizing LR, {label}", predicted, fit.slope,
                  fit.ci_low, fit.ci_high, window,
                  note=f"optimum (seed mean) {per}; {int(np.isnan(eta).sum())} of {eta.size} "
                       "seed optima not bracketed by the grid")
    return ev, f"{label}: {per}"


#: a final loss at or above this is drawn as diverged (the untrained net's MSE on +-1 labels is
#: about 1; a loss of 10 means the run blew up without reaching inf in 20 steps)
DRAW_CAP = 10.0


def drawn_mean_loss(losses: np.ndarray) -> tuple[np.ndarray, int]:
    """``losses[grid point, seed]`` -> (the curve drawn: per grid point the mean over the seeds
    whose loss is finite and below ``DRAW_CAP``; the number of grid points where no seed is).

    A grid point where every seed diverged, was skipped past the optimum (stored as inf, see
    :func:`lr_sweep`) or ended at or above ``DRAW_CAP`` has no trained run to average: it is NaN,
    a gap in the curve, and counted so the legend can say so (not a mean of an empty set)."""
    y = np.asarray(losses, dtype=float)
    ok = np.isfinite(y) & (y < DRAW_CAP)
    n = ok.sum(axis=1)
    total = np.where(ok, y, 0.0).sum(axis=1)
    mean = np.full(len(y), np.nan)
    np.divide(total, n, out=mean, where=n > 0)
    return mean, int((n == 0).sum())


def _plot(ctx: Context, sweeps: dict[tuple[str, str], LRSweep]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - optional extra
        from widthlimits.proofs_checks.catalogue._util import NO_MPL
        return (), (NO_MPL,)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    titles = {"mup": "muP", "sp": "SP (one constant LR)"}
    for r, opt in enumerate(("sgd", "adam")):
        for c, name in enumerate(("mup", "sp")):
            ax, sw = axes[r, c], sweeps.get((opt, name))
            if sw is None:
                ax.set_visible(False)
                continue
            eta = sw.optima()
            cmap = plt.get_cmap("viridis")
            for i, n in enumerate(sw.widths):
                col = cmap(i / max(1, len(sw.widths) - 1))
                mean, gone = drawn_mean_loss(sw.losses[i])
                ax.plot(sw.log2_eta, mean, "o-", ms=3, color=col,
                        label=f"width {n}" + (f" ({gone} rates: no seed drawn)" if gone else ""))
                if np.isfinite(eta[i]).any():
                    ax.axvline(np.log2(np.nanmean(eta[i])), color=col, ls=":", lw=1)
            ax.set_yscale("log")
            ax.set_xlabel("log2 learning rate (constant before width factors)")
            ax.set_ylabel(f"training loss after {STEPS} steps (seed mean)")
            ax.set_title(f"{opt.upper()}, {titles[name]}: dotted = optimum per width", fontsize=9)
            ax.legend(fontsize=7, title=f"diverged or loss >= {DRAW_CAP:g}: not drawn",
                      title_fontsize=7)
    fig.suptitle(f"LR transfer: {DEPTH}-hidden-layer tanh MLP, digits ({N_SAMPLES} ex.), MSE",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(ctx.outdir / "lr_transfer.png", dpi=110)
    plt.close(fig)
    return ("lr_transfer.png",), ()


def _run(ctx: Context) -> Outcome:
    widths, seeds = sizes(ctx)
    sweeps = {(o, p): lr_sweep(o, p, widths, seeds) for o, p in RUNS}
    ev, notes = [], []
    for o, p in RUNS:
        if p == "mup":
            window, pred = (-LR_TOL, LR_TOL), "0"
        else:
            b = sp_bound(o)
            window, pred = (-float(b) - LR_TOL, -LR_TOL), f"in [-{b}, 0): drifts down"
        e, line = slope_evidence(sweeps[(o, p)], window, pred, f"{o.upper()}, {p}",
                                 ctx.seed % 2**32)
        ev.append(e)
        notes.append(line)
    sp_sgd = ev[2]
    excl = sp_sgd.ci_high is not None and sp_sgd.ci_high < 0
    notes.append(f"SP/SGD slope's CI {'excludes' if excl else 'does not exclude'} 0; TP4 Thm "
                 "3.3's largest stable SP rate falls as 1/n (slope -1)")
    notes.append(SP_WINDOW_HISTORY)
    notes.append(f"widths {widths}, {seeds} seeds, {STEPS} full-batch steps, float32, grids "
                 + "; ".join(f"{o}/{p}: 2^[{GRIDS[(o, p)][0]:g}..{GRIDS[(o, p)][1]:g}] step 2^0.5"
                             for o, p in RUNS))
    figs, more = _plot(ctx, sweeps)
    return Outcome(tuple(ev), figures=figs, notes=tuple(notes) + more,
                   prediction="muP: the optimal LR is width-independent (slope 0) for SGD and "
                              "Adam; SP: it drifts down, at most as the largest stable rate")


CHECKS = (
    Check(
        id="mup-lr-transfer", title="muP transfers the optimal learning rate across widths; SP "
                                    "does not",
        paper="Yang et al. 2022, TP V (arXiv:2203.03466); Yang & Hu 2021, TP4 (arXiv:2011.14522)",
        source="TP V Sec. 3 and Fig. 1 (muTransfer); TP4 Thm 3.3 (SP's largest stable LR 1/n)",
        statement=r"\eta^*_{\mu P}(n)\propto n^{0};\quad \eta^*_{SP}(n)\ \text{decreases, no "
                  r"faster than}\ n^{-c_{\max}}\ (c_{\max}=1\ \text{SGD},\ 3/2\ \text{Adam})",
        assumptions=("3 hidden layers, tanh, no biases", "MSE on 128 digits, 20 full-batch "
                     "steps", "one LR constant for every layer", "grid 2^{k/2}, parabola "
                     "refinement of the argmin per seed"),
        design=Design(window=(-LR_TOL, LR_TOL), control=ControlDesign(
            shift=CONTROL_SHIFT, reason="half SP's n^{-1} drift, either direction")),
        run=_run, quick_budget_s=300.0, full_budget_s=1800.0),
)
