"""The depth derivation's LaTeX (``widthlimits derive --preset depth-mup|completep``) compiles
with pdflatex, shell escape off: no errors, no undefined references; a snippet compiles inside a
host document.  Skipped with a reason when no TeX is installed (as tests/latex/test_compile.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from widthlimits.theory.depth.derivation import depth_derivation
from widthlimits.theory.depth.model import ResidualModel
from widthlimits.theory.depth.presets import depth_preset, mup_roles
from widthlimits.theory.derivation.latex_compile import compile_many, compile_pdf, tex_tool

pytestmark = pytest.mark.skipif(tex_tool() is None,
                                reason="no pdflatex on PATH (apt-get install texlive-latex-base)")


def _custom() -> ResidualModel:
    """No name, no LayerNorm, coupled Adam decay, alpha 1/3 (the blow-up lines render too)."""
    emb, hid, out = mup_roles("adam")
    hid = hid.with_(wd=-1, d=1, d_L=Fraction(1, 3))
    return ResidualModel(emb, (hid, hid), out, alpha=Fraction(1, 3), optimizer="adam",
                         weight_decay="coupled", activation="tanh", depth=7)


def test_depth_documents_compile() -> None:
    models = [depth_preset("depth-mup", "sgd", 16), depth_preset("depth-mup", "adam", 16),
              depth_preset("completep", "adam", 8), depth_preset("completep:1/2", "adam"), _custom()]
    texs = [depth_derivation(m, title=r"\input{/etc/passwd} 50% & $x$").to_latex() for m in models]
    results = compile_many(texs, workers=2)
    bad = [(m.name, r.errors[:2], r.undefined_references[:2]) for m, r in zip(models, results, strict=True)
           if not r.ok or r.undefined_references]
    assert not bad


def test_depth_snippet_compiles_in_a_host_document() -> None:
    body = depth_derivation(depth_preset("completep", "adam")).render("snippet")
    host = "\n".join([r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
                      r"\begin{document}", body, r"\end{document}", ""])
    r = compile_pdf(host)
    assert r.ok and not r.undefined_references, r.errors
