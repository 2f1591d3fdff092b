"""Benchmark of the numeric layer on issue 5's standard workload, against a roofline measured
in the same run.  Figures are printed, not asserted.

Workload: muP MLP, 3 hidden layers, tanh, d_in 32, batch 64, MSE, widths 256..4096, 8 seeds,
5 steps, once with Adam and once with SGD, recording every layer's activation change per step
(``dh``, ``dx``).

Roofline bound per width = (matmul FLOPs) / (measured batched GEMM rate at that shape) +
(unavoidable memory traffic: weights read per pass, optimizer state read/written per step, init
written once) / (measured memory bandwidth), with two counts of the FLOPs (see ``bound``):
``strict``, the dense passes no method avoids, and ``method``, the matmul FLOPs of the
computation actually performed (SGD's low-rank terms included).

Usage: ``python benchmarks/bench_numerics.py [--widths 256,512,1024,2048,4096] [--seeds 8]``
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig
from widthlimits.numerics.linalg import bmm
from widthlimits.numerics.normals import fill_normal, normal_stream
from widthlimits.numerics.simulator import simulate, uses_lowrank

H = 0.5


def mup(L: int, entrywise: bool) -> dict:
    a = [-H] + [0.0] * (L - 1) + [H]
    c = [H] + [1.0] * (L - 1) + [H] if entrywise else [0.0] * (L + 1)
    return {"a": a, "b": [H] * (L + 1), "c": c}


def gemm_rate(n: int, N: int, S: int) -> float:
    """GFLOP/s of the workload's GEMM shape (S x (N, n) @ (n, n)), float32."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((S, n, n), dtype=np.float32)
    x = rng.standard_normal((S, N, n), dtype=np.float32)
    bmm(x, W.swapaxes(-1, -2))
    reps = max(1, int(2e10 / (2 * S * N * n * n)))
    t = time.perf_counter()
    for _ in range(reps):
        bmm(x, W.swapaxes(-1, -2))
    return 2 * S * N * n * n * reps / (time.perf_counter() - t) / 1e9


def bandwidth() -> float:
    """GB/s of ``a += b`` on 256 MiB float32 arrays (3 x size bytes moved)."""
    a = np.ones(1 << 26, dtype=np.float32)
    b = np.ones(1 << 26, dtype=np.float32)
    a += b
    t = time.perf_counter()
    for _ in range(5):
        a += b
    return 5 * 3 * a.nbytes / (time.perf_counter() - t) / 1e9


def normal_rates(size: int = 1 << 24, reps: int = 5) -> tuple[float, float]:
    """ns per float32 sample (medians of ``reps``): widthlimits' initializer (Box-Muller,
    ``normals.fill_normal``) and numpy's ``Generator.standard_normal`` (ziggurat)."""
    out = np.empty(size, dtype=np.float32)
    ours, zig = [], []
    for r in range(reps):
        t = time.perf_counter()
        fill_normal(normal_stream((r,)), out)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        np.random.default_rng(r).standard_normal(dtype=np.float32, out=out)
        zig.append(time.perf_counter() - t)
    return float(np.median(ours)) / size * 1e9, float(np.median(zig)) / size * 1e9


def bound(n: int, L: int, N: int, S: int, T: int, opt: str, rate: float, bw: float,
          lowrank: bool = True) -> tuple[float, float]:
    """Two roofline bounds (seconds): ``strict`` counts only the dense passes through the hidden
    ``n x n`` weights that no method avoids (forwards at t = 0..T, backward at t < T, and for
    Adam the dense weight gradients); ``method`` counts the matmul FLOPs of the computation the
    simulator performs: for SGD in low-rank mode (``lowrank``) also the low-rank terms
    ``U (c * (V x))`` and their transposes, ``4 N n B t`` FLOPs per layer, seed and product at
    rank ``B t`` (``4 N n B T^2`` over a run), and for SGD in dense mode the dense weight
    gradients and the update's traffic.  Both add the unavoidable memory traffic (weights read
    per pass, Adam state read/written per step, initial weights written once) at ``bw``."""
    hid = L - 1
    B = N  # full batch: rank B per step
    mm = 2.0 * N * n * n * hid * S  # one pass through the hidden layers
    flops = mm * (T + 1) + mm * T  # forwards at t = 0..T, backward through W at t < T
    if opt != "sgd":
        flops += mm * T  # dense weight gradients (SGD keeps them as low-rank factors)
    w = 4.0 * n * n * hid * S
    traffic = w * (2 * T + 1) + w  # weights read per pass + init written once
    if opt == "adam":
        traffic += w * 8 * T  # read W, m, v, G; write W, m, v, G
    strict = flops / (rate * 1e9) + traffic / (bw * 1e9)
    if opt != "sgd":
        return strict, strict
    if lowrank:
        extra_flops, extra_traffic = 4.0 * N * n * B * T * T * hid * S, 0.0
    else:
        extra_flops, extra_traffic = mm * T, w * 4 * T  # gradient GEMM; read G, W; write G, W
    return strict, strict + extra_flops / (rate * 1e9) + extra_traffic / (bw * 1e9)


def workload_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The standard workload's knobs (widths, seeds, steps, depth), shared by the benchmarks
    that import widthlimits (the torch baseline stays standalone and repeats them)."""
    ap.add_argument("--widths", default="256,512,1024,2048,4096")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--depth", type=int, default=3)
    return ap


def main() -> None:
    args = workload_arguments(argparse.ArgumentParser()).parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    L, S, T, N = args.depth, args.seeds, args.steps, 64
    bw = bandwidth()
    print(f"memory bandwidth (a += b): {bw:.1f} GB/s")
    ours, zig = normal_rates()
    print(f"normal samples (float32): widthlimits {ours:.2f} ns, numpy ziggurat {zig:.2f} ns "
          f"(ratio {zig / ours:.2f})")
    data = DataConfig(kind="sphere", n_samples=N, d_in=32)
    for opt in ("adam", "sgd"):
        cfg = SimulationConfig(mup(L, opt == "adam"), optimizer=opt, steps=T, data=data,
                               quantities=("dh", "dx"))
        simulate(cfg, 64, seeds=2)  # warm-up
        print(f"\n{opt}: L={L}, {S} seeds, {T} steps, batch {N}, float32")
        print(f"{'width':>6} {'GEMM GF/s':>10} {'wall s':>8} {'strict s':>9} {'ratio':>6} "
              f"{'method s':>9} {'ratio':>6}  path")
        total = 0.0
        for n in widths:
            rate = gemm_rate(n, N, S)
            t = time.perf_counter()
            simulate(cfg, n, seeds=S)
            wall = time.perf_counter() - t
            total += wall
            lr = uses_lowrank(cfg, n)
            strict, method = bound(n, L, N, S, T, opt, rate, bw, lr)
            path = "low rank" if lr else "dense"
            print(f"{n:>6} {rate:>10.1f} {wall:>8.2f} {strict:>9.2f} {wall / strict:>6.2f} "
                  f"{method:>9.2f} {wall / method:>6.2f}  {path}")
        print(f"total {total:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"\npeak RSS {peak:.2f} GiB")


if __name__ == "__main__":
    main()
