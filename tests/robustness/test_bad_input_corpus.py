"""The bad-input corpus (issue 13): every case exits 2 with exactly one line on stderr, no
traceback, in under 10 s and under 1 GB of address space.

The in-process cases of each subcommand run in one worker process (``corpus_worker.py``) whose
``RLIMIT_AS`` is 1 GB, each case under its own 10 s alarm; the cases about the process (a file
the payload must not create, no TeX on ``PATH``, ``/dev/full``, a dead scheduler) run as their
own ``python -m widthlimits.proofs_checks.cli`` subprocess under the same limits.  The memory
refusals must come from the estimate (one line), not from a ``MemoryError``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("corpus", HERE / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

MEMORY_LIMIT = 1 << 30
CASE_SECONDS = 10.0
COMMANDS = sorted({c for c, _ in corpus.CASES})
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _check(case: dict) -> list[str]:
    """Problems with one case's outcome (empty when it is a proper one-line refusal)."""
    problems = []
    err = case["stderr"]
    if case.get("escaped"):
        problems.append(f"escaped main: {case['escaped'][-300:]}")
    if case["code"] != 2:
        problems.append(f"exit code {case['code']!r}, not 2")
    if len(err.splitlines()) != 1 or not err.endswith("\n"):
        problems.append(f"{len(err.splitlines())} lines on stderr: {err[:300]!r}")
    if "Traceback" in err or "MemoryError" in err:
        problems.append(f"traceback on stderr: {err[:300]!r}")
    if case["seconds"] >= CASE_SECONDS:
        problems.append(f"took {case['seconds']:.1f} s")
    return problems


def test_corpus_size_and_coverage() -> None:
    from widthlimits.proofs_checks.cli import COMMAND_MODULES, command_module

    names = {command_module(m).NAME for m in COMMAND_MODULES}
    assert names <= set(COMMANDS), f"subcommands without bad inputs: {names - set(COMMANDS)}"
    assert len(corpus.CASES) + len(corpus.PROCESS) >= 120


@pytest.mark.timeout(300)
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_inputs_in_process(command: str, tmp_path: Path) -> None:
    n = sum(c == command for c, _ in corpus.CASES)
    proc = subprocess.run([sys.executable, str(HERE / "corpus_worker.py"), str(tmp_path), command],
                          capture_output=True, text=True, env=ENV, preexec_fn=_limit_memory,
                          timeout=CASE_SECONDS * n + 60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cases = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(cases) == n
    bad = {" ".join(c["argv"])[:160]: p for c in cases if (p := _check(c))}
    assert not bad, json.dumps(bad, indent=1)
    assert not (tmp_path / "dir" / "pwned").exists(), "the payload ran"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("command", "argv", "env"), corpus.PROCESS,
                         ids=[" ".join(a)[:60] for _, a, _ in corpus.PROCESS])
def test_bad_inputs_as_processes(command: str, argv: list[str], env: dict, tmp_path: Path) -> None:
    values = corpus.materialize(tmp_path)
    args = corpus.fill(argv, values)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "widthlimits.proofs_checks.cli", *args],
                          capture_output=True, text=True, env={**ENV, **env},
                          preexec_fn=_limit_memory, timeout=CASE_SECONDS)
    case = {"code": proc.returncode, "stderr": proc.stderr, "seconds": time.perf_counter() - t0}
    assert not _check(case), (_check(case), proc.stdout[-500:])
    assert not (Path(values["dir"]) / "pwned").exists(), "the payload ran"
    if "--pdf" in args:  # no TeX: the .tex is still written, the line says how to install TeX
        assert (Path(values["dir"]) / "d.tex").exists() and "apt-get install" in proc.stderr
