"""Peak memory of issue 5's standard workload at depth 3, and the largest width that fits.
Figures are printed, not asserted (goal: width 16384 on 24 GiB).

Each probe is one subprocess running ``simulate`` at one width (float32, muP, tanh, d_in 32,
batch 64, MSE, 5 steps, recording ``dh``/``dx``) that reports its peak resident set size
(``VmHWM`` from /proc/self/status).  Adam keeps the full hidden matrices and both moments; SGD
uses the low-rank path (``W_t x = W_0 x + sum of rank-B terms``), so it keeps only ``W_0``.

Memory is bounded by ``seed_batch`` (seeds processed at once; the numbers do not depend on it):
the script picks the largest seed batch whose estimate

    Adam: (L - 1) n^2 * 4 bytes * 5  (W, m, v, and the gradient and a temporary of the update)
    SGD:  (L - 1) n^2 * 4 bytes * 1  (W_0 only)

per seed stays under ``--max-gib`` and under the memory currently available, and skips a probe
whose single-seed estimate does not.  The largest width that fits in ``--budget-gib`` is then
extrapolated from the measured peak per seed (``peak - baseline`` scales as ``n^2``).  Peaks
do not depend on the machine's load, the seconds per seed do: the script first waits (at most
``--max-wait`` s) for the 1-minute load average to drop below ``--quiet-load``.

Usage: ``python benchmarks/bench_memory.py [--widths 4096,8192,16384] [--seeds 2]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

GiB = 2.0**30
PER_SEED_MATRICES = {"adam": 5, "sgd": 1}


def vm_hwm() -> float:
    """Peak RSS of this process in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def mem_available() -> float:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def child(opt: str, n: int, seeds: int, seed_batch: int, L: int) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_numerics import mup

    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig
    from widthlimits.numerics.simulator import simulate

    cfg = SimulationConfig(mup(L, opt == "adam"), optimizer=opt, steps=5,
                           data=DataConfig(kind="sphere", n_samples=64, d_in=32),
                           quantities=("dh", "dx"))
    base = vm_hwm()
    tic = time.perf_counter()
    m = simulate(cfg, n, seeds=seeds, seed_batch=seed_batch)
    wall = time.perf_counter() - tic
    ok = not m.diverged
    print(json.dumps({"peak": vm_hwm(), "base": base, "seconds": wall, "ok": ok}))


def estimate(opt: str, n: int, L: int, seed_batch: int, base: float) -> float:
    return base + (L - 1) * n * n * 4.0 * PER_SEED_MATRICES[opt] * seed_batch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="4096,8192,16384")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--optimizers", default="adam,sgd")
    ap.add_argument("--max-gib", type=float, default=20.0, help="largest estimate to run")
    ap.add_argument("--budget-gib", type=float, default=24.0, help="memory to fit in")
    ap.add_argument("--quiet-load", type=float, default=1.5)
    ap.add_argument("--max-wait", type=float, default=1800.0, help="s to wait for a quiet machine")
    ap.add_argument("--child", nargs=4, metavar=("OPT", "WIDTH", "SEEDS", "SEED_BATCH"))
    args = ap.parse_args()
    L = args.depth
    if args.child:
        o, n, s, sb = args.child
        child(o, int(n), int(s), int(sb), L)
        return
    widths = [int(w) for w in args.widths.split(",")]

    def probe(opt: str, n: int, seeds: int, sb: int) -> dict:
        cmd = [sys.executable, os.path.abspath(__file__), "--depth", str(L),
               "--child", opt, str(n), str(seeds), str(sb)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(res.stdout.strip().splitlines()[-1])

    waited = 0.0
    while (load := os.getloadavg()[0]) > args.quiet_load and waited + 60 <= args.max_wait:
        print(f"load average {load:.2f} > {args.quiet_load}: waiting 60 s", flush=True)
        time.sleep(60)
        waited += 60
    print(f"load average {load:.2f} at start ({'quiet' if load <= args.quiet_load else 'NOT quiet'})")
    tiny = probe("sgd", 64, 1, 1)
    base = tiny["peak"]
    print(f"depth {L}, float32, {args.seeds} seeds, 5 steps, batch 64; "
          f"interpreter + numpy + widthlimits baseline peak {base / GiB:.2f} GiB")
    for opt in args.optimizers.split(","):
        print(f"\n{opt}")
        print(f"{'width':>6} {'seed_batch':>10} {'est GiB':>8} {'peak GiB':>9} "
              f"{'GiB/seed':>9} {'s/seed':>7} {'load1':>6}")
        per_n2 = None
        for n in widths:
            limit = min(args.max_gib * GiB, mem_available() - 1 * GiB)
            sb = args.seeds
            while sb > 1 and estimate(opt, n, L, sb, base) > limit:
                sb -= 1
            est = estimate(opt, n, L, sb, base)
            if est > limit:
                print(f"{n:>6} {'-':>10} {est / GiB:>8.2f}  skipped: estimate above "
                      f"{limit / GiB:.1f} GiB (--max-gib {args.max_gib:g} / available memory)")
                continue
            r = probe(opt, n, args.seeds, sb)
            per_seed = (r["peak"] - base) / sb
            per_n2 = per_seed / n**2
            print(f"{n:>6} {sb:>10} {est / GiB:>8.2f} {r['peak'] / GiB:>9.2f} "
                  f"{per_seed / GiB:>9.2f} {r['seconds'] / args.seeds:>7.1f} "
                  f"{os.getloadavg()[0]:>6.2f}" + ("" if r["ok"] else "  (diverged)"), flush=True)
        if per_n2:
            nmax = math.sqrt((args.budget_gib * GiB - base) / per_n2)
            print(f"  {per_n2:.1f} bytes per n^2 per seed; largest width in "
                  f"{args.budget_gib:g} GiB (seed_batch 1): ~{nmax:,.0f}, largest power of "
                  f"two {2 ** int(math.log2(nmax)) if nmax >= 1 else 'none'}")


if __name__ == "__main__":
    main()
