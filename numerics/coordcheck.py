"""The coordinate check: every quantity's measured width exponent against a prediction.

:func:`coordcheck` sweeps widths x seeds for one parametrization, fits the log-log slope of
each ``(name, layer, step)`` (:func:`~widthlimits.numerics.fits.fit_exponent`) and compares it
with the predicted exponent (:func:`~widthlimits.numerics.verdicts.compare`).  The predictions
come in as a mapping, so the composer (the ``widthlimits coordcheck`` command) can pass the
symbolic engine's exponents without this layer importing it.

Besides the rule of :mod:`widthlimits.numerics.verdicts`, one numeric guard applies: a
difference quantity (``dh``, ``dx``, ``dWx``, ``W0dx``, ``df``, ``df_step``) whose seed mean is
below ``PRECISION_FLOOR`` x machine epsilon x the size of its operands at some width cannot be
measured in that dtype; its verdict is ``inconclusive`` (unless it is exactly zero).
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig
from widthlimits.numerics.fits import DegenerateFitWarning, ExponentFit, fit_exponent
from widthlimits.numerics.measurements import Divergence
from widthlimits.numerics.numeric_parametrization import as_numeric_parametrization
from widthlimits.numerics.quantities import QUANTITY_NAMES, layers_of
from widthlimits.numerics.sweeps import SweepResult, sweep
from widthlimits.numerics.validation import check_int, check_seeds, check_widths
from widthlimits.numerics.verdicts import (
    DEFAULT_MAX_CI_WIDTH,
    DEFAULT_TOLERANCE,
    Verdict,
    compare_detail,
    predicted_to_float,
)

#: relative size (in units of machine epsilon) below which a difference is unmeasurable
PRECISION_FLOOR = 100.0
_DIFFERENCES = frozenset({"dh", "dx", "dWx", "W0dx", "df", "df_step"})
#: quantities identically zero at t = 0 (skipped when no prediction is given)
_ZERO_AT_START = frozenset({"dh", "dx", "dWx", "W0dx", "df", "feature_kernel_change",
                            "tangent_kernel_change"})
_UNDEFINED_AT_END = frozenset({"dW", "df_step"})

Key = tuple[str, int | None, int]

#: Default learning rate per optimizer: the first update keeps tanh pre-activations in their
#: near-linear range on the default data (``DataConfig()``), so the measured exponents are those
#: of the theory rather than of a saturated net.  An entrywise optimizer (Adam, RMSProp,
#: signSGD) moves every input weight by about eta on its first step, whatever the gradient's
#: size.  Measured (muP, depth 2, width 256, float64), RMS of h^1 at init 1.0: the first Adam
#: step moves h^1 by 6.65 at eta = 1 (saturated; three coord-check rows disagreed) and by 0.33
#: at eta = 0.05; an SGD step at eta = 1 by 0.80, at 0.5 by 0.40.  The rule (tested): the first
#: step moves h^1 by less than half its size.  Heavy-ball momentum takes the same first step as
#: SGD and accumulates up to 1/(1 - beta) = 10 steps' worth later, hence 1/10 of SGD's rate
#: (tests/numerics/test_fits_and_coordcheck.py).  Set on muP; the rule holds for every named
#: parametrization the command offers under every optimizer (largest first step 0.44,
#: golikov-sym-default with SGD; tests/numerics/test_coordcheck_defaults.py), and the command at
#: these defaults agrees with the engine on every row of muP, MFP, NTP and golikov-ntk; the
#: Golikov presets with vanishing hidden init show finite-width crossovers (docs/checks.md).
DEFAULT_ETA: dict[str, float] = {"sgd": 0.5, "momentum": 0.05, "adam": 0.05, "rmsprop": 0.05,
                                 "signsgd": 0.05}


def predicted_string(p: Any) -> str | None:
    """The exact text of a prediction: ``Fraction(-1, 2)`` -> ``"-1/2"``, ``-inf`` -> ``"-inf"``."""
    if p is None:
        return None
    if isinstance(p, str):
        return p.strip()
    if isinstance(p, Fraction):
        return str(p)
    if isinstance(p, (int, np.integer)) and not isinstance(p, bool):
        return str(int(p))
    v = predicted_to_float(p)
    if v is None:
        return None
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    fr = Fraction(v).limit_denominator(1000)
    return str(fr) if abs(float(fr) - v) < 1e-12 else repr(v)


@dataclass(frozen=True)
class QuantityCheck:
    """One row of the coord-check table.

    Attributes
    ----------
    name : str
    layer : int or None
    step : int
    predicted : str or None
        Exact text of the prediction.
    fit : ExponentFit
    verdict : Verdict
    reason : str
    """

    name: str
    layer: int | None
    step: int
    predicted: str | None
    fit: ExponentFit
    verdict: Verdict
    reason: str

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return round(float(x), 6) if math.isfinite(x) else None

        return {"name": self.name, "layer": self.layer, "step": self.step,
                "predicted": self.predicted, "measured": num(self.fit.slope),
                "ci_low": num(self.fit.ci_low), "ci_high": num(self.fit.ci_high),
                "verdict": str(self.verdict)}


@dataclass(frozen=True, eq=False)
class CoordCheckReport:
    """Measured vs predicted width exponents of one parametrization.

    Attributes
    ----------
    checks : tuple of QuantityCheck
    config : SimulationConfig
    widths, seeds : tuple of int
    tolerance, max_ci_width : float
        The verdict rule's parameters.
    divergences : tuple of Divergence
    result : SweepResult
        Raw per-seed measurements (kept so the fits can be redone).
    """

    checks: tuple[QuantityCheck, ...]
    config: SimulationConfig
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    tolerance: float
    max_ci_width: float
    divergences: tuple[Divergence, ...] = ()
    result: SweepResult | None = field(default=None, repr=False)

    @property
    def agreement_rate(self) -> float | None:
        """Fraction of checks with a prediction whose verdict is ``agree`` (None if none)."""
        judged = [c for c in self.checks if c.predicted is not None]
        if not judged:
            return None
        return sum(c.verdict is Verdict.AGREE for c in judged) / len(judged)

    def disagreements(self) -> list[QuantityCheck]:
        return [c for c in self.checks if c.verdict is Verdict.DISAGREE]

    def counts_text(self) -> str:
        """Each verdict counted, then the rate (:func:`verdict_counts_text`)."""
        return verdict_counts_text(self.checks, self.agreement_rate)

    def to_dict(self) -> dict[str, Any]:
        """``{"quantities": [...], "agreement_rate": ..., "divergences": [...]}`` (issue 5
        schema; every diverged seed as ``{"width", "seed", "step"}``, its first non-finite step,
        so a ``measured: null`` row has its cause beside it)."""
        rate = self.agreement_rate
        return {"quantities": [c.to_dict() for c in self.checks],
                "agreement_rate": None if rate is None else round(rate, 6),
                "divergences": [{"width": d.width, "seed": d.seed, "step": d.step}
                                for d in self.divergences]}

    def to_json(self, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict` (non-finite numbers become ``null``)."""
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def table(self) -> str:
        """Plain-text table: quantity, predicted, measured +- CI, verdict."""
        head = f"{'quantity':<26}{'step':>5}  {'predicted':>10}  {'measured [95% CI]':<28}verdict"
        lines = [head, "-" * len(head)]
        for c in self.checks:
            q = c.name if c.layer is None else f"{c.name}^{c.layer}"
            f = c.fit
            meas = ("zero" if f.all_zero else "nan" if not math.isfinite(f.slope)
                    else f"{f.slope:+.3f} [{f.ci_low:+.3f}, {f.ci_high:+.3f}]")
            lines.append(f"{q:<26}{c.step:>5}  {c.predicted or '-':>10}  {meas:<28}{c.verdict}")
        rate = self.agreement_rate
        lines.append(f"agreement rate: {'n/a' if rate is None else f'{rate:.1%}'} "
                     f"(tolerance {self.tolerance:g}, CI width limit {self.max_ci_width:g})")
        for d in self.divergences:
            lines.append(str(d))
        return "\n".join(lines)

    def plot(self, path: str, **kwargs: Any) -> str:
        """Write the summary figure to ``path`` and the detail pages beside it
        (:func:`widthlimits.numerics.plots.plot_coordcheck`; needs the ``plots`` extra);
        returns ``path``."""
        from widthlimits.numerics.plots import plot_coordcheck

        return plot_coordcheck(self, path, **kwargs)


