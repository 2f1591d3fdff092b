"""Shared argument handling: a parametrization from ``--preset`` or ``--a/--b/--c[/--d]``."""

from __future__ import annotations

import argparse

from widthlimits.theory.activations import ACTIVATIONS
from widthlimits.theory.optimizers import OPTIMIZERS
from widthlimits.theory.parametrization import Parametrization, check_depth, parse_layer_list
from widthlimits.theory.presets import preset


def add_parametrization_arguments(p: argparse.ArgumentParser, *, need_c: bool = True) -> None:
    p.add_argument("--preset", metavar="NAME",
                   help="named parametrization: sp (constant learning rate), sp:<c> (learning rate "
                        "~ n^-c; TP4's SP is sp:1), ntp, mup, mfp, up:<s>, golikov-mf, "
                        "golikov-ntk, golikov-default, golikov-sym-default, "
                        "golikov-intermediate:<q>, mup-table3/8/9")
    p.add_argument("--a", metavar="LIST", help="multiplier exponents (L+1 values or input,hidden,readout)")
    p.add_argument("--b", metavar="LIST", help="init std exponents; inf = zero init")
    if need_c:
        p.add_argument("--c", metavar="LIST", help="learning-rate exponents; inf = frozen layer")
        p.add_argument("--d", metavar="LIST",
                       help="gradient/epsilon exponents (entrywise optimizers; omit: eps negligible)")
    p.add_argument("--depth", type=int, required=True, metavar="L", help="number of hidden layers")
    p.add_argument("--optimizer", default="sgd", choices=sorted(OPTIMIZERS),
                   help="optimizer (default sgd)")


def add_activation_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--activation", default="tanh", choices=sorted(ACTIVATIONS),
                   help="activation (default tanh)")


def parametrization_from_args(args: argparse.Namespace, *, need_c: bool = True) -> Parametrization:
    """Build the parametrization; raises ValueError with a one-line message on bad input."""
    L = check_depth(args.depth)
    explicit = [x for x in ("a", "b", "c", "d") if getattr(args, x, None) is not None]
    if args.preset is not None:
        if explicit:
            raise ValueError(f"give either --preset or --a/--b/--c, not both (got --preset and "
                             f"--{explicit[0]})")
        return preset(args.preset, L, args.optimizer)
    needed = ("a", "b", "c") if need_c else ("a", "b")
    missing = [x for x in needed if getattr(args, x, None) is None]
    if missing:
        raise ValueError(f"give --preset NAME, or all of {', '.join('--' + x for x in needed)} "
                         f"(missing --{missing[0]})")
    a = parse_layer_list(args.a, L, "a")
    b = parse_layer_list(args.b, L, "b")
    c = parse_layer_list(args.c, L, "c") if need_c else (0,) * (L + 1)
    d = parse_layer_list(args.d, L, "d") if getattr(args, "d", None) is not None else None
    return Parametrization(a, b, c, d)
