"""Long formulas break across rows instead of running off the page: a symbolic max is cut at
its commas (a min too wide, at its own) and continued below in a zero-width box, a numeric row
too wide for its column moves below too.  The audit's cases had overfull hboxes of 201pt (tp4
depth 8), 224pt (golikov, RMSProp) and 175pt (tp4-layers, momentum); now at most 10pt."""

from __future__ import annotations

import re

import pytest

from widthlimits.theory.derivation import symbolic_derivation
from widthlimits.theory.derivation.latex_compile import compile_pdf, tex_tool
from widthlimits.theory.derivation.render_latex import long_exp_tex

needs_tex = pytest.mark.skipif(tex_tool() is None, reason="no pdflatex on PATH")


def _overfull_hbox(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]


@needs_tex
@pytest.mark.parametrize(("family", "depth", "opt"), [
    pytest.param("tp4", 8, "sgd", marks=pytest.mark.slow), ("golikov", 2, "rmsprop"),
    ("tp4-layers", 4, "momentum")])
def test_symbolic_documents_have_no_wide_lines(family: str, depth: int, opt: str) -> None:
    r = compile_pdf(symbolic_derivation(family, depth, opt).to_latex())
    assert r.ok, r.errors
    assert max(_overfull_hbox(r.log), default=0.0) <= 10.0, sorted(_overfull_hbox(r.log))[-3:]


def test_the_summary_of_a_very_long_exponent_is_text() -> None:
    import sympy

    x = sympy.symbols("x0:400")
    e = sympy.Max(*[x[i] + x[i + 1] for i in range(0, 398, 2)])
    s = long_exp_tex(e)
    assert "\t" not in s and r"\text{" in s  # was a tab and "ext{" (r"	ext")