def verdict_counts_text(checks: Sequence[Any], rate: float | None) -> str:
    """"81 agree, 0 disagree, 1 inconclusive of 82 quantities (agreement 98.8%)": an inconclusive
    row (a CI too wide to judge) is not a disagreement, and the rate alone hides which it is."""
    n = Counter(c.verdict.value for c in checks)
    text = (f"{n['agree']} agree, {n['disagree']} disagree, {n['inconclusive']} inconclusive of "
            f"{len(checks)} quantities")
    return text + (f" (agreement {rate:.1%})" if rate is not None else "")


def _check_predicted(predicted: Mapping[Any, Any], depth: int, steps: int) -> dict[Key, Any]:
    if not isinstance(predicted, Mapping):
        raise TypeError(f"`predicted` must be a mapping (name, layer, step) -> exponent, got "
                        f"{type(predicted).__name__}")
    out = {}
    for key, val in predicted.items():
        if not (isinstance(key, tuple) and len(key) == 3):
            raise ValueError(f"`predicted` keys must be (name, layer, step), got {key!r}")
        name, layer, step = key
        if name not in QUANTITY_NAMES:
            raise ValueError(f"`predicted` key {key!r}: unknown quantity {name!r}; choose one "
                             f"of {', '.join(QUANTITY_NAMES)}")
        if layer not in layers_of(name, depth):
            raise ValueError(f"`predicted` key {key!r}: {name} is defined at layers "
                             f"{layers_of(name, depth)} for depth {depth}")
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= steps:
            raise ValueError(f"`predicted` key {key!r}: step must be an int in 0..{steps}")
        if name in _UNDEFINED_AT_END and step == steps:
            raise ValueError(f"`predicted` key {key!r}: {name} is undefined at the last step")
        predicted_to_float(val)  # validates
        out[(name, layer, step)] = val
    return out


