"""Width exponents and convergence orders: the project's one slope fitter (log-log least squares
with a bootstrap confidence interval over seeds, small-sample corrected).

:func:`fit_slope` is the fitter; :func:`fit_exponent` (seed mean, seeds paired across widths) and
``numerics.limits.fit_order`` (RMS over seeds, independent seeds per width or step) call it, and
:func:`bootstrap_ci` gives the same small-sample-corrected interval for any statistic of a sample
(moments, ratios).  ``scipy.stats`` is imported inside the functions (CLI start-up).

The statistic is the least-squares slope of :math:`\\log \\bar v(n)` against :math:`\\log n`,
where :math:`\\bar v(n)` is the arithmetic **seed mean** of the per-seed RMS values at width
``n``.  The confidence interval resamples *seeds*, the clusters (a seed index pairs the runs
across widths, so whole seeds are resampled, as in a cluster bootstrap): one bootstrap draw
picks seed indices with replacement and applies them at every width.  The CI measures seed
noise only; finite-size bias (curvature of the log-log line at small widths) is not in it,
which is why :func:`~widthlimits.numerics.verdicts.compare` widens it by a tolerance.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from widthlimits.numerics.validation import check_choice, check_float, check_int, check_widths

FIT_METHODS: tuple[str, ...] = ("bootstrap", "percentile", "ols")


class DegenerateFitWarning(RuntimeWarning):
    """A legal but degenerate fit (zeros, a diverged width, too few seeds); the fit is NaN."""


@dataclass(frozen=True, eq=False)
class ExponentFit:
    """A fitted width exponent: :math:`\\bar v(n) \\approx e^{\\text{intercept}} n^{\\text{slope}}`.

    Attributes
    ----------
    slope, intercept : float
        Least-squares fit of ``log(seed mean)`` on ``log(width)``.  ``slope = -inf`` when every
        value is exactly zero (an identically vanishing quantity); NaN when degenerate.
    ci_low, ci_high : float
        Confidence interval of the slope at level ``confidence``.
    stderr : float
        OLS standard error of the slope across widths (NaN with fewer than 3 widths).
    method : str
        ``"bootstrap"`` (BCa over seeds), ``"percentile"`` (percentile bootstrap over seeds),
        ``"ols"`` (Student-t interval from the regression across widths) or ``"zero"``.
    confidence : float
    widths : tuple of int
    values : ndarray, shape (len(widths), n_seeds)
        The raw per-seed values, kept so the fit can be redone.
    n_seeds : int
        Seeds used (seeds with a non-finite value at some width are dropped).
    all_zero : bool
        Every value is exactly zero.
    note : str
        Why a fit is degenerate or which seeds were dropped (empty otherwise).

    References
    ----------
    B. Efron, R. Tibshirani, "An Introduction to the Bootstrap", Chapman & Hall 1993, Ch. 14
    (BCa).  T. Hesterberg, "What Teachers Should Know About the Bootstrap", The American
    Statistician 69 (2015), Sec. 3.5 (expanded percentile interval).  scipy.stats.bootstrap.
    """

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    stderr: float
    method: str
    confidence: float
    widths: tuple[int, ...]
    values: np.ndarray = field(repr=False)
    n_seeds: int
    all_zero: bool = False
    note: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.ci_low, self.ci_high)

    @property
    def ci_width(self) -> float:
        return self.ci_high - self.ci_low

    def __repr__(self) -> str:
        return (f"ExponentFit(slope={self.slope:.3f}, ci=[{self.ci_low:.3f}, {self.ci_high:.3f}],"
                f" method={self.method!r}, widths={self.widths[0]}..{self.widths[-1]}"
                f" ({len(self.widths)}), n_seeds={self.n_seeds}"
                + (f", note={self.note!r}" if self.note else "") + ")")

    def _repr_latex_(self) -> str:
        return (f"$\\hat p = {self.slope:.3f}\\ [{self.ci_low:.3f}, {self.ci_high:.3f}]"
                f"_{{{100 * self.confidence:g}\\%}}$")

    def to_dict(self) -> dict[str, Any]:
        return {"slope": _num(self.slope), "intercept": _num(self.intercept),
                "ci_low": _num(self.ci_low), "ci_high": _num(self.ci_high),
                "stderr": _num(self.stderr), "method": self.method,
                "confidence": self.confidence, "widths": list(self.widths),
                "n_seeds": self.n_seeds, "all_zero": self.all_zero, "note": self.note}


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _slopes(logw: np.ndarray, logm: np.ndarray) -> np.ndarray:
    """OLS slope along the last axis (vectorized)."""
    xc = logw - logw.mean()
    return (logm * xc).sum(-1) / (xc * xc).sum()


def _nan_fit(widths: tuple[int, ...], vals: np.ndarray, method: str, conf: float, note: str,
             n_seeds: int) -> ExponentFit:
    warnings.warn(note, DegenerateFitWarning, stacklevel=3)
    nan = float("nan")
    return ExponentFit(nan, nan, nan, nan, nan, method, conf, widths, vals, n_seeds, False, note)


def fit_exponent(
    widths: Any,
    values_per_seed: Any,
    *,
    method: str = "bootstrap",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = None,
) -> ExponentFit:
    """Fit the width exponent of a quantity from per-seed measurements.

    Parameters
    ----------
    widths : sequence of int
        Strictly increasing widths (at least 2).
    values_per_seed : array_like, shape (len(widths), n_seeds)
        Non-negative per-seed values (RMS sizes).  NaN marks a diverged seed.
    method : {"bootstrap", "percentile", "ols"}
        ``bootstrap``: BCa interval resampling seeds (falls back to ``percentile`` when BCa is
        undefined, and to ``ols`` with a single seed).  Both bootstrap intervals are expanded
        about the estimate by :math:`t_{S-1}/z \\cdot \\sqrt{S/(S-1)}` (Hesterberg's expanded
        percentile interval), which restores nominal coverage with few seeds.
    confidence : float
        Confidence level in (0, 1).
    n_resamples : int
        Bootstrap resamples.
    rng : numpy.random.Generator or int or None
        Randomness of the bootstrap (an int seeds a new generator).

    Returns
    -------
    ExponentFit

    Raises
    ------
    ValueError
        For mismatched shapes, negative values or bad options.

    Warns
    -----
    DegenerateFitWarning
        When a width has no finite value or a seed mean is zero while others are not; the
        result is NaN.

    Notes
    -----
    .. math:: \\hat p = \\arg\\min_{p, c} \\sum_i (\\log \\bar v(n_i) - c - p\\log n_i)^2,
        \\qquad \\bar v(n) = \\frac1S \\sum_s v_s(n).

    Examples
    --------
    >>> w = [256, 512, 1024, 2048]
    >>> v = np.outer(np.array(w, float) ** -0.5, np.ones(4))
    >>> round(fit_exponent(w, v, rng=1).slope, 6)
    -0.5
    """
    ws = check_widths(widths, minimum_count=2)
    return fit_slope(ws, values_per_seed, statistic="mean", paired=True, method=method,
                     confidence=confidence, n_resamples=n_resamples, rng=rng)


STATISTICS: tuple[str, ...] = ("mean", "rms")


def small_sample_factor(S: int, conf: float) -> float:
    """Hesterberg's (2015) small-sample expansion :math:`t_{S-1}/z \\cdot \\sqrt{S/(S-1)}`."""
    from scipy import stats

    z = stats.norm.ppf(0.5 + conf / 2)
    return float(stats.t.ppf(0.5 + conf / 2, S - 1) / z * math.sqrt(S / (S - 1)))


