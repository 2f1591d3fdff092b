"""``widthlimits check``: run theorem checks and write their reports."""

from __future__ import annotations

import argparse
import json

from widthlimits.proofs_checks.catalogue.registry import catalogue
from widthlimits.proofs_checks.catalogue.runner import run_checks
from widthlimits.proofs_checks.format import table

NAME = "check"
HELP = "confirm (or refute) published theorems numerically: --list, IDs, or --all"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ids", nargs="*", metavar="ID", help="check ids (see --list)")
    p.add_argument("--list", action="store_true", help="list the catalogue")
    p.add_argument("--all", action="store_true", help="run every check")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="quick mode (default; <= 60 s a check)")
    mode.add_argument("--full", action="store_true", help="full mode (<= 10 min a check)")
    p.add_argument("-o", "--output", default="widthlimits-checks", metavar="DIR",
                   help="report folder (default widthlimits-checks)")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    cat = catalogue()
    if args.list:
        rows = [[c.id, c.paper, c.source, c.title] for c in cat.values()]
        if args.json:
            print(json.dumps([{"id": r[0], "paper": r[1], "source": r[2], "title": r[3]}
                              for r in rows], indent=2))
        else:
            print(table(["id", "paper", "source", "title"], rows))
        return 0
    if not args.ids and not args.all:
        raise ValueError("name check ids, or use --all or --list")
    if args.ids and args.all:
        raise ValueError("give check ids or --all, not both")
    for i in args.ids:
        if i not in cat:
            raise ValueError(f"unknown check {i!r}; `widthlimits check --list` shows the ids")
    run_ = run_checks(None if args.all else args.ids, "full" if args.full else "quick",
                      args.output, progress=not args.json)
    if args.json:
        print(json.dumps(run_.to_json(), indent=2))
    else:
        c = run_.counts
        print(f"counts: confirmed {c['confirmed']}, inconclusive {c['inconclusive']}, "
              f"refuted {c['refuted']}")
        print(f"reports: {run_.index} (counts.json beside it)")
    return 0
