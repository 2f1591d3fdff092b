"""``widthlimits tour``: the headline job (classification, Golikov's depth table, a LaTeX
derivation, a coord check and the quick theorem checks, in one folder with an index page)."""

from __future__ import annotations

import argparse

from widthlimits.proofs_checks.tour import print_summary, run_tour

NAME = "tour"
HELP = "the headline job: everything the toolkit does, in one folder with an index page"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", default="widthlimits-tour", metavar="DIR",
                   help="output folder (default widthlimits-tour)")
    p.add_argument("--full", action="store_true", help="full-mode theorem checks (slow)")
    p.add_argument("--jobs", type=int, default=2, help="processes for the checks (default 2)")


def run(args: argparse.Namespace) -> int:
    index = run_tour(args.output, quick=not args.full, jobs=args.jobs)
    print()
    print(print_summary(index))
    print(f"\nopen {index} (or index.html) first")
    return 0
