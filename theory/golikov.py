"""Golikov's depth statement, derived by the engine (not typed in).

Golikov (2020, arXiv:2003.05884, abstract: "for networks with more than two hidden layers
RMSProp training has a non-trivial discrete-time MF limit but GD training does not have one"):
with mean-field i.i.d. initialization
(input init O(1), hidden and readout init std :math:`n^{-1}`) and mean-field learning rates,
GD has a non-trivial discrete-time limit for :math:`L \\le 2` hidden layers and none for
:math:`L \\ge 3`, while RMSProp/Adam has one for every L.

The mechanism, a power count of this project (the paper states the result, not this count),
which :func:`depth_row` reads off the engine's exponents: at
step 0 the network is degenerate (:math:`h^l_0 = \\Theta(n^{-(l-1)/2})`), so hidden gradients are
:math:`n^{L/2-1}` times smaller than in the mean-field regime.  GD multiplies them by the learning
rate, so rates that are right later leave the hidden layers frozen at step 0 (trivial), and rates
raised by the step-0 shortfall (``first-step rates``) blow up once the network is non-degenerate
(unstable).  Entrywise normalization makes every update :math:`\\Theta(\\eta)` whatever the
gradient's size, so one set of exponents works at every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from widthlimits.theory.classify import Classification, classify
from widthlimits.theory.exponents import Exponent, fmt, is_neg_inf
from widthlimits.theory.parametrization import Parametrization, layer_list
from widthlimits.theory.presets import preset


def mean_field_scale(layer: int, depth: int) -> int:
    """Entry exponent of a mean-field-sized update: O(1) for the input layer (fan-in d = O(1)),
    :math:`n^{-1}` for hidden and readout layers (so that :math:`\\Delta W x` is an LLN sum of size
    :math:`\\Theta(1)`)."""
    return 0 if layer == 1 else -1


@dataclass(frozen=True)
class DepthRow:
    """One row of the depth table: the engine's verdict and the reason, read off its exponents."""

    depth: int
    optimizer: str
    classification: Classification
    mf_limit: bool
    step0_shortfall: tuple[Exponent, ...]
    reason: str
    first_step_rates: Classification | None

    def as_dict(self) -> dict[str, Any]:
        c = self.classification
        out = {
            "depth": self.depth, "optimizer": self.optimizer, "regime": c.regime,
            "nontrivial_discrete_time_mf_limit": self.mf_limit,
            "first_nontrivial_step": c.first_nontrivial_step,
            "df": [fmt(e) for e in c.engine.series("df", None)],
            "step0_update_shortfall": [fmt(e) for e in self.step0_shortfall],
            "reason": self.reason,
        }
        if self.first_step_rates is not None:
            f = self.first_step_rates
            out["first_step_rates"] = {
                "c": [fmt(x) for x in f.parametrization.c], "regime": f.regime,
                "violation": str(f.violations[0]) if f.violations else None,
            }
        return out


def is_mf_limit(c: Classification) -> bool:
    """Golikov's criterion: stable, non-trivial, discrete-time (per-step output change
    :math:`\\Theta(1)`), and the features of every hidden layer move :math:`\\Theta(1)`."""
    L = c.engine.depth
    return (c.stable and c.nontrivial and bool(c.discrete_time)
            and set(range(1, L + 1)) <= set(c.feature_learning_layers))


def depth_row(depth: int, optimizer: str = "sgd", activation: str = "tanh") -> DepthRow:
    p = preset("golikov-mf", depth, optimizer)
    c = classify(p, optimizer, activation)
    ex = c.engine.exponents
    L = depth
    short = tuple(ex[("dW", l, 0)] - mean_field_scale(l, L) for l in range(1, L + 2))  # type: ignore[operator]
    mf = is_mf_limit(c)
    alt = None
    lag = [l for l, s in enumerate(short, 1) if not is_neg_inf(s) and s < 0]
    if c.engine.optimizer.entrywise:
        reason = (f"entrywise normalization: every update entry is n^-c at every step "
                  f"(step-0 shortfall {[fmt(s) for s in short]}); ")
        if c.first_nontrivial_step and c.first_nontrivial_step > 1:
            reason += (f"the degenerate layers lift one per step, f_t - f_0 = Theta(1) from step "
                       f"{c.first_nontrivial_step}")
        else:
            reason += "f_t - f_0 = Theta(1) from step 1"
    else:
        hid = [fmt(ex[("dW", l, 0)]) for l in range(2, L + 1)]
        reason = (f"step 0: the network is degenerate (h^l_0 exponents "
                  f"{[fmt(ex[('h', l, 0)]) for l in range(1, L + 1)]}), so GD updates are short of "
                  f"mean-field size by n^{[fmt(s) for s in short]} per layer (hidden update entries "
                  f"n^{hid} vs n^-1); ")
        if mf:
            reason += (f"the hidden layers still reach Theta(1) features and f_t - f_0 = Theta(1) "
                       f"from step {c.first_nontrivial_step}")
        else:
            reason += (f"the exponents are stationary from step {c.engine.stationary_from} with "
                       f"f_t - f_0 = n^{fmt(ex[('df', None, c.engine.steps)])} "
                       f"and features of layers {layer_list(c.feature_learning_layers) or 'none'} moving "
                       f"Theta(1): {c.regime}")
        if lag:
            # raise every lagging layer's learning rate by its step-0 shortfall
            new_c = tuple(ci + (s if (not is_neg_inf(s) and s < 0) else 0)  # type: ignore[operator]
                          for ci, s in zip(p.c, short, strict=True))
            alt = classify(Parametrization(p.a, p.b, new_c, name="golikov-mf first-step rates"),
                           optimizer, activation)
            if not mf:
                reason += (f"; with learning rates raised to move every layer at step 0 "
                           f"(c = {[fmt(x) for x in new_c]}) the limit is {alt.regime}"
                           + (f": {alt.violations[0]}" if alt.violations else ""))
    return DepthRow(depth, optimizer, c, mf, short, reason, alt)


def depth_table(depths: Sequence[int] = (1, 2, 3, 4, 5, 6),
                optimizers: Sequence[str] = ("sgd", "rmsprop"),
                activation: str = "tanh") -> list[DepthRow]:
    """Golikov's GD-vs-RMSProp statement for each depth, as derived by the engine."""
    return [depth_row(L, o, activation) for o in optimizers for L in depths]
