"""``widthlimits convergence MODEL``: measured convergence order of finite widths to the limit.

A thin shell over :func:`widthlimits.numerics.limits.convergence_study`.  It prints every measured
order with its CI beside the predicted one (a mismatch is printed, and the exit code stays 0:
it is a measurement, not a failure), optionally writes ``result.json`` and ``error_vs_width.png``
into ``-o DIR``, and ``--json`` prints the JSON on stdout instead of the summary.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from widthlimits.numerics.limits import MODELS, convergence_study

NAME = "convergence"
HELP = "measure the convergence order of finite widths to an infinite-width limit"

#: ids the issue asks for; every one listed here must be implemented or rejected clearly
REQUIRED_IDS = ("ntk", "deep-linear", "mf-two-layer", "mf-multilayer", "golikov-discrete-mf")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL",
                        help=f"model id: {', '.join(MODELS)}")
    parser.add_argument("--widths", type=float, nargs="+", default=None,
                        help="widths (step sizes for mf-two-layer-step); >= 3 values")
    parser.add_argument("--seeds", type=int, default=None, help="networks per width (>= 2)")
    parser.add_argument("--rng", type=int, default=0, help="root seed (default 0)")
    parser.add_argument("-o", "--output", metavar="DIR", default=None,
                        help="write result.json and error_vs_width.png (needs matplotlib) here")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")


def run(args: argparse.Namespace) -> int:
    if args.model not in MODELS:
        raise ValueError(f"model {args.model!r} is not implemented; implemented: "
                         f"{', '.join(MODELS)}")
    result = convergence_study(args.model, args.widths, args.seeds, rng=args.rng)
    if args.output is not None:
        out = pathlib.Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / "result.json").write_text(result.to_json() + "\n")
        try:
            result.plot(str(out / "error_vs_width.png"))
        except ImportError as exc:
            sys.stderr.write(f"widthlimits convergence: {exc}; plot skipped\n")
    if args.json:
        sys.stdout.write(result.to_json() + "\n")
    else:
        sys.stdout.write(result.summary() + "\n")
    return 0
