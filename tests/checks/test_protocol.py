"""The check protocol: per-check refutation by synthetic measurements, controls, power, and the
one description of data and init behind golikov-limit-models' IC-MF reference."""

import math

import numpy as np
import pytest

from widthlimits.proofs_checks.catalogue.base import (
    ONE_SIDED,
    CheckResult,
    ControlDesign,
    Design,
    Evidence,
    Verdict,
    judge,
    power_of,
)
from widthlimits.proofs_checks.catalogue.registry import catalogue
from widthlimits.proofs_checks.catalogue.runner import verdict_counts


def headline_window(design: Design) -> tuple[float, float]:
    if design.window is not None:
        return design.window
    t, cw = design.tolerance, design.control.window
    if cw is not None and cw[0] - t <= 0 <= cw[1] + t:  # the engine's prediction is not the
        return (cw[1] + 2 * t, cw[1] + 4 * t)          # control's: put it past the control
    return (-t, t)  # a prediction of 0


def synthetic(window, m, half):
    return Evidence("headline", "p", m, m - half, m + half, window)


@pytest.mark.parametrize("check_id", sorted(catalogue()))
def test_check_verdict_logic_can_refute(check_id):
    """Each check's declared design, fed synthetic measurements: a measurement outside the
    window is refuted; a sharp one inside is confirmed with its control refuted; a vague one
    is inconclusive (design too weak)."""
    design = catalogue()[check_id].design
    lo, hi = headline_window(design)
    one_sided_up = abs(hi) >= ONE_SIDED
    span = 1.0 if one_sided_up else hi - lo
    outside = synthetic((lo, hi), lo - 2 * span - 1.0, 0.1 * span)
    v, why, control = judge(design, [outside])
    assert v is Verdict.REFUTED, why
    mid = lo + 0.5 if one_sided_up else (lo + hi) / 2
    sharp = synthetic((lo, hi), mid, 1e-3 * span)
    v, why, control = judge(design, [sharp])
    assert v is Verdict.CONFIRMED and control.verdict is Verdict.REFUTED, why
    if not one_sided_up:  # a CI as wide as the window plus the control's shift cannot decide
        vague = synthetic((lo, hi), mid, span + 2 * design.control.shift)
        if design.control.window is None:
            v, why, control = judge(design, [vague])
            assert v is Verdict.INCONCLUSIVE and "design too weak" in why


def test_power_and_control_rules():
    e = Evidence("q", "0", 0.0, -0.05, 0.05, (-0.1, 0.1))
    assert math.isclose(power_of(e), 0.15)
    design = Design(window=(-0.1, 0.1))
    v, _, c = judge(design, [e])
    assert v is Verdict.CONFIRMED and c.verdict is Verdict.REFUTED  # power 0.15 < 1/4
    wide = Evidence("q", "0", 0.0, -0.2, 0.2, (-0.1, 0.1))
    assert math.isclose(power_of(wide), 0.3)
    v, why, c = judge(design, [wide])
    assert v is Verdict.INCONCLUSIVE and c.verdict is Verdict.CONFIRMED and "too weak" in why
    # a one-sided window is controlled by its complement
    one = Evidence("r", "> 1", 3.0, 2.5, 3.5, (1.0, 1e6))
    v, _, c = judge(Design(window=(1.0, 1e6)), [one])
    assert v is Verdict.CONFIRMED and c.windows == ((-math.inf, 1.0),)
    straddle = Evidence("r", "> 1", 1.2, 0.8, 1.6, (1.0, 1e6))
    assert judge(Design(window=(1.0, 1e6)), [straddle])[0] is Verdict.INCONCLUSIVE
    # an explicit control window
    d = Design(window=(0.0, 1e-8), control=ControlDesign(window=(1e-3, 1e6), prediction="big"))
    assert judge(d, [Evidence("z", "0", 1e-10, window=(0.0, 1e-8))])[2].verdict \
        is Verdict.REFUTED


