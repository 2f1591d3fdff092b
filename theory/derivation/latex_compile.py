"""Compile LaTeX documents to PDF with latexmk or pdflatex, shell escape off (stdlib only).

Security: the TeX run gets ``-no-shell-escape`` (``\\write18`` cannot run commands), runs in a
private temporary directory, with ``openin_any=p`` / ``openout_any=p`` (paranoid: no reading or
writing of dot files or files outside the working directory tree) set in its environment; the
renderers escape every user-supplied string in addition.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CompileResult:
    """Outcome of one compilation.

    Attributes
    ----------
    ok : bool
        A PDF was produced and the log has no error (``!``) lines.
    pdf : bytes or None
    errors : tuple of str
        The log's ``! ...`` lines.
    undefined_references : tuple of str
        ``Reference `x' ... undefined`` and ``Citation `x' ... undefined`` warnings of the last run.
    log : str
    tool : str
    """

    ok: bool
    pdf: bytes | None
    errors: tuple[str, ...]
    undefined_references: tuple[str, ...]
    log: str
    tool: str


def tex_tool() -> str | None:
    """``"latexmk"`` or ``"pdflatex"`` if on PATH (latexmk needs pdflatex too), else None."""
    if shutil.which("pdflatex") is None:
        return None
    return "latexmk" if shutil.which("latexmk") else "pdflatex"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["openin_any"] = "p"
    env["openout_any"] = "p"
    env["shell_escape"] = "f"
    return env


_UNDEF = re.compile(r"(?:Reference|Citation) `[^']*' on page \d+ undefined|There were undefined references")


def compile_pdf(tex: str, *, timeout: float = 120.0, name: str = "derivation") -> CompileResult:
    """Compile ``tex`` (a complete document) to PDF in a temporary directory.

    Runs ``latexmk -pdf`` (or ``pdflatex`` twice, for references) with ``-no-shell-escape``,
    ``-interaction=nonstopmode`` and ``-halt-on-error``.

    Raises
    ------
    RuntimeError
        If neither latexmk nor pdflatex is installed (``apt-get install texlive-latex-base``).
    """
    tool = tex_tool()
    if tool is None:
        raise RuntimeError("no TeX found: install pdflatex (Debian: apt-get install "
                           "--no-install-recommends texlive-latex-base latexmk)")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"`name` must be a plain file stem, got {name!r}")
    flags = ["-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
    with tempfile.TemporaryDirectory(prefix="widthlimits-tex-") as tmp:
        d = Path(tmp)
        (d / f"{name}.tex").write_text(tex, encoding="utf-8")
        if tool == "latexmk":
            cmds = [["latexmk", "-pdf", "-quiet", f"-pdflatex=pdflatex {' '.join(flags)} %O %S",
                     f"{name}.tex"]]
        else:
            cmds = [["pdflatex", *flags, f"{name}.tex"]] * 2
        for cmd in cmds:
            try:
                subprocess.run(cmd, cwd=d, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                break
        logp = d / f"{name}.log"
        log = logp.read_text(encoding="utf-8", errors="replace") if logp.exists() else ""
        pdfp = d / f"{name}.pdf"
        pdf = pdfp.read_bytes() if pdfp.exists() else None
    errors = tuple(x for x in log.splitlines() if x.startswith("!"))
    undef = tuple(m.group(0) for m in _UNDEF.finditer(log))
    return CompileResult(ok=pdf is not None and not errors, pdf=pdf, errors=errors,
                         undefined_references=undef, log=log, tool=tool)


def compile_many(texs: Iterable[str], *, workers: int = 2, timeout: float = 120.0
                 ) -> list[CompileResult]:
    """Compile several documents in parallel (one TeX process per worker)."""
    texs = list(texs)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as ex:
        return list(ex.map(lambda t: compile_pdf(t, timeout=timeout), texs))
