"""Sweeps of the residual simulator over depth L (fixed width) and over (n, L) jointly, and the
depth exponents fitted with :func:`widthlimits.numerics.fits.fit_exponent` (the one slope
fitter: its "widths" axis is here the depth, or the width for the joint sweep's rows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from widthlimits.numerics.fits import ExponentFit, fit_exponent
from widthlimits.numerics.residual import MEASURED, ResidualConfig, simulate_residual


@dataclass(frozen=True, eq=False)
class DepthSweep:
    """values[q] has shape (len(depths), n_seeds): per-seed RMS of quantity q at each depth."""

    depths: tuple[int, ...]
    width: int
    seeds: tuple[int, ...]
    values: dict[str, np.ndarray] = field(repr=False)
    diverged: tuple[tuple[int, int], ...] = ()  # (depth, seed)

    def fit(self, quantity: str, rng: int = 0) -> ExponentFit:
        """The fitted depth exponent of ``quantity`` with its bootstrap CI over seeds."""
        return fit_exponent(self.depths, self.values[quantity], rng=rng)


def depth_sweep(make_config: Callable[[int], ResidualConfig], depths: Sequence[int],
                seeds: Sequence[int] = (0, 1, 2, 3)) -> DepthSweep:
    """Simulate ``make_config(L)`` for every depth (all seeds batched per depth)."""
    ds = tuple(int(L) for L in depths)
    if list(ds) != sorted(set(ds)) or len(ds) < 2:
        raise ValueError(f"`depths` must be at least 2 strictly increasing ints, got {depths!r}")
    seeds = tuple(int(s) for s in seeds)
    values = {q: np.full((len(ds), len(seeds)), np.nan) for q in MEASURED}
    diverged = []
    width = None
    for i, L in enumerate(ds):
        cfg = make_config(L)
        if cfg.depth != L:
            raise ValueError(f"make_config({L}) returned depth {cfg.depth}")
        width = cfg.width
        run = simulate_residual(cfg, seeds)
        for q in MEASURED:
            values[q][i] = run.values[q]
        diverged += [(L, s) for s in run.diverged]
    return DepthSweep(ds, int(width), seeds, values, tuple(diverged))  # type: ignore[arg-type]


def joint_sweep(make_config: Callable[[int, int], ResidualConfig], widths: Sequence[int],
                depths: Sequence[int], seeds: Sequence[int] = (0, 1, 2, 3)) -> dict[int, DepthSweep]:
    """One depth sweep per width: ``{width: DepthSweep}`` (the (n, L) grid)."""
    return {int(n): depth_sweep(lambda L, n=n: make_config(int(n), L), depths, seeds) for n in widths}


def fit_all(sweep: DepthSweep, quantities: Sequence[str] | None = None) -> dict[str, Any]:
    return {q: sweep.fit(q) for q in (quantities or MEASURED)}
