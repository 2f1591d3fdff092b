"""Executors for sweeps: serial, local processes (default), or a Dask cluster.

Every backend is a :class:`concurrent.futures.Executor`, so the sweep driver is one loop over
futures.  Seeds are explicit (``SeedSequence([init_seed, width,
seed])``), so results do not depend on the backend or on scheduling order.

* ``"serial"``: runs each task in the calling process when it is submitted.
* ``"process"``: loky's ``ProcessPoolExecutor`` (shipped with joblib): fresh worker
  processes that, unlike ``multiprocessing``'s spawn, do not re-import the caller's
  ``__main__`` (so a plain script without ``if __name__ == "__main__"`` works).  BLAS in each
  worker is limited to ``threads_per_worker`` threads (default ``cpu_count // n_workers``)
  through ``OMP/OPENBLAS/MKL_NUM_THREADS``.  Each worker watches its parent
  (:func:`watch_parent`): when the driver dies, even by SIGKILL, its workers exit within about
  a second instead of living on as orphans.
* ``"dask"``: ``distributed.Client(scheduler).get_executor()`` when ``scheduler`` is an address
  such as ``tcp://HOST:PORT``, else an embedded ``LocalCluster`` (``threads_per_worker=1``,
  no dashboard).  Needs the ``dask`` extra.  A scheduler address is probed first
  (:func:`~widthlimits.numerics.validation.check_scheduler`), so a dead one fails in seconds.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from widthlimits.numerics.validation import check_choice, check_int, check_scheduler

EXECUTOR_KINDS: tuple[str, ...] = ("serial", "process", "dask")
_BLAS_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class SerialExecutor(cf.Executor):
    """Runs each submitted call immediately in the calling process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future
            fut.set_exception(exc)
        return fut


@contextlib.contextmanager
def _deferred_sigint() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block ends, then raise ``KeyboardInterrupt``.

    A ``KeyboardInterrupt`` raised while loky starts its workers leaves the pool half built
    (measured: ``EOFError`` tracebacks from the spawn pipe, and a driver that hangs).  Only
    Python's default handler is deferred, and only in the main thread (the only one that can
    set handlers); an ignored SIGINT (a background job) or a caller's own handler is left
    alone."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    got: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
    if got:
        raise KeyboardInterrupt


#: seconds between a worker's looks at its parent
PARENT_POLL = 0.5


def watch_parent(parent_pid: int) -> None:
    """Worker initializer: end this process when ``parent_pid`` is no longer its parent.

    A daemon thread compares ``os.getppid()`` with the driver's pid every :data:`PARENT_POLL`
    seconds; when the driver dies the worker is re-parented (to init or a subreaper) and exits
    at once with ``os._exit`` (no cleanup that could block on the dead driver's pipes)."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(PARENT_POLL)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def make_executor(
    kind: str = "process",
    *,
    n_workers: int | None = None,
    scheduler: str | None = None,
    threads_per_worker: int | None = None,
) -> Iterator[cf.Executor]:
    """Context manager yielding a ``concurrent.futures.Executor``.

    Parameters
    ----------
    kind : {"serial", "process", "dask"}
    n_workers : int, optional
        Worker processes (default: ``os.cpu_count()``; for ``dask`` with a ``scheduler``
        address it is ignored).
    scheduler : str, optional
        Dask scheduler address (``tcp://HOST:PORT``); implies ``kind="dask"``.
    threads_per_worker : int, optional
        BLAS threads per worker process.

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    ImportError
        For ``dask`` without the ``dask`` extra installed.
    """
    if scheduler == "local":
        scheduler, kind = None, "dask"
    if scheduler is not None:
        check_scheduler(scheduler)
        kind = "dask"
    kind = check_choice(kind, "executor", EXECUTOR_KINDS)
    ncpu = os.cpu_count() or 1
    nw = ncpu if n_workers is None else check_int(n_workers, "n_workers", minimum=1)
    tpw = (max(1, ncpu // nw) if threads_per_worker is None
           else check_int(threads_per_worker, "threads_per_worker", minimum=1))
    if kind == "serial":
        yield SerialExecutor()
        return
    if kind == "process":
        from joblib.externals.loky import ProcessPoolExecutor

        ex = None
        try:
            with _deferred_sigint():  # loky's worker start-up is not safe to interrupt
                ex = ProcessPoolExecutor(max_workers=nw, env={k: str(tpw) for k in _BLAS_ENV},
                                         initializer=watch_parent, initargs=(os.getpid(),))
                ex.submit(int).result()  # start the workers now, inside the deferral
        except BaseException:
            if ex is not None:
                ex.shutdown(wait=False, kill_workers=True)
            raise
        try:
            yield ex
        except BaseException:  # an error or a deadline: do not wait for running tasks
            ex.shutdown(wait=False, kill_workers=True)
            raise
        ex.shutdown(wait=True)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("the dask executor needs the dask extra: "
                          "pip install 'widthlimits[dask]'") from exc
    if scheduler is not None:
        with Client(scheduler, timeout="10s") as client:
            yield client.get_executor()
        return
    with _env({k: str(tpw) for k in _BLAS_ENV}):
        with LocalCluster(n_workers=nw, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client.get_executor()
