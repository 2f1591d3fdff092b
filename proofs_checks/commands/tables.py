"""``widthlimits tables``: classify the named parametrizations for several depths and optimizers."""

from __future__ import annotations

import argparse
import json

from widthlimits.proofs_checks.commands._params import (
    ACTIVATION_NAMES,
    EXIT_TIME_LIMIT,
    OPTIMIZER_NAMES,
    TimeLimitReached,
    add_time_limit_argument,
    deadline_from_args,
    time_limit,
)

NAME = "tables"
HELP = "classification table of the named parametrizations (presets) across depths and optimizers"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--depths", default="1,2,3,4", help="comma-separated depths (default 1,2,3,4)")
    p.add_argument("--optimizers", default="sgd,adam",
                   help=f"comma-separated, of {', '.join(OPTIMIZER_NAMES)} (default sgd,adam)")
    p.add_argument("--activation", default="tanh", choices=ACTIVATION_NAMES)
    add_time_limit_argument(p, "stop after SECONDS: print the rows computed so far, exit 3")
    p.add_argument("--json", action="store_true")


def parse_depths(text: str) -> list[int]:
    """``--depths``: distinct comma-separated depths, each checked by the theory's depth rule."""
    from widthlimits.numerics.validation import parse_int
    from widthlimits.theory.parametrization import MAX_DEPTH, check_depth

    depths = [check_depth(parse_int(x, "depths", minimum=1, maximum=MAX_DEPTH))
              for x in text.split(",")]
    if len(set(depths)) != len(depths):
        raise ValueError(f"`--depths` repeats a depth: {text!r}")
    return depths


def parse_optimizers(text: str) -> list[str]:
    names = [x.strip().lower() for x in text.split(",")]
    for x in names:
        if x not in OPTIMIZER_NAMES:
            raise ValueError(f"unknown optimizer {x!r} in `--optimizers`; choose from "
                             f"{', '.join(OPTIMIZER_NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"`--optimizers` repeats an optimizer: {text!r}")
    return names


def run(args: argparse.Namespace) -> int:
    from widthlimits.numerics.progress import stage
    from widthlimits.proofs_checks.format import table
    from widthlimits.proofs_checks.tables import classification_rows

    depths = parse_depths(args.depths)
    optimizers = parse_optimizers(args.optimizers)
    deadline = deadline_from_args(args)
    rows: list[dict] = []
    complete = True
    try:  # a row is the unit of work: the limit interrupts inside one, the rows before stay
        with stage("tables", enabled=max(depths) >= 100), time_limit(deadline):
            classification_rows(depths, optimizers, args.activation, rows=rows)
    except TimeLimitReached:
        complete = False
    if args.json:
        print(json.dumps(rows if complete else {"complete": False, "rows": rows}, indent=2))
        return 0 if complete else EXIT_TIME_LIMIT
    print(table(["preset", "optimizer", "L", "regime", "r", "f_0", "discrete-time", "first df=Theta(1)",
                 "reason"],
                [[r["preset"], r["optimizer"], r["depth"], r["regime"], r["r"], r["f0"],
                  r["discrete_time"], r["first_nontrivial_step"], r["reason"]] for r in rows]))
    if not complete:
        print(f"INCOMPLETE: the time limit ({args.time_limit:g} s) stopped the tables after "
              f"{len(rows)} rows")
    return 0 if complete else EXIT_TIME_LIMIT