def coordcheck(
    param: Any,
    depth: int,
    optimizer: str,
    activation: str = "tanh",
    widths: Sequence[int] = (256, 512, 1024, 2048, 4096),
    seeds: int | Sequence[int] = 8,
    steps: int = 5,
    predicted: Mapping[Key, Any] | None = None,
    *,
    loss: str = "mse",
    eta: Any = None,
    data: DataConfig | None = None,
    batch_size: int | None = None,
    dtype: str = "float32",
    quantities: Sequence[str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    max_ci_width: float = DEFAULT_MAX_CI_WIDTH,
    fit_method: str = "bootstrap",
    confidence: float = 0.95,
    rng: int | np.random.Generator | None = 0,
    store: Any = None,
    executor: Any = "process",
    n_workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    deadline: float | None = None,
    **config_options: Any,
) -> CoordCheckReport:
    """Measure width exponents of a parametrization and compare them with predictions.

    Parameters
    ----------
    param : object
        Anything with ``a, b, c`` (and optionally ``d``) attributes or keys, one value per
        weight layer (e.g. a ``widthlimits.theory.Parametrization``).
    depth : int
        Number of hidden layers ``L`` (must match ``param``).
    optimizer : {"sgd", "momentum", "adam", "rmsprop", "signsgd"}
    activation : str
    widths : sequence of int
        Strictly increasing, at least 3.
    seeds : int or sequence of int
    steps : int
        Updates ``T`` (quantities at ``t = 0..T``).
    predicted : mapping (name, layer, step) -> exponent or None, optional
        Predicted exponents (Fraction, float, string such as ``"-1/2"``, ``"-inf"`` for an
        identically zero quantity, or ``None``).  Without it every measured quantity is
        reported with ``predicted = None``.
    loss, eta, data, batch_size, dtype, quantities, **config_options
        Passed to :class:`~widthlimits.numerics.config.SimulationConfig`.  By default the
        measured quantities are those named in ``predicted``, and ``eta`` is the optimizer's
        entry of :data:`DEFAULT_ETA` (a first step in tanh's near-linear range).
    tolerance, max_ci_width : float
        The verdict rule (:mod:`widthlimits.numerics.verdicts`).
    fit_method, confidence, rng
        Passed to :func:`~widthlimits.numerics.fits.fit_exponent`.
    store, executor, n_workers, scheduler, progress, deadline
        Passed to :func:`~widthlimits.numerics.sweeps.sweep`.

    Returns
    -------
    CoordCheckReport
        ``.to_json()`` gives ``{"quantities": [{name, layer, step, predicted, measured, ci_low,
        ci_high, verdict}, ...], "agreement_rate": ...}``.

    Examples
    --------
    >>> mup = {"a": ["-1/2", 0, "1/2"], "b": ["1/2"] * 3, "c": [0, 0, 0]}
    >>> rep = coordcheck(mup, 2, "sgd", widths=[64, 128, 256, 512], seeds=8, steps=1,
    ...                  predicted={("f", None, 0): "-1/2", ("dx", 2, 1): 0},
    ...                  executor="serial")
    >>> [c.verdict.value for c in rep.checks]
    ['agree', 'agree']
    """
    L = check_int(depth, "depth", minimum=1)
    p = as_numeric_parametrization(param, depth=L)
    T = check_int(steps, "steps", minimum=0)
    ws = check_widths(widths, minimum_count=3)
    sd = check_seeds(seeds)
    pred = _check_predicted(predicted, L, T) if predicted is not None else None
    if quantities is None and pred:
        quantities = sorted({k[0] for k in pred})
    if eta is None:
        eta = DEFAULT_ETA.get(str(optimizer).lower(), 1.0)
    cfg = SimulationConfig(p, optimizer=optimizer, activation=activation, loss=loss, eta=eta,
                           steps=T, data=data if data is not None else DataConfig(),
                           batch_size=batch_size, dtype=dtype,
                           quantities=tuple(quantities) if quantities is not None else None,
                           **config_options)
    res = sweep(cfg, ws, sd, store=store, executor=executor, n_workers=n_workers,
                scheduler=scheduler, progress=progress, deadline=deadline)
    if pred is None:
        keys: list[Key] = []
        measured = res.measurements[(0, ws[0])].keys
        for name, layer in measured:
            for t in range(T + 1):
                if (t == 0 and name in _ZERO_AT_START) or (t == T and name in _UNDEFINED_AT_END):
                    continue
                keys.append((name, layer, t))
        pred = dict.fromkeys(keys)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    eps = float(np.finfo(np.dtype(cfg.dtype)).eps)
    checks = []
    for (name, layer, t), pv in pred.items():
        vals = res.values(name, layer, t)
        with warnings.catch_warnings():  # a degenerate fit (every seed diverged) is data: its
            warnings.simplefilter("ignore", DegenerateFitWarning)  # note is the row's reason
            fit = fit_exponent(ws, vals, method=fit_method, confidence=confidence, rng=rng)
        comp = compare_detail(pv, fit, tolerance=tolerance, max_ci_width=max_ci_width)
        verdict, reason = comp.verdict, comp.reason
        if name in _DIFFERENCES and not fit.all_zero and pv is not None:
            ref = res.references(name, layer, t)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                # every seed diverged at a width: its mean is NaN, the row already inconclusive
                warnings.simplefilter("ignore", RuntimeWarning)
                floor = np.nanmean(ref, axis=1) * eps * PRECISION_FLOOR
                low = np.nanmean(vals, axis=1) < floor
            if np.any(low):
                verdict = Verdict.INCONCLUSIVE
                reason = (f"below float resolution ({cfg.dtype}) at width(s) "
                          f"{[w for w, lo in zip(ws, low, strict=True) if lo]}")
        checks.append(QuantityCheck(name, layer, t, predicted_string(pv), fit, verdict, reason))
    return CoordCheckReport(tuple(checks), cfg, ws, sd, float(tolerance), float(max_ci_width),
                            res.divergences, res)
