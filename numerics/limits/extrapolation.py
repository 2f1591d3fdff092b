r"""Orders without a computable limit: successive differences and Richardson extrapolation.

Assumption (stated in every result): the quantity has an asymptotic expansion
:math:`X_N = X_\infty + C N^{-p} + o(N^{-p})` with :math:`C \ne 0`, and the widths double.
Then :math:`|X_{2N} - X_N| = |C|(1 - 2^{-p})N^{-p} + o(N^{-p})` has the same order :math:`p`,
and :math:`X_{2N} + (X_{2N} - X_N)/(2^p - 1)` removes the leading term.  For random
:math:`X_N` (fluctuation dominated) the differences measure the spread, not a bias; average over
seeds first, or use the spread over seeds directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ASSUMPTION = ("X_N = X_inf + C N^-p + o(N^-p) with C != 0 (deterministic or seed-averaged), "
              "widths doubling")


@dataclass(frozen=True, slots=True)
class SuccessiveDifferences:
    """Successive differences and the order they imply.

    Attributes
    ----------
    widths : numpy.ndarray
        ``N_0 < N_1 < ...`` with ``N_{k+1} = 2 N_k``.
    differences : numpy.ndarray
        ``|X_{N_{k+1}} - X_{N_k}|`` (norm over trailing axes), indexed by ``N_k``.
    order : float
        Least-squares log-log order of the differences.
    extrapolated : numpy.ndarray
        Richardson estimate of ``X_inf`` from the last two widths with the fitted order.
    assumption : str
    """

    widths: np.ndarray
    differences: np.ndarray
    order: float
    extrapolated: np.ndarray
    assumption: str = ASSUMPTION


def richardson(x_n: np.ndarray, x_2n: np.ndarray, order: float) -> np.ndarray:
    r""":math:`X_{2N} + (X_{2N} - X_N)/(2^p - 1)`; valid under :data:`ASSUMPTION`."""
    if not order > 0:
        raise ValueError(f"`order` must be > 0, got {order=}")
    return np.asarray(x_2n) + (np.asarray(x_2n) - np.asarray(x_n)) / (2.0 ** order - 1)


def successive_differences(widths: np.ndarray, values: np.ndarray) -> SuccessiveDifferences:
    """Order from ``|X_{2N} - X_N|`` (see :data:`ASSUMPTION`).

    Parameters
    ----------
    widths : array_like, shape (k,)
        Doubling widths, ``k >= 3``.
    values : array_like, shape (k, ...)
        ``X_N`` at each width.
    """
    w = np.asarray(widths, dtype=float)
    v = np.asarray(values, dtype=float)
    if w.ndim != 1 or w.size < 3 or not np.allclose(w[1:] / w[:-1], 2.0):
        raise ValueError(f"`widths` must be >= 3 doubling widths, got {w.tolist()!r}")
    if v.shape[0] != w.size:
        raise ValueError(f"`values` must have {w.size} rows, got shape {v.shape}")
    diff = np.sqrt(np.sum((v[1:] - v[:-1]).reshape(w.size - 1, -1) ** 2, axis=1))
    logn = np.log(w[:-1])
    order = float(-np.polyfit(logn, np.log(diff), 1)[0])
    return SuccessiveDifferences(w[:-1], diff, order, richardson(v[-2], v[-1], order))
