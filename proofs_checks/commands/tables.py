"""``widthlimits tables``: classify the named parametrizations for several depths and optimizers."""

from __future__ import annotations

import argparse
import json

from widthlimits.proofs_checks.format import table
from widthlimits.proofs_checks.tables import classification_rows

NAME = "tables"
HELP = "classification table of the named parametrizations (presets) across depths and optimizers"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--depths", default="1,2,3,4", help="comma-separated depths (default 1,2,3,4)")
    p.add_argument("--optimizers", default="sgd,adam", help="comma-separated (default sgd,adam)")
    p.add_argument("--activation", default="tanh")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    try:
        depths = [int(x) for x in args.depths.split(",")]
    except ValueError:
        raise ValueError(f"`--depths` must be comma-separated integers, got {args.depths!r}") from None
    rows = classification_rows(depths, args.optimizers.split(","), args.activation)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(table(["preset", "optimizer", "L", "regime", "r", "f_0", "discrete-time", "first df=Theta(1)",
                 "reason"],
                [[r["preset"], r["optimizer"], r["depth"], r["regime"], r["r"], r["f0"],
                  r["discrete_time"], r["first_nontrivial_step"], r["reason"]] for r in rows]))
    return 0
