"""Width x seed x config sweeps through an executor, resumable through a :class:`ResultStore`.

A sweep is split into tasks ``(config, width, seed group)``; each task is one batched
:func:`~widthlimits.numerics.simulator.simulate` call.  The driver submits the tasks that are
not already in the store (largest widths first), writes each result to the store as it
finishes (the driver is the only writer; a serial sweep stores each task before starting the
next), and shows its progress (:mod:`widthlimits.numerics.progress`).  Drivers sharing a store
split the work through the store's claims.  Divergence is data (a
:class:`~widthlimits.numerics.measurements.Divergence` in the result and ``status = 'diverged'``
in the store), never an exception.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.executors import SerialExecutor, make_executor
from widthlimits.numerics.measurements import Divergence, Measurements
from widthlimits.numerics.progress import Progress
from widthlimits.numerics.simulator import simulate
from widthlimits.numerics.store import ResultStore, run_key
from widthlimits.numerics.validation import check_int, check_memory, check_seeds, check_widths

if TYPE_CHECKING:
    from widthlimits.numerics.fits import ExponentFit


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
        from widthlimits.numerics.fits import fit_exponent

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
    deadline: float | None = None,
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
        A tqdm bar on a terminal; off a terminal one line per finished run with the elapsed time
        (:class:`~widthlimits.numerics.progress.Progress`); ``False`` silences both.
    deadline : float, optional
        ``time.monotonic()`` after which no new task starts; if tasks remain,
        :class:`SweepIncomplete` is raised (the finished ones are stored).

    Returns
    -------
    SweepResult

    Raises
    ------
    RuntimeError
        If some task raised (finished tasks are stored first, so a rerun resumes).
    InvalidInput
        If the estimated memory (:func:`task_bytes` times the tasks run at once) exceeds what
        is available (:func:`~widthlimits.numerics.validation.check_memory`), before anything
        is computed.
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
    # rows present now: a task still to do that has one had its arrays fail get() (recompute it)
    damaged = store.keys() if store is not None else set()
    for ci, n, g, key in tasks:
        m = store.get(key) if store is not None else None
        if m is not None:
            parts[(ci, n)][gidx[g]] = m
            n_cached += 1
        else:
            todo.append((ci, n, g, key))
    errors: list[str] = []
    n_computed = 0
    if todo:
        concurrent = _concurrency(executor, n_workers, scheduler)
        ci0, n0, g0, _ = todo[0]  # the largest width comes first
        at_once = 1 if scheduler is not None and scheduler != "local" else concurrent  # here
        check_memory(at_once * task_bytes(cfgs[ci0], n0, len(g0)),
                     f"the sweep (width {n0}, {at_once} task(s) at once)")
        progress_bar = Progress(len(tasks), n_cached, "sweep", unit="run", enabled=progress)
        try:
            ctx = (make_executor(executor, n_workers=n_workers, scheduler=scheduler)
                   if isinstance(executor, str) or scheduler is not None
                   else _borrowed(executor))
            with ctx as ex:
                for (ci, n, g, key), m, err in _drive(ex, todo, cfgs, store, concurrent, deadline,
                                                      damaged):
                    if err is not None:
                        errors.append(f"width {n}, seeds {list(g)}, config {ci}: {err}")
                        continue
                    if m is None:  # finished by another driver sharing the store
                        m = store.get(key) if store is not None else None
                        if m is None:
                            errors.append(f"width {n}, seeds {list(g)}, config {ci}: "
                                          f"another driver's result could not be read")
                            continue
                        n_cached += 1
                    else:
                        n_computed += 1
                    parts[(ci, n)][gidx[g]] = m
                    progress_bar.update(f"width {n}, seeds {g[0]}..{g[-1]}")
                missing = [k for k, v in parts.items() if any(x is None for x in v)]
                if missing and not errors:  # the deadline: raised inside, so workers are killed
                    raise SweepIncomplete(
                        f"the time limit ended the sweep with {len(missing)} of {len(parts)} "
                        f"(config, width) cells unfinished"
                        + ("; the finished runs are stored" if store is not None else ""), missing)
        finally:
            progress_bar.close()
            if store is not None:
                store.release()
                store.stop_heartbeat()
    if errors:
        raise RuntimeError(f"{len(errors)} sweep task(s) failed: " + "; ".join(errors))
    meas = {k: Measurements.concatenate(v) for k, v in parts.items()}  # type: ignore[arg-type]
    divs = tuple(d for m in meas.values() for d in m.diverged)
    return SweepResult(cfgs, ws, sd, meas, n_computed, n_cached, divs)


class SweepIncomplete(RuntimeError):
    """The sweep's deadline passed before every task finished (finished tasks are stored)."""

    def __init__(self, message: str, missing: list[tuple[int, int]]) -> None:
        super().__init__(message)
        self.missing = missing


