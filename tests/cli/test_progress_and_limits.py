"""Progress off a terminal and ``--time-limit`` (issue 13).

Off a terminal (a pipe: CI logs, notebooks) tqdm is silent, so long work printed nothing for
minutes; now each finished run is a line with the elapsed time.  ``--time-limit`` stops a long
command, prints what is established, marks the JSON incomplete and exits 3.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

CLI = [sys.executable, "-m", "widthlimits.proofs_checks.cli"]
ENV_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **ENV_THREADS})


@pytest.mark.timeout(180)
def test_progress_lines_appear_when_stdout_is_a_pipe(tmp_path) -> None:
    p = run(["coordcheck", "--preset", "mup", "--depth", "2", "--widths", "32,64,128", "--seeds", "2",
             "--steps", "1", "-o", str(tmp_path / "cc")])
    assert p.returncode == 0, p.stderr
    lines = [x for x in p.stderr.splitlines() if x.startswith("[sweep]")]
    assert len(lines) >= 2, p.stderr  # the start and at least the last run
    assert lines[-1].startswith("[sweep] ") and "runs" in lines[-1] and lines[-1].endswith(" s)")
    assert "agreement rate" in p.stdout
    report = json.loads((tmp_path / "cc" / "report.json").read_text())
    assert report["divergences"] == []  # the field is always there


@pytest.mark.timeout(180)
def test_coordcheck_time_limit_exits_3_with_incomplete_json(tmp_path) -> None:
    t0 = time.perf_counter()
    p = run(["coordcheck", "--preset", "mup", "--depth", "3", "--widths", "1024,2048,4096,8192",
             "--seeds", "8", "--steps", "5", "--time-limit", "3", "--json", "-o", str(tmp_path / "cc")])
    secs = time.perf_counter() - t0
    assert p.returncode == 3, p.stderr
    out = json.loads(p.stdout)
    assert out["complete"] is False and "time limit" in out["reason"]
    # our last line is the time limit's; a killed worker's semaphores can make multiprocessing's
    # resource tracker (a child process) warn after it, seen once in CI under load (issue 13 note)
    ours = [line for line in p.stderr.splitlines() if "resource_tracker" not in line]
    assert "time limit" in ours[-1], p.stderr
    assert secs < 40, secs  # stops near the limit (plus start-up), running tasks are not awaited


@pytest.mark.timeout(120)
def test_check_time_limit_runs_nothing_after_the_limit(tmp_path) -> None:
    p = run(["check", "--all", "--time-limit", "0.001", "--json", "-o", str(tmp_path / "ch")])
    assert p.returncode == 3, p.stderr
    out = json.loads(p.stdout)
    assert out["complete"] is False and len(out["checks"]) <= 1  # at most the one started in time
    assert "not finished" in p.stderr and len(p.stderr.splitlines()) == 1


@pytest.mark.timeout(120)
def test_tour_time_limit_skips_the_remaining_parts(tmp_path) -> None:
    p = run(["tour", "-o", str(tmp_path / "t"), "--time-limit", "0.001"])
    assert p.returncode == 3, p.stderr
    parts = json.loads((tmp_path / "t" / "tour.json").read_text())
    assert parts[-1]["status"] == "skipped (time limit)"  # the checks, at least
    assert "time limit" in p.stderr


def test_sweep_deadline_keeps_what_finished(tmp_path) -> None:
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig
    from widthlimits.numerics.store import ResultStore
    from widthlimits.numerics.sweeps import SweepIncomplete, sweep

    cfg = SimulationConfig({"a": [-0.5, 0, 0.5], "b": [0.5] * 3, "c": [0, 0, 0]}, steps=2,
                           data=DataConfig(n_samples=8, d_in=4))
    with pytest.raises(SweepIncomplete) as info:
        sweep(cfg, [16, 32, 64], seeds=2, store=tmp_path, executor="serial", progress=False,
              deadline=time.monotonic())
    assert len(info.value.missing) == 3 and len(ResultStore(tmp_path)) == 0
    r = sweep(cfg, [16, 32, 64], seeds=2, store=tmp_path, executor="serial", progress=False)
    assert r.n_computed == 3


@pytest.mark.timeout(120)
def test_convergence_time_limit_and_stage_lines() -> None:
    p = run(["convergence", "ntk", "--time-limit", "1", "--json"])
    assert p.returncode == 3, p.stderr
    out = json.loads(p.stdout)
    assert out["complete"] is False
    # what was established: the widths measured before the limit, each with its errors
    for f in out["finished"]:
        assert f["width"] in (64, 128, 256, 512, 1024) and len(f["errors"]) == 8
    err = p.stderr.splitlines()
    assert err[0] == "[convergence ntk] started" and err[1].startswith("[convergence ntk] stopped after")
    assert "time limit" in err[-1]


@pytest.mark.timeout(120)
def test_check_time_limit_interrupts_the_running_check(tmp_path) -> None:
    t0 = time.perf_counter()
    p = run(["check", "--all", "--time-limit", "3", "-o", str(tmp_path / "ch")])
    assert p.returncode == 3, p.stderr
    assert time.perf_counter() - t0 < 30  # not the minute of a quick check, nor all 19
    assert "time limit reached" in p.stderr.splitlines()[-1]
    assert (tmp_path / "ch" / "index.md").exists()


@pytest.mark.timeout(120)
def test_ctrl_c_is_one_line_and_exit_130(tmp_path) -> None:
    import os
    import signal

    proc = subprocess.Popen([*CLI, "coordcheck", "--preset", "mup", "--depth", "2", "--widths",
                             "512:8192", "--seeds", "8", "-o", str(tmp_path / "cc")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **ENV_THREADS},
                            # a test run started as a background job inherits SIGINT ignored
                            # (shells do that), and Python keeps an inherited SIG_IGN
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the sweep has started
    assert first.startswith("[sweep]"), first
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    proc.wait(60)
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest and rest.splitlines()[-1] == "widthlimits coordcheck: interrupted"


@pytest.mark.timeout(60)
def test_tables_and_max_lr_take_a_time_limit(capsys) -> None:
    """Depth 1000 takes about a minute for a few tables and for max-lr: both stop at the limit,
    exit 3, and tables keeps the rows it computed."""
    from widthlimits.proofs_checks.cli import main

    assert main(["tables", "--depths", "1000,999", "--optimizers", "sgd,adam", "--time-limit", "1",
                 "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["complete"] is False and all(r["depth"] in (1000, 999) for r in out["rows"])
    assert main(["max-lr", "--preset", "mup", "--depth", "1000", "--time-limit", "1", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["complete"] is False
    assert main(["tables", "--depths", "1", "--optimizers", "sgd", "--time-limit", "60"]) == 0


def test_an_interrupt_dropped_in_a_finalizer_is_not_printed_and_comes_again(monkeypatch) -> None:
    """The alarm fires inside a finalizer, where Python drops the exception (and would print
    "Exception ignored in ..."): nothing is reported, and the repeated alarm stops the work."""
    import gc
    import sys
    import time

    from widthlimits.proofs_checks.commands._params import TimeLimitReached, time_limit

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    dropped = []

    class Slow:
        def __del__(self) -> None:
            t0 = time.monotonic()
            try:
                while time.monotonic() - t0 < 3:  # the first alarm fires in here
                    pass
            except TimeLimitReached:
                dropped.append(True)
                raise

    with pytest.raises(TimeLimitReached):
        with time_limit(time.monotonic() + 0.3):
            Slow()  # finalized at once: the alarm at 0.3 s lands in __del__
            gc.collect()
            time.sleep(5)  # the repeated alarm (every 0.25 s) ends this
    assert dropped and not reported
    assert sys.unraisablehook == reported.append  # restored
