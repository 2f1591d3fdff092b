"""Distances between particle measures.

The mean-field limit is a measure over neurons (a, w); a finite net is the empirical measure of
its N neurons.  We compare them with the *sliced* 1-Wasserstein distance

.. math::
    SW_1(\\mu, \\nu) = \\mathbb E_{\\theta \\sim \\mathrm{Unif}(S^{k-1})}
    W_1(\\theta_\\# \\mu, \\theta_\\# \\nu),

estimated with a fixed set of random directions (1-D W_1 by ``scipy.stats.wasserstein_distance``).
It metrizes weak convergence plus first moments like W_1 (Bonneel et al. 2015; Nadjahi et al.
2020), and for an empirical measure of N i.i.d. samples its expectation decays like
:math:`N^{-1/2}` in every dimension (each projection is a 1-D empirical measure), which is the
rate the mean-field propagation-of-chaos results predict (Mei, Montanari, Nguyen 2018, Thm 3).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance


def sliced_wasserstein(P: np.ndarray, Q: np.ndarray, *, n_projections: int = 64,
                       rng: np.random.Generator | int | None = 0) -> float:
    """Sliced W_1 between the empirical measures of the rows of ``P`` and ``Q`` (same columns).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((500, 3))
    >>> sliced_wasserstein(x, x) == 0.0
    True
    """
    P, Q = np.asarray(P, float), np.asarray(Q, float)
    if P.ndim != 2 or Q.ndim != 2 or P.shape[1] != Q.shape[1]:
        raise ValueError(f"`P` and `Q` must be 2-D with the same number of columns, got "
                         f"{P.shape} and {Q.shape}")
    if not isinstance(n_projections, int) or n_projections < 1:
        raise ValueError(f"`n_projections` must be a positive int, got {n_projections!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    theta = gen.standard_normal((n_projections, P.shape[1]))
    theta /= np.linalg.norm(theta, axis=1, keepdims=True)
    pp, qq = P @ theta.T, Q @ theta.T
    return float(np.mean([wasserstein_distance(pp[:, j], qq[:, j]) for j in range(n_projections)]))
