"""LaTeX documents compile with pdflatex (shell escape off): no errors, no undefined references.

Skipped with a reason when no TeX is installed; CI installs texlive-latex-base (.ci/run).
The full matrix (every named preset x {sgd, adam} x depth {1, 2, 3, 5}: 84 documents, about
60 s on 2 cores) is marked slow; the fast test compiles every preset and optimizer at one depth
each, cycling through 1, 2, 3, 5.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from widthlimits.theory.derivation import derivation, symbolic_derivation
from widthlimits.theory.derivation.latex_compile import compile_many, compile_pdf, tex_tool
from widthlimits.theory.presets import NAMED_POINTS, preset

pytestmark = pytest.mark.skipif(tex_tool() is None,
                                reason="no pdflatex on PATH (apt-get install texlive-latex-base)")

DEPTHS = (1, 2, 3, 5)


def _matrix(full: bool) -> list[tuple[str, str, int]]:
    out = []
    k = 0
    for name in NAMED_POINTS:
        for opt in ("sgd", "adam"):
            for L in DEPTHS if full else (DEPTHS[k % len(DEPTHS)],):
                try:
                    preset(name, L, opt)
                except ValueError:  # e.g. golikov-sym-default is GD only
                    continue
                out.append((name, opt, L))
            k += 1
    return out


def _check(cases: list[tuple[str, str, int]]) -> None:
    texs = [derivation(preset(n, L, o), o).to_latex() for n, o, L in cases]
    results = compile_many(texs, workers=2)
    bad = [(c, r.errors[:2], r.undefined_references[:2]) for c, r in zip(cases, results, strict=True)
           if not r.ok or r.undefined_references]
    assert not bad


def test_compile_every_preset_and_optimizer() -> None:
    cases = _matrix(full=False)
    # every named preset appears (GD-only ones with sgd alone) and every depth is exercised
    assert {n for n, _, _ in cases} == set(NAMED_POINTS)
    assert {L for _, _, L in cases} == set(DEPTHS)
    _check(cases)


@pytest.mark.slow
def test_compile_full_matrix() -> None:
    cases = _matrix(full=True)
    assert {n for n, _, _ in cases} == set(NAMED_POINTS)
    assert len(cases) == 4 * len({(n, o) for n, o, _ in cases})
    _check(cases)


@pytest.mark.parametrize(("family", "depth"), [
    ("tp4", 1), ("tp4", 2), pytest.param("tp4", 3, marks=pytest.mark.slow), ("tp4-layers", 2),
    ("golikov", 1)])
def test_compile_symbolic(family: str, depth: int) -> None:
    d = symbolic_derivation(family, depth, "sgd")
    r = compile_pdf(d.to_latex())
    assert r.ok and not r.undefined_references, r.errors


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    p = tmp_path / "d.pdf"
    p.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_golikov_mf_depth3_pdf_shows_the_step_it_fails_to_move(tmp_path: Path) -> None:
    r = compile_pdf(derivation(preset("golikov-mf", 3, "sgd"), "sgd").to_latex())
    assert r.ok and not r.undefined_references
    text = " ".join(_pdf_text(r.pdf, tmp_path).split())
    assert "fails to move at step 0" in text and "trivial" in text


def test_injection_title_is_printed_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    title = rf"\input{{/etc/passwd}} \write18{{touch {marker}}} \immediate\write18{{id}}"
    r = compile_pdf(derivation(preset("mup", 1, "sgd"), title=title).to_latex())
    assert r.ok, r.errors
    assert not marker.exists()
    text = _pdf_text(r.pdf, tmp_path)
    assert r"\input{/etc/passwd}" in text and r"\write18{touch" in text
    if os.path.exists("/etc/passwd"):
        assert "root:" not in text
    assert "runsystem" not in r.log  # TeX never tried to run a shell command
