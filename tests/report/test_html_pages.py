"""MathML of exponents and derivation lines, and check rows with and without control/power."""

from __future__ import annotations

import re
from fractions import Fraction
from xml.etree import ElementTree

from widthlimits.proofs_checks import html_pages as H
from widthlimits.proofs_checks import tour_page as P
from widthlimits.theory.derivation import derivation
from widthlimits.theory.presets import preset


def _wellformed(fragment: str) -> list[ElementTree.Element]:
    """Each <math> element of an HTML fragment parses as XML (entities replaced)."""
    maths = re.findall(r"<math.*?</math>", fragment)
    assert maths, fragment
    return [ElementTree.fromstring(re.sub(r"&\w+;", "x", m)) for m in maths]


def test_exponents_as_mathml() -> None:
    assert H.exponent_ml(Fraction(-1, 2)) == "<mo>&minus;</mo><mfrac><mn>1</mn><mn>2</mn></mfrac>"
    assert H.exponent_ml(0) == "<mn>0</mn>" and H.exponent_ml("-3") == "<mo>&minus;</mo><mn>3</mn>"
    assert "&infin;" in H.exponent_ml(float("-inf")) and "&infin;" in H.exponent_ml("-oo")
    assert H.exponent_ml("q + 1").startswith("<mtext>")  # symbolic: shown as text
    assert H.size_ml("-inf") == "<mn>0</mn>"


def test_every_line_of_a_derivation_is_wellformed_mathml() -> None:
    d = derivation(preset("mup", 2, "sgd"), "sgd", "tanh")
    lines = [ln for b in d.blocks for ln in b.lines]
    assert len(lines) > 20
    for ln in lines:
        _wellformed(H.line_ml(ln))
    text = H.line_ml(next(ln for ln in lines if ln.quantity == "f" and ln.step == 0))
    assert "<mfrac><mn>1</mn><mn>2</mn></mfrac>" in text  # f_0 = Theta(n^-1/2) under muP
    page = P.derivation_page(d, [])
    assert page.count("<math") > len(lines) and "feature_learning" in page


def test_check_rows_render_control_and_power_and_degrade_without() -> None:
    base = {"id": "x", "verdict": "confirmed", "predicted": "0", "measured": 0.01, "ci_low": -0.02,
            "ci_high": 0.04, "source": "TP4 (arXiv:2011.14522), Thm 3.6"}
    with_ctl = {**base, "control": {"prediction": "-1/4", "verdict": "refuted"}, "power": 0.12}
    c, p = P.control_cells(with_ctl)
    assert "-1/4" in c and 'class="refuted"' in c and p == "0.12"
    c, p = P.control_cells(base)
    assert "not reported" in c and "not reported" in p
    table = P.checks_table([with_ctl, {**base, "id": "y", "verdict": "refuted"}], "checks/")
    assert "1 confirmed" in table and "0 inconclusive" in table and "1 refuted" in table
    assert 'href="checks/x/index.html"' in table
