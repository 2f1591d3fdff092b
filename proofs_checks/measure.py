"""Join the halves: the engine's predicted exponents and the numeric layer's fitted ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.fits import ExponentFit, fit_exponent
from widthlimits.numerics.fits import local_slope as local_slope  # re-export: one fitter
from widthlimits.numerics.simulator import simulate
from widthlimits.theory.engine import EngineResult
from widthlimits.theory.exponents import is_neg_inf

Key = tuple[str, int | None, int]


def engine_predictions(res: EngineResult) -> dict[Key, float]:
    """Engine exponents as floats (``-inf`` for identically zero), keyed like the measurements."""
    out = {}
    for key, e in res.exponents.items():
        out[key] = float("-inf") if is_neg_inf(e) else float(e)  # type: ignore[arg-type]
    return out


def measure_exponents(
    config: SimulationConfig,
    widths: Sequence[int],
    seeds: int | Sequence[int],
    keys: Sequence[Key],
    *,
    rng: int = 0,
) -> dict[Key, ExponentFit]:
    """Simulate ``config`` at every width (seeds batched) and fit each requested quantity."""
    per_width = [simulate(config, int(n), seeds) for n in widths]
    fits: dict[Key, ExponentFit] = {}
    for name, layer, t in keys:
        vals = np.stack([m.get(name, layer)[:, t] for m in per_width])  # (widths, seeds)
        fits[(name, layer, t)] = fit_exponent(list(widths), vals, rng=rng)
    return fits


def as_float(e: Any) -> float:
    return float("-inf") if is_neg_inf(e) else float(e)
