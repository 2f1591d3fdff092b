"""A check's report as a LaTeX document (and PDF when TeX is installed).

Free text (names, notes, assumptions, explanations) is escaped with
:func:`widthlimits.theory.derivation.render_latex.escape_tex`; the statement is the catalogue's own LaTeX.
Compilation runs with shell escape off (:func:`widthlimits.theory.derivation.latex_compile.compile_pdf`).
"""

from __future__ import annotations

from pathlib import Path

from widthlimits.proofs_checks.catalogue.base import CheckResult
from widthlimits.theory.derivation.latex_compile import compile_pdf, tex_tool
from widthlimits.theory.derivation.render_latex import escape_tex as esc


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def render_latex(r: CheckResult) -> str:
    rows = []
    for e in r.evidence:
        ci = f"[{_num(e.ci_low)}, {_num(e.ci_high)}]" if e.ci_low is not None else ""
        win = f"[{e.window[0]:.3g}, {e.window[1]:.3g}]" if e.window else ""
        rows.append(" & ".join([esc(e.name), esc(e.predicted), esc(_num(e.measured)), esc(ci),
                                esc(win), esc(str(e.passed)), "yes" if e.decisive else "no"])
                    + r" \\")
    body = [
        r"\documentclass[10pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\begin{document}",
        r"\section*{" + esc(r.title) + "}",
        r"\noindent\textbf{Check:} \texttt{" + esc(r.id) + r"}\\",
        r"\textbf{Source:} " + esc(f"{r.paper}, {r.source}") + r"\\",
        r"\textbf{Mode:} " + esc(f"{r.mode} ({r.seconds:.1f} s)") + r"\\",
        r"\textbf{Verdict:} \textbf{" + esc(r.verdict.value) + "} -- " + esc(r.explanation),
        r"\subsection*{Statement}",
        r"\[ " + r.statement + r" \]",
        r"\subsection*{Assumptions}",
        r"\begin{itemize}" + "".join(r"\item " + esc(a) for a in r.assumptions or ("none stated",))
        + r"\end{itemize}",
    ]
    if r.prediction:
        body += [r"\subsection*{Prediction}", esc(r.prediction)]
    body += [r"\subsection*{Evidence}", r"{\small", r"\begin{tabular}{p{5.5cm}p{1.6cm}p{1.3cm}"
             r"p{2.2cm}p{1.8cm}p{0.9cm}p{0.9cm}}",
             r"quantity & predicted & measured & CI & window & passes & decisive \\ \hline",
             *rows, r"\end{tabular}}"]
    if r.figures:
        body += [r"\par\noindent Figures (beside this report): " + esc(", ".join(r.figures))]
    if r.notes:
        body += [r"\subsection*{Notes}", r"\begin{itemize}"
                 + "".join(r"\item " + esc(n) for n in r.notes) + r"\end{itemize}"]
    if r.error:
        body += [r"\subsection*{Error}", esc(r.error)]
    body.append(r"\end{document}")
    return "\n".join(body) + "\n"


def write_latex_report(r: CheckResult, folder: Path) -> str:
    """Write ``report.tex`` and, when TeX is installed, ``report.pdf``; returns a status line."""
    tex = render_latex(r)
    (folder / "report.tex").write_text(tex)
    if tex_tool() is None:
        return "report.tex written; no TeX installed, no PDF"
    res = compile_pdf(tex, name="report")
    if res.ok and res.pdf is not None:
        (folder / "report.pdf").write_bytes(res.pdf)
        return "report.pdf compiled"
    (folder / "report.compile.log").write_text(res.log)
    return f"report.pdf failed: {'; '.join(res.errors)[:200]}"
