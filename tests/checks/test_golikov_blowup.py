"""golikov-first-step-rates-blow-up: the engine's blow-up step and exponents, and the verdict logic
on synthetic slopes (a net that does not blow up must be refuted)."""

from widthlimits.proofs_checks.catalogue.base import Evidence, Verdict, judge
from widthlimits.proofs_checks.catalogue.golikov_blowup import CHECKS, DEPTH, TOL, blowup_design


def test_engine_says_step_two_blows_up():
    p, step, ex = blowup_design()
    assert step == 2 and DEPTH == 3
    assert str(ex[("h", 1, 2)]) == "1/2" and str(ex[("h", 1, 1)]) == "0"


def _headline(m, half):
    return Evidence("h^1 at step 2", "1/2", m, m - half, m + half, (0.5 - TOL, 0.5 + TOL))


def test_no_blow_up_is_refuted_and_blow_up_confirmed():
    design = CHECKS[0].design
    v, why, _ = judge(design, [_headline(0.0, 0.05)])
    assert v is Verdict.REFUTED, why
    v, why, control = judge(design, [_headline(0.45, 0.05)])
    assert v is Verdict.CONFIRMED and control.verdict is Verdict.REFUTED, why
    v, why, _ = judge(design, [_headline(0.3, 0.3)])  # a CI reaching 0 cannot decide
    assert v is Verdict.INCONCLUSIVE, why
