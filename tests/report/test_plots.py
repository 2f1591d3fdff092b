"""The figures read at a glance: sizes, shared y axes spanning a decade, disagreements in red,
legends in words."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib import image  # noqa: E402

from widthlimits.numerics.coordcheck import coordcheck  # noqa: E402
from widthlimits.numerics.plots import (  # noqa: E402
    MAX_HEIGHT_PX,
    VERDICT_COLORS,
    plot_coordcheck_detail,
    plot_coordcheck_summary,
    shared_log_limits,
)
from widthlimits.proofs_checks.phase_plot import legend_label, plot_phase_diagram  # noqa: E402

MUP = {"a": ["-1/2", 0, "1/2"], "b": ["1/2"] * 3, "c": [0, 0, 0]}


@pytest.fixture(scope="module")
def report():
    # one true prediction and one wrong one (dx^2 at t=1 is Theta(1) under muP, not n^-1/2)
    pred = {("f", None, 0): "-1/2", ("dx", 2, 1): "-1/2", ("dx", 1, 1): 0, ("h", 1, 0): 0,
            ("h", 1, 1): 0, ("g", 1, 0): -1}
    return coordcheck(MUP, 2, "sgd", widths=[64, 128, 256, 512], seeds=4, steps=1,
                      predicted=pred, executor="serial")


def _red_pixels(path) -> int:
    img = image.imread(str(path))[..., :3]
    red = np.array([int(VERDICT_COLORS["disagree"][i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(img - red).max(axis=2) < 0.05).sum())


def test_summary_marks_the_disagreement_in_red(report, tmp_path) -> None:
    assert [str(c.verdict) for c in report.checks if c.name == "dx" and c.layer == 2] == ["disagree"]
    p = plot_coordcheck_summary(report, tmp_path / "s.png")
    assert image.imread(p).shape[0] <= MAX_HEIGHT_PX
    # the same data with the wrong prediction removed: red only in the legend's key
    good = coordcheck(MUP, 2, "sgd", widths=[64, 128, 256, 512], seeds=4, steps=1,
                      predicted={("f", None, 0): "-1/2", ("dx", 1, 1): 0}, executor="serial")
    assert _red_pixels(p) > _red_pixels(plot_coordcheck_summary(good, tmp_path / "g.png")) + 20


def test_detail_pages_are_at_most_1600_px_tall(report, tmp_path) -> None:
    paths = plot_coordcheck_detail(report, tmp_path / "d.png")
    assert paths[0].endswith("d.png") and len(paths) == 2  # forward (h, dx, f) and backward (g)
    for p in paths:
        assert image.imread(p).shape[0] <= MAX_HEIGHT_PX


def test_shared_y_axis_spans_at_least_a_decade() -> None:
    flat = [np.array([1.0, 1.01, 0.99]), np.array([1.02, 1.0])]
    lo, hi = shared_log_limits(flat)
    assert hi / lo >= 10.0 and lo < 0.99 and hi > 1.02
    steep = [np.array([1e-4, 1e-2]), np.array([1.0])]
    lo, hi = shared_log_limits(steep)
    assert lo <= 1e-4 and hi >= 1.0
    assert shared_log_limits([np.array([0.0, np.nan])]) is None


def test_phase_legend_is_in_words(tmp_path) -> None:
    assert legend_label("feature_learning (FL layers 1,2), discrete-time", 1) == (
        "feature learning (in layers 1,2), discrete-time -- on this line only")
    assert legend_label("kernel", 0).endswith("at this point only")
    from widthlimits.theory.regions.planes import phase_diagram

    out = plot_phase_diagram(phase_diagram("tp4", 1, "sgd"), tmp_path / "p.png")
    assert image.imread(str(out)).shape[0] > 500 and out.with_suffix(".json").exists()
