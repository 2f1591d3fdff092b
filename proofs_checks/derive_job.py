"""The tour's derivation part: two derivations written as LaTeX, Markdown and (with TeX) PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from widthlimits.theory.derivation import derivation
from widthlimits.theory.derivation.latex_compile import compile_pdf, tex_tool
from widthlimits.theory.presets import preset

JOBS = (
    ("mup-sgd-depth2", "mup", "sgd", 2, "muP trained by SGD, two hidden layers"),
    ("golikov-mf-gd-depth3", "golikov-mf", "sgd", 3,
     "Golikov's mean-field initialization, GD, three hidden layers"),
)


def write_derivation(folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    made, pdfs, problems = [], 0, []
    tool = tex_tool()
    for stem, name, opt, L, title in JOBS:
        d = derivation(preset(name, L, opt), opt, "tanh", title=title)
        tex = d.to_latex()
        (folder / f"{stem}.tex").write_text(tex)
        (folder / f"{stem}.md").write_text(d.to_markdown())
        (folder / f"{stem}.txt").write_text(d.to_text())
        made.append(stem)
        if tool is not None:
            res = compile_pdf(tex, name=stem.replace("-", "_"))
            if res.ok and res.pdf is not None:
                (folder / f"{stem}.pdf").write_bytes(res.pdf)
                pdfs += 1
            else:
                problems.append(f"{stem}: {'; '.join(res.errors) or 'no PDF'}")
    summary = f"{len(made)} derivations (.tex, .md, .txt)"
    summary += (f", {pdfs} PDFs compiled with {tool}" if tool else
                ", no PDF: TeX not installed (apt-get install texlive-latex-base)")
    if problems:
        summary += f"; compile problems: {' | '.join(problems)}"
    return {"page": f"derivation/{made[0]}.md", "summary": summary}
