"""``widthlimits derive``: the power-counting derivation as LaTeX, Markdown or text (and PDF).

Thin shell over :func:`widthlimits.theory.derivation.derivation` and
:func:`widthlimits.theory.derivation.symbolic_derivation`; PDF through
:func:`widthlimits.theory.derivation.latex_compile.compile_pdf` (shell escape off).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from widthlimits.proofs_checks.commands._params import (
    EXIT_TIME_LIMIT,
    TimeLimitReached,
    add_activation_argument,
    add_parametrization_arguments,
    add_time_limit_argument,
    check_steps_arg,
    deadline_from_args,
    parametrization_from_args,
    time_limit,
)

NAME = "derive"
#: the extension ``-o`` must have for each ``--format`` (and what that format writes)
_SUFFIX = {"tex": ".tex", "snippet": ".tex", "md": ".md", "txt": ".txt"}
_WHAT = {"tex": "a LaTeX document", "snippet": "LaTeX", "md": "Markdown", "txt": "plain text"}
HELP = "write the power-counting derivation (LaTeX document, snippet, Markdown or text; --pdf)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p, residual=True)
    add_activation_argument(p)
    p.add_argument("--symbolic", nargs="?", const="tp4", choices=["tp4", "tp4-layers", "golikov"],
                   default=None, metavar="FAMILY",
                   help="symbols for the exponents: tp4 (generic a_l, b_{L+1}, one c for SGD-type "
                        "optimizers; default), tp4-layers (the same with one c_l per layer: every "
                        "non-degenerate parametrization) or golikov (q_sigma, q~_a, q~_w); the "
                        "derivation ends in inequalities (the degenerate part, free b: "
                        "`query --fix a=... --format tex`, exact within a box)")
    p.add_argument("--loss", default=None, choices=["mse", "logistic"],
                   help="loss (default mse; logistic in --symbolic mode)")
    p.add_argument("--steps", type=int, default=None, metavar="T",
                   help="compute steps 0..T (default: until the exponents are stationary, at "
                        "most 2(L+1)+6 steps: classify's horizon, also with --symbolic)")
    p.add_argument("--title", default=None, help="document title (free text, printed literally)")
    p.add_argument("--format", default="tex", choices=["tex", "snippet", "md", "txt"],
                   help="output format (default tex: a complete document)")
    p.add_argument("-o", "--output", default=None, metavar="FILE",
                   help="write to FILE (default stdout; with --pdf: the PDF path)")
    p.add_argument("--pdf", action="store_true",
                   help="compile the LaTeX document to PDF (needs pdflatex; shell escape off)")
    add_time_limit_argument(p, "stop after SECONDS: print the stages established, write no "
                               "document, exit 3")


def run(args: argparse.Namespace) -> int:
    from widthlimits.numerics.validation import check_output_file
    from widthlimits.theory.depth.presets import is_depth_preset
    from widthlimits.theory.parametrization import check_depth

    deadline = deadline_from_args(args)
    depth_model = is_depth_preset(args.preset)  # residual model: widthlimits.theory.depth
    if not depth_model:
        check_depth(args.depth)
    steps = check_steps_arg(args.steps)
    if args.pdf and args.format != "tex":
        raise ValueError(f"--pdf compiles the full document; drop --format {args.format}")
    out = None
    if args.output is not None or args.pdf:
        out = check_output_file("derivation.pdf" if args.output is None else args.output, "-o",
                                beside=(".tex",) if args.pdf else
                                (".bib",) if args.format == "snippet" and not depth_model else ())
        want = ".pdf" if args.pdf else _SUFFIX[args.format]
        if out.suffix.lower() != want:  # refused before any work
            if not out.suffix and out.name.startswith("."):  # e.g. "-o dir/.tex": no name
                raise ValueError(f"`-o` {args.output!r} has no file name before its extension")
            if args.pdf:
                raise ValueError(f"with --pdf, `-o` names the PDF (ending in .pdf), got "
                                 f"{args.output!r}")
            if out.suffix.lower() == ".pdf":
                raise ValueError(f"`-o` {args.output!r} names a PDF: add --pdf to compile one, or "
                                 f"give a file for the {args.format} source")
            raise ValueError(f"`-o` {args.output!r} must end in {want}: --format {args.format} "
                             f"writes {_WHAT[args.format]}")
    established: list[tuple[str, object]] = []  # the stages a symbolic derivation finished
    start = time.monotonic()

    def progress(stage: str, value: object) -> None:  # one line per stage, on stderr
        label = f"engine: {stage}" if stage.startswith("step ") else stage
        print(f"[{time.monotonic() - start:7.2f} s] {label}", file=sys.stderr, flush=True)
        established.append((stage, value))

    try:
        with time_limit(deadline):
            d = _derivation(args, depth_model, steps, progress)
    except TimeLimitReached:
        if args.symbolic is not None:
            _print_established(args, established, time.monotonic() - start)
        else:
            print(f"INCOMPLETE: --time-limit {args.time_limit:g} s reached; no document written")
        return EXIT_TIME_LIMIT
    if args.pdf:
        from widthlimits.theory.derivation.latex_compile import compile_pdf, tex_tool

        tex_path = out.with_suffix(".tex")  # type: ignore[union-attr]
        tex = d.to_latex()
        if tex_tool() is None:  # the .tex is still written, then one line on how to get TeX
            tex_path.write_text(tex, encoding="utf-8")
            raise ValueError(f"no TeX found to make the PDF (wrote {tex_path}); install it, e.g. "
                             f"Debian: apt-get install --no-install-recommends "
                             f"texlive-latex-base latexmk")
        res = compile_pdf(tex)
        if not res.ok or res.pdf is None:
            tex_path.write_text(tex, encoding="utf-8")
            first = res.errors[0] if res.errors else "no PDF produced"
            sys.stderr.write(f"widthlimits derive: LaTeX failed (wrote {tex_path}): {first}\n")
            return 1
        out.write_bytes(res.pdf)
        print(f"wrote {out} ({len(res.pdf)} bytes, {res.tool})")
        return 0
    text = d.render(args.format)
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:  # e.g. a full disk: name the file in the one-line message
            raise OSError(exc.errno, exc.strerror, str(out)) from None
        print(f"wrote {out}")
        # the snippet's \cite keys need the host's bibliography; the complete document (and the
        # depth LaTeX) carries its own thebibliography, so it needs no .bib
        if args.format == "snippet" and not depth_model:
            from widthlimits.theory.derivation.render_latex import render_bibtex

            bib = out.with_suffix(".bib")
            bib.write_text(render_bibtex(), encoding="utf-8")
            print(f"wrote {bib} (BibTeX entries of the \\cite keys)")
    else:
        sys.stdout.write(text)
    return 0


def _derivation(args: argparse.Namespace, depth_model: bool, steps: int | None,
                progress: Callable[[str, object], None]) -> Any:
    """The derivation the arguments ask for: a residual preset's, a symbolic one (reporting its
    stages to ``progress``) or a parametrization's."""
    from widthlimits.theory.derivation import derivation, symbolic_derivation

    if depth_model:
        from widthlimits.theory.depth.derivation import depth_derivation
        from widthlimits.theory.depth.presets import depth_preset

        extra = [f for f in ("symbolic", "a", "b", "c", "d", "steps", "loss")
                 if getattr(args, f, None) is not None]
        if extra:
            raise ValueError(f"--{extra[0]} does not apply to the residual model {args.preset!r} "
                             f"(its exponents are the preset's)")
        return depth_derivation(depth_preset(args.preset, args.optimizer, args.depth),
                                title=args.title)
    if args.symbolic is not None:
        given = [x for x in ("preset", "a", "b", "c", "d") if getattr(args, x, None) is not None]
        if given:
            raise ValueError(f"--symbolic takes no --{given[0]}: the exponents are symbols")
        if args.steps is not None and args.steps < 1:  # step 0 alone has no update to derive
            raise ValueError(f"--steps must be >= 1 with --symbolic, got {args.steps}")
        # default: classify's horizon (until stationary, at most 2(L+1)+6 steps)
        extra = {} if args.steps is None else {"steps": args.steps}
        return symbolic_derivation(args.symbolic, args.depth, args.optimizer, args.activation,
                                   loss=args.loss or "logistic", title=args.title,
                                   progress=progress, **extra)
    param = parametrization_from_args(args)
    return derivation(param, args.optimizer, args.activation, loss=args.loss or "mse",
                      steps=steps, title=args.title)


