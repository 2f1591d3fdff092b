"""Activation functions and their derivatives, vectorised for the simulator.

Names match the symbolic layer (``tanh``, ``relu``, ``leaky_relu``, ``gelu``, ``linear``,
``sigmoid``).  ``leaky_relu`` takes its negative slope after a colon (``"leaky_relu:0.01"``);
the default 0.1 is the negative slope used in this project's own finite-width measurements of
Golikov's depth setting (Golikov 2020, arXiv:2003.05884, trains leaky-ReLU nets).
``gelu`` is the exact :math:`x\\Phi(x)`, not the tanh approximation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

Array = np.ndarray

ACTIVATION_NAMES: tuple[str, ...] = ("tanh", "relu", "leaky_relu", "gelu", "linear", "sigmoid")
DEFAULT_LEAKY_SLOPE = 0.1
_INV_SQRT2 = 0.7071067811865476
_INV_SQRT2PI = 0.3989422804014327


@dataclass(frozen=True)
class NumericActivation:
    """An activation ``phi`` with derivative ``dphi`` (both elementwise, dtype preserving).

    Attributes
    ----------
    name : str
        Canonical spec (``"leaky_relu:0.1"`` includes the slope).
    phi, dphi : callable
        ``phi(h)`` and ``phi'(h)``.
    """

    name: str
    phi: Callable[[Array], Array]
    dphi: Callable[[Array], Array]


def _leaky(slope: float) -> NumericActivation:
    def phi(h: Array) -> Array:
        return np.where(h > 0, h, h * h.dtype.type(slope))

    def dphi(h: Array) -> Array:
        return np.where(h > 0, h.dtype.type(1), h.dtype.type(slope))

    return NumericActivation(f"leaky_relu:{slope:g}", phi, dphi)


def _tanh_d(h: Array) -> Array:
    t = np.tanh(h)
    return 1 - t * t


def _relu(h: Array) -> Array:
    return np.maximum(h, 0)


def _relu_d(h: Array) -> Array:
    return (h > 0).astype(h.dtype)


def _gelu(h: Array) -> Array:
    return h * (0.5 * (1 + special.erf(h * h.dtype.type(_INV_SQRT2))))


def _gelu_d(h: Array) -> Array:
    cdf = 0.5 * (1 + special.erf(h * h.dtype.type(_INV_SQRT2)))
    pdf = h.dtype.type(_INV_SQRT2PI) * np.exp(-0.5 * h * h)
    return cdf + h * pdf


def _sigmoid(h: Array) -> Array:
    return special.expit(h)


def _sigmoid_d(h: Array) -> Array:
    s = special.expit(h)
    return s * (1 - s)


def get_activation(spec: str) -> NumericActivation:
    """Look up an activation by name (``"leaky_relu:0.01"`` sets the negative slope).

    Raises
    ------
    ValueError
        For an unknown name or a bad slope.
    """
    if not isinstance(spec, str):
        raise TypeError(f"`activation` must be a str, one of {', '.join(ACTIVATION_NAMES)}; "
                        f"got {spec!r}")
    name, _, arg = spec.strip().lower().replace("-", "_").partition(":")
    if name not in ACTIVATION_NAMES:
        raise ValueError(
            f"unknown `activation` {spec!r}; choose one of {', '.join(ACTIVATION_NAMES)}"
        )
    if arg and name != "leaky_relu":
        raise ValueError(f"`activation` {spec!r}: only leaky_relu takes a parameter")
    if name == "leaky_relu":
        try:
            slope = float(arg) if arg else DEFAULT_LEAKY_SLOPE
        except ValueError:
            raise ValueError(f"`activation` {spec!r}: slope {arg!r} is not a number") from None
        if not np.isfinite(slope):
            raise ValueError(f"`activation` {spec!r}: slope must be finite")
        return _leaky(slope)
    table = {
        "tanh": (np.tanh, _tanh_d),
        "relu": (_relu, _relu_d),
        "gelu": (_gelu, _gelu_d),
        "linear": (lambda h: h, np.ones_like),
        "sigmoid": (_sigmoid, _sigmoid_d),
    }
    phi, dphi = table[name]
    return NumericActivation(name, phi, dphi)
