"""widthlimits' residual simulator against plain PyTorch on a depth-64, width-1024 run, in one
session (issue 15's goal: torch / widthlimits >= 2, as for the MLP sweep).  Printed, not asserted.

Workload (both sides): pre-LN residual MLP, L = 64 blocks of one n x n weight layer, n = 1024,
GELU, biases, LN gain and bias, AdamW with decoupled decay, 8 inputs, full batch, ``--steps``
steps, ``--seeds`` seeds (widthlimits: all seeds batched in one run; torch: one model per seed),
float32, ``--threads`` BLAS / intra-op threads on both sides.  The torch side runs in a
subprocess under a venv with torch (``--torch-python``); if that interpreter is missing or has no
torch, one skip line is printed::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_residual.py [--repeats 3]

Medians over ``--repeats`` of wall and CPU time; the ratio is torch / widthlimits (wall).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from widthlimits.numerics.residual import ResidualConfig, RoleScale, simulate_residual

HERE = Path(__file__).resolve().parent


def config(n: int, L: int, steps: int) -> ResidualConfig:
    hid = RoleScale(1.0, n ** -0.5, 0.02 / n, 1e-8 / n / L, 0.1)
    return ResidualConfig(
        width=n, depth=L, alpha=1.0, block_layers=1, layernorm="gain_bias", biases=True,
        activation="gelu", optimizer="adamw", weight_decay="decoupled",
        embedding=RoleScale(n ** 0.5, n ** -0.5, 0.02 * n ** -0.5, 1e-8 / n / L, 0.1),
        block=(hid, hid), readout=RoleScale(n ** -0.5, n ** -0.5, 0.02 * n ** -0.5, 1e-8 / n / L, 0.0),
        bias=RoleScale(std=0.0, lr=0.02, eps=1e-8 / n / L),
        norm=RoleScale(std=0.0, lr=0.02, eps=1e-8 / n / L),
        steps=steps, d_in=8, batch=8, dtype="float32")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--depth", type=int, default=64)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--torch-python", default="/tmp/torchenv/bin/python")
    a = ap.parse_args()
    cfg = config(a.width, a.depth, a.steps)
    print(f"workload: n = {a.width}, L = {a.depth}, {a.seeds} seeds, {a.steps} AdamW steps, float32, "
          f"{a.threads} thread(s); OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    walls, cpus = [], []
    for _ in range(a.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        simulate_residual(cfg, tuple(range(a.seeds)), measure=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    w_med, c_med = statistics.median(walls), statistics.median(cpus)
    print(f"widthlimits: median wall {w_med:.2f} s, cpu {c_med:.2f} s (runs: "
          f"{', '.join(f'{x:.2f}' for x in walls)})", flush=True)
    py = Path(a.torch_python)
    probe = subprocess.run([str(py), "-c", "import torch"], capture_output=True) if py.exists() else None
    if probe is None or probe.returncode != 0:
        print(f"torch: skipped (no torch at {py}; install: python3 -m venv /tmp/torchenv && "
              "/tmp/torchenv/bin/pip install torch==2.13.0 numpy)")
        return 0
    out = subprocess.run([str(py), str(HERE / "bench_residual_torch.py"), str(a.width), str(a.depth),
                          str(a.seeds), str(a.steps), str(a.threads), str(a.repeats)],
                         capture_output=True, text=True, check=True)
    t = json.loads(out.stdout.strip().splitlines()[-1])
    tw, tc = statistics.median(t["wall"]), statistics.median(t["cpu"])
    print(f"torch {t['torch']}: median wall {tw:.2f} s, cpu {tc:.2f} s (runs: "
          f"{', '.join(f'{x:.2f}' for x in t['wall'])})")
    print(f"ratio torch / widthlimits: wall {tw / w_med:.2f}x, cpu {tc / c_med:.2f}x "
          f"(goal >= 2x); load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
