"""Width x seed x config sweeps through an executor, resumable through a :class:`ResultStore`.

A sweep is split into tasks ``(config, width, seed group)``; each task is one batched
:func:`~widthlimits.numerics.simulator.simulate` call.  The driver submits the tasks that are
not already in the store (largest widths first), writes each result to the store as it
arrives (the driver is the only writer), and shows a tqdm progress bar (off when stderr is not
a terminal).  Divergence is data (a :class:`~widthlimits.numerics.simulator.Divergence` in the
result and ``status = 'diverged'`` in the store), never an exception.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.executors import make_executor
from widthlimits.numerics.fits import ExponentFit, fit_exponent
from widthlimits.numerics.simulator import Divergence, Measurements, simulate
from widthlimits.numerics.store import ResultStore, run_key
from widthlimits.numerics.validation import check_int, check_seeds, check_widths


def _task(config_json: dict[str, Any], width: int, seeds: tuple[int, ...]) -> dict[str, Any]:
    """Worker entry point: plain data in, plain arrays out."""
    cfg = SimulationConfig.from_dict(config_json)
    return simulate(cfg, width, seeds).to_arrays()


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Measurements of a sweep.

    Attributes
    ----------
    configs : tuple of SimulationConfig
    widths : tuple of int
    seeds : tuple of int
    measurements : dict
        ``(config index, width) -> Measurements`` with all seeds, in ``seeds`` order.
    n_computed, n_cached : int
        Tasks simulated in this call, and tasks loaded from the store.
    divergences : tuple of Divergence
    """

    configs: tuple[SimulationConfig, ...]
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    measurements: dict[tuple[int, int], Measurements] = field(repr=False)
    n_computed: int = 0
    n_cached: int = 0
    divergences: tuple[Divergence, ...] = ()

    def values(self, name: str, layer: int | None, step: int, config: int = 0) -> np.ndarray:
        """Per-seed values ``(len(widths), len(seeds))`` of one quantity at one step."""
        return np.stack([self.measurements[(config, n)].get(name, layer)[:, step]
                         for n in self.widths])

    def references(self, name: str, layer: int | None, step: int,
                   config: int = 0) -> np.ndarray:
        m = self.measurements
        return np.stack([m[(config, n)].reference[m[(config, n)].index(name, layer), :, step]
                         for n in self.widths])

    def fit(self, name: str, layer: int | None, step: int, config: int = 0,
            **kwargs: Any) -> ExponentFit:
        """:func:`~widthlimits.numerics.fits.fit_exponent` of one quantity over the widths."""
        return fit_exponent(self.widths, self.values(name, layer, step, config), **kwargs)

    def tidy(self) -> list[dict[str, Any]]:
        rows = []
        for (ci, _), m in sorted(self.measurements.items()):
            for r in m.tidy():
                r["config"] = ci
                rows.append(r)
        return rows


