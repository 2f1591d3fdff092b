"""``widthlimits tour``: the headline job (classification, Golikov's depth table, a phase diagram,
derivations, a coord check and the quick theorem checks, in one folder with an HTML index page)."""

from __future__ import annotations

import argparse
import json
import sys

from widthlimits.proofs_checks.commands._params import (
    EXIT_TIME_LIMIT,
    add_time_limit_argument,
    deadline_from_args,
)

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
    p.add_argument("--jobs", type=int, default=2, help="processes for the checks (1..64, default 2)")
    add_time_limit_argument(p)


def run(args: argparse.Namespace) -> int:
    from widthlimits.numerics.validation import check_int, check_output_dir
    from widthlimits.proofs_checks.tour import print_summary, run_tour

    check_int(args.jobs, "jobs", minimum=1, maximum=64)
    check_output_dir(args.output)
    deadline = deadline_from_args(args)
    size = "tiny" if args.tiny else "full" if args.full else "quick"
    index = run_tour(args.output, size=size, jobs=args.jobs, deadline=deadline)
    print()
    print(print_summary(index))
    print(f"\nopen {index} first")
    cut = stopped_by_time_limit(index) if deadline is not None else []
    if cut:
        sys.stderr.write(f"widthlimits tour: time limit reached; incomplete: {'; '.join(cut)}\n")
        return EXIT_TIME_LIMIT
    return 0


def stopped_by_time_limit(index_path: object) -> list[str]:
    """Parts of a tour that the time limit cut short (from its ``tour.json``)."""
    from pathlib import Path

    data = json.loads((Path(str(index_path)).parent / "tour.json").read_text())
    return [d["part"] for d in data
            if d["status"].startswith("skipped") or "time limit" in str(d.get("summary", ""))]
