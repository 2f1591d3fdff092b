"""Small helpers shared by the paper modules: evidence from fits, late-rate fits, and figures.

Figures use matplotlib's Agg backend, imported lazily (optional extra ``plots``); without
matplotlib no figure is written and the returned note says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from widthlimits.numerics.fits import bootstrap_ci as bootstrap_ci  # re-export: one fitter
from widthlimits.numerics.limits import OrderFit
from widthlimits.numerics.limits.study import single_thread_blas as single_thread_blas  # re-export
from widthlimits.proofs_checks.catalogue.base import Context, Evidence

NO_MPL = "matplotlib is not installed (optional extra `plots`): no figure was written"


def order_evidence(name: str, fit: OrderFit, predicted: float, window: tuple[float, float],
                   *, decisive: bool = True, note: str = "", xname: str = "") -> Evidence:
    """Evidence from a convergence-order fit (``numerics.limits.fit_order``)."""
    vals = ", ".join(f"{v:.3g}" for v in fit.values)
    xs = ", ".join(f"{x:g}" for x in fit.x)
    extra = f"{xname or fit.axis + 's'} {xs}; {fit.statistic} {vals}; {fit.n_seeds} seeds"
    return Evidence(name=name, predicted=f"{predicted:g}", measured=fit.order,
                    ci_low=fit.ci_low, ci_high=fit.ci_high, window=window, decisive=decisive,
                    note=f"{note}; {extra}" if note else extra)


@dataclass(frozen=True)
class RateFit:
    """Least-squares slope of ``log y`` on ``t`` with a Student-t confidence interval."""

    rate: float
    ci_low: float
    ci_high: float
    r2: float


def late_rate(t: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> RateFit:
    """Exponential decay rate ``-d log y / dt`` fitted on the given window."""
    from scipy import stats

    t, ly = np.asarray(t, float), np.log(np.asarray(y, float))
    res = stats.linregress(t, ly)
    q = stats.t.ppf(0.5 + confidence / 2, len(t) - 2)
    slope, se = float(res.slope), float(res.stderr)
    return RateFit(-slope, -slope - q * se, -slope + q * se, float(res.rvalue) ** 2)


@dataclass(frozen=True)
class Series:
    """One line of a figure: x, y, label, and an optional style ("o-", "--", ...)."""

    x: Sequence[float]
    y: Sequence[float]
    label: str
    style: str = "o-"


def save_figure(ctx: Context, fname: str, series: Sequence[Series], *, title: str,
                xlabel: str, ylabel: str, logx: bool = True, logy: bool = True
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write one figure into ``ctx.outdir``; returns (figures, notes)."""
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - optional extra
        return (), (NO_MPL,)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 4))
    for s in series:
        y = np.asarray(s.y, float)
        ok = np.isfinite(y) & ((y > 0) if logy else True)
        ax.plot(np.asarray(s.x, float)[ok], y[ok], s.style, label=s.label, ms=4)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(ctx.outdir / fname, dpi=110)
    plt.close(fig)
    return (fname,), ()


def power_line(x: Sequence[float], anchor: float, order: float) -> list[float]:
    """``anchor * (x / x[0]) ** order`` (a reference slope through the first point)."""
    return [anchor * (xi / x[0]) ** order for xi in x]


def fmt_ci(m: float, lo: float, hi: float) -> str:
    if not math.isfinite(m):
        return "n/a"
    return f"{m:.3g} [{lo:.3g}, {hi:.3g}]"