def sweep(
    configs: SimulationConfig | Sequence[SimulationConfig],
    widths: Sequence[int],
    seeds: int | Sequence[int] = 4,
    *,
    store: ResultStore | str | os.PathLike[str] | None = None,
    executor: str | cf.Executor = "process",
    n_workers: int | None = None,
    scheduler: str | None = None,
    seeds_per_task: int | None = None,
    progress: bool | None = None,
) -> SweepResult:
    """Run (or load) every config at every width for every seed.

    Parameters
    ----------
    configs : SimulationConfig or sequence of them
    widths : sequence of int
        Strictly increasing.
    seeds : int or sequence of int
        Weight seeds (an int ``k`` means ``0..k-1``).
    store : ResultStore or path, optional
        Where finished runs are kept; a run already there is loaded, not recomputed.
    executor : {"process", "serial", "dask"} or concurrent.futures.Executor
        Backend (see :mod:`widthlimits.numerics.executors`); an executor instance is used as
        is and not shut down.
    n_workers : int, optional
    scheduler : str, optional
        Dask scheduler address ``tcp://HOST:PORT`` (implies ``executor="dask"``).
    seeds_per_task : int, optional
        Seeds per task.  Default: each width's seeds split evenly over the workers of a
        ``"process"`` or local ``"dask"`` executor (``ceil(seeds / n_workers)``), so that the
        largest width, which dominates a sweep, keeps every worker busy; all seeds in one task
        for ``"serial"``, a remote scheduler or an executor instance.  Results do not depend on
        the split (each seed has its own random stream).
    progress : bool or None
        tqdm bar; ``None`` = only on a terminal.

    Returns
    -------
    SweepResult

    Raises
    ------
    RuntimeError
        If some task raised (finished tasks are stored first, so a rerun resumes).
    """
    cfgs = (configs,) if isinstance(configs, SimulationConfig) else tuple(configs)
    if not cfgs or not all(isinstance(c, SimulationConfig) for c in cfgs):
        raise TypeError("`configs` must be a SimulationConfig or a non-empty sequence of them")
    ws = check_widths(widths)
    sd = check_seeds(seeds)
    if seeds_per_task is None:
        local = isinstance(executor, str) and executor != "serial" and scheduler is None
        nw = None if n_workers is None else check_int(n_workers, "n_workers", minimum=1)
        workers = (nw or os.cpu_count() or 1) if local else 1
        spt = -(-len(sd) // workers)
    else:
        spt = check_int(seeds_per_task, "seeds_per_task", minimum=1)
    if store is not None and not isinstance(store, ResultStore):
        store = ResultStore(store)
    if store is not None:
        store.cleanup_temporaries()
    groups = [sd[i:i + spt] for i in range(0, len(sd), spt)]
    tasks = [(ci, n, g, run_key(cfgs[ci], n, g))
             for n in sorted(ws, reverse=True) for ci in range(len(cfgs)) for g in groups]
    parts: dict[tuple[int, int], list[Measurements | None]] = {
        (ci, n): [None] * len(groups) for ci in range(len(cfgs)) for n in ws}
    gidx = {g: i for i, g in enumerate(groups)}
    todo = []
    n_cached = 0
    for ci, n, g, key in tasks:
        m = store.get(key) if store is not None else None
        if m is not None:
            parts[(ci, n)][gidx[g]] = m
            n_cached += 1
        else:
            todo.append((ci, n, g, key))
    errors: list[str] = []
    if todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), initial=n_cached, desc="sweep", unit="run",
                   disable=None if progress is None else not progress)
        try:
            ctx = (make_executor(executor, n_workers=n_workers, scheduler=scheduler)
                   if isinstance(executor, str) or scheduler is not None
                   else _borrowed(executor))
            with ctx as ex:
                futs = {ex.submit(_task, cfgs[ci].to_dict(), n, g): (ci, n, g, key)
                        for ci, n, g, key in todo}
                for fut in cf.as_completed(futs):
                    ci, n, g, key = futs[fut]
                    try:
                        m = Measurements.from_arrays(fut.result())
                    except Exception as exc:  # noqa: BLE001 - collected and re-raised below
                        errors.append(f"width {n}, seeds {list(g)}, config {ci}: {exc!r}")
                        continue
                    if store is not None:
                        store.put(key, cfgs[ci], m)
                    parts[(ci, n)][gidx[g]] = m
                    bar.update(1)
        finally:
            bar.close()
    if errors:
        raise RuntimeError(f"{len(errors)} sweep task(s) failed: " + "; ".join(errors))
    meas = {k: Measurements.concatenate(v) for k, v in parts.items()}  # type: ignore[arg-type]
    divs = tuple(d for m in meas.values() for d in m.diverged)
    return SweepResult(cfgs, ws, sd, meas, len(todo), n_cached, divs)


class _borrowed:
    """Use a caller's executor without shutting it down."""

    def __init__(self, ex: Any) -> None:
        if not isinstance(ex, cf.Executor):
            raise TypeError(f"`executor` must be 'serial', 'process', 'dask' or a "
                            f"concurrent.futures.Executor, got {ex!r}")
        self.ex = ex

    def __enter__(self) -> cf.Executor:
        return self.ex

    def __exit__(self, *exc: object) -> None:
        return None
