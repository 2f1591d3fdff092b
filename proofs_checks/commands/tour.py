"""``widthlimits tour``: the headline job (classification, Golikov's depth table, a phase diagram,
derivations, a coord check and the quick theorem checks, in one folder with an HTML index page)."""

from __future__ import annotations

import argparse

from widthlimits.proofs_checks.tour import print_summary, run_tour

NAME = "tour"
HELP = "the headline job: everything the toolkit does, in one folder with an index page"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", default="widthlimits-tour", metavar="DIR",
                   help="output folder (default widthlimits-tour)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="full-mode theorem checks (slow)")
    size.add_argument("--tiny", action="store_true",
                      help="a small configuration that runs in seconds (depths 1 and 3, widths "
                           "64..256, two engine checks): for CI and a first look")
    p.add_argument("--jobs", type=int, default=2, help="processes for the checks (default 2)")


def run(args: argparse.Namespace) -> int:
    size = "tiny" if args.tiny else "full" if args.full else "quick"
    index = run_tour(args.output, size=size, jobs=args.jobs)
    print()
    print(print_summary(index))
    print(f"\nopen {index} first")
    return 0