def _print_established(args: argparse.Namespace, established: list[tuple[str, object]],
                       seconds: float) -> None:
    """What a symbolic derivation stopped by ``--time-limit`` has established, on stdout."""
    from widthlimits.theory.derivation.render_text import relation_text
    from widthlimits.theory.derivation.symbolic import LinearSystem, alternative_relationals

    last = established[-1][0] if established else "step 0"
    if last.startswith("step "):
        t = int(last.split()[1])
        where = (f"in the engine's step {t}" + (f" (steps 0..{t - 1} computed)" if t else "")
                 + "; no condition is established yet")
    else:
        where = f"after the stage '{last}'"
    print(f"INCOMPLETE: --time-limit {args.time_limit:g} s reached after {seconds:.1f} s, {where}")
    stability = next((v for _, v in established if isinstance(v, LinearSystem)), None)
    for stage, value in established:
        if isinstance(value, LinearSystem):
            print(f"{stage} (every computed step), a conjunction of:")
            for clause in value.relationals():
                print("  " + " or ".join(relation_text(r) for r in clause))
        elif value is not None:
            print(f"{stage} (under stability), one of:")
            for alt in alternative_relationals(value, stability):  # type: ignore[arg-type]
                print("  " + (" and ".join(relation_text(r) for r in alt) or "always"))
    print("no document written: it needs every stage")

