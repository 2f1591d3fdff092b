"""Coord-check figure: RMS vs width (log-log) per quantity, layer and step, with the
predicted slopes drawn.  Needs the ``plots`` extra (matplotlib, Agg backend, imported lazily).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from widthlimits.numerics.coordcheck import CoordCheckReport


def plot_coordcheck(report: CoordCheckReport, path: str, *, dpi: int = 110) -> str:
    """Write a grid (rows: quantities, columns: steps) of seed-mean RMS against width.

    Each layer is one coloured line (markers: seed means; bars: min..max over seeds); the
    predicted power law is a dashed line of the same colour through the measured geometric
    mean.  The panel title lists the verdicts.  Returns ``path``.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install 'widthlimits[plots]'") from exc
    checks = report.checks
    names = list(dict.fromkeys(c.name for c in checks))
    steps = sorted({c.step for c in checks})
    ws = np.asarray(report.widths, dtype=float)
    fig, axes = plt.subplots(len(names), len(steps), squeeze=False,
                             figsize=(2.8 * len(steps) + 1, 2.4 * len(names) + 0.6))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    marks = {"agree": "\u2713", "disagree": "\u2717", "inconclusive": "?"}
    for i, name in enumerate(names):
        for j, t in enumerate(steps):
            ax = axes[i][j]
            row = [c for c in checks if c.name == name and c.step == t]
            if not row:
                ax.axis("off")
                continue
            title = []
            for k, c in enumerate(row):
                col = colors[k % len(colors)]
                v = c.fit.values
                with np.errstate(invalid="ignore", divide="ignore"):
                    m = np.nanmean(v, axis=1)
                ok = m > 0
                if ok.any():
                    lo = m - np.nanmin(v, axis=1)
                    hi = np.nanmax(v, axis=1) - m
                    ax.errorbar(ws[ok], m[ok], yerr=[lo[ok], hi[ok]], color=col, marker="o",
                                ms=3, lw=1, label=f"l={c.layer}" if c.layer else None)
                    pv = _float(c.predicted)
                    if pv is not None and math.isfinite(pv):
                        lw = np.log(ws[ok])
                        anchor = np.mean(np.log(m[ok])) - pv * np.mean(lw)
                        ax.plot(ws, np.exp(anchor + pv * np.log(ws)), "--", color=col, lw=1)
                title.append(marks.get(str(c.verdict), "?"))
            ax.set_xscale("log")
            ax.set_xticks(ws)
            ax.set_xticklabels([str(int(w)) for w in ws], rotation=45)
            ax.minorticks_off()
            if ax.has_data() and np.any([np.nanmax(c.fit.values) > 0 for c in row]):
                ax.set_yscale("log")
            lab = name if row[0].layer is None else f"{name}^l"
            ax.set_title(f"{lab}, t={t}  {' '.join(title)}", fontsize=8)
            ax.tick_params(labelsize=7)
            if row[0].layer is not None and i == 0 and j == 0:
                ax.legend(fontsize=6)
    fig.suptitle("coord check: seed-mean RMS vs width (dashed: predicted slope)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _float(s: Any) -> float | None:
    from widthlimits.numerics.verdicts import predicted_to_float

    return predicted_to_float(s)
