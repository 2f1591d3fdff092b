"""``widthlimits derive``: the power-counting derivation as LaTeX, Markdown or text (and PDF).

Thin shell over :func:`widthlimits.theory.derivation.derivation` and
:func:`widthlimits.theory.derivation.symbolic_derivation`; PDF through
:func:`widthlimits.theory.latex_compile.compile_pdf` (shell escape off).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from widthlimits.proofs_checks.commands._params import (
    add_activation_argument,
    add_parametrization_arguments,
    parametrization_from_args,
)
from widthlimits.theory.derivation import derivation, symbolic_derivation

NAME = "derive"
HELP = "write the power-counting derivation (LaTeX document, snippet, Markdown or text; --pdf)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p)
    add_activation_argument(p)
    p.add_argument("--symbolic", nargs="?", const="tp4", choices=["tp4", "golikov"], default=None,
                   metavar="FAMILY",
                   help="symbols for the exponents: tp4 (generic a_l, b_{L+1}, c; default) or "
                        "golikov (q_sigma, q~_a, q~_w); the derivation ends in inequalities")
    p.add_argument("--loss", default=None, choices=["mse", "logistic"],
                   help="loss (default mse; logistic in --symbolic mode)")
    p.add_argument("--steps", type=int, default=None, metavar="T",
                   help="compute steps 0..T (default: until the exponents are stationary)")
    p.add_argument("--title", default=None, help="document title (free text, printed literally)")
    p.add_argument("--format", default="tex", choices=["tex", "snippet", "md", "txt"],
                   help="output format (default tex: a complete document)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write to FILE (default stdout; with --pdf: the PDF path)")
    p.add_argument("--pdf", action="store_true",
                   help="compile the LaTeX document to PDF (needs pdflatex; shell escape off)")


def run(args: argparse.Namespace) -> int:
    if args.symbolic is not None:
        given = [x for x in ("preset", "a", "b", "c", "d") if getattr(args, x, None) is not None]
        if given:
            raise ValueError(f"--symbolic takes no --{given[0]}: the exponents are symbols")
        d = symbolic_derivation(args.symbolic, args.depth, args.optimizer, args.activation,
                                loss=args.loss or "logistic", title=args.title)
    else:
        param = parametrization_from_args(args)
        d = derivation(param, args.optimizer, args.activation, loss=args.loss or "mse",
                       steps=args.steps, title=args.title)
    if args.pdf:
        from widthlimits.theory.latex_compile import compile_pdf

        if args.format != "tex":
            raise ValueError(f"--pdf compiles the full document; drop --format {args.format}")
        res = compile_pdf(d.to_latex())
        if not res.ok or res.pdf is None:
            first = res.errors[0] if res.errors else "no PDF produced"
            sys.stderr.write(f"widthlimits derive: LaTeX failed: {first}\n")
            return 1
        out = Path(args.output or "derivation.pdf")
        out.write_bytes(res.pdf)
        print(f"wrote {out} ({len(res.pdf)} bytes, {res.tool})")
        return 0
    text = d.render(args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
        if args.format in ("tex", "snippet"):
            from widthlimits.theory.render_latex import render_bibtex

            bib = Path(args.output).with_suffix(".bib")
            bib.write_text(render_bibtex(), encoding="utf-8")
            print(f"wrote {bib} (BibTeX entries of the \\cite keys)")
    else:
        sys.stdout.write(text)
    return 0
