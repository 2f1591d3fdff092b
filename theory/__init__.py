"""Symbolic layer: exact width exponents, parametrizations, the power-counting engine and the
classification of infinite-width limits.  Imports sympy but no numeric stack."""

from widthlimits.theory.activations import ACTIVATIONS, Activation, get_activation
from widthlimits.theory.exponents import INF, NEG_INF, as_exponent, fmt
from widthlimits.theory.optimizers import OPTIMIZERS, Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, equivalent, parse_layer_list
from widthlimits.theory.presets import NAMED_POINTS, PRESETS, preset

__all__ = [
    "ACTIVATIONS",
    "INF",
    "NAMED_POINTS",
    "NEG_INF",
    "OPTIMIZERS",
    "PRESETS",
    "Activation",
    "Optimizer",
    "Parametrization",
    "as_exponent",
    "equivalent",
    "fmt",
    "get_activation",
    "get_optimizer",
    "parse_layer_list",
    "preset",
]
