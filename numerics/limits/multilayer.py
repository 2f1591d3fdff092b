r"""Multilayer mean field with i.i.d. initialization (Nguyen and Pham) via the derandomized limit.

Three weight layers (Nguyen and Pham 2020, arXiv 2001.11443, Section 3; notes section 4.2):

.. math::

    H_1(x, j_1) = \langle w_1(j_1), x\rangle,\quad
    H_2(x, j_2) = \tfrac1{n_1}\textstyle\sum_{j_1} w_2(j_1, j_2)\,\phi(H_1(x, j_1)),\quad
    \hat y(x) = \tfrac1{n_2}\textstyle\sum_{j_2} w_3(j_2)\,\phi(H_2(x, j_2)),

loss :math:`\frac1{2n}\sum(\hat y - y)^2`, trained in mean-field time (raw gradients multiplied by
:math:`n_1`, :math:`n_1 n_2`, :math:`n_2`), with :math:`\phi(z) = \tanh(z + 0.5)` (a zero-mean
odd :math:`\phi` and no bias leaves the limit at a degenerate fixed point, notes 4.4).

With i.i.d. :math:`w_2(0)` of mean :math:`\mu_2` the random part of :math:`w_2` enters each
:math:`H_2` at :math:`O(n^{-1/2})` and averages out, so the mean-field limit equals the dynamics
started from :math:`w_2(0) \equiv \mu_2` (the *derandomized* network).  Coupling the two
networks through the same :math:`w_1, w_3` draws isolates that effect: their output difference
is :math:`O(1/n)` (notes section 6 row 14), while each network fluctuates around the limit at the
CLT scale :math:`n^{-1/2}` (Pham and Nguyen, NeurIPS 2021, Theorem 6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _phi(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.tanh(z + 0.5)
    return t, 1 - t * t


@dataclass(frozen=True)
class ThreeLayerMF:
    r"""Three-layer mean-field network on a fixed data set (module docstring).

    Attributes
    ----------
    X : numpy.ndarray, shape (n, d)
    y : numpy.ndarray, shape (n,)
    mu2 : float
        Mean :math:`\mu_2` of the i.i.d. middle weights (unit variance).
    t_max, dt : float
        Horizon and GD step (mean-field time).
    """

    X: np.ndarray
    y: np.ndarray
    mu2: float = 1.0
    t_max: float = 6.0
    dt: float = 0.02
    record_every: int = 10

    @classmethod
    def random(cls, n: int = 20, d: int = 5, *, rng: np.random.Generator | int | None = 0,
               **kw: float) -> ThreeLayerMF:
        gen = np.random.default_rng(rng)
        X = gen.standard_normal((n, d)) / np.sqrt(d)
        y = np.sin(2 * X[:, 0] * np.sqrt(d)) * 0.5
        return cls(X, y, **kw)  # type: ignore[arg-type]

    def init(self, n: int, rng: np.random.Generator | int | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """i.i.d. ``w1 ~ N(0, I)``, ``w2 ~ N(mu2, 1)``, ``w3 ~ N(0, 1)`` with ``n1 = n2 = n``."""
        if not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"`width` must be an int >= 1, got {n=}")
        gen = np.random.default_rng(rng)
        w1 = gen.standard_normal((n, self.X.shape[1]))
        w3 = gen.standard_normal(n)
        w2 = self.mu2 + gen.standard_normal((n, n))
        return w1, w2, w3

    def run(self, w1: np.ndarray, w2: np.ndarray, w3: np.ndarray) -> np.ndarray:
        """Full-batch GD in mean-field time; outputs at recorded steps, shape (k, n_points)."""
        X, y = self.X, self.y
        n1, n2 = w2.shape
        p = len(y)
        w1, w2, w3 = w1.copy(), w2.copy(), w3.copy()
        out = []
        n_steps = round(self.t_max / self.dt)
        for k in range(n_steps + 1):
            h1 = X @ w1.T  # (p, n1)
            a1, d1 = _phi(h1)
            h2 = a1 @ w2 / n1  # (p, n2)
            a2, d2 = _phi(h2)
            yhat = a2 @ w3 / n2
            if k % self.record_every == 0:
                out.append(yhat)
            if k == n_steps:
                break
            delta3 = (yhat - y) / p  # (p,)
            delta2 = delta3[:, None] * w3[None, :] * d2  # (p, n2)
            delta1 = (delta2 @ w2.T / n2) * d1  # (p, n1)
            w3 = w3 - self.dt * (a2.T @ delta3)
            w2 = w2 - self.dt * (a1.T @ delta2)
            w1 = w1 - self.dt * (delta1.T @ X)
        return np.array(out)

    def coupled(self, n: int, rng: np.random.Generator | int | None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Outputs of the random-``w2`` network and of its derandomized twin (same w1, w3)."""
        w1, w2, w3 = self.init(n, rng)
        return self.run(w1, w2, w3), self.run(w1, np.full_like(w2, self.mu2), w3)
