"""``widthlimits torch-lr``: the per-layer learning rates, init stds and multipliers at a target
width from hyperparameters tuned at a base width (the numbers ``widthlimits.torch.parametrize``
puts into a model; needs no torch)."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING

from widthlimits.numerics.torch_bridge.scaling import (
    OPTIMIZER_FAMILY,
    BaseHyperparameters,
    Exponents,
    engine_optimizer,
    scale_parameter,
)

if TYPE_CHECKING:
    from widthlimits.theory.parametrization import Parametrization

NAME = "torch-lr"
HELP = ("per-layer learning rate, init std, multiplier (and Adam epsilon, weight decay) at a "
        "target width from a base width: lr_l = base_lr (n/n0)^-c_l, std_l = base_std "
        "(n/n0)^-b_l, multiplier_l = (n/n0)^-a_l")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", metavar="NAME", help="named parametrization (mup, sp[:c], ntp, ...)")
    for x, h in (("a", "multiplier"), ("b", "init std"), ("c", "learning-rate"),
                 ("d", "epsilon (Adam) / SGD-rate shift")):
        p.add_argument(f"--{x}", metavar="LIST", help=f"{h} exponents (L+1 values or input,hidden,readout)")
    p.add_argument("--depth", type=int, required=True, metavar="L", help="number of hidden layers")
    p.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZER_FAMILY),
                   help="torch optimizer (default adam)")
    p.add_argument("--base-width", type=int, required=True, metavar="N0")
    p.add_argument("--width", type=int, required=True, metavar="N")
    p.add_argument("--base-lr", type=float, required=True, metavar="LR")
    p.add_argument("--base-std", type=float, default=None, metavar="S",
                   help="init std of every weight at the base width (default 1/sqrt(base fan-in))")
    p.add_argument("--base-multiplier", type=float, default=1.0, metavar="M")
    p.add_argument("--eps", type=float, default=None,
                   help="Adam epsilon at the base width (default 1e-8; adam and adamw only)")
    p.add_argument("--weight-decay", type=float, default=0.0, metavar="WD")
    p.add_argument("--d-in", type=int, default=64, help="input dimension (input fan-in; default 64)")
    p.add_argument("--no-multipliers", action="store_true",
                   help="the multiplier-free form of the same parametrization (a = 0)")
    p.add_argument("--json", action="store_true", help="print JSON rows")


def parametrization(args: argparse.Namespace) -> Parametrization:
    # sympy-backed theory modules are imported here, not at the top: `--help` stays light
    from widthlimits.theory.parametrization import Parametrization, check_depth, parse_layer_list
    from widthlimits.theory.presets import preset

    L = check_depth(args.depth)
    eng = engine_optimizer(args.optimizer)
    given = [x for x in "abcd" if getattr(args, x) is not None]
    if args.preset is not None:
        if given:
            raise ValueError(f"give either --preset or --a/--b/--c, not both (got --{given[0]})")
        p = preset(args.preset, L, eng)
    else:
        missing = [x for x in "abc" if getattr(args, x) is None]
        if missing:
            raise ValueError(f"give --preset NAME, or all of --a, --b, --c (missing --{missing[0]})")
        d = parse_layer_list(args.d, L, "d") if args.d is not None else None
        p = Parametrization(*(parse_layer_list(getattr(args, x), L, x) for x in "abc"), d)
    return p.without_multipliers(eng) if args.no_multipliers else p


def rows(args: argparse.Namespace) -> list[dict]:
    from widthlimits.theory.exponents import fmt

    for k in ("base_width", "width", "d_in"):
        if getattr(args, k) < 1:
            raise ValueError(f"`--{k.replace('_', '-')}` must be a positive integer, got {getattr(args, k)}")
    if not (args.base_lr > 0 and math.isfinite(args.base_lr)):
        raise ValueError(f"`--base-lr` must be positive, got {args.base_lr}")
    if args.eps is not None and args.optimizer == "sgd":
        raise ValueError("--eps is Adam's epsilon; sgd has none")
    p = parametrization(args)
    base = BaseHyperparameters(lr=args.base_lr, init_std=args.base_std,
                               multiplier=args.base_multiplier,
                               eps=1e-8 if args.eps is None else args.eps,
                               weight_decay=args.weight_decay)
    r = args.width / args.base_width
    out = []
    for i in range(p.n_layers):
        role = "input" if i == 0 else "readout" if i == p.depth else "hidden"
        e = Exponents(*(float(x) for x in (p.a[i], p.b[i], p.c[i])),
                      None if p.d is None else float(p.d[i]))
        fan_in = args.d_in if i == 0 else args.base_width
        s = scale_parameter(f"layer {i + 1}", str(i + 1), role, "weight", e, r, fan_in, base,
                            args.optimizer)
        row = s.as_row()
        for k in ("multiplier", "init_std", "lr", "eps", "weight_decay"):
            v = row.get(k)
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"layer {i + 1}: the {k.replace('_', ' ')} at width {args.width} "
                                 f"overflows a float (base value times the width ratio's power)")
        row.update({"a": fmt(p.a[i]), "b": fmt(p.b[i]), "c": fmt(p.c[i]),
                    "d": None if p.d is None else fmt(p.d[i])})
        out.append(row)
    return out


def run(args: argparse.Namespace) -> int:
    from widthlimits.proofs_checks.format import layer_runs, table

    rs = rows(args)
    if args.json:
        print(json.dumps(rs, indent=2))
        return 0
    head = ["layer", "role", "a", "b", "c"] + (["d"] if rs[0]["d"] is not None else []) + \
        ["multiplier", "init std", "lr"] + (["eps"] if rs[0]["eps"] is not None else []) + \
        (["weight decay"] if args.weight_decay else [])
    body = []
    for r in rs:
        row = [r["role"], str(r["a"]), str(r["b"]), str(r["c"])]
        row += [str(r["d"])] if r["d"] is not None else []
        row += [f"{r['multiplier']:.6g}", f"{r['init_std']:.6g}", f"{r['lr']:.6g}"]
        row += [f"{r['eps']:.6g}"] if r["eps"] is not None else []
        row += [f"{r['weight_decay']:.6g}"] if args.weight_decay else []
        body.append(row)
    print(f"{args.optimizer} at width {args.width} from base width {args.base_width} "
          f"(n/n0 = {args.width / args.base_width:g}), base lr {args.base_lr:g}")
    # consecutive layers with equal rows (a deep net's hidden layers) share one row: "2-100"
    print(table(head, [[label, *row] for label, row in
                       layer_runs([r["layer"] for r in rs], body)]))
    print("multiplier: forward multiplier of the layer's output (W = m w); init std of w; "
          "biases (widthlimits.torch): zero init; an input or hidden layer's bias is scaled like "
          "the input layer's weights, the readout's so that its effect after the multiplier is "
          "width-independent (docs/torch.md)")
    return 0
