"""Losses on the scalar output, averaged over the minibatch.

* ``mse``: :math:`\\mathcal L = \\frac{1}{2B}\\sum_i (f_i - y_i)^2`, so
  :math:`\\partial\\mathcal L/\\partial f_i = (f_i - y_i)/B`.
* ``logistic``: :math:`\\mathcal L = \\frac1B\\sum_i \\log(1 + e^{-y_i f_i})`, so
  :math:`\\partial\\mathcal L/\\partial f_i = -y_i\\,\\sigma(-y_i f_i)/B` (labels :math:`\\pm1`).
"""

from __future__ import annotations

import numpy as np
from scipy import special

LOSS_NAMES: tuple[str, ...] = ("mse", "logistic")


def loss_value(name: str, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean loss over the last axis (per seed if ``f`` has a leading seed axis)."""
    if name == "mse":
        return 0.5 * np.mean((f - y) ** 2, axis=-1)
    if name == "logistic":
        return np.mean(np.logaddexp(0.0, -y * f), axis=-1)
    raise ValueError(f"unknown `loss` {name!r}; choose one of {', '.join(LOSS_NAMES)}")


def loss_derivative(name: str, f: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:math:`\\partial\\mathcal L/\\partial f_i` for the batch mean loss (divided by ``B``)."""
    B = f.shape[-1]
    if name == "mse":
        return (f - y) / B
    if name == "logistic":
        return -y * special.expit(-y * f) / B
    raise ValueError(f"unknown `loss` {name!r}; choose one of {', '.join(LOSS_NAMES)}")