def test_a_moved_window_is_refused():
    with pytest.raises(ValueError, match="declared design"):
        judge(Design(window=(-0.1, 0.1)), [Evidence("q", "0", 0.0, -0.01, 0.01, (-0.2, 0.2))])
    with pytest.raises(ValueError, match="no Design"):
        judge(None, [Evidence("q", "0", 0.0, -0.01, 0.01, (-0.2, 0.2))])
    with pytest.raises(ValueError):
        Design()


def test_result_json_and_html_carry_control_and_power():
    e = Evidence("q", "0", 0.0, -0.05, 0.05, (-0.1, 0.1))
    design = Design(window=(-0.1, 0.1))
    v, why, c = judge(design, [e])
    r = CheckResult("x", "t", "p", "s", "st", (), v, why, (e,), "", "quick", 1.0,
                    design=design.describe(), control=c)
    j = r.to_json()
    assert j["control"]["verdict"] == "refuted" and j["control"]["prediction"]
    assert math.isclose(j["power"], 0.15) and j["window"] == [-0.1, 0.1]
    html = r._repr_html_()
    assert "control" in html and "power" in html and "confirmed" in html
    assert verdict_counts([j, {**j, "verdict": "refuted"}]) == {
        "confirmed": 1, "inconclusive": 0, "refuted": 1}


def test_icmf_reference_reads_the_simulator_description():
    """IC-MF without its offset is the simulator's MF run: same data, init, activation, step."""
    from widthlimits.numerics.simulator import simulate
    from widthlimits.proofs_checks.catalogue.golikov import (
        LIMIT_DATA,
        icmf_two_layer,
        limit_models_config,
    )

    cfg = limit_models_config("golikov-mf", LIMIT_DATA, 2)
    assert limit_models_config("golikov-ntk", LIMIT_DATA, 2).data == cfg.data
    sim = simulate(cfg, 64, [0, 1]).get("f", None)
    for s in (0, 1):
        outs = icmf_two_layer(cfg, 64, s, corrected=False)[2]
        np.testing.assert_allclose(np.sqrt(np.mean(outs ** 2, axis=1)), sim[s], rtol=1e-10)
    # with the offset, f_0 is the standard-parametrization output: Theta(1)
    f0 = icmf_two_layer(cfg, 1024, 0)[0]
    assert 0.1 < f0 < 10


def test_full_mode_has_at_least_eight_seeds():
    """The statistics rule: CIs over seeds, at least FULL_MIN_SEEDS of them in full mode."""
    from widthlimits.proofs_checks.catalogue.base import FULL_MIN_SEEDS, Context, seeds_for
    assert FULL_MIN_SEEDS == 8
    assert seeds_for("quick", 3, 8) == 3 and seeds_for("full", 3, 8) == 8
    with pytest.raises(ValueError, match="at least 8 seeds"):
        seeds_for("quick", 3, 7)  # refused in quick mode too: the declaration is wrong
    with pytest.raises(ValueError):
        seeds_for("full", 1, 8)
    assert Context("full", outdir=None).seeds(4, 12) == 12  # type: ignore[arg-type]


def test_every_check_chooses_its_seeds_through_the_rule():
    """No catalogue module picks a seed count by mode itself ("seeds = 4 if ctx.quick else 6"
    slipped past the rule twice before it was one function)."""
    import pathlib
    import re

    import widthlimits.proofs_checks.catalogue as cat
    own = re.compile(r"seeds?\w*\s*=\s*\d+\s+if\s+(ctx\.)?quick\s+else|"
                     r"\b\d+\s+if\s+(ctx\.)?quick\s+else\s+\d+\s*,\s*\n?\s*rng=|"
                     r"return[^\n]*,\s*(\d+|tuple\(range\(\d+\)\))\s*$", re.M)
    offenders = []
    for f in sorted(pathlib.Path(cat.__file__).parent.glob("*.py")):
        for m in own.finditer(f.read_text()):
            offenders.append(f"{f.name}: {m.group(0).strip()}")
    assert not offenders, offenders
