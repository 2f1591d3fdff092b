"""Coord-check figures, read at a glance.  Needs the ``plots`` extra (matplotlib, Agg backend,
imported lazily).

* :func:`plot_coordcheck_summary` -- one panel: for every quantity and layer, the predicted width
  exponent (open diamond) and the measured exponent with its confidence interval (bar), one bar
  per step; disagreements in red, inconclusive rows in grey.  The first figure to look at.
* :func:`plot_coordcheck_detail` -- the layout of the coord checks of Yang et al., "Tensor
  Programs V" (arXiv:2203.03466, Fig. 5, and the ``mup`` package's ``plot_coord_data``): one
  panel per step with every layer in it, seed-mean size against width on log-log axes, and one
  log y axis shared by all steps of a quantity spanning at least a decade, so a flat line reads
  as flat.  One row per quantity; quantities are split over pages at most 1600 px tall.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from widthlimits.numerics.coordcheck import CoordCheckReport, QuantityCheck

#: verdict -> colour of the measured bar (disagreements red)
VERDICT_COLORS = {"agree": "#1f77b4", "disagree": "#d62728", "inconclusive": "#999999"}
#: the detail figure's pages: forward sizes first, then backward signals and weight updates
DETAIL_PAGES = (("forward", ("h", "x", "dh", "dx", "f", "df", "df_step")),
                ("backward", ("g", "grad", "dW", "dWx", "W0dx",
                              "feature_kernel_change", "tangent_kernel_change")))
MAX_HEIGHT_PX = 1600
#: one colour per layer number, the same in every row (no red: red means "disagrees")
LAYER_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22", "#7f7f7f")
_DPI = 100


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install 'widthlimits[plots]'") from exc
    return plt


def _float(s: Any) -> float | None:
    from widthlimits.numerics.verdicts import predicted_to_float

    return predicted_to_float(s)


def _label(c: QuantityCheck) -> str:
    return c.name if c.layer is None else f"{c.name}^{c.layer}"


def _rows(checks: Sequence[QuantityCheck]) -> list[tuple[str, int | None]]:
    """(quantity, layer) pairs in the canonical quantity order, layers ascending."""
    from widthlimits.numerics.quantities import QUANTITY_NAMES

    keys = set((c.name, c.layer) for c in checks)
    order = {n: i for i, n in enumerate(QUANTITY_NAMES)}
    return sorted(keys, key=lambda k: (order.get(k[0], len(order)), k[0], k[1] or 0))


def plot_coordcheck_summary(report: CoordCheckReport, path: str | Path) -> str:
    """Write the summary figure: predicted vs measured exponent for every quantity and layer.

    Rows are ``(quantity, layer)``; within a row the steps are stacked top (t = first) to
    bottom (t = last).  A measured exponent of ``-inf`` (identically zero) or a prediction of
    ``-inf`` is drawn as a triangle on the left edge.  Returns ``path``.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    checks = report.checks
    rows = _rows(checks)
    steps = sorted({c.step for c in checks})
    finite = [v for c in checks for v in (c.fit.ci_low, c.fit.ci_high, _float(c.predicted) or 0.0)
              if v is not None and math.isfinite(v)]
    lo = min([-1.5, *finite]) - 0.15
    hi = max([0.5, *finite]) + 0.15
    lo, hi = max(lo, -4.0), min(hi, 3.0)
    height = min(MAX_HEIGHT_PX / _DPI, 1.3 + 0.28 * len(rows))
    fig, ax = plt.subplots(figsize=(8.0, height))
    offsets = np.linspace(-0.3, 0.3, len(steps)) if len(steps) > 1 else np.zeros(1)
    for i, key in enumerate(rows):
        y0 = len(rows) - 1 - i
        if i % 2 == 0:
            ax.axhspan(y0 - 0.5, y0 + 0.5, color="0.95", zorder=0)
        row = [c for c in checks if (c.name, c.layer) == key]
        preds = {c.predicted for c in row}
        for c in row:
            y = y0 - offsets[steps.index(c.step)]
            col = VERDICT_COLORS.get(str(c.verdict), "#999999")
            pv = _float(c.predicted)
            if pv is not None and (len(preds) > 1 or c is row[0]):
                # one marker per row when the prediction is the same at every step
                ax.plot(min(max(pv, lo), hi), y0 if len(preds) == 1 else y,
                        marker="D" if math.isfinite(pv) else "<", ms=7 if len(preds) == 1 else 4,
                        mfc="none", mec="black", mew=1.0, ls="", zorder=4)
            f = c.fit
            if f.all_zero or (f.slope == -math.inf):
                ax.plot(lo, y, marker="<", color=col, ms=6, ls="", zorder=3)
            elif math.isfinite(f.slope):
                cl = f.ci_low if math.isfinite(f.ci_low) else f.slope
                ch = f.ci_high if math.isfinite(f.ci_high) else f.slope
                ax.plot([max(cl, lo), min(ch, hi)], [y, y], color=col, lw=2.2, zorder=2,
                        solid_capstyle="butt")
                ax.plot(min(max(f.slope, lo), hi), y, marker="|", color=col, ms=7, mew=1.5,
                        zorder=3)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([(n if la is None else f"{n}^{la}") for n, la in reversed(rows)],
                       fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(lo - 0.05, hi)
    ax.xaxis.set_major_locator(plt.MultipleLocator(0.5))
    ax.grid(True, axis="x", lw=0.4, alpha=0.6)
    ax.set_xlabel("width exponent e  (quantity ~ n^e)", fontsize=9)
    rate = report.agreement_rate
    n_dis = len(report.disagreements())
    ax.set_title(f"coord check summary: agreement {'n/a' if rate is None else f'{rate:.1%}'}, "
                 f"{n_dis} disagreement{'s' if n_dis != 1 else ''}\nwidths "
                 f"{report.widths[0]}..{report.widths[-1]}, {len(report.seeds)} seeds; in each row "
                 f"one bar per step, t = {steps[0]} (top) .. {steps[-1]} (bottom)", fontsize=9)
    handles = [
        Line2D([], [], marker="D", mfc="none", mec="black", ls="", label="predicted (engine)"),
        Line2D([], [], color=VERDICT_COLORS["agree"], lw=2.2, marker="|", ms=7,
               label="measured, 95% CI: agrees"),
        Line2D([], [], color=VERDICT_COLORS["disagree"], lw=2.2, marker="|", ms=7,
               label="measured: disagrees"),
        Line2D([], [], color=VERDICT_COLORS["inconclusive"], lw=2.2, marker="|", ms=7,
               label="measured: inconclusive"),
        Line2D([], [], marker="<", color="black", ls="", label="-inf (identically zero)"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)
    return str(path)


def shared_log_limits(arrays: list[np.ndarray]) -> tuple[float, float] | None:
    """One y range for a row: the data's range, widened to at least a decade about its
    geometric centre."""
    vals = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in arrays]) if arrays else np.zeros(0)
    if vals.size == 0:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    if hi / lo < 10.0:
        mid = math.sqrt(lo * hi)
        lo, hi = mid / math.sqrt(10.0), mid * math.sqrt(10.0)
    return lo / 1.3, hi * 1.3


