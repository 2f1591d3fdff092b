"""Check-report figures decode without the docs (issue 13): every legend entry names its role
(measured or predicted), a measured series on log-log axes shows the slope of its points beside
the predicted slope, and the legend says where the verdict and tolerance windows are."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("matplotlib")

from matplotlib import image  # noqa: E402

from widthlimits.proofs_checks.catalogue._util import (  # noqa: E402
    Series,
    legend_label,
    points_slope,
    power_line,
    save_figure,
)
from widthlimits.proofs_checks.catalogue.base import Context  # noqa: E402

WIDTHS = [32, 64, 128, 256, 512]


def test_points_slope_is_the_log_log_slope() -> None:
    assert points_slope(WIDTHS, [w ** -0.5 for w in WIDTHS]) == pytest.approx(-0.5)
    assert points_slope(WIDTHS, [3 * w ** 1.25 for w in WIDTHS]) == pytest.approx(1.25)
    # non-positive and non-finite points are left out, as on the plot
    assert points_slope([1, 2, 4, 8], [1, 0.5, math.nan, -1]) == pytest.approx(-1.0)
    assert points_slope([1], [1]) is None
    assert points_slope([2, 2], [1, 3]) is None


def test_role_follows_the_style_unless_given() -> None:
    assert Series(WIDTHS, WIDTHS, "RMS over seeds").kind == "measured"
    assert Series(WIDTHS, WIDTHS, "slope -1/2", "--").kind == "predicted"
    assert Series(WIDTHS, WIDTHS, "alpha^-1", ":").kind == "predicted"
    assert Series(WIDTHS, WIDTHS, "loss curve", "-").kind == "measured"
    assert Series(WIDTHS, WIDTHS, "kernel change", "s--").kind == "measured"  # markers: data
    assert Series(WIDTHS, WIDTHS, "fitted", "--", role="measured").kind == "measured"
    with pytest.raises(ValueError, match="role must be one of measured, predicted"):
        Series(WIDTHS, WIDTHS, "x", role="theory")


def test_legend_labels_say_role_and_measured_slope() -> None:
    meas = Series(WIDTHS, [w ** -0.55 for w in WIDTHS], "RMS over seeds")
    pred = Series(WIDTHS, power_line(WIDTHS, 1.0, -0.5), "slope -1/2", "--")
    assert legend_label(meas, True) == "measured: RMS over seeds (slope of points -0.55)"
    assert legend_label(pred, True) == "predicted: slope -1/2"
    assert legend_label(meas, False) == "measured: RMS over seeds"  # no slope off log-log axes
    assert legend_label(Series(WIDTHS, WIDTHS, "measured spread"), False) == "measured spread"


def test_save_figure_writes_a_readable_png(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx = Context(mode="quick", outdir=tmp_path)
    figs, notes = save_figure(ctx, "order.png", [
        Series(WIDTHS, [w ** -0.55 for w in WIDTHS], "RMS over seeds"),
        Series(WIDTHS, power_line(WIDTHS, WIDTHS[0] ** -0.55, -0.5), "slope -1/2", "--")],
        title="t", xlabel="width m", ylabel="error")
    assert figs == ("order.png",) and notes == ()
    h, w = image.imread(str(tmp_path / "order.png")).shape[:2]
    # the legend sits under the axes: the figure is taller than the 4.2 in axes figure alone
    assert 500 < h < 900 and 450 < w < 900


def test_evidence_strip_shows_windows_and_cis(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from widthlimits.proofs_checks.catalogue.base import Evidence

    ctx = Context(mode="quick", outdir=tmp_path)
    series = [Series(WIDTHS, [w ** -0.55 for w in WIDTHS], "RMS over seeds"),
              Series(WIDTHS, power_line(WIDTHS, WIDTHS[0] ** -0.55, -0.5), "slope -1/2", "--")]
    ev = [Evidence("order", "-0.5", -0.55, -0.7, -0.41, (-0.75, -0.25)),
          Evidence("control: order -1", "-1", -0.55, -0.7, -0.41, (-1.25, -0.75)),
          Evidence("one-sided", "< 0", -0.55, None, None, (-1e6, 0.0)),
          Evidence("missing", "0", None, window=(-0.1, 0.1)),  # not drawn: nothing measured
          Evidence("no window", "?", 0.3)]  # not drawn: nothing to compare with
    save_figure(ctx, "plain.png", series, title="t", xlabel="width m", ylabel="error")
    save_figure(ctx, "strip.png", series, title="t", xlabel="width m", ylabel="error", evidence=ev)
    plain = image.imread(str(tmp_path / "plain.png"))
    strip = image.imread(str(tmp_path / "strip.png"))
    assert strip.shape[0] > plain.shape[0] + 100  # three rows of evidence under the plot
    rgb = strip[..., :3]

    def count(hex_color: str) -> int:
        c = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        return int((abs(rgb - c).max(axis=2) < 0.03).sum())

    assert count("#1a9850") > 20 and count("#d73027") > 20  # inside (green) and outside (red)
    assert count("#d73027") < count("#1a9850")  # one red row, two green ones


def test_strip_rows_put_decisive_evidence_first_and_cap_the_strip() -> None:
    from widthlimits.proofs_checks.catalogue._util import STRIP_ROWS, strip_rows
    from widthlimits.proofs_checks.catalogue.base import Evidence

    side = [Evidence(f"side {i}", "0", 0.1, window=(-1, 1), decisive=False) for i in range(3)]
    main = [Evidence(f"main {i}", "0", 0.1, window=(-1, 1)) for i in range(STRIP_ROWS + 2)]
    rows, left_out = strip_rows(side + main + [Evidence("no window", "?", 0.3)])
    assert [e.name for e in rows] == [f"main {i}" for i in range(STRIP_ROWS)]
    assert left_out == 5  # two decisive and three side rows: in the report's table only


def test_gauge_puts_windows_of_any_size_on_one_strip() -> None:
    from widthlimits.proofs_checks.catalogue._util import _gauge
    from widthlimits.proofs_checks.catalogue.base import Evidence

    for e, inside in ((Evidence("slope", "-1/2", -0.5, window=(-0.75, -0.25)), 0.5),
                      (Evidence("tolerance", "< 1e-10", 5e-11, window=(0.0, 1e-10)), 0.5)):
        off, scale = _gauge(e)
        assert (e.window[0] - off) / scale == pytest.approx(0.3)
        assert (e.window[1] - off) / scale == pytest.approx(0.7)
        assert (e.measured - off) / scale == pytest.approx(inside)
    one_sided = Evidence("ratio", "> 1", 3.2, 2.5, 4.1, window=(1.0, 1e300))
    off, scale = _gauge(one_sided)
    assert (1.0 - off) / scale == pytest.approx(0.5)  # the bound at the middle
    assert 0.5 < (4.1 - off) / scale <= 0.95 + 1e-12  # the whole CI on the strip
