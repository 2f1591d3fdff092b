"""Every example in README.md and docs/*.md runs.

* ```python blocks run in order, sharing one namespace per document; a block with ``>>>`` prompts
  is a doctest (its printed values are compared), otherwise it is executed.
* ```console blocks: each ``$ widthlimits ...`` line runs (the trailing ``# comment`` dropped)
  and must exit 0; every output line shown below it, other than ``...``, must appear in the
  command's output (whitespace-normalized).  A block's output stands for the last command
  before it.

A block is skipped only when the line before its fence is the explicit marker
``<!-- docs-test: skip: REASON -->`` with a reason (e.g. a command that runs for minutes).
"""

from __future__ import annotations

import doctest
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"^<!--\s*docs-test:\s*skip:\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    language: str
    text: str
    skip: str | None  # the reason, when marked

    @property
    def id(self) -> str:
        d = self.document
        return f"{d.relative_to(ROOT) if d.is_relative_to(ROOT) else d.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    out, lines, i = [], path.read_text().splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang, body = i, m.group(1), []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        prev = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        sk = SKIP.match(prev.strip())
        out.append(Block(path, start + 1, lang, "\n".join(body), sk.group(1) if sk else None))
        i += 1
    return out


ALL = [b for d in DOCUMENTS for b in blocks(d)]
PYTHON_DOCS = sorted({b.document for b in ALL if b.language == "python"})
CONSOLE = [b for b in ALL if b.language == "console"]


def test_skip_markers_state_a_reason() -> None:
    for d in DOCUMENTS:
        for n, ln in enumerate(d.read_text().splitlines(), 1):
            if "docs-test:" in ln:
                m = SKIP.match(ln.strip())
                assert m and len(m.group(1)) >= 10, f"{d.name}:{n}: marker without a reason: {ln}"


def test_the_collector_finds_the_readme_examples() -> None:
    langs = [b.language for b in ALL if b.document.name == "README.md"]
    assert "python" in langs and "console" in langs


_NEEDS_TORCH = re.compile(r"^\s*(import torch|from torch\b|import widthlimits\.torch|"
                          r"from widthlimits\.torch\b)", re.M)


def run_python_blocks(doc: Path) -> None:
    if any(_NEEDS_TORCH.search(b.text) for b in blocks(doc) if b.language == "python"):
        pytest.importorskip("torch", reason=f"{doc.name}'s examples need the torch extra")
    globs: dict = {"__name__": f"docs_{doc.stem}"}
    ran = 0
    for b in (b for b in blocks(doc) if b.language == "python"):
        if b.skip:
            continue
        if ">>>" in b.text:
            test = doctest.DocTestParser().get_doctest(b.text, globs, b.id, str(doc), b.line)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            runner.run(test, clear_globs=False)
            res = runner.summarize(verbose=False)
            assert res.failed == 0, f"{b.id}: {res.failed} of {res.attempted} examples failed"
        else:
            exec(compile(b.text, b.id, "exec"), globs)  # noqa: S102 - the document's own example
        ran += 1
    assert ran or all(b.skip for b in blocks(doc) if b.language == "python")


@pytest.mark.parametrize("doc", PYTHON_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples(doc: Path) -> None:
    run_python_blocks(doc)


def _commands(text: str) -> list[tuple[str, list[str]]]:
    """``[(command, expected lines), ...]`` of a console block."""
    out: list[tuple[str, list[str]]] = []
    for ln in text.splitlines():
        if ln.startswith("$ "):
            cmd = re.sub(r"\s+#.*$", "", ln[2:]).strip()
            out.append((cmd, []))
        elif out and ln.strip() and ln.strip() != "...":
            out[-1][1].append(" ".join(ln.split()))
    return out


def _norm(text: str) -> set[str]:
    return {" ".join(ln.split()) for ln in text.splitlines()}


def run_console_block(block: Block, cwd: Path) -> None:
    cmds = _commands(block.text)
    assert cmds, f"{block.id}: a console block without a $ command"
    for cmd, expected in cmds:
        argv = shlex.split(cmd)
        assert argv[0] == "widthlimits", f"{block.id}: only widthlimits commands run here: {cmd}"
        res = subprocess.run([sys.executable, "-m", "widthlimits.proofs_checks", *argv[1:]],
                             capture_output=True, text=True, timeout=300, cwd=cwd)
        assert res.returncode == 0, f"{block.id}: `{cmd}` exited {res.returncode}: {res.stderr[-500:]}"
        got = _norm(res.stdout)
        missing = [e for e in expected if e not in got]
        assert not missing, f"{block.id}: `{cmd}` did not print {missing}\n--- got:\n{res.stdout}"


@pytest.mark.parametrize("block", CONSOLE, ids=lambda b: b.id)
def test_console_examples(block: Block, tmp_path: Path) -> None:
    if block.skip:
        pytest.skip(block.skip)
    run_console_block(block, tmp_path)


def test_the_collector_fails_on_wrong_examples(tmp_path: Path) -> None:
    doc = tmp_path / "wrong.md"
    doc.write_text("text\n\n```python\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(AssertionError, match="1 of 1 examples failed"):
        run_python_blocks(doc)
    wrong = Block(doc, 1, "console", "$ widthlimits classify --preset mup --depth 2 --optimizer sgd\n"
                  "regime: unstable", None)
    with pytest.raises(AssertionError, match="did not print"):
        run_console_block(wrong, tmp_path)
    marked = tmp_path / "marked.md"
    marked.write_text("<!-- docs-test: skip: runs for ten minutes -->\n```console\n$ widthlimits x\n```\n")
    assert blocks(marked)[0].skip == "runs for ten minutes"
