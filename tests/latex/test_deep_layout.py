"""Deep derivations fit their pages: the parametrization table has one row per run of equal
layers (``2--100``, as classify's table and the Markdown) and is split into tabulars short
enough for a page (one tabular cannot break: at depth 100, 101 rows ran 539pt off page 2), and
no alignat is longer than :data:`ALIGN_ROWS` rows (6001 rows of one phase at depth 1000
exceeded TeX's main memory).  Compiled documents have no overfull vbox."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from widthlimits.theory.derivation import derivation
from widthlimits.theory.derivation.latex_compile import compile_pdf, tex_tool
from widthlimits.theory.derivation.render_latex import ALIGN_ROWS, TABLE_ROWS
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import preset

needs_tex = pytest.mark.skipif(tex_tool() is None, reason="no pdflatex on PATH")


def _all_layers_differ(L: int) -> Parametrization:
    """Every layer its own row: nothing to merge."""
    b = tuple(Fraction(1, 2) + Fraction(i, 10 * L) for i in range(L + 1))
    return Parametrization(a=(0,) * (L + 1), b=b, c=(1,) * (L + 1), name="all-differ")


def _env_rows(tex: str, env: str) -> list[int]:
    """Rows of each ``env``: a tabular ends every row with a line break, an alignat all but one."""
    extra = 0 if env == "tabular" else 1  # a row continued below (\rlap) counts once
    return [m.group(1).count(r"\\") + extra - m.group(1).count(r"\rlap") for m in
            re.finditer(r"\\begin\{" + env + r"\}(?:\{[^}]*\})?(.*?)\\end\{" + env + r"\}", tex, re.S)]


def test_equal_layers_are_one_row_in_latex_and_markdown() -> None:
    d = derivation(preset("golikov-mf", 100, "sgd"), "sgd")
    tex, md = d.to_latex(), d.to_markdown()
    assert "2--100 & hidden & $0$ & $1$ & $0$" in tex and "101 & readout" in tex
    assert "| 2-100 | $0$ | $1$ | $0$ |" in md
    assert _env_rows(tex, "tabular") == [4]  # the header and three rows


@pytest.mark.parametrize("L", [100, 1000])
def test_no_environment_is_too_long_to_break(L: int) -> None:
    tex = derivation(_all_layers_differ(L), "sgd").to_latex()
    tabs = _env_rows(tex, "tabular")
    assert sum(tabs) - len(tabs) == L + 1  # every layer, and a header per tabular
    assert max(tabs) <= TABLE_ROWS + 1
    assert max(_env_rows(tex, "alignat\\*")) <= ALIGN_ROWS


def _overfull_vbox(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\vbox \(([\d.]+)pt too high", log)]


@needs_tex
@pytest.mark.parametrize("param", [preset("golikov-mf", 100, "sgd"), _all_layers_differ(100)],
                         ids=["golikov-mf", "all-differ"])
def test_depth_100_fits_its_pages(param: Parametrization) -> None:
    r = compile_pdf(derivation(param, "sgd").to_latex())
    assert r.ok, r.errors
    assert not _overfull_vbox(r.log)
