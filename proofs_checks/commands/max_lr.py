"""``widthlimits max-lr``: maximal stable learning-rate exponent per layer for a given init."""

from __future__ import annotations

import argparse
import json
import math
from fractions import Fraction

from widthlimits.proofs_checks.commands._params import (
    EXIT_TIME_LIMIT,
    TimeLimitReached,
    add_activation_argument,
    add_parametrization_arguments,
    add_time_limit_argument,
    deadline_from_args,
    time_limit,
)

NAME = "max-lr"
HELP = ("maximal stable learning-rate exponents (least c_l) given the initialization (a, b): "
        "Tensor Programs' readout rule by the engine (default) or Everett et al.'s alignment rule")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p, need_c=False)
    p.add_argument("--d", metavar="LIST",
                   help="gradient/epsilon exponents of entrywise optimizers (adam, rmsprop, "
                        "signsgd), fixed while c is solved for (with --preset too: the preset "
                        "gives a and b); omit: eps negligible")
    add_activation_argument(p)
    p.add_argument("--alignment", choices=["full", "none"], default=None,
                   help="use Everett et al.'s alignment constraints (default: the TP rule, engine)")
    p.add_argument("--loss", default="mse", choices=["mse", "logistic"])
    p.add_argument("--base-width", type=int, default=None, metavar="N0",
                   help="width at which --base-lr was tuned; with --width, print learning rates")
    p.add_argument("--base-lr", type=float, default=None, metavar="ETA0",
                   help="learning rate tuned at --base-width (the same for every layer there)")
    p.add_argument("--width", type=int, default=None, metavar="N",
                   help="target width: lr_l = ETA0 * (N / N0)^(-c_l) per layer")
    add_time_limit_argument(p, "stop after SECONDS (exit 3; the answer is exact or absent)")
    p.add_argument("--json", action="store_true", help="print JSON (key `c`: one exact string per layer)")


def learning_rate(base_lr: float, base_width: int, width: int, c: Fraction) -> float:
    """``base_lr * (width / base_width) ** (-c)``: the rate at ``width`` of a layer whose
    learning-rate exponent is ``c`` (lr proportional to n^{-c}), tuned to ``base_lr`` at
    ``base_width`` (``inf`` past the float range)."""
    try:
        return base_lr * (width / base_width) ** (-float(c))
    except OverflowError:
        return math.inf


def run(args: argparse.Namespace) -> int:
    from widthlimits.proofs_checks.commands._params import check_d_for_optimizer
    from widthlimits.proofs_checks.format import layer_runs, table
    from widthlimits.theory.max_lr import max_lr
    from widthlimits.theory.parametrization import check_depth, parse_layer_list
    from widthlimits.theory.presets import preset

    L = check_depth(args.depth)
    if args.preset is not None:
        if args.a is not None or args.b is not None:
            raise ValueError("give either --preset or --a/--b, not both")
        p = preset(args.preset, L, args.optimizer)
        a, b, name = p.a, p.b, args.preset.split(":")[0].lower()
    else:
        if args.a is None or args.b is None:
            raise ValueError("give --preset NAME, or both --a and --b")
        a, b, name = parse_layer_list(args.a, L, "a"), parse_layer_list(args.b, L, "b"), None
    check_d_for_optimizer(args.d, args.optimizer)
    d = None if args.d is None else parse_layer_list(args.d, L, "d")
    given = [x is not None for x in (args.base_width, args.base_lr, args.width)]
    if any(given) and not all(given):
        raise ValueError("give all of --base-width, --base-lr and --width (or none)")
    if all(given) and (args.base_width < 1 or args.width < 1 or not args.base_lr > 0
                       or not math.isfinite(args.base_lr)):
        raise ValueError("--base-width and --width must be >= 1 and --base-lr finite and > 0")
    from widthlimits.numerics.progress import stage

    deadline = deadline_from_args(args)
    try:  # one exact answer, no finer stopping point: the limit interrupts it
        with stage("max-lr", enabled=L >= 100), time_limit(deadline):
            res = max_lr(a, b, args.optimizer, alignment=args.alignment,
                         activation=args.activation, loss=args.loss, preset_name=name, d=d)
    except TimeLimitReached:
        note = f"the time limit ({args.time_limit:g} s) stopped max-lr; nothing is established"
        print(json.dumps({"complete": False, "note": note}) if args.json else f"INCOMPLETE: {note}")
        return EXIT_TIME_LIMIT
    out = res.to_json()
    if all(given):
        out["learning_rates"] = {
            "convention": "lr_l = base_lr * (width / base_width)^(-c_l): the exponents transfer "
                          "a rate tuned at base_width (the same for every layer there)",
            "base_width": args.base_width, "base_lr": args.base_lr, "width": args.width,
            "per_layer": [None if x is None else learning_rate(args.base_lr, args.base_width,
                                                               args.width, x) for x in res.c]}
        if not all(x is None or math.isfinite(x) for x in out["learning_rates"]["per_layer"]):
            raise ValueError(f"a learning rate at width {args.width} overflows a float (base_lr "
                             f"{args.base_lr:g} at width {args.base_width})")
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    shown = {"unbounded": "any (unbounded)", "none": "none", "not computed": "-"}

    def entries(vals: list, status: tuple[str, ...]) -> list[str]:
        return [shown.get(st, "none") if v is None else v
                for v, st in zip(vals, status or ("value",) * len(vals), strict=True)]

    cols = [(f"c ({res.rule})", entries(out["c"], res.tp_status if res.rule == "tp" else ())),
            ("TP rule (engine)", entries(out["tp"], res.tp_status))]
    for key, lab in (("everett_full", "Everett, full alignment"),
                     ("everett_none", "Everett, no alignment")):
        if out[key] is not None:
            cols.append((lab, out[key]))
    if "learning_rates" in out:
        cols.append((f"lr at n={args.width}", ["-" if x is None else f"{x:.4g}"
                                                for x in out["learning_rates"]["per_layer"]]))
    per_layer = [[str(v[l]) for _, v in cols] for l in range(L + 1)]
    print(table(["layer"] + [lab for lab, _ in cols],
                [[label, *row] for label, row in layer_runs(range(1, L + 2), per_layer)]))
    if "learning_rates" in out:
        print(f"learning rates: {out['learning_rates']['convention']} (base_lr={args.base_lr} at "
              f"base_width={args.base_width})")
    if res.d is not None:
        print(f"with d = {', '.join(out['d'])} (epsilon ~ n^-d per layer, TP IVb)")
    notes = out["notes"]
    if res.init_blow_up is not None:  # the cause of the empty answer, in one line (notes[0])
        print(notes[0])
        notes = notes[1:]
    elif out["engine_check"]:
        print(f"engine at the answer: {out['engine_check'].get('regime')}")
    else:
        print("engine at the answer: no complete answer to check")
    for line in out["disagreements"] + notes:
        print("- " + line)
    return 0
