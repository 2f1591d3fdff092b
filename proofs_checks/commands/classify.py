"""``widthlimits classify``: derive the exponents and classify the infinite-width limit.

Thin shell over :func:`widthlimits.theory.classify.classify`; :func:`classification_text` is its
text.  A deep net's text is written by runs of layers (the table's rows, the layer lists, the
binding and the violations that differ only by their layer), so depth 1000 prints a screenful;
``--json`` keeps one entry per layer.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from widthlimits.proofs_checks.commands._params import (
    add_activation_argument,
    add_parametrization_arguments,
    check_steps_arg,
    parametrization_from_args,
)

if TYPE_CHECKING:
    from widthlimits.theory.classify import Classification

NAME = "classify"
HELP = "derive every width exponent of a parametrization and classify its infinite-width limit"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_parametrization_arguments(p, residual=True)
    add_activation_argument(p, default=None)
    p.add_argument("--loss", default=None, choices=["mse", "logistic"], help="loss (default mse)")
    p.add_argument("--steps", type=int, default=None, metavar="T",
                   help="compute steps 0..T, T >= 1 (default: until the exponents are "
                        "stationary)")
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
    from widthlimits.theory.classify import classify

    param = parametrization_from_args(args)
    steps = check_steps_arg(args.steps)
    if steps == 0:
        raise ValueError("--steps 0 computes the initialization only: no update, so nothing "
                         "about the limit (regime, feature learning, time scale) can be read; "
                         "give --steps >= 1, or omit --steps to run until stationary")
    result = classify(param, args.optimizer, args.activation or "tanh", loss=args.loss or "mse",
                      steps=steps)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(classification_text(result))
    return 0


def classification_text(c: Classification) -> str:
    """The verdict as the terminal shows it: headline, the per-layer table (one row per run of
    equal layers), the verdict's facts, binding conditions, violations, notes and the closed
    form.  Every set of layers is written by runs (``1-1000``)."""
    from widthlimits.proofs_checks.format import layer_runs, table
    from widthlimits.theory.classify import violation_lines
    from widthlimits.theory.display import closed_form_words, layer_table, layers_text
    from widthlimits.theory.exponents import fmt

    e = c.engine
    p = e.parametrization
    out = [c.headline, "",
           f"{p.name or 'parametrization'}: depth L={e.depth}, optimizer {e.optimizer.name}, "
           f"activation {e.activation.name}, loss {e.loss}"]
    headers, rows = layer_table(c)
    out.append(table(headers, [[label, *r] for label, r in
                               layer_runs([r[0] for r in rows], [r[1:] for r in rows])]))
    out.append("")
    out.append(f"regime: {c.regime}")
    out.append(f"stable: {c.stable}   stable at init: {c.stable_at_init}   "
               f"degenerate at init: {c.degenerate_at_init}   nontrivial: {c.nontrivial}")
    if c.stable:
        out.append(f"feature learning layers: {layers_text(c.feature_learning_layers)}   "
                   f"maximal update layers: {layers_text(c.maximal_update_layers)}   "
                   f"r = {fmt(c.r)}")
    else:
        v = c.first_blow_up
        out.append(f"blows up first: {v}" if v is not None else "blows up")
        # r (x^L_t - x^L_0 = Theta(n^-r)) describes a limit: not printed for an unstable point
        out.append("feature learning / maximal update layers, r: none (unstable: there is no "
                   "limit)")
    if c.discrete_time is not None:
        dt = ("discrete-time limit (f_{t+1} - f_t = Theta(1))" if c.discrete_time else
              f"per-step change n^{fmt(c.step_change_exponent)}: continuous-time limit after "
              f"t = n^{fmt(c.time_rescaling)} tau")
        out.append(f"time: {dt}")
    st = e.stationary_from
    out.append(f"steps computed: 0..{e.steps}" + (f" (stationary from step {st})" if st is not None
                                                  else ""))
    out += [f"binding: {b}" for b in c.binding_by_runs]
    out += [f"violation: {v}" for v in violation_lines(c.violations)]
    out += [f"note: {n}" for n in c.notes]
    if (words := closed_form_words(c)) is not None:
        out.append(words)
    return "\n".join(out)
