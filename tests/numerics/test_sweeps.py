"""Sweeps, the result store (durability under SIGKILL), executors (serial/process/dask)."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig
from widthlimits.numerics.store import ResultStore, run_key
from widthlimits.numerics.sweeps import sweep

H = 0.5
MUP = {"a": [-H, 0, H], "b": [H, H, H], "c": [0, 0, 0]}
SMALL = SimulationConfig(MUP, steps=2, data=DataConfig(n_samples=8, d_in=4))


def test_store_roundtrip_and_resume(tmp_path) -> None:
    r1 = sweep(SMALL, [16, 32, 64], seeds=3, store=tmp_path, executor="serial")
    assert (r1.n_computed, r1.n_cached) == (3, 0)
    r2 = sweep(SMALL, [16, 32, 64], seeds=3, store=tmp_path, executor="serial")
    assert (r2.n_computed, r2.n_cached) == (0, 3)
    np.testing.assert_array_equal(r1.values("dh", 2, 1), r2.values("dh", 2, 1))
    # a new width only computes the new width
    r3 = sweep(SMALL, [16, 32, 64, 128], seeds=3, store=tmp_path, executor="serial")
    assert (r3.n_computed, r3.n_cached) == (1, 3)
    assert ResultStore(tmp_path).verify() == []


def test_corrupt_array_is_recomputed(tmp_path) -> None:
    sweep(SMALL, [16, 32], seeds=2, store=tmp_path, executor="serial")
    store = ResultStore(tmp_path)
    key = run_key(SMALL, 32, (0, 1))
    with open(tmp_path / "arrays" / f"{key}.npz", "r+b") as fh:
        fh.seek(40)
        fh.write(b"garbage")
    assert store.get(key) is None and store.verify() == [key]
    r = sweep(SMALL, [16, 32], seeds=2, store=tmp_path, executor="serial")
    assert (r.n_computed, r.n_cached) == (1, 1)
    assert store.verify() == []


# The child pauses after its third stored run, so the kill lands with some runs finished and
# most not, however fast the machine is (CI once finished all 24 runs, ~30 ms each, before
# the parent's poll saw the third).
_CHILD = textwrap.dedent("""
    import sys
    import time
    from widthlimits.numerics import store as _store
    _put = _store.ResultStore.put
    def _put_then_pause(self, *args, **kwargs):
        _put(self, *args, **kwargs)
        if len(self) >= 3:
            time.sleep(600)
    _store.ResultStore.put = _put_then_pause
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig
    from widthlimits.numerics.sweeps import sweep
    cfg = SimulationConfig({"a": [-0.5, 0, 0.5], "b": [0.5] * 3, "c": [0.5, 1, 0.5]},
                           optimizer="adam", steps=6, data=DataConfig(n_samples=16, d_in=4))
    sweep(cfg, WIDTHS, seeds=4, seeds_per_task=1, store=sys.argv[1], executor="serial",
          progress=False)
