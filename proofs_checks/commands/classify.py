"""``widthlimits classify``: derive the exponents and classify the infinite-width limit.

Thin shell over :func:`widthlimits.theory.classify.classify`.
"""

from __future__ import annotations

import argparse
import json

from widthlimits.proofs_checks.commands._params import (
    add_activation_argument,
    add_parametrization_arguments,
    check_steps_arg,
    parametrization_from_args,
)

NAME = "classify"
HELP = "derive every width exponent of a parametrization and classify its infinite-width limit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p, residual=True)
    add_activation_argument(p, default=None)
    p.add_argument("--loss", default=None, choices=["mse", "logistic"], help="loss (default mse)")
    p.add_argument("--steps", type=int, default=None, metavar="T",
                   help="compute steps 0..T (default: until the exponents are stationary)")
    p.add_argument("--json", action="store_true", help="machine-readable output (schema in docs/)")


def run(args: argparse.Namespace) -> int:
    from widthlimits.theory.depth.presets import is_depth_preset

    if is_depth_preset(args.preset):  # residual models in (n, L): widthlimits.theory.depth
        from widthlimits.theory.depth.report import depth_classification, render_depth_classification

        given = [f"--{k}" for k in ("activation", "loss", "steps", "a", "b", "c", "d")
                 if getattr(args, k, None) is not None]
        if given:
            raise ValueError(f"the residual model {args.preset!r} fixes its activation, loss and "
                             f"horizon (docs/depth.md); drop {', '.join(given)}")

        data = depth_classification(args.preset, args.optimizer, args.depth)
        print(json.dumps(data, indent=2) if args.json else render_depth_classification(data))
        return 0
    from widthlimits.proofs_checks.format import classification_table
    from widthlimits.theory.classify import classify

    param = parametrization_from_args(args)
    steps = check_steps_arg(args.steps)
    result = classify(param, args.optimizer, args.activation or "tanh", loss=args.loss or "mse",
                      steps=steps)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(classification_table(result))
    return 0
