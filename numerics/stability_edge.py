"""The stability edge of a finite-width net, measured: its largest stable learning rate.

The learning rates are ``2^s`` times the constants of ``config.eta`` (so each layer keeps its
width factor :math:`n^{-c_l}` and its own constant); ``s`` is the *log2 multiplier*.

A run is **unstable** when its final training loss is not finite or exceeds its initial loss:
after ``config.steps`` steps it ended worse than it started (a run that spikes and recovers,
e.g. a catapult, counts as stable).  The edge of one seed is found in two stages:

1. **scan**: the increasing grid of multipliers, every seed batched in one simulation per grid
   point, until every seed has been unstable at some grid point; a seed's bracket is its last
   stable grid point and the first unstable one after it;
2. **bisect**: the bracket is halved in ``s`` until it is at most ``resolution`` octaves wide;
   seeds whose current midpoints coincide share one simulation.

The edge is the bracket's midpoint (NaN when the seed is unstable at the grid's first point or
stable at its last: the grid does not bracket it).  Between the scan's stable point and the
first unstable one a seed can only have a *lowest* unstable multiplier found to within the
resolution if instability is monotone there; where it is not, the bisection returns one
stable-to-unstable transition inside the bracket.

This is the quantity Tensor Programs' largest stable learning rate speaks about: if the limit
is stable exactly for :math:`c_l \\ge c^*_l` then at width ``n`` the edge of a rate
:math:`\\eta\\,n^{-c_l}` moves as :math:`n^{c_l - c^*_l}` (TP4, arXiv:2011.14522, Thm 3.3 and
its SP corollary: SGD's largest stable rate falls as :math:`1/n`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.simulator import simulate
from widthlimits.numerics.validation import InvalidInput, check_seeds


def unstable_runs(loss: np.ndarray) -> np.ndarray:
    """``loss[seed, step]`` (NaN from a divergence on) -> per seed: the final loss is not finite
    or exceeds the initial loss."""
    loss = np.asarray(loss, dtype=float)
    final, first = loss[:, -1], loss[:, 0]
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(final) | (final > first)


@dataclass(frozen=True)
class StabilityEdge:
    """The measured edge at one width.

    Attributes
    ----------
    width : int
    seeds : tuple of int
    log2_edge : ndarray, shape (len(seeds),)
        Per seed the midpoint of its final bracket, in log2 multipliers; NaN when not bracketed.
    low, high : ndarray, shape (len(seeds),)
        The final bracket per seed: ``low`` stable, ``high`` unstable (NaN when not bracketed).
    reason : tuple of str
        Per seed ``""`` or why it is not bracketed.
    simulations : int
        Calls of the simulator spent.
    """

    width: int
    seeds: tuple[int, ...]
    log2_edge: np.ndarray
    low: np.ndarray
    high: np.ndarray
    reason: tuple[str, ...]
    simulations: int

    def as_dict(self) -> dict:
        def num(v: np.ndarray) -> list:
            return [None if not np.isfinite(x) else float(x) for x in v]

        return {"width": self.width, "seeds": list(self.seeds), "log2_edge": num(self.log2_edge),
                "low": num(self.low), "high": num(self.high), "reason": list(self.reason),
                "simulations": self.simulations}


def _scaled(config: SimulationConfig, s: float) -> SimulationConfig:
    return replace(config, eta=tuple(float(e) * 2.0 ** s for e in config.eta))


def stability_edge(config: SimulationConfig, width: int, seeds: object, grid: Sequence[float],
                   *, resolution: float = 1 / 32,
                   run: Callable[[SimulationConfig, int, tuple[int, ...]], np.ndarray] | None = None,
                   ) -> StabilityEdge:
    """Measure the largest stable log2 learning-rate multiplier per seed (module docstring).

    Parameters
    ----------
    config : SimulationConfig
        The experiment; its ``eta`` are the constants the multiplier ``2^s`` scales.
    width : int
    seeds : int or sequence of int
    grid : sequence of float
        Strictly increasing log2 multipliers scanned first (e.g. ``[-4, -3.5, ..., 4]``).
    resolution : float
        Width of the final bracket, in octaves (> 0).
    run : callable, optional
        ``run(config, width, seeds) -> loss[seed, step]``; default: the simulator's training
        loss.  (Tests pass a synthetic one.)

    Returns
    -------
    StabilityEdge

    Examples
    --------
    >>> from widthlimits.numerics.config import SimulationConfig
    >>> mup = {"a": ["-1/2", 0, "1/2"], "b": ["1/2"] * 3, "c": [0, 0, 0]}
    >>> e = stability_edge(SimulationConfig(mup, steps=5), 64, 2, [0, 2, 4, 6])
    >>> e.log2_edge.shape
    (2,)
    """
    seeds_t = check_seeds(seeds)
    g = np.asarray([float(s) for s in grid])
    if g.size < 2 or not np.all(np.isfinite(g)) or np.any(np.diff(g) <= 0):
        raise InvalidInput("`grid` must hold at least 2 finite, strictly increasing log2 multipliers")
    if not (resolution > 0):
        raise InvalidInput(f"`resolution` must be > 0, got {resolution!r}")
    if run is None:
        def run(cfg: SimulationConfig, n: int, ss: tuple[int, ...]) -> np.ndarray:
            return simulate(cfg, n, seeds=ss).loss

    S = len(seeds_t)
    low = np.full(S, np.nan)
    high = np.full(S, np.nan)
    reason = [""] * S
    sims = 0
    # 1. scan, all seeds batched
    last_stable = np.full(S, np.nan)
    open_ = np.ones(S, dtype=bool)
    for s in g:
        bad = unstable_runs(run(_scaled(config, s), width, seeds_t))
        sims += 1
        for i in np.flatnonzero(open_ & bad):
            open_[i] = False
            if np.isnan(last_stable[i]):
                reason[i] = f"unstable at the grid's first point 2^{g[0]:g}"
            else:
                low[i], high[i] = last_stable[i], s
        last_stable = np.where(open_ & ~bad, s, last_stable)
        if not open_.any():
            break
    for i in np.flatnonzero(open_):
        reason[i] = f"stable at the grid's last point 2^{g[-1]:g}"
    # 2. bisect, seeds with equal midpoints share a simulation
    while True:
        todo = [i for i in range(S) if np.isfinite(low[i]) and high[i] - low[i] > resolution]
        if not todo:
            break
        groups: dict[float, list[int]] = {}
        for i in todo:
            groups.setdefault(float((low[i] + high[i]) / 2), []).append(i)
        for mid, idx in sorted(groups.items()):
            bad = unstable_runs(run(_scaled(config, mid), width, tuple(seeds_t[i] for i in idx)))
            sims += 1
            for i, b in zip(idx, bad, strict=True):
                if b:
                    high[i] = mid
                else:
                    low[i] = mid
    edge = (low + high) / 2
    return StabilityEdge(int(width), seeds_t, edge, low, high, tuple(reason), sims)
