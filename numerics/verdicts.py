"""Agree / disagree / inconclusive: a measured exponent against a predicted one.

Rule (documented defaults, both overridable):

1. No prediction (``None``) -> ``inconclusive``.
2. Predicted :math:`-\\infty` (an identically zero quantity, e.g. ``dW`` of a frozen layer):
   ``agree`` iff every measured value is exactly zero, else ``disagree``.  A finite
   prediction against identically zero measurements is ``disagree``.
3. NaN fit (divergence, zeros at some widths) -> ``inconclusive``.
4. CI wider than ``max_ci_width`` (default 0.5) -> ``inconclusive``: too noisy to decide.
5. ``agree`` iff the prediction lies in ``[ci_low - tolerance, ci_high + tolerance]``, else
   ``disagree``.  ``tolerance`` (default 0.1) absorbs finite-size bias, which the seed
   bootstrap cannot see: in this project's one-step numpy measurements of L = 2 tanh MLPs
   (SP, NTP, muP, UP_1/4 under SGD and signSGD, widths 256..4096, 4 seeds; the muP row is
   re-measured by ``tests/numerics/test_simulator.py``) the fitted slopes deviate from the
   power-counting exponents by up to 0.05, and in its measurements of Golikov's depth setting
   (widths 256..8192) slow crossovers -- a lower-order term with a large prefactor -- bias the
   slope at early steps by 0.1-0.3 where power counting gives 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from widthlimits.numerics.fits import ExponentFit
from widthlimits.numerics.validation import check_float

DEFAULT_TOLERANCE = 0.1
DEFAULT_MAX_CI_WIDTH = 0.5


class Verdict(StrEnum):
    """Outcome of comparing a measured exponent with a prediction."""

    AGREE = "agree"
    DISAGREE = "disagree"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Comparison:
    """A verdict with the numbers behind it.

    Attributes
    ----------
    verdict : Verdict
    predicted : float or None
    fit : ExponentFit
    tolerance, max_ci_width : float
    reason : str
        One sentence saying which rule decided.
    """

    verdict: Verdict
    predicted: float | None
    fit: ExponentFit
    tolerance: float
    max_ci_width: float
    reason: str


def predicted_to_float(predicted: Any) -> float | None:
    """``None`` stays ``None``; Fractions, ints, floats, ``"-1/2"``, ``"-inf"`` become floats."""
    if predicted is None:
        return None
    if isinstance(predicted, str):
        s = predicted.strip().lower()
        if s in ("-inf", "-oo"):
            return -math.inf
        if s in ("inf", "oo", "+inf"):
            return math.inf
        try:
            return float(Fraction(s))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"`predicted` = {predicted!r} is not a number") from None
    if isinstance(predicted, bool):
        raise TypeError(f"`predicted` must be a number or None, got {predicted!r}")
    try:
        v = float(predicted)
    except (TypeError, ValueError):
        raise TypeError(f"`predicted` must be a number or None, got {predicted!r}") from None
    if math.isnan(v):
        raise ValueError("`predicted` must not be NaN")
    return v


def compare_detail(
    predicted: Any,
    fit: ExponentFit,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_ci_width: float = DEFAULT_MAX_CI_WIDTH,
) -> Comparison:
    """Like :func:`compare`, returning the :class:`Comparison` with its reason."""
    if not isinstance(fit, ExponentFit):
        raise TypeError(f"`fit` must be an ExponentFit, got {type(fit).__name__}")
    tol = check_float(tolerance, "tolerance", minimum=0.0)
    mcw = check_float(max_ci_width, "max_ci_width", minimum=0.0, strict_min=True, allow_inf=True)
    p = predicted_to_float(predicted)

    def out(v: Verdict, reason: str) -> Comparison:
        return Comparison(v, p, fit, tol, mcw, reason)

    if p is None:
        return out(Verdict.INCONCLUSIVE, "no prediction")
    if p == -math.inf:
        if fit.all_zero:
            return out(Verdict.AGREE, "predicted identically zero and measured zero")
        return out(Verdict.DISAGREE, "predicted identically zero but measured non-zero values")
    if fit.all_zero:
        return out(Verdict.DISAGREE, f"predicted n^{p:g} but every measured value is zero")
    if not (math.isfinite(fit.slope) and math.isfinite(fit.ci_low)
            and math.isfinite(fit.ci_high)):
        return out(Verdict.INCONCLUSIVE, f"no finite fit ({fit.note or 'degenerate'})")
    if math.isinf(p):
        return out(Verdict.DISAGREE, "predicted +inf (blow-up) but measured a finite slope")
    if fit.ci_width > mcw:
        return out(Verdict.INCONCLUSIVE,
                   f"CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}] wider than {mcw:g}")
    if fit.ci_low - tol <= p <= fit.ci_high + tol:
        return out(Verdict.AGREE, f"{p:g} in CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}] +- {tol:g}")
    return out(Verdict.DISAGREE,
               f"{p:g} outside CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}] +- {tol:g}")


def compare(
    predicted: Any,
    fit: ExponentFit,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_ci_width: float = DEFAULT_MAX_CI_WIDTH,
) -> Verdict:
    """Verdict of a predicted width exponent against a fit (rule in the module docstring).

    Parameters
    ----------
    predicted : float, Fraction, str or None
        Predicted exponent (``-inf`` = identically zero; ``None`` = no prediction).
    fit : ExponentFit
    tolerance : float
        Absolute widening of the CI for finite-size bias (default 0.1).
    max_ci_width : float
        CIs wider than this are ``inconclusive`` (default 0.5).

    Returns
    -------
    Verdict

    Examples
    --------
    >>> import numpy as np
    >>> from widthlimits.numerics.fits import fit_exponent
    >>> w = [256, 512, 1024, 2048]
    >>> fit = fit_exponent(w, np.outer(np.array(w, float) ** -0.5, [1, 1.1, 0.9]), rng=0)
    >>> compare("-1/2", fit), compare(0, fit), compare(None, fit)
    (<Verdict.AGREE: 'agree'>, <Verdict.DISAGREE: 'disagree'>, <Verdict.INCONCLUSIVE: 'inconclusive'>)
    """
    return compare_detail(predicted, fit, tolerance=tolerance, max_ci_width=max_ci_width).verdict
