"""The LaTeX snippet cites, a .bib written beside it holds every cited key; the complete
document keeps its own bibliography (it compiles without BibTeX)."""

from __future__ import annotations

import re
import subprocess
import sys

from widthlimits.theory.derivation import derivation, symbolic_derivation
from widthlimits.theory.derivation.render_latex import BIBTEX, REFERENCES, render_bibtex
from widthlimits.theory.presets import preset


def _cited(tex: str) -> set[str]:
    return {k.strip() for m in re.findall(r"\\cite\{([^}]*)\}", tex) for k in m.split(",")}


def test_snippet_cites_keys_the_bib_defines() -> None:
    for d in (derivation(preset("mup", 2, "sgd"), "sgd"),
              derivation(preset("golikov-mf", 3, "rmsprop"), "rmsprop"),
              symbolic_derivation("tp4", 2, "sgd")):
        snip = d.snippet()
        assert "thebibliography" not in snip
        keys = _cited(snip)
        assert keys and keys <= set(BIBTEX)
        assert "thebibliography" in d.to_latex() and _cited(d.to_latex()) <= {k for k, _ in REFERENCES}
    bib = render_bibtex()
    assert set(re.findall(r"^@\w+\{(\w+),", bib, re.M)) == set(BIBTEX) == {k for k, _ in REFERENCES}
    assert bib.count("{") == bib.count("}") and "eprint = {2011.14522}" in bib


def test_derive_writes_the_bib_beside_the_tex(tmp_path) -> None:
    out = tmp_path / "mup.tex"
    res = subprocess.run([sys.executable, "-m", "widthlimits.proofs_checks", "derive", "--preset",
                          "mup", "--depth", "2", "--optimizer", "sgd", "--format", "snippet", "-o",
                          str(out)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert _cited(out.read_text()) <= set(re.findall(r"^@\w+\{(\w+),", (tmp_path / "mup.bib").read_text(),
                                                     re.M))
