"""widthlimits against a plain PyTorch baseline on issue 5's standard workload, in one session.
Figures are printed, not asserted (issue 5's goal: torch / widthlimits >= 2 on the sweep;
printed per width and in total).

widthlimits runs in this interpreter; ``bench_torch_baseline.py`` runs in a subprocess under a
separate venv with torch (torch is never a dependency of widthlimits)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    python benchmarks/bench_vs_torch.py [--torch-python /tmp/torchenv/bin/python] [--repeats 3]

1. Agreement: at one small width, both compute ``dh``/``dx`` of every hidden layer and step from
   the same initial weights (widthlimits' ``init_weights``, handed to the torch script in an
   ``.npz`` file); the largest relative difference is printed.
2. Timing: ``--repeats`` rounds, each timing widthlimits (all seeds batched) and torch (one model
   per width and seed) at every width, for Adam and SGD; medians and the ratio torch /
   widthlimits are printed with the 1-minute load average seen during the runs.
3. Slopes: log-log slope over widths of the seed-mean ``dx`` at the last step, per layer, from
   the timed runs (independent inits: widthlimits' and torch's own); the two should agree.

``--workers W`` (default: the number of cores) compares whole machines: widthlimits runs
``sweep`` as a user would, on its process executor (a warm pool of ``W`` single-threaded
workers, each width's seeds split into ``W`` tasks, the sweep's default), and the torch script
runs with ``W`` intra-op threads (``torch.set_num_threads``; torch's default is the number of
cores), as a plain PyTorch loop uses the machine.  ``--workers 1`` compares single cores:
widthlimits in this process (run it with ``OPENBLAS_NUM_THREADS=1``) and torch with 1 thread.

Before each round the script waits (at most ``--max-wait`` s in all) for the 1-minute load average to
drop below ``--quiet-load``, and reports the load either way.  Under load, OpenBLAS with 2
threads on 2 cores slows down by up to 10x (its threads spin waiting for each other); compare
single cores then: ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python ... --workers 1``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_numerics import mup, workload_arguments

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig
from widthlimits.numerics.executors import make_executor
from widthlimits.numerics.mlp_arrays import init_weights
from widthlimits.numerics.simulator import simulate
from widthlimits.numerics.sweeps import sweep

HERE = Path(__file__).resolve().parent
TORCH_SCRIPT = HERE / "bench_torch_baseline.py"
INSTALL = "python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy"
OPTS = ("adam", "sgd")
QUANTS = ("dh", "dx")


def wait_quiet(limit: float, budget: list[float]) -> float:
    """Wait until the 1-minute load average is below ``limit``, spending at most ``budget[0]``
    seconds (shared by all calls: the budget is decremented)."""
    while (load := os.getloadavg()[0]) > limit and budget[0] >= 60:
        print(f"  load average {load:.2f} > {limit}: waiting 60 s ({budget[0]:.0f} s of waiting "
              "left)", flush=True)
        time.sleep(60)
        budget[0] -= 60
    print(f"  load average {load:.2f} ({'quiet' if load <= limit else 'NOT quiet, running anyway'})",
          flush=True)
    return load


def config(opt: str, L: int, T: int) -> SimulationConfig:
    return SimulationConfig(mup(L, opt == "adam"), optimizer=opt, steps=T,
                            data=DataConfig(kind="sphere", n_samples=64, d_in=32),
                            quantities=QUANTS)


def wl_changes(cfg: SimulationConfig, n: int, S: int, L: int,
               pool: Any = None, workers: int = 1) -> tuple[float, np.ndarray]:
    """Wall time and changes (seeds, 2, L, T + 1) in the torch script's layout; with a
    ``pool`` (an executor of W workers) the seeds run as a ``sweep`` of W tasks on it."""
    tic = time.perf_counter()
    if pool is None:
        m = simulate(cfg, n, seeds=S)
    else:
        per = -(-S // workers)
        m = sweep(cfg, [n], seeds=S, executor=pool, seeds_per_task=per,
                  progress=False).measurements[(0, n)]
    wall = time.perf_counter() - tic
    ch = np.stack([np.stack([m.get(q, l + 1) for l in range(L)], axis=1) for q in QUANTS], axis=1)
    return wall, ch


def run_torch(py: str, widths: list[int], S: int, L: int, T: int, init: str,
              threads: int = 0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "torch.json"
        cmd = [py, str(TORCH_SCRIPT), "--widths", ",".join(map(str, widths)), "--seeds", str(S),
               "--depth", str(L), "--steps", str(T), "--init", init, "--json", str(out),
               "--threads", str(threads)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())["runs"]


def slope(widths: list[int], y: np.ndarray) -> float:
    return float(np.polyfit(np.log(widths), np.log(y), 1)[0])


def main() -> None:
    ap = workload_arguments(argparse.ArgumentParser())
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--check-width", type=int, default=256)
    ap.add_argument("--torch-python", default="/tmp/torchenv/bin/python")
    ap.add_argument("--quiet-load", type=float, default=1.5)
    ap.add_argument("--max-wait", type=float, default=1800.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="W > 1: widthlimits' sweep on W worker processes, torch with W threads "
                         "(default: the number of cores); 1: both single-threaded")
    args = ap.parse_args()
    if not Path(args.torch_python).exists():
        print(f"SKIPPED: no PyTorch interpreter at {args.torch_python}.  Install it with\n"
              f"    {INSTALL}\nor pass --torch-python.")
        return
    with contextlib.ExitStack() as stack:
        pool = None
        if args.workers > 1:
            pool = stack.enter_context(make_executor("process", n_workers=args.workers))
        run(args, pool)


def run(args: argparse.Namespace, pool: Any) -> None:
    """The three parts (agreement, timing, slopes); ``pool``: widthlimits' worker pool or
    None (in-process)."""
    widths = [int(w) for w in args.widths.split(",")]
    L, S, T = args.depth, args.seeds, args.steps
    ver = subprocess.run([args.torch_python, "-c", "import torch; print(torch.__version__, "
                          "torch.get_num_threads())"], capture_output=True, text=True, check=True)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"torch {ver.stdout.strip()} (version, threads); numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={blas}; {os.cpu_count()} cores")
    W = args.workers
    if W > 1:
        print(f"whole machine: widthlimits on {W} single-threaded worker processes (seeds split "
              f"into {W} tasks per width), torch with {W} threads")
    cfgs = {opt: config(opt, L, T) for opt in OPTS}
    for cfg in cfgs.values():  # warm-up (in the workers too: imports, first BLAS calls)
        simulate(cfg, 64, seeds=2)
        if pool is not None:
            sweep(cfg, [64], seeds=4 * W, executor=pool, seeds_per_task=1, progress=False)

    # 1. agreement on identical initial weights
    n0 = args.check_width
    print(f"\n[agreement] width {n0}, 2 seeds, same init (widthlimits' draws), "
          f"max relative difference over layers and steps 1..{T}")
    # muP's a and b are the same for Adam and SGD (only c differs): one set of initial weights
    Ws = init_weights(cfgs["sgd"], n0, (0, 1))
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "init.npz"
        np.savez(npz, **{f"w{n0}_{s}_{l}": W[s] for l, W in enumerate(Ws) for s in (0, 1)})
        tr = run_torch(args.torch_python, [n0], 2, L, T, str(npz))
    for opt in OPTS:
        _, wch = wl_changes(cfgs[opt], n0, 2, L)
        tch = np.asarray(tr[f"{opt}:{n0}"]["changes"])
        for qi, q in enumerate(QUANTS):
            w, t = wch[:, qi, :, 1:], tch[:, qi, :, 1:]
            rel = float(np.max(np.abs(w - t) / np.abs(w)))
            print(f"  {opt:>4} {q}: max rel diff {rel:.1e}  (last step, layer 1..{L}, seed 0: "
                  f"widthlimits {np.round(w[0, :, -1], 5).tolist()}, "
                  f"torch {np.round(t[0, :, -1], 5).tolist()})")

    # 2. timing
    wl_t = {(o, n): [] for o in OPTS for n in widths}
    th_t = {(o, n): [] for o in OPTS for n in widths}
    loads: list[float] = []
    budget = [args.max_wait]  # total waiting allowed over all rounds
    wl_last: dict = {}
    th_last: dict = {}
    for r in range(args.repeats):
        print(f"\n[round {r + 1}/{args.repeats}]", flush=True)
        loads.append(wait_quiet(args.quiet_load, budget))
        order = ("wl", "torch") if r % 2 == 0 else ("torch", "wl")
        for who in order:
            if who == "wl":
                for opt in OPTS:
                    for n in widths:
                        wall, ch = wl_changes(cfgs[opt], n, S, L, pool, W)
                        wl_t[(opt, n)].append(wall)
                        wl_last[(opt, n)] = ch
            else:
                runs = run_torch(args.torch_python, widths, S, L, T, "torch", W)
                for opt in OPTS:
                    for n in widths:
                        th_t[(opt, n)].append(runs[f"{opt}:{n}"]["seconds"])
                        th_last[(opt, n)] = np.asarray(runs[f"{opt}:{n}"]["changes"])
            loads.append(os.getloadavg()[0])
            print(f"  {who} done, load average {loads[-1]:.2f}", flush=True)

    who = "single-threaded" if W == 1 else f"{W} workers / {W} torch threads"
    print(f"\n{who}; L={L}, {S} seeds, {T} steps, batch 64, float32; medians of {args.repeats} rounds; "
          f"load average (1 min) during the runs {min(loads):.2f}..{max(loads):.2f}")
    for opt in OPTS:
        print(f"\n{opt}")
        print(f"{'width':>6} {'widthlimits s':>14} {'torch s':>9} {'torch/wl':>9}")
        for n in widths:
            a, b = statistics.median(wl_t[(opt, n)]), statistics.median(th_t[(opt, n)])
            print(f"{n:>6} {a:>14.2f} {b:>9.2f} {b / a:>9.2f}")
        a = sum(statistics.median(wl_t[(opt, n)]) for n in widths)
        b = sum(statistics.median(th_t[(opt, n)]) for n in widths)
        print(f"{'total':>6} {a:>14.2f} {b:>9.2f} {b / a:>9.2f}")

    # 3. slopes from the timed runs (independent inits)
    print(f"\n[slopes] log-log slope over widths of the seed-mean dx at step {T}, per layer")
    for opt in OPTS:
        for name, d in (("widthlimits", wl_last), ("torch", th_last)):
            sl = [slope(widths, np.array([d[(opt, n)][:, 1, l, T].mean() for n in widths]))
                  for l in range(L)]
            print(f"  {opt:>4} {name:>11}: " + "  ".join(f"{s:+.3f}" for s in sl))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