def _concurrency(executor: Any, n_workers: int | None, scheduler: str | None) -> int:
    """Tasks in flight at once (each claimed just before it is submitted): one for the serial
    executor, the workers of a local pool or of a caller's executor, many for a remote Dask
    scheduler (whose workers are not counted here)."""
    if isinstance(executor, cf.Executor):
        if isinstance(executor, SerialExecutor):
            return 1
        return n_workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    if executor == "serial" and scheduler is None:
        return 1
    if scheduler is not None and scheduler != "local":
        return 256
    return n_workers or os.cpu_count() or 1


def _drive(ex: cf.Executor, todo: list, cfgs: tuple[SimulationConfig, ...],
           store: ResultStore | None, window: int, deadline: float | None,
           damaged: set[str]) -> Iterator[tuple[tuple, Measurements | None, str | None]]:
    """Yield ``(task, measurements or None, error or None)`` as tasks finish.

    At most ``window`` tasks are in flight, each claimed in the store just before it is
    submitted and stored the moment it finishes (so a killed sweep keeps every finished task);
    a task another live driver holds is left to it and picked up from the store when it lands
    (``None`` measurements).  After ``deadline`` (``time.monotonic()``) nothing new starts."""
    queue = deque(todo)
    in_flight: dict[cf.Future, tuple] = {}
    elsewhere: list[tuple] = []
    while queue or in_flight or elsewhere:
        if deadline is not None and time.monotonic() >= deadline:
            for fut, task in in_flight.items():  # running ones are abandoned (workers killed)
                fut.cancel()
                if store is not None:
                    store.release(task[3])
            return
        while queue and len(in_flight) < window:
            task = queue.popleft()
            ci, n, g, key = task
            state = "claimed" if store is None else store.claim(key, redo=key in damaged)
            if state == "done":
                yield task, None, None
                continue
            if state == "busy":
                elsewhere.append(task)
                continue
            in_flight[ex.submit(_task, cfgs[ci].to_dict(), n, g)] = task
        if in_flight:
            wait = _POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic()))
            done, _ = cf.wait(in_flight, timeout=wait, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                task = in_flight.pop(fut)
                ci, n, g, key = task
                try:
                    m = Measurements.from_arrays(fut.result())
                except Exception as exc:  # noqa: BLE001 - reported by the caller
                    if store is not None:
                        store.release(key)
                    yield task, None, repr(exc)
                    continue
                if store is not None:
                    store.put(key, cfgs[ci], m)
                yield task, m, None
        elif elsewhere:
            time.sleep(_POLL)
            queue.extend(elsewhere)  # finished ones come back "done"; abandoned ones are taken over
            elsewhere.clear()


#: seconds between looks at the store while waiting for another driver's tasks
_POLL = 0.5


def task_bytes(config: SimulationConfig, width: int, n_seeds: int) -> float:
    """Estimated peak memory of one task (one :func:`simulate` call), in bytes.

    Per seed of a seed group (:func:`~widthlimits.numerics.simulator.auto_seed_batch`): the
    hidden ``n x n`` matrices (weights; their initial values or a dense update; the optimizer's
    moments; the gradient and one temporary), the input and readout layers, and activations of
    every layer over the batch.  An upper estimate; it is used to refuse, not to plan."""
    from widthlimits.numerics.simulator import auto_seed_batch, uses_lowrank

    L = config.param.depth
    n = int(width)
    item = 8 if config.dtype == "float64" else 4
    lowrank = uses_lowrank(config, n)
    matrices = 2 if lowrank else 3 + {"adam": 2, "rmsprop": 1, "momentum": 1}.get(config.optimizer, 0)
    d_in, B = config.data.d_in, config.data.n_samples
    per_seed = item * (matrices * ((L - 1) * n * n + (d_in + 1) * n) + 8 * (L + 1) * n * B)
    seeds_at_once = auto_seed_batch(config, n, n_seeds) if L >= 2 else n_seeds
    return float(per_seed * seeds_at_once)


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