def _generator(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and not isinstance(rng, (int, np.integer)):
        raise TypeError(f"`rng` must be a numpy Generator, an int or None, got {rng!r}")
    return np.random.default_rng(rng)


def fit_slope(
    x: Any,
    values_per_seed: Any,
    *,
    statistic: str = "mean",
    paired: bool = True,
    method: str = "bootstrap",
    confidence: float = 0.95,
    n_resamples: int = 2000,
    rng: np.random.Generator | int | None = None,
) -> ExponentFit:
    """The slope of ``log stat_s v_s(x)`` on ``log x`` with a seed-bootstrap CI.

    Parameters
    ----------
    x : sequence of float
        Distinct positive abscissae (widths, step sizes, scale factors), at least 2.
    values_per_seed : array_like, shape (len(x), n_seeds)
        Per-seed values (NaN marks a diverged seed).
    statistic : {"mean", "rms"}
        Statistic over seeds at each ``x``: the arithmetic mean of non-negative sizes, or the
        root mean square (of errors, signed or not).
    paired : bool
        True: seed ``s`` is the same cluster at every ``x`` (one draw of seed indices applies at
        every ``x``; a seed with a non-finite value anywhere is dropped).  False: the seeds at
        different ``x`` are independent draws, resampled independently (a non-finite value makes
        the fit degenerate).
    method : {"bootstrap", "percentile", "ols"}
        ``bootstrap``: BCa (paired only; falls back to ``percentile`` when BCa is undefined or
        the seeds are unpaired); ``percentile``; ``ols``: Student-t interval across ``x``.  The
        bootstrap intervals are expanded about the estimate by Hesterberg's small-sample factor
        :math:`t_{S-1}/z \\cdot \\sqrt{S/(S-1)}` (measured coverage of the raw BCa interval at
        nominal 95%: 81% with 4 seeds, 89% with 8; tests/numerics).
    confidence, n_resamples, rng
        Level, resamples and randomness of the bootstrap.

    Returns
    -------
    ExponentFit
        ``slope`` of the log-log line (``-inf`` when every value is zero; NaN, with a
        :class:`DegenerateFitWarning`, when degenerate).
    """
    method = check_choice(method, "method", FIT_METHODS)
    statistic = check_choice(statistic, "statistic", STATISTICS)
    conf = check_float(confidence, "confidence", minimum=0.0, maximum=1.0, strict_min=True)
    if conf >= 1.0:
        raise ValueError(f"`confidence` must be < 1, got {confidence!r}")
    check_int(n_resamples, "n_resamples", minimum=10)
    rng = _generator(rng)
    xs = np.asarray(x, dtype=np.float64)
    if xs.ndim != 1 or xs.size < 2 or np.any(~np.isfinite(xs)) or np.any(xs <= 0) \
            or np.unique(xs).size != xs.size:
        raise ValueError(f"`x` must be >= 2 distinct positive values, got {xs.tolist()!r}")
    ws = tuple(int(v) if float(v).is_integer() else float(v) for v in xs)
    vals = np.asarray(values_per_seed, dtype=np.float64)
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2 or vals.shape[0] != len(ws):
        raise ValueError(
            f"`values_per_seed` must have shape (len(widths), n_seeds) = ({len(ws)}, S), got "
            f"{vals.shape}"
        )
    if statistic == "mean" and np.any(vals < 0):
        raise ValueError("`values_per_seed` must be non-negative (RMS sizes), got "
                         f"min {np.nanmin(vals)!r}")
    note = ""
    if paired:
        finite_cols = np.all(np.isfinite(vals), axis=0)
        if not finite_cols.all():
            dropped = int((~finite_cols).sum())
            note = f"{dropped} seed(s) with a non-finite value dropped"
            if not finite_cols.any():
                return _nan_fit(ws, vals, method, conf, "no seed is finite at every width "
                                "(diverged)", 0)
        v = vals[:, finite_cols]
    else:
        if not np.all(np.isfinite(vals)):
            return _nan_fit(ws, vals, method, conf, "a value is not finite (diverged)",
                            vals.shape[1])
        v = vals
    S = v.shape[1]
    if np.all(v == 0):
        ninf = float("-inf")
        return ExponentFit(ninf, ninf, ninf, ninf, 0.0, "zero", conf, ws, vals, S, True,
                           "identically zero")

    def reduce(a: np.ndarray, axis: int) -> np.ndarray:
        if statistic == "mean":
            return np.mean(a, axis=axis)
        return np.sqrt(np.mean(np.square(a), axis=axis))

    means = reduce(v, 1)
    if np.any(means == 0):
        return _nan_fit(ws, vals, method, conf, "a seed statistic is zero at some x but not "
                        "all; no power law", S)
    logw = np.log(xs)
    logm = np.log(means)
    slope = float(_slopes(logw, logm))
    intercept = float(logm.mean() - slope * logw.mean())
    stderr = float("nan")
    if len(ws) >= 3:
        resid = logm - intercept - slope * logw
        sxx = float(((logw - logw.mean()) ** 2).sum())
        stderr = float(math.sqrt((resid ** 2).sum() / (len(ws) - 2) / sxx))

    def ols_ci() -> tuple[float, float]:
        if not math.isfinite(stderr):
            return (float("-inf"), float("inf"))
        from scipy import stats

        q = stats.t.ppf(0.5 + conf / 2, len(ws) - 2)
        return (slope - q * stderr, slope + q * stderr)

    used = method
    if method == "ols" or S < 2:
        used = "ols"
        lo, hi = ols_ci()
        return ExponentFit(slope, intercept, float(lo), float(hi), stderr, used, conf, ws, vals,
                           S, False, note)

    def stat(a: np.ndarray, axis: int = -1) -> np.ndarray:
        m = reduce(a, axis)  # x stays on axis 0: (W, ...)
        with np.errstate(divide="ignore"):
            return _slopes(logw, np.moveaxis(np.log(m), 0, -1))

    lo = hi = float("nan")
    if method == "bootstrap" and paired:
        from scipy import stats

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = stats.bootstrap((v,), stat, axis=1, vectorized=True, method="BCa",
                                confidence_level=conf, n_resamples=n_resamples, rng=rng)
        lo, hi = float(r.confidence_interval.low), float(r.confidence_interval.high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        used = "percentile"
        if paired:
            idx = rng.integers(0, S, size=(n_resamples, S))
            boot = stat(v[:, idx])  # (W, n_resamples, S) -> (n_resamples,) slopes
        else:
            idx = rng.integers(0, S, size=(len(ws), n_resamples, S))
            boot = stat(np.take_along_axis(v[:, None, :], idx, axis=2))
        boot = boot[np.isfinite(boot)]
        lo, hi = (float(q) for q in np.quantile(boot, [(1 - conf) / 2, (1 + conf) / 2]))
    kappa = small_sample_factor(S, conf)
    lo, hi = slope - kappa * (slope - lo), slope + kappa * (hi - slope)
    return ExponentFit(slope, intercept, float(lo), float(hi), stderr, used, conf, ws, vals, S,
                       False, note)


def bootstrap_ci(values: Any, stat: Any, *, rng: np.random.Generator | int | None = None,
                 n: int = 1000, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of ``stat`` over the first axis of ``values`` (the sample), with
    the same small-sample expansion as :func:`fit_slope` (Hesterberg 2015)."""
    rng = _generator(rng)
    values = np.asarray(values)
    S = len(values)
    if S < 2:
        raise ValueError(f"`values` needs at least 2 observations, got {S}")
    est = float(stat(values))
    idx = rng.integers(0, S, size=(n, S))
    boots = np.array([stat(values[i]) for i in idx], dtype=float)
    a = (1 - level) / 2
    lo, hi = np.quantile(boots[np.isfinite(boots)], [a, 1 - a])
    kappa = small_sample_factor(S, level)
    return float(est - kappa * (est - lo)), float(est + kappa * (hi - est))


def local_slope(fit: ExponentFit) -> float:
    """Slope between the two largest widths (less biased by lower-order terms)."""
    return float(local_slopes(fit.widths, fit.values)[-1])


def local_slopes(widths: Any, values_per_seed: Any) -> np.ndarray:
    """Consecutive-width slopes :math:`\\Delta\\log\\bar v / \\Delta\\log n` (finite-size drift)."""
    ws = np.asarray(check_widths(widths, minimum_count=2), dtype=np.float64)
    v = np.asarray(values_per_seed, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.log(np.nanmean(v.reshape(len(ws), -1), axis=1))
    return np.diff(m) / np.diff(np.log(ws))