""")
WIDTHS = [96, 128, 160, 192, 224, 256]


def test_sigkill_mid_sweep_then_resume(tmp_path) -> None:
    """A sweep killed with SIGKILL restarts without recomputing finished runs, and no record is
    corrupt (issue 5, "Durability")."""
    code = _CHILD.replace("WIDTHS", repr(WIDTHS))
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    db = tmp_path / "runs.sqlite"
    deadline = time.time() + 60
    done = 0
    try:
        while time.time() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    with sqlite3.connect(db, timeout=5) as con:
                        done = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
            if done >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    store = ResultStore(tmp_path)
    before = {r.key: r.created for r in store.records()}
    assert 3 <= len(before) < len(WIDTHS) * 4
    assert store.verify() == []
    cfg = SimulationConfig({"a": [-0.5, 0, 0.5], "b": [0.5] * 3, "c": [0.5, 1, 0.5]},
                           optimizer="adam", steps=6, data=DataConfig(n_samples=16, d_in=4))
    r = sweep(cfg, WIDTHS, seeds=4, seeds_per_task=1, store=tmp_path, executor="serial",
              progress=False)
    assert r.n_cached == len(before)
    assert r.n_computed == len(WIDTHS) * 4 - len(before)
    after = {rec.key: rec.created for rec in store.records()}
    assert all(after[k] == t for k, t in before.items())  # untouched, not recomputed
    assert store.verify() == [] and not list((tmp_path / "arrays").glob(".*.tmp"))
    # and the resumed numbers equal a fresh computation
    fresh = sweep(cfg, WIDTHS[:2], seeds=4, executor="serial", progress=False)
    np.testing.assert_array_equal(fresh.values("dh", 2, 3), r.values("dh", 2, 3)[:2])


def test_divergence_is_stored_as_a_record(tmp_path) -> None:
    cfg = SimulationConfig({"a": [0, 0, 0], "b": [0, H, H], "c": [-1, -1, -1]}, eta=50.0,
                           steps=5, activation="relu",
                           data=DataConfig(n_samples=8, target="constant", target_value=100.0))
    r = sweep(cfg, [128, 256], seeds=2, store=tmp_path, executor="serial")
    assert r.divergences and all("diverged at step" in d.message for d in r.divergences)
    recs = ResultStore(tmp_path).records()
    assert {x.status for x in recs} == {"diverged"}
    assert any("width 256" in msg for x in recs for msg in x.diverged)


def test_process_executor_gives_the_same_numbers() -> None:
    a = sweep(SMALL, [16, 32], seeds=2, executor="serial")
    b = sweep(SMALL, [16, 32], seeds=2, executor="process", n_workers=2, seeds_per_task=1)
    np.testing.assert_array_equal(a.values("dx", 2, 2), b.values("dx", 2, 2))


def test_dask_local_cluster_gives_the_same_numbers() -> None:
    pytest.importorskip("distributed")
    a = sweep(SMALL, [16, 32], seeds=2, executor="serial")
    b = sweep(SMALL, [16, 32], seeds=2, executor="dask", n_workers=2)
    for q, layer in [("dx", 2), ("f", None), ("dW", 3)]:
        np.testing.assert_array_equal(a.values(q, layer, 1), b.values(q, layer, 1))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"widths": [64, 32]}, ValueError, "strictly increasing"),
        ({"widths": [0, 32]}, ValueError, "widths"),
        ({"seeds": 0}, ValueError, "seeds"),
        ({"seeds": [1, 1]}, ValueError, "distinct"),
        ({"executor": "ray"}, ValueError, "unknown `executor`"),
        ({"scheduler": "localhost"}, ValueError, "tcp://"),
        ({"seeds_per_task": 0}, ValueError, "seeds_per_task"),
    ],
)
def test_sweep_input_validation(kwargs: dict, exc: type, match: str) -> None:
    args = {"widths": [16, 32], "seeds": 2, "executor": "serial"} | kwargs
    with pytest.raises(exc, match=match):
        sweep(SMALL, **args)


def test_default_split_keeps_every_process_worker_busy_and_changes_no_number() -> None:
    # 4 seeds on 2 process workers: two tasks per width (the largest width no longer runs on
    # one worker while the other idles); serial keeps one task per width; same numbers
    serial = sweep(SMALL, [16, 32], seeds=4, executor="serial", progress=False)
    split = sweep(SMALL, [16, 32], seeds=4, executor="process", n_workers=2, progress=False)
    assert serial.n_computed == 2 and split.n_computed == 4
    for n in (16, 32):
        np.testing.assert_array_equal(serial.measurements[(0, n)].values,
                                      split.measurements[(0, n)].values)


def test_code_fingerprint_ignores_documentation_but_not_code() -> None:
    from widthlimits.numerics.store import code_fingerprint

    src = 'def f(x):\n    """Doubles."""\n    return 2 * x  # twice\n'
    base = code_fingerprint(src)
    assert code_fingerprint(src.replace("Doubles.", "Twice x.")) == base
    assert code_fingerprint(src.replace("# twice", "# x + x")) == base
    assert code_fingerprint('"""Module doc."""\n' + src) == base
    assert code_fingerprint(src.replace("2 * x", "3 * x")) != base
    assert code_fingerprint(src.replace('"""Doubles."""', 'print("Doubles.")')) != base


# ---------------------------------------------------------------------------- durability (issue 13)
_DRIVER = textwrap.dedent("""
    import json, pathlib, sys, time
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig
    from widthlimits.numerics.sweeps import sweep
    store, executor, go = sys.argv[1], sys.argv[2], sys.argv[3]
    while go != "-" and not pathlib.Path(go).exists():
        time.sleep(0.01)
    cfg = SimulationConfig({"a": [-0.5, 0, 0.5], "b": [0.5] * 3, "c": [0.5, 1, 0.5]},
                           optimizer="adam", steps=STEPS, data=DataConfig(n_samples=16, d_in=4))
    r = sweep(cfg, WIDTHS, seeds=4, seeds_per_task=1, store=store, executor=executor,
              n_workers=2, progress=False)
    print(json.dumps([r.n_computed, r.n_cached]))
