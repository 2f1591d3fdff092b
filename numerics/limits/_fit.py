"""Convergence orders: the project's one slope fitter (``numerics.fits.fit_slope``) read as an
order, plus the bias/spread split of signed deviations.

``fit_order`` is ``fit_slope`` with the RMS over seeds and independent seeds per point (the
seeds at different widths or step sizes are independent draws), sign-flipped for widths.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from widthlimits.numerics.fits import DegenerateFitWarning, fit_slope, small_sample_factor

__all__ = ["DegenerateFitWarning", "MIN_SPREAD_SEEDS", "OrderFit", "ReferenceErrorWarning",
           "fit_bias_and_spread", "fit_order"]

#: seeds per point that the spread's CI needs.  The CI resamples seeds, and a resample made of
#: one seed repeated has no spread (it is dropped); with 2 seeds every other resample is the
#: sample itself, so the bootstrap has no variation and the interval would have zero width.
#: With 3 seeds a resample such as (s1, s1, s2) carries a different spread (measured coverage
#: of the 95% interval on Gaussian deviations with a known order, 3 and 5 widths: 98-100%).
MIN_SPREAD_SEEDS = 3


class ReferenceErrorWarning(UserWarning):
    """The reference's own error is not small against the finite-width errors (slope may flatten)."""


@dataclass(frozen=True, slots=True)
class OrderFit:
    r"""Fitted convergence order of an error against a resolution parameter.

    The model is :math:`e(h) \approx C\,h^{p}` with :math:`h = 1/N` (width) or :math:`h` a step
    size; equivalently :math:`\log e = \log C - p \log N`.  ``order`` is :math:`p` (positive when
    the error decreases with width), obtained by least squares on
    :math:`(\log N_i, \log \bar e_i)` where :math:`\bar e_i` is the statistic over seeds at
    ``x_i``.  The CI is a percentile bootstrap over seeds, resampled independently at each
    ``x_i``, expanded by the small-sample factor of ``numerics.fits.fit_slope``.

    Attributes
    ----------
    order : float
        Fitted order :math:`p`.
    ci_low, ci_high : float
        Bootstrap confidence interval for ``order``.
    confidence_level : float
        Level of the interval.
    intercept : float
        :math:`\log C` of the fit in the variable ``log(x)`` (with the sign convention of ``axis``).
    x : numpy.ndarray
        Widths (``axis == "width"``) or step sizes (``axis == "step"``).
    values : numpy.ndarray
        The statistic at each ``x`` (what was fitted).
    axis : str
        ``"width"`` (error ~ x^{-p}) or ``"step"`` (error ~ x^{p}).
    statistic : str
        Name of the statistic over seeds (``"rms"``, ``"bias"``, ``"spread"``).
    n_seeds : int
        Seeds per point.
    """

    order: float
    ci_low: float
    ci_high: float
    confidence_level: float
    intercept: float
    x: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    axis: str = "width"
    statistic: str = "rms"
    n_seeds: int = 0

    def contains(self, predicted: float) -> bool:
        """Whether ``predicted`` lies in ``[ci_low, ci_high]``."""
        return bool(self.ci_low <= predicted <= self.ci_high)

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """Fitted error at ``x`` (for plotting the fitted line)."""
        sign = -1.0 if self.axis == "width" else 1.0
        return np.exp(self.intercept + sign * self.order * np.log(np.asarray(x, dtype=float)))

    def __str__(self) -> str:
        pct = round(100 * self.confidence_level)
        return (f"order {self.order:.3f} [{pct}% CI {self.ci_low:.3f}, {self.ci_high:.3f}]"
                f" ({self.statistic}, {len(self.x)} {self.axis}s x {self.n_seeds} seeds)")


