"""Facts about activation functions that power counting needs.

Only a few properties of :math:`\\phi` change exponents (Golikov 2020, Sec. 3; TP4 Assumption 3.1):

* ``order_at_zero`` k: :math:`\\phi(h) = \\Theta(h^k)` for small h (1 for tanh, ReLU, GELU, linear;
  0 when :math:`\\phi(0) \\ne 0`, e.g. sigmoid).  A vanishing pre-activation
  :math:`h = \\Theta(n^{e})`, e < 0, gives :math:`x = \\Theta(n^{k e})`.
* ``bounded``: saturates (tanh, sigmoid), so :math:`x = O(1)` even when h blows up.
* ``odd``: :math:`E\\,\\phi(Z) = 0` for symmetric Z.  A non-odd activation (ReLU, leaky ReLU,
  GELU, sigmoid) gives every feature vector a *mean component* (a multiple of the all-ones
  vector), whose inner products with other mean components add coherently (law of large numbers).
* ``sign_has_mean``: whether :math:`\\mathrm{sign}(\\phi(h))` has a non-zero mean (ReLU: yes, it is
  :math:`1_{h>0}`; leaky ReLU and GELU: no).  Matters for sign-like optimizer updates.
* ``mean_order``: size of the mean of :math:`\\phi(h+\\delta) - \\phi(h)` for a symmetric
  perturbation: ``"homogeneous"`` (piecewise linear, ReLU-like), ``"smooth"`` (second order,
  GELU) or ``None`` (odd).
* ``linear``: the dynamical dichotomy (TP4 Thm 3.6; TP IVb Thm 2.8.19) does not apply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Activation:
    name: str
    order_at_zero: int
    bounded: bool
    odd: bool
    sign_has_mean: bool
    mean_order: str | None
    linear: bool = False


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", 1, bounded=True, odd=True, sign_has_mean=False, mean_order=None),
    "linear": Activation(
        "linear", 1, bounded=False, odd=True, sign_has_mean=False, mean_order=None, linear=True
    ),
    "relu": Activation(
        "relu", 1, bounded=False, odd=False, sign_has_mean=True, mean_order="homogeneous"
    ),
    "leaky_relu": Activation(
        "leaky_relu", 1, bounded=False, odd=False, sign_has_mean=False, mean_order="homogeneous"
    ),
    "gelu": Activation("gelu", 1, bounded=False, odd=False, sign_has_mean=False, mean_order="smooth"),
    "sigmoid": Activation(
        "sigmoid", 0, bounded=True, odd=False, sign_has_mean=True, mean_order="smooth"
    ),
}


def get_activation(name: str | Activation) -> Activation:
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name.replace("-", "_").lower()]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(sorted(ACTIVATIONS))}"
        ) from None
