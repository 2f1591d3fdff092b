"""The catalogue framework: verdict rules, reports, and the CLI."""

import json
import math

import pytest

from widthlimits.proofs_checks.catalogue.base import Evidence, Verdict, decide
from widthlimits.proofs_checks.catalogue.registry import catalogue
from widthlimits.proofs_checks.cli import main
from widthlimits.theory.derivation.latex_compile import tex_tool


def ev(m, lo, hi, window=(-0.1, 0.1), decisive=True):
    return Evidence("q", "0", m, lo, hi, window, decisive=decisive)


def test_verdict_rules():
    assert decide([ev(0.0, -0.05, 0.05)])[0] is Verdict.CONFIRMED
    assert decide([ev(0.5, 0.4, 0.6)])[0] is Verdict.REFUTED
    # a CI that straddles the window edge is not a refutation
    assert decide([ev(0.15, 0.05, 0.25)])[0] is Verdict.CONFIRMED
    assert decide([ev(float("nan"), None, None)])[0] is Verdict.INCONCLUSIVE
    v, why = decide([ev(0.0, -0.01, 0.01), ev(0.5, 0.4, 0.6, decisive=False)])
    assert v is Verdict.CONFIRMED and "caveat" in why
    assert decide([])[0] is Verdict.INCONCLUSIVE


def test_catalogue_ids_are_unique_and_documented():
    cat = catalogue()
    assert len(cat) >= 2
    for chk in cat.values():
        assert chk.id and chk.statement and chk.source and chk.paper and chk.assumptions


def test_check_cli_list_and_bad_id(capsys):
    assert main(["check", "--list", "--json"]) == 0
    ids = [c["id"] for c in json.loads(capsys.readouterr().out)]
    assert "golikov-depth-gd-vs-rmsprop" in ids
    assert main(["check", "no-such-check"]) == 2
    assert "no-such-check" in capsys.readouterr().err


@pytest.mark.parametrize("check_id", sorted(catalogue()))
def test_every_check_ends_with_a_verdict_quick(check_id, tmp_path, capsys):
    """`widthlimits check ID --quick --json`: a verdict, JSON fields, and a report page."""
    assert main(["check", check_id, "--quick", "-o", str(tmp_path), "--json"]) == 0
    (res,) = json.loads(capsys.readouterr().out)
    assert res["verdict"] in ("confirmed", "refuted", "inconclusive")
    for key in ("id", "verdict", "predicted", "measured", "ci_low", "ci_high", "source",
                "control", "power", "window"):
        assert key in res
    assert set(res["control"]) >= {"prediction", "verdict"}
    assert res["control"]["prediction"] and res["control"]["verdict"] in (
        "confirmed", "refuted", "inconclusive")
    # power: the smallest deviation the run detects, a finite number >= 0 whenever decided
    assert res["power"] is None or (math.isfinite(res["power"]) and res["power"] >= 0)
    if res["verdict"] == "confirmed":  # the protocol: confirmed only with its control refuted
        assert res["control"]["verdict"] == "refuted"
        assert res["power"] is not None
    page = (tmp_path / check_id / "report.md").read_text()
    assert res["verdict"] in page and "## Evidence" in page
    assert (tmp_path / check_id / "report.tex").exists()
    if tex_tool() is not None:  # CI installs texlive-latex-base: the PDF report must compile
        assert (tmp_path / check_id / "report.pdf").exists()
    if res["verdict"] != "confirmed":
        assert res["explanation"]


@pytest.mark.skipif(tex_tool() is None, reason="no pdflatex on PATH")
def test_every_statement_is_display_math_that_compiles():
    """Reports put a check's statement inside \\[ \\] (PDF) and $$ $$ (Markdown): no inline $."""
    from widthlimits.theory.derivation.latex_compile import compile_many

    cat = catalogue()
    assert all("$" not in c.statement for c in cat.values())
    texs = [r"\documentclass{article}\usepackage{amsmath,amssymb}\begin{document}"
            r"\[ " + c.statement + r" \]\end{document}" for c in cat.values()]
    bad = [cid for cid, r in zip(cat, compile_many(texs, workers=2), strict=True) if not r.ok]
    assert not bad