def _rms(a: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.sqrt(np.mean(np.square(a), axis=axis))


def _slope(logx: np.ndarray, logy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope/intercept of logy (..., k) on logx (k,), vectorized over leading axes."""
    xc = logx - logx.mean()
    slope = (logy * xc).sum(axis=-1) / (xc * xc).sum()
    intercept = logy.mean(axis=-1) - slope * logx.mean()
    return slope, intercept


def fit_order(
    x: np.ndarray,
    per_seed: np.ndarray,
    *,
    axis: str = "width",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = 0,
) -> OrderFit:
    r"""Fit :math:`p` in RMS-over-seeds error :math:`\approx C x^{\mp p}` with a bootstrap CI.

    Parameters
    ----------
    x : array_like, shape (k,)
        Widths or step sizes, at least 3 distinct positive values.
    per_seed : array_like, shape (k, S)
        Non-negative per-seed errors; ``S >= 2``.
    axis : {"width", "step"}
        Sign convention: ``"width"`` means the error decreases like ``x**-p``.
    confidence_level : float
        Bootstrap CI level.
    n_resamples : int
        Bootstrap resamples.
    rng : numpy.random.Generator or int or None
        Randomness of the bootstrap.

    Returns
    -------
    OrderFit

    Warns
    -----
    DegenerateFitWarning
        When some RMS error is zero or not finite (returns NaN).
    """
    x = np.asarray(x, dtype=float)
    e = np.asarray(per_seed, dtype=float)
    if axis not in ("width", "step"):
        raise ValueError(f"`axis` must be 'width' or 'step', got {axis=}")
    if x.ndim != 1 or x.size < 3 or np.any(x <= 0) or np.unique(x).size != x.size:
        raise ValueError(f"`x` must be >= 3 distinct positive values, got {x.tolist()!r}")
    if e.ndim != 2 or e.shape[0] != x.size or e.shape[1] < 2:
        raise ValueError(f"`per_seed` must have shape ({x.size}, S>=2), got {e.shape}")
    rms = _rms(e)
    sign = -1.0 if axis == "width" else 1.0
    if not np.all(np.isfinite(rms)) or np.any(rms <= 0):
        warnings.warn("errors are zero or not finite; order is NaN", DegenerateFitWarning,
                      stacklevel=2)
        nan = float("nan")
        return OrderFit(nan, nan, nan, confidence_level, nan, x, rms, axis, "rms", e.shape[1])
    fit = fit_slope(x, e, statistic="rms", paired=False, method="percentile",
                    confidence=confidence_level, n_resamples=n_resamples, rng=rng)
    lo, hi = sorted((sign * fit.ci_low, sign * fit.ci_high))
    return OrderFit(float(sign * fit.slope), float(lo), float(hi), confidence_level,
                    float(fit.intercept), x, rms, axis, "rms", e.shape[1])


def fit_bias_and_spread(
    x: np.ndarray,
    deviations: list[np.ndarray],
    *,
    axis: str = "width",
    confidence_level: float = 0.95,
    n_resamples: int = 1000,
    rng: np.random.Generator | int | None = 0,
) -> tuple[OrderFit, OrderFit, np.ndarray, np.ndarray]:
    r"""Separate fits of the bias (mean over seeds) and the fluctuation (spread over seeds).

    For signed deviations :math:`D_s(t, j)` (finite minus reference, over times ``t`` and
    outputs ``j``) at each ``x``, the bias is :math:`\sup_t \mathrm{rms}_j |\bar D(t, j)|` and the
    fluctuation :math:`\sup_t \mathrm{rms}_j \mathrm{sd}_s D_s(t, j)`.  The bias estimate has a
    noise floor of about fluctuation/sqrt(S); a flat bias slope can be that floor.  The
    percentile intervals get the small-sample expansion of ``numerics.fits.fit_slope``.  The
    spread needs ``S >= MIN_SPREAD_SEEDS`` (3) seeds at every ``x``: a resample that draws one
    seed only has no spread and is dropped, and with 2 seeds the only other resample is the
    sample itself (a CI of zero width); fewer raise ``ValueError``.

    Returns
    -------
    bias_fit, spread_fit : OrderFit
    bias, spread : numpy.ndarray, shape (k,)
    """
    x = np.asarray(x, dtype=float)
    sign = -1.0 if axis == "width" else 1.0
    fewest = min(d.shape[0] for d in deviations)
    if fewest < MIN_SPREAD_SEEDS:
        raise ValueError(f"the spread over seeds needs >= {MIN_SPREAD_SEEDS} seeds for its "
                         f"bootstrap CI, got {fewest}")

    def bias_of(d: np.ndarray) -> np.ndarray:  # d: (..., S, T, J)
        return _rms(d.mean(axis=-3), axis=-1).max(axis=-1)

    def spread_of(d: np.ndarray) -> np.ndarray:
        return _rms(d.std(axis=-3, ddof=1), axis=-1).max(axis=-1)

    gen = np.random.default_rng(rng)
    fits = []
    values = []
    for name, fn in (("bias", bias_of), ("spread", spread_of)):
        v = np.array([fn(d) for d in deviations])
        values.append(v)
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            nan = float("nan")
            fits.append(OrderFit(nan, nan, nan, confidence_level, nan, x, v, axis, name,
                                 deviations[0].shape[0]))
            continue
        slope, icpt = _slope(np.log(x), np.log(v))
        boot = np.empty((n_resamples, x.size))
        for i, d in enumerate(deviations):
            s = d.shape[0]
            idx = gen.integers(0, s, size=(n_resamples, s))
            # chunk to bound memory
            for c in range(0, n_resamples, 100):
                boot[c:c + 100, i] = fn(d[idx[c:c + 100]])
            if name == "spread":
                # a resample of one seed repeated has no spread: dropped by its indices (its
                # computed sd is 0 or rounding residue, ~1e-17, whose log would be a slope)
                boot[(idx == idx[:, :1]).all(axis=1), i] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            bs = sign * _slope(np.log(x), np.log(np.where(boot > 0, boot, np.nan)))[0]
        a = (1 - confidence_level) / 2
        lo, hi = np.nanquantile(bs, [a, 1 - a])
        est = sign * slope
        k = small_sample_factor(deviations[0].shape[0], confidence_level)
        lo, hi = est - k * (est - lo), est + k * (hi - est)
        fits.append(OrderFit(float(sign * slope), float(lo), float(hi), confidence_level,
                             float(icpt), x, v, axis, name, deviations[0].shape[0]))
    return fits[0], fits[1], values[0], values[1]
