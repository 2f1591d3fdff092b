"""``widthlimits derive``: ``-o`` must carry the extension of the format it writes (refused
before any work, exit 2, one line), the complete document needs no ``.bib`` beside it (it has
its own thebibliography; the snippet does need one), and ``--symbolic --steps 0`` speaks of
``--steps``."""

from __future__ import annotations

import pytest

from widthlimits.proofs_checks.cli import main

BASE = ["derive", "--preset", "mup", "--depth", "2", "--optimizer", "sgd"]


@pytest.mark.parametrize(("fmt", "name"), [
    ("md", "x.tex"), ("tex", "y.txt"), ("txt", "y.md"), ("snippet", "z.md"), ("tex", "y"),
    ("md", "x.markdown.txt"), ("txt", "x.pdf")])
def test_mismatched_extension_is_refused_before_any_work(tmp_path, capsys, fmt, name) -> None:
    out = tmp_path / name
    assert main([*BASE, "--format", fmt, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "-o" in err, err
    assert not list(tmp_path.iterdir())  # nothing written, not even a .bib


@pytest.mark.parametrize(("fmt", "name", "start"), [
    ("md", "x.md", "# "), ("txt", "x.txt", "Power counting"), ("tex", "x.tex", r"\documentclass"),
    ("snippet", "x.TEX", "% widthlimits derivation")])
def test_matching_extension_is_written(tmp_path, capsys, fmt, name, start) -> None:
    out = tmp_path / name
    assert main([*BASE, "--format", fmt, "-o", str(out)]) == 0
    assert out.read_text().startswith(start)


def test_only_the_snippet_gets_a_bib(tmp_path, capsys) -> None:
    doc, snip = tmp_path / "doc.tex", tmp_path / "snip.tex"
    assert main([*BASE, "-o", str(doc)]) == 0
    assert r"\begin{thebibliography}" in doc.read_text()  # the document cites its own entries
    assert not doc.with_suffix(".bib").exists()
    assert main([*BASE, "--format", "snippet", "-o", str(snip)]) == 0
    assert "@misc{yanglittwin2023" in snip.with_suffix(".bib").read_text()


def test_symbolic_steps_zero_speaks_of_the_flag(capsys) -> None:
    assert main(["derive", "--symbolic", "tp4", "--depth", "2", "--steps", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--steps" in err and "`steps`" not in err, err
