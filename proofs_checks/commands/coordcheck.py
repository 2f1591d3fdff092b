"""``widthlimits coordcheck``: is my parametrization really what the theory says, by numbers."""

from __future__ import annotations

import argparse

from widthlimits.proofs_checks.commands._params import (
    add_activation_argument,
    add_parametrization_arguments,
    parametrization_from_args,
)
from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine, parse_widths

NAME = "coordcheck"
HELP = ("measure every quantity's width exponent (bootstrap CI over seeds) and compare it with "
        "the engine's derivation")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p)
    add_activation_argument(p)
    p.add_argument("--loss", default="mse", choices=["mse", "logistic"])
    p.add_argument("--widths", default="256:4096", help="LO:HI (powers of 2) or a comma list")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--quantities", default=None,
                   help="comma list of quantity names (default: all the engine derives)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="dask scheduler tcp://HOST:PORT, or 'local' for an embedded LocalCluster")
    p.add_argument("-o", "--output", default=None, metavar="DIR",
                   help="write report.json, table.txt, coordcheck.png and the resumable store here")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    param = parametrization_from_args(args)
    if args.seeds < 2:
        raise ValueError(f"`--seeds` must be >= 2 for a bootstrap CI, got {args.seeds}")
    if args.steps < 1:
        raise ValueError(f"`--steps` must be >= 1, got {args.steps}")
    rep = coordcheck_against_engine(
        param, args.optimizer, args.activation, widths=parse_widths(args.widths),
        seeds=args.seeds, steps=args.steps, loss=args.loss,
        quantities=args.quantities.split(",") if args.quantities else None,
        outdir=args.output, scheduler=args.scheduler, progress=None if not args.json else False)
    if args.json:
        print(rep.to_json(indent=2))
    else:
        print(rep.table())
        if args.output:
            print(f"\nwritten to {args.output}/ (report.json, table.txt, coordcheck.png)")
    return 0
