"""Start-up time of the command line (issue 13): goals ``widthlimits --help`` under 0.3 s and the
first line of ``widthlimits classify --preset mup --depth 3`` under 0.6 s.

Each figure is the median of ``--repeats`` (default 10) fresh processes, wall time to the first
line of output (to the exit for ``--help``) and the CPU time of the child beside it, measured

* warm: the ordinary case, byte code cached in ``__pycache__``;
* cold: every run with a new empty ``PYTHONPYCACHEPREFIX``, so every module is compiled again,
  as on the first run after installing (the OS file cache cannot be dropped without root, so
  "cold" here is the byte-code cold start).

The interpreter's own start (``python -c pass``) is measured in the same run as the baseline; the
ratio to it is printed beside each figure.  No asserts: the machines are shared and noisy; read
the figures (and the load average printed with them).

    python benchmarks/bench_startup.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CASES = [
    ("python -c pass (baseline)", [sys.executable, "-c", "pass"], None),
    ("widthlimits --help", [sys.executable, "-m", "widthlimits.proofs_checks.cli", "--help"], 0.3),
    ("classify --preset mup --depth 3 (first line)",
     [sys.executable, "-m", "widthlimits.proofs_checks.cli", "classify", "--preset", "mup",
      "--depth", "3"], 0.6),
]


def one_run(cmd: list[str], cold: bool) -> tuple[float, float]:
    """Wall seconds to the first line of stdout (or exit if none) and the child's CPU seconds."""
    env = dict(os.environ)
    tmp = None
    if cold:
        tmp = tempfile.TemporaryDirectory(prefix="bench-startup-pyc-")
        env["PYTHONPYCACHEPREFIX"] = tmp.name
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    proc.stdout.readline()
    first = time.perf_counter() - t0
    proc.stdout.read()
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if tmp is not None:
        tmp.cleanup()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return first, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; medians of {args.repeats}")
    print(f"{'case':46s} {'mode':5s} {'wall s':>7s} {'cpu s':>7s} {'x base':>7s} {'goal':>6s}  verdict")
    base: dict[str, float] = {}
    for mode in ("warm", "cold"):
        for name, cmd, goal in CASES:
            one_run(cmd, cold=False)  # fill the OS file cache once
            runs = [one_run(cmd, cold=(mode == "cold")) for _ in range(args.repeats)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            if goal is None:
                base[mode] = wall
            ratio = wall / base[mode] if base.get(mode) else float("nan")
            verdict = "" if goal is None else ("meets goal" if wall < goal else "MISSES goal")
            print(f"{name:46s} {mode:5s} {wall:7.3f} {cpu:7.3f} {ratio:7.1f} "
                  f"{'' if goal is None else f'{goal:.1f}':>6s}  {verdict}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
