"""``widthlimits check``: run theorem checks and write their reports."""

from __future__ import annotations

import argparse
import json
import sys
import time

from widthlimits.proofs_checks.commands._params import (
    EXIT_TIME_LIMIT,
    TimeLimitReached,
    add_time_limit_argument,
    deadline_from_args,
    time_limit,
)

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
    add_time_limit_argument(p)
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    from widthlimits.numerics.validation import check_output_dir
    from widthlimits.proofs_checks.catalogue.registry import catalogue
    from widthlimits.proofs_checks.catalogue.runner import run_check, verdict_counts, write_index_from_json

    cat = catalogue()
    if args.list and (args.ids or args.all):
        raise ValueError("--list lists the checks; it takes no check ids and no --all")
    if args.list:
        deadline_from_args(args)  # a bad --time-limit is refused here too
        rows = [[c.id, c.paper, c.source, c.title] for c in cat.values()]
        if args.json:
            print(json.dumps([{"id": r[0], "paper": r[1], "source": r[2], "title": r[3]}
                              for r in rows], indent=2))
        else:  # each check's id, then its title and citation wrapped at 100 columns (one
            # table row of 350 characters before)
            import textwrap

            width = max(len(r[0]) for r in rows)
            pad = " " * (width + 2)
            for r in rows:
                print(textwrap.fill(r[3], 100, initial_indent=f"{r[0]:<{width}}  ",
                                    subsequent_indent=pad))
                print(textwrap.fill(f"{r[1]}, {r[2]}", 100, initial_indent=pad,
                                    subsequent_indent=pad))
        return 0
    if not args.ids and not args.all:
        raise ValueError("name check ids, or use --all or --list")
    if args.ids and args.all:
        raise ValueError("give check ids or --all, not both")
    for i in args.ids:
        if i not in cat:
            raise ValueError(f"unknown check {i[:60]!r}; `widthlimits check --list` shows the ids")
    deadline = deadline_from_args(args)
    out = check_output_dir(args.output)
    out.mkdir(exist_ok=True)
    mode = "full" if args.full else "quick"
    ids = list(cat) if args.all else list(dict.fromkeys(args.ids))
    # one check at a time, the index rewritten after each: an interrupted run keeps its pages;
    # at the time limit the running check is interrupted and the rest are not started
    results: list[dict] = []
    t0 = time.perf_counter()
    for n, i in enumerate(ids, 1):
        if deadline is not None and time.monotonic() >= deadline:
            break
        if not args.json:  # progress on stderr; the verdict line below is output
            print(f"[check] {n}/{len(ids)} {i} ({mode}) ...", file=sys.stderr, flush=True)
        try:
            with time_limit(deadline):
                r = run_check(cat[i], mode, out)
        except TimeLimitReached:
            break
        results.append(r.to_json())
        write_index_from_json(out, results)
        if not args.json:
            print(f"[check] {i}: {r.verdict.value} in {r.seconds:.1f} s (elapsed "
                  f"{time.perf_counter() - t0:.0f} s) -- {r.explanation}", flush=True)
    index = write_index_from_json(out, results)
    complete = len(results) == len(ids)
    if args.json:
        print(json.dumps({"complete": complete, "checks": results} if not complete else results,
                         indent=2))
    else:
        c = verdict_counts(results)
        print(f"counts: confirmed {c['confirmed']}, inconclusive {c['inconclusive']}, "
              f"refuted {c['refuted']}")
        print(f"reports: {index} (counts.json beside it)")
    if not complete:
        left = ids[len(results):]
        sys.stderr.write(f"widthlimits check: time limit reached after {len(results)} of "
                         f"{len(ids)} checks; not finished: {', '.join(left)}\n")
        return EXIT_TIME_LIMIT
    return 0