def plot_coordcheck_detail(report: CoordCheckReport, path: str | Path) -> list[str]:
    """Write the detail figure(s): rows = quantities, columns = steps, one line per layer.

    ``path`` names the first page; further pages get ``_backward`` (see :data:`DETAIL_PAGES`)
    before the suffix.  Each panel: seed-mean size (markers) against width, log-log; the dashed
    line of the layer's colour is the predicted power law through the measured geometric mean.
    Returns the paths written.
    """
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    checks = report.checks
    steps = sorted({c.step for c in checks})
    ws = np.asarray(report.widths, dtype=float)
    present = list(dict.fromkeys(c.name for c in checks))
    path = Path(path)
    written = []
    for page, (tag, names) in enumerate(DETAIL_PAGES):
        names = [n for n in names if n in present]
        if page == 0:  # anything not in a page goes on the first one
            names += [n for n in present if not any(n in p for _, p in DETAIL_PAGES)]
        if not names:
            continue
        row_h = min(2.1, (MAX_HEIGHT_PX / _DPI - 0.7) / len(names))
        fig, axes = plt.subplots(len(names), len(steps), squeeze=False, sharey="row",
                                 figsize=(1.9 * len(steps) + 1.6, row_h * len(names) + 0.7))
        for i, name in enumerate(names):
            row = [c for c in checks if c.name == name]
            layers = sorted({c.layer for c in row}, key=lambda la: la or 0)
            means = []
            for j, t in enumerate(steps):
                ax = axes[i][j]
                bad = []
                for c in (c for c in row if c.step == t):
                    col = LAYER_COLORS[((c.layer or 1) - 1) % len(LAYER_COLORS)]
                    with np.errstate(invalid="ignore", divide="ignore"):
                        m = np.nanmean(np.asarray(c.fit.values, dtype=float), axis=1)
                    ok = np.isfinite(m) & (m > 0)
                    if ok.any():
                        means.append(m[ok])
                        ax.plot(ws[ok], m[ok], marker="o", ms=3, lw=1.2, color=col,
                                label=(f"layer {c.layer}" if c.layer is not None else name)
                                if j == 0 else None)
                        pv = _float(c.predicted)
                        if pv is not None and math.isfinite(pv):
                            lw = np.log(ws[ok])
                            anchor = np.mean(np.log(m[ok])) - pv * np.mean(lw)
                            ax.plot(ws, np.exp(anchor + pv * np.log(ws)), "--", color=col, lw=0.9)
                    if str(c.verdict) == "disagree":
                        bad.append("l" + str(c.layer) if c.layer is not None else name)
                if not ax.has_data():
                    ax.text(0.5, 0.5, "not defined\nat this step", ha="center", va="center",
                            transform=ax.transAxes, fontsize=7, color="0.5")
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_xticks(ws)
                ax.set_xticklabels([str(int(w)) if k % 2 == 0 or len(ws) <= 4 else ""
                                    for k, w in enumerate(ws)], fontsize=7)
                ax.set_xlim(ws[0] / 1.25, ws[-1] * 1.25)
                ax.xaxis.set_minor_locator(NullLocator())
                ax.yaxis.set_minor_locator(NullLocator())
                ax.yaxis.set_minor_formatter(NullFormatter())
                ax.tick_params(labelsize=7)
                if i == 0:
                    ax.set_title(f"t = {t}", fontsize=9)
                if bad:
                    ax.text(0.03, 0.95, "disagrees: " + ", ".join(bad), transform=ax.transAxes,
                            color=VERDICT_COLORS["disagree"], fontsize=7, va="top")
            axes[i][0].set_ylabel(name, fontsize=9)
            if i == len(names) - 1:
                for ax in axes[i]:
                    ax.set_xlabel("width n", fontsize=8)
            lim = shared_log_limits(means)
            if lim is not None:
                axes[i][0].set_ylim(*lim)
                subs = (1.0, 2.0, 5.0) if lim[1] / lim[0] < 1e3 else (1.0,)
                axes[i][0].yaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
                axes[i][0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
            if layers != [None]:
                axes[i][-1].legend(*axes[i][0].get_legend_handles_labels(), fontsize=7,
                                   loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        fig.suptitle(f"coord check detail ({tag}): seed-mean RMS vs width, one panel per step, "
                     "one colour per layer; dashed = predicted slope; shared log y axis per row",
                     fontsize=9)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        out = detail_page_path(path, page)
        fig.savefig(out, dpi=_DPI)
        plt.close(fig)
        written.append(str(out))
    return written


def detail_page_path(path: str | Path, page: int) -> Path:
    """The file of detail page ``page`` (an index into :data:`DETAIL_PAGES`) when the first page
    is ``path``: ``path`` itself, then ``<stem>_<tag><suffix>``."""
    path = Path(path)
    return path if page == 0 else path.with_name(f"{path.stem}_{DETAIL_PAGES[page][0]}{path.suffix}")


def coordcheck_figure_paths(path: str | Path, *, detail: bool = True) -> list[Path]:
    """Every file :func:`plot_coordcheck` may write for ``path``: the summary, then (``detail``)
    the detail pages ``<stem>_detail.png``, ``<stem>_detail_backward.png`` (a page with no
    quantity to show is not written)."""
    p = Path(path)
    if not detail:
        return [p]
    first = p.with_name(f"{p.stem}_detail{p.suffix}")
    return [p] + [detail_page_path(first, k) for k in range(len(DETAIL_PAGES))]


def plot_coordcheck(report: CoordCheckReport, path: str, *, detail: bool = True) -> str:
    """Write the summary figure to ``path`` and, with ``detail``, the detail pages beside it
    (``<stem>_detail.png``, ``<stem>_detail_backward.png``: :func:`coordcheck_figure_paths`).
    Returns ``path``."""
    plot_coordcheck_summary(report, path)
    if detail:
        plot_coordcheck_detail(report, coordcheck_figure_paths(path)[1])
    return path
