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


#: styles of a line without markers drawn dashed or dotted: a predicted reference (``power_line``)
_REFERENCE_STYLES = ("--", ":", "-.")
ROLES = ("measured", "predicted")


@dataclass(frozen=True)
class Series:
    """One line of a figure: x, y, label, an optional style ("o-", "--", ...) and its role.

    ``role`` is what the legend tells the reader: "measured" (a statistic of simulations) or
    "predicted" (a reference drawn from the theorem, e.g. :func:`power_line`).  Left ``None`` it
    follows the style: a dashed or dotted line without markers is a prediction, anything with
    markers or a solid line is a measurement.
    """

    x: Sequence[float]
    y: Sequence[float]
    label: str
    style: str = "o-"
    role: str | None = None

    def __post_init__(self) -> None:
        if self.role is not None and self.role not in ROLES:
            raise ValueError(f"Series role must be one of {', '.join(ROLES)}, got {self.role!r}")

    @property
    def kind(self) -> str:
        if self.role is not None:
            return self.role
        return "predicted" if self.style in _REFERENCE_STYLES else "measured"


def points_slope(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Least-squares slope of ``log y`` on ``log x`` over the finite positive points (None if
    fewer than two): what the eye reads off a log-log plot."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(xa) & np.isfinite(ya) & (xa > 0) & (ya > 0)
    if ok.sum() < 2 or np.ptp(xa[ok]) == 0:
        return None
    return float(np.polyfit(np.log(xa[ok]), np.log(ya[ok]), 1)[0])


def legend_label(s: Series, loglog: bool) -> str:
    """The legend text of one series: its role first, then its label; a measured series on a
    log-log plot also shows the slope of its points, to read against the predicted slope."""
    label = s.label
    if not label.lower().startswith(s.kind):
        label = f"{s.kind}: {label}"
    if loglog and s.kind == "measured":
        slope = points_slope(s.x, s.y)
        if slope is not None:
            label += f" (slope of points {slope:+.2f})"
    return label


def save_figure(ctx: Context, fname: str, series: Sequence[Series], *, title: str,
                xlabel: str, ylabel: str, logx: bool = True, logy: bool = True,
                evidence: Sequence[Evidence] = ()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write one figure into ``ctx.outdir``; returns (figures, notes).

    Read without the docs: the legend sits under the axes (it never covers a point), lists the
    measured series first, names each entry's role (measured / predicted) and, on log-log axes,
    the slope of each measured series' points; its title says what markers and dashed lines
    are and where the verdict, confidence intervals and tolerance windows are (the report's
    evidence table).  Log axes are labelled at the measured x values (widths,
    step sizes) when there are at most ten, in plain numbers.

    With ``evidence`` (the check's :class:`Evidence` items that have a window), a strip under the
    plot shows each one as a grey band (the predicted window, tolerance included) and the
    measured value with its confidence interval, green inside, red outside: the verdict's
    numbers on the figure itself.
    """
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - optional extra
        return (), (NO_MPL,)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    loglog = logx and logy
    shown, left_out = strip_rows(evidence)
    if shown:
        strip_h = 0.32 * len(shown) + 0.3
        fig, (ax, gap, strip) = plt.subplots(  # a fixed 1 in between x label and strip title
            3, 1, figsize=(5.6, 4.2 + 1.0 + strip_h),
            gridspec_kw={"height_ratios": [4.2, 1.0, strip_h], "hspace": 0.0})
        gap.set_axis_off()
        extra = _evidence_strip(strip, shown, left_out)
    else:
        fig, ax = plt.subplots(figsize=(5.6, 4.2))
        extra = []
    ordered = sorted(series, key=lambda s: ROLES.index(s.kind))
    for s in ordered:
        y = np.asarray(s.y, float)
        ok = np.isfinite(y) & ((y > 0) if logy else True)
        ax.plot(np.asarray(s.x, float)[ok], y[ok], s.style, label=legend_label(s, loglog), ms=4,
                lw=1.2 if s.kind == "predicted" else 1.5)
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    if logx:
        ax.set_xscale("log")
        xs = sorted({float(v) for s in series if s.kind == "measured" for v in s.x
                     if math.isfinite(float(v)) and float(v) > 0})
        if 2 <= len(xs) <= 10:
            ax.xaxis.set_major_locator(FixedLocator(xs))
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(NullFormatter())
    if logy:
        ax.set_yscale("log")
        ys = np.concatenate([np.asarray(s.y, float) for s in series])
        ys = ys[np.isfinite(ys) & (ys > 0)]
        span = ys.max() / ys.min() if ys.size else math.inf
        if span < 300:  # under ~2.5 decades: label more than the powers of ten
            subs = (1.0, 2.0, 5.0) if span >= 10 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    kinds = {s.kind for s in series}
    if kinds == {"measured"}:
        head = "every curve is measured (simulation statistics)"
    elif kinds == {"predicted"}:
        head = "every curve is a prediction of the theorem"
    else:
        head = "markers / solid: measured;  dashed or dotted: predicted"
    head += ("\nwindows and CIs in the strip above; all numbers in the evidence table of this report"
             if shown else
             "\nverdict, confidence intervals, tolerance windows: the evidence table of this report")
    labels = [legend_label(s, loglog) for s in ordered]
    ncol = 2 if len(series) > 4 and max(map(len, labels)) <= 48 else 1
    anchor = strip if shown else ax
    handles, texts = ax.get_legend_handles_labels()
    if shown:
        more = strip.get_legend_handles_labels()
        handles, texts = handles + more[0], texts + more[1]
    leg = anchor.legend(handles, texts, fontsize=7, title=head, title_fontsize=7,
                        loc="upper center", bbox_to_anchor=(0.5, -0.06 if shown else -0.14),
                        ncol=ncol, frameon=False)
    fig.savefig(ctx.outdir / fname, dpi=110, bbox_inches="tight",
                bbox_extra_artists=(leg, *extra), pad_inches=0.15)
    plt.close(fig)
    return (fname,), ()


STRIP_ROWS = 8  # rows in a figure's evidence strip; the rest are in the report's table


def strip_rows(evidence: Sequence[Evidence]) -> tuple[list[Evidence], int]:
    """The evidence a figure's strip shows: items with a window and a finite measurement,
    decisive ones first, at most :data:`STRIP_ROWS`; returns (rows, number left out)."""
    drawable = [e for e in evidence if e.window is not None and e.measured is not None
                and math.isfinite(e.measured)]
    drawable.sort(key=lambda e: 0 if e.decisive else 1)  # stable: the check's order otherwise
    return drawable[:STRIP_ROWS], max(0, len(drawable) - STRIP_ROWS)


def _gauge(e: Evidence) -> tuple[float, float]:
    """Affine map of one strip row onto [0, 1], ``x -> (x - offset) / scale``; returns
    (offset, scale).  A two-sided window spans [0.3, 0.7]; a one-sided one (a bound beyond
    +-1e5) starts or ends at 0.5 with the measured CI within [0.05, 0.95]."""
    w0, w1 = e.window  # type: ignore[misc]
    big = 1e5
    pts = [v for v in (e.measured, e.ci_low, e.ci_high) if v is not None and math.isfinite(v)]
    if w0 > -big and w1 < big:
        scale = (w1 - w0) / 0.4 if w1 > w0 else max(abs(w0), 1e-300) / 0.4
        return w0 - 0.3 * scale, scale
    anchor = w1 if w0 <= -big else w0
    reach = max([abs(v - anchor) for v in pts] + [abs(anchor) * 0.25, 1e-300])
    scale = reach / 0.45
    return anchor - 0.5 * scale, scale


def _evidence_strip(ax, shown: Sequence[Evidence], left_out: int = 0) -> list:  # type: ignore[no-untyped-def]
    """One gauge per evidence item, each on its own scale (slopes, ratios and tolerances of
    different sizes share a strip): the predicted window as a grey band, the measured value and
    its CI in green (inside) or red (outside), clipped values as arrows at the edge, and the
    numbers written beside the row."""
    colors = {True: "#1a9850", False: "#d73027", None: "0.4"}
    n = len(shown)
    texts = []
    for i, e in enumerate(shown):
        y = n - 1 - i
        off, scale = _gauge(e)
        w0, w1 = e.window  # type: ignore[misc]
        b0 = 0.0 if w0 <= -1e5 else max((w0 - off) / scale, 0.0)
        b1 = 1.0 if w1 >= 1e5 else min((w1 - off) / scale, 1.0)
        ax.barh(y, b1 - b0, left=b0, height=0.6, color="0.85",
                label="predicted window (tolerance included)" if i == 0 else None)
        m = float(e.measured)  # type: ignore[arg-type]
        lo = e.ci_low if e.ci_low is not None and math.isfinite(e.ci_low) else m
        hi = e.ci_high if e.ci_high is not None and math.isfinite(e.ci_high) else m
        tm, tl, th = ((v - off) / scale for v in (m, lo, hi))
        c = colors[e.passed]
        ax.plot([max(tl, 0.0), min(th, 1.0)], [y, y], "-", color=c, lw=1.4)
        if 0.0 <= tm <= 1.0:
            ax.plot(tm, y, "o", ms=4, color=c, label="measured, with its CI" if i == 0 else None)
        else:
            ax.plot(1.0 if tm > 1 else 0.0, y, ">" if tm > 1 else "<", ms=6, color=c)
        ci = f" [{lo:.3g}, {hi:.3g}]" if (lo, hi) != (m, m) else ""
        win = ", ".join("-inf" if v <= -1e5 else "inf" if v >= 1e5 else f"{v:.3g}" for v in (w0, w1))
        texts.append(ax.text(1.02, y, f"{m:.3g}{ci};  window [{win}]", va="center", fontsize=6.5, color=c,
                transform=ax.get_yaxis_transform()))
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xticks([])
    ax.set_yticks(range(n))
    ax.set_yticklabels([e.name if len(e.name) <= 50 else e.name[:48] + "..." for e in reversed(shown)],
                       fontsize=6.5)
    title = "evidence: each row on its own scale, numbers at the right"
    if left_out:
        title += f" ({left_out} more rows in the report's table)"
    ax.set_title(title, fontsize=7)
    return texts


def power_line(x: Sequence[float], anchor: float, order: float) -> list[float]:
    """``anchor * (x / x[0]) ** order`` (a reference slope through the first point)."""
    return [anchor * (xi / x[0]) ** order for xi in x]


def fmt_ci(m: float, lo: float, hi: float) -> str:
    if not math.isfinite(m):
        return "n/a"
    return f"{m:.3g} [{lo:.3g}, {hi:.3g}]"