""")


def _rows(db, table: str = "runs") -> int:
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (from /proc)."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = set(), [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _driver(tmp_path, executor: str, go: str = "-", steps: int = 6, widths=None):
    code = _DRIVER.replace("WIDTHS", repr(widths or WIDTHS)).replace("STEPS", str(steps))
    return subprocess.Popen([sys.executable, "-c", code, str(tmp_path), executor, go],
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
                            stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("executor", ["serial", "process"])
def test_killed_sweep_keeps_every_finished_task_and_leaves_no_process(tmp_path, executor) -> None:
    """SIGKILL of the driver mid-sweep: every task finished before the kill is in the store
    (the serial executor used to store nothing until all were done), and no process of the
    sweep (workers, loky's resource tracker) outlives the driver by more than 5 s."""
    widths = [256, 320, 384, 448, 512, 576]
    proc = _driver(tmp_path, executor, steps=30, widths=widths)
    db = tmp_path / "runs.sqlite"
    deadline = time.time() + 120
    try:
        # kill it while it holds a claim: right after a task is stored the serial executor
        # may not have claimed the next yet (a kill in that gap left no claim to take over,
        # and the test failed once in CI)
        while time.time() < deadline and proc.poll() is None and (
                _rows(db) < 2 or _rows(db, "claims") < 1):
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        family = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.time()
    finally:
        proc.wait(30)
    stored = _rows(db)
    assert 2 <= stored < len(widths) * 4
    if executor == "process":
        assert family, "the process executor started no worker"
    while any(_alive(p) for p in family) and time.time() - killed_at < 5:
        time.sleep(0.1)
    left = [p for p in family if _alive(p)]
    for p in left:  # do not leave them behind even when the test fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"{len(left)} process(es) of the sweep outlived it by 5 s"
    store = ResultStore(tmp_path)
    assert store.verify() == []
    cfg = SimulationConfig({"a": [-0.5, 0, 0.5], "b": [0.5] * 3, "c": [0.5, 1, 0.5]},
                           optimizer="adam", steps=30, data=DataConfig(n_samples=16, d_in=4))
    # the killed driver's claims are abandoned (its pid is gone): the rerun takes them over at
    # once, without waiting for the lease to run out
    with sqlite3.connect(tmp_path / "runs.sqlite") as con:
        held = con.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
    assert held >= 1  # it died holding claims
    assert store.claimed_by_others() == set()  # ... which count as abandoned at once
    r = sweep(cfg, widths[-2:], seeds=4, seeds_per_task=1, store=tmp_path, executor="serial",
              progress=False)
    assert r.n_computed + r.n_cached == 8


def test_two_drivers_on_one_store_compute_each_task_once(tmp_path) -> None:
    go = tmp_path / "go"
    procs = [_driver(tmp_path, "serial", str(go)) for _ in range(2)]
    time.sleep(0.5)
    go.write_text("")
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = [json.loads(o.strip().splitlines()[-1]) for o in outs]
    total = len(WIDTHS) * 4
    assert sum(c[0] for c in counts) == total, counts  # computed once, in all
    assert all(c[0] + c[1] == total for c in counts), counts  # each driver has every result
    assert all(c[0] > 0 for c in counts), counts  # and both did work
    assert ResultStore(tmp_path).verify() == []
    with sqlite3.connect(tmp_path / "runs.sqlite") as con:
        assert con.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_garbage_store_is_one_line_with_a_way_out(tmp_path) -> None:
    (tmp_path / "runs.sqlite").write_bytes(b"this is not a database" * 100)
    from widthlimits.numerics.store import StoreError

    with pytest.raises(StoreError, match="--fresh") as info:
        ResultStore(tmp_path)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    store = ResultStore(tmp_path, fresh=True)
    assert len(store) == 0 and list(tmp_path.glob("runs.sqlite.broken-*"))
    sweep(SMALL, [16, 32], seeds=2, store=tmp_path, executor="serial", progress=False)
    assert len(ResultStore(tmp_path, fresh=True)) == 2  # a readable store is kept


def test_sweep_refuses_before_allocating_with_the_estimate() -> None:
    from widthlimits.numerics.validation import InvalidInput

    with pytest.raises(InvalidInput, match=r"needs about .* of memory, above the"):
        sweep(SMALL, [1_000_000, 2_000_000, 4_000_000], seeds=2, executor="serial")


def test_divergence_is_a_field_of_the_coordcheck_json() -> None:
    """A diverged run was visible only as ``measured: null, verdict: disagree``; now every
    diverged seed is listed with its width, seed and first non-finite step."""
    from widthlimits.numerics.coordcheck import coordcheck

    param = {"a": [0, 0, 0], "b": [0, H, H], "c": [-1, -1, -1]}
    rep = coordcheck(param, 2, "sgd", activation="relu", widths=[64, 128, 256], seeds=2, steps=4,
                     predicted={("f", None, 4): 0}, executor="serial", eta=50.0, progress=False,
                     data=DataConfig(n_samples=8, target="constant", target_value=100.0))
    d = json.loads(rep.to_json())
    assert d["divergences"], d
    assert all(set(x) == {"width", "seed", "step"} for x in d["divergences"])
    assert {x["width"] for x in d["divergences"]} <= {64, 128, 256}
    assert [(x.width, x.seed, x.step) for x in rep.divergences] == \
        [(x["width"], x["seed"], x["step"]) for x in d["divergences"]]


def test_cleanup_leaves_a_live_drivers_write_alone(tmp_path) -> None:
    """The race behind a CI failure: a second driver opening the store deleted the first's
    temporary file mid-write.  Only temporaries of dead writers (or stale ones) go."""
    from widthlimits.numerics import store as store_mod

    store = ResultStore(tmp_path)
    arrays = tmp_path / "arrays"
    tag = store_mod._HOST_TAG
    live = arrays / f".abc.{tag}-{os.getpid()}.x1y2z3.tmp"
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout.strip()
    dead = arrays / f".abc.{tag}-{dead_pid}.q9w8e7.tmp"
    stale = arrays / f".abd.{tag}-{os.getpid()}.r5t6y7.tmp"
    for p in (live, dead, stale):
        p.write_bytes(b"partial")
    old = time.time() - 2 * store_mod.CLAIM_LEASE
    os.utime(stale, (old, old))
    assert store.cleanup_temporaries() == 2
    assert live.exists() and not dead.exists() and not stale.exists()


def test_ctrl_c_while_the_workers_start_is_held_until_they_have_started() -> None:
    # loky's worker start-up cannot be interrupted safely (EOFError tracebacks, a hang): the
    # executor holds Ctrl-C during it and raises KeyboardInterrupt right after
    from widthlimits.numerics.executors import _deferred_sigint

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's default handler here (e.g. an ignoring parent)")
    reached_end = False
    with pytest.raises(KeyboardInterrupt):
        with _deferred_sigint():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler has run by now: it only recorded the signal
            reached_end = True
    assert reached_end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_ctrl_c_stays_ignored_while_the_workers_start() -> None:
    from widthlimits.numerics.executors import _deferred_sigint

    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _deferred_sigint():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)


def test_a_diverged_quantity_is_a_row_not_a_warning() -> None:
    """Every seed diverged: the fit is NaN and the row says why (its reason), without a
    DegenerateFitWarning escaping to the user's terminal."""
    import warnings

    from widthlimits.numerics.coordcheck import coordcheck
    from widthlimits.numerics.verdicts import Verdict

    param = {"a": [0, 0, 0], "b": [0, H, H], "c": [-1, -1, -1]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rep = coordcheck(param, 2, "sgd", activation="relu", widths=[64, 128, 256], seeds=2, steps=4,
                         predicted={("f", None, 4): 0}, executor="serial", eta=50.0,
                         progress=False,
                         data=DataConfig(n_samples=8, target="constant", target_value=100.0))
    (row,) = rep.checks
    assert math.isnan(row.fit.slope) and row.verdict != Verdict.AGREE
    assert "diverged" in row.fit.note and "diverged" in row.reason
