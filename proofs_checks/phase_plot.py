"""Drawing of exact 2-D phase diagrams (data from :func:`widthlimits.theory.regions.planes.phase_diagram`).

matplotlib (optional extra ``plots``) is imported lazily, with the headless Agg backend.
Polygons (2-D pieces) are filled by verdict; segments (1-D pieces) drawn as thick lines and
points (0-D pieces) as dots in the colour of their verdict, since on these planes the
interesting limits (muP/MF, NTK) sit on lower-dimensional pieces.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

_COLORS = {
    "unstable": "#f4c7c3",
    "trivial": "#d9d9d9",
    "kernel": "#4f81bd",
    "operator": "#4f81bd",
    "feature_learning": "#c0504d",
}


def _color(label: str, regime: str, dim: int) -> str:
    if regime == "feature_learning" and "layers" in label and dim < 2:
        return "#c0504d"
    base = _COLORS.get(regime, "#9bbb59")
    if dim < 2 and regime in ("unstable", "trivial"):
        return {"unstable": "#e06666", "trivial": "#7f7f7f"}[regime]
    return base


_SHORT = {
    "golikov": ("q_sigma  (non-input init std ~ n^q_sigma; SP form a = 0)",
                "q~  (lr: input n^q~, readout n^(q~ + 2 q_sigma))"),
    "tp4": ("s = a_{L+1} + b_{L+1}  (TP4 gauge b = 1/2)", "c  (every layer: lr ~ n^-c)"),
}


def legend_label(label: str, dim: int) -> str:
    """A cell's label in words for the legend: ``feature_learning (FL layers 1,2)`` on a segment
    -> ``feature learning (in layers 1,2) -- on this line only``."""
    text = label.replace("(FL layers ", "(in layers ").replace("_", " ")
    where = {2: "", 1: " -- on this line only", 0: " -- at this point only"}[min(dim, 2)]
    return text + where


def _xy(v: list[str]) -> tuple[float, float]:
    return float(Fraction(v[0])), float(Fraction(v[1]))


def plot_phase_diagram(data: dict[str, Any], path: str | Path) -> Path:
    """Draw ``data`` to ``path`` (format from the extension: .png, .pdf, .svg) and write the
    data as JSON beside it (same name, ``.json``).  Returns the image path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Polygon

    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ValueError(f"output must end in .png, .pdf or .svg, got {path.name!r}")
    fig, ax = plt.subplots(figsize=(8.2, 8.4))
    legend: dict[str, Any] = {}
    for dim in (2, 1, 0):
        for pc in data["pieces"]:
            if pc["dimension"] != dim or not pc["vertices"]:
                continue
            col = _color(pc["label"], pc["regime"], dim)
            pts = [_xy(v) for v in pc["vertices"]]
            moving = not pc.get("all_steps", True)
            if dim == 2 and len(pts) >= 3:
                ax.add_patch(Polygon(pts, closed=True, facecolor=col, edgecolor="white", lw=0.8,
                                     hatch="xxx" if moving else None))
                legend.setdefault(pc["label"], Patch(facecolor=col, label=legend_label(pc["label"], 2)))
            elif dim == 1 or (dim == 2 and len(pts) == 2):
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, color=col, lw=4, solid_capstyle="round", zorder=3,
                        ls=":" if moving else "-")
                legend.setdefault(pc["label"] + " (segment)",
                                  Line2D([], [], color=col, lw=4, label=legend_label(pc["label"], 1)))
            else:
                ax.plot(*pts[0], "o", color=col, ms=9, zorder=4, mec="black",
                        mfc="white" if moving else col)
                legend.setdefault(pc["label"] + " (point)",
                                  Line2D([], [], marker="o", ls="", color=col, mec="black",
                                         label=legend_label(pc["label"], 0)))
    # named points: group names at the same location
    groups: dict[tuple[float, float], list[str]] = {}
    for npt in data["named_points"]:
        groups.setdefault(_xy(npt["point"]), []).append(npt["name"])
    lo, hi = float(Fraction(data["box"][0])), float(Fraction(data["box"][1]))
    for (x, y), names in sorted(groups.items()):
        if not (lo <= x <= hi and lo <= y <= hi):
            continue
        ax.plot(x, y, marker="*", color="black", ms=13, zorder=5)
        crowded = any(0 < x2 - x < 0.6 and abs(y2 - y) < 0.3 for (x2, y2) in groups)
        off = (-12, -8) if crowded else (10, 6)
        ax.annotate("\n".join(names), (x, y), textcoords="offset points", xytext=off,
                    ha="right" if off[0] < 0 else "left", va="top" if off[1] < 0 else "bottom",
                    fontsize=8, zorder=6,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "alpha": 0.9})
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    short = _SHORT.get(data["plane"], data["axes"])
    ax.set_xlabel(short[0], fontsize=9)
    ax.set_ylabel(short[1], fontsize=9)
    ax.set_title(f"{data['plane']} plane: depth {data['depth']}, {data['optimizer']}, "
                 f"{data['activation']}: exact regions of the exponent plane", fontsize=10)
    ax.grid(True, lw=0.3, alpha=0.5)
    handles = list(legend.values()) + [Line2D([], [], marker="*", color="black", ms=11, ls="",
                                              label="named parametrization (preset name beside it)")]
    if data.get("stats", {}).get("pieces_moving_at_horizon"):
        T = data["stats"]["horizon_steps"]
        handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="xxx",
                             label=f"hatched / dotted / hollow: stable over steps 0..{T} only, "
                                   "exponents still moving (may blow up later)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(-0.08, -0.09), fontsize=8,
              ncol=2, frameon=False, title="regime of the infinite-width limit", title_fontsize=8,
              alignment="left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    path.with_suffix(".json").write_text(json.dumps(data, indent=2))
    return path
