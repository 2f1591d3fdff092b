"""``widthlimits coordcheck``: is my parametrization really what the theory says, by numbers."""

from __future__ import annotations

import argparse
import json
import math
import sys

from widthlimits.proofs_checks.commands._params import (
    EXIT_TIME_LIMIT,
    add_activation_argument,
    add_parametrization_arguments,
    add_time_limit_argument,
    check_float_range,
    deadline_from_args,
    parametrization_from_args,
)

NAME = "coordcheck"
HELP = ("measure every quantity's width exponent (bootstrap CI over seeds) and compare it with "
        "the engine's derivation")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p)
    add_activation_argument(p)
    p.add_argument("--loss", default="mse", choices=["mse", "logistic"])
    p.add_argument("--widths", default="256:4096", help="LO:HI (LO doubled up to HI) or a comma list")
    p.add_argument("--seeds", type=int, default=8, help="seeds per width (2..4096, default 8)")
    p.add_argument("--steps", type=int, default=5, help="training steps (1..1000, default 5)")
    p.add_argument("--eta", default=None, metavar="X|LIST",
                   help="learning-rate constant before the width factors: one value, or one per "
                        "weight layer (L+1); default: the optimizer's DEFAULT_ETA "
                        "(widthlimits.numerics.coordcheck: the first step keeps tanh near-linear)")
    p.add_argument("--eps", type=float, default=None, metavar="X",
                   help="epsilon of adam/rmsprop (> 0); default 1 with --d (TP IVb's Theta(1) "
                        "constant), 1e-30 without (epsilon negligible)")
    p.add_argument("--quantities", default=None,
                   help="comma list of quantity names (default: all the engine derives)")
    p.add_argument("--scheduler", default=None, metavar="ADDR",
                   help="dask scheduler tcp://HOST:PORT, or 'local' for an embedded LocalCluster")
    p.add_argument("-o", "--output", default=None, metavar="DIR",
                   help="write report.json, table.txt, coordcheck.png and the resumable store here")
    p.add_argument("--fresh", action="store_true",
                   help="with -o: set an unreadable store aside (renamed) and start a new one")
    add_time_limit_argument(p)
    p.add_argument("--json", action="store_true")


def check_quantities(text: str | None) -> list[str] | None:
    """``--quantities``: names the engine derives (one line naming the unknown one)."""
    if text is None:
        return None
    from widthlimits.theory.engine import QUANTITIES

    names = [x.strip() for x in text.split(",")]
    for x in names:
        if x not in QUANTITIES:
            raise ValueError(f"unknown quantity {x!r} in `--quantities`; choose from "
                             f"{', '.join(QUANTITIES)}")
    return names


def check_eta(text: str | None, depth: int) -> float | tuple[float, ...] | None:
    """``--eta``: a positive number, or one per weight layer (``depth + 1``); None: the
    optimizer's default (:data:`widthlimits.numerics.coordcheck.DEFAULT_ETA`)."""
    if text is None:
        return None
    from widthlimits.numerics.validation import check_per_layer

    try:
        vals = [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"`--eta` must be a number or a comma list of numbers, got {text!r}") from None
    eta = check_per_layer(vals if len(vals) > 1 else vals[0], "eta", depth + 1)
    return eta if len(vals) > 1 else eta[0]


def run(args: argparse.Namespace) -> int:
    from widthlimits.numerics.validation import (
        check_output_dir,
        check_scheduler,
        check_seeds,
        check_steps,
        parse_widths,
    )

    param = parametrization_from_args(args)
    seeds = len(check_seeds(args.seeds))  # the same rule and text as the Python API
    if seeds < 2:
        raise ValueError(f"`seeds` must be >= 2 for a bootstrap CI, got {args.seeds}")
    steps = check_steps(args.steps)
    if steps < 1:
        raise ValueError(f"`steps` must be >= 1 (a coord check measures updates), got {steps}")
    widths = parse_widths(args.widths)
    if len(widths) < 3:
        raise ValueError(f"`widths` needs at least 3 widths for a slope, got {list(widths)}")
    check_float_range(param, widths, "the coord check")
    quantities = check_quantities(args.quantities)
    eta = check_eta(args.eta, param.depth)
    options = {}
    if args.eps is not None:
        if not (math.isfinite(args.eps) and args.eps > 0):
            raise ValueError(f"`--eps` must be a finite number > 0, got {args.eps!r}")
        options["eps"] = args.eps
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    if args.fresh and args.output is None:
        raise ValueError("`--fresh` applies to the store under -o DIR; give -o")
    out = check_output_dir(args.output) if args.output is not None else None
    deadline = deadline_from_args(args)
    # every argument is checked before the numeric stack (numpy, scipy.stats) is imported
    from widthlimits.numerics.store import ResultStore
    from widthlimits.numerics.sweeps import SweepIncomplete
    from widthlimits.proofs_checks.coordcheck import OUTPUT_FILES, coordcheck_against_engine

    if out is not None:
        # the files written into it after the sweep (report.json, table.txt, the figures): none
        # may be a folder, refused now rather than when the sweep is done
        check_output_dir(out, files=OUTPUT_FILES)
        if (out / "sweep").exists():
            ResultStore(out / "sweep", fresh=args.fresh)  # one line if unreadable
    try:
        rep = coordcheck_against_engine(
            param, args.optimizer, args.activation, widths=widths, seeds=seeds, steps=steps,
            loss=args.loss, quantities=quantities, outdir=args.output, scheduler=args.scheduler,
            eta=eta, progress=None if not args.json else False, deadline=deadline, **options)
    except SweepIncomplete as exc:
        msg = f"time limit: {exc}; rerun with the same -o to resume" if args.output else \
            f"time limit: {exc}; give -o DIR to keep the finished runs and resume"
        if args.json:
            print(json.dumps({"complete": False, "reason": msg, "quantities": []}, indent=2))
        else:
            print(f"incomplete: {msg}")
        sys.stderr.write(f"widthlimits coordcheck: {msg}\n")
        return EXIT_TIME_LIMIT
    if args.json:
        print(rep.to_json(indent=2))
    else:
        print(rep.table())
        if args.output:
            print(f"\nwritten to {args.output}/ (report.json, table.txt, coordcheck.png)")
    return 0
