"""PyTorch baseline for issue 5's standard workload, written plainly, as microsoft/mup's coord
check does it: one ``nn.Module`` per width and seed, ``nn.Linear`` layers without bias, per-layer
init std and per-layer learning rate from the abc exponents, ``torch.optim.Adam`` / ``SGD`` with
one parameter group per layer, and a forward hook on every activation recording the change of
its input (``dh``) and output (``dx``) since step 0.  Figures are printed, not asserted.

This script runs standalone under a venv with torch (it never imports widthlimits, so torch
never becomes a dependency of the package)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    /tmp/torchenv/bin/python benchmarks/bench_torch_baseline.py [--widths 256,...] [--seeds 8]

Workload (same as ``bench_numerics.py``): muP MLP in abc form (TP4 Sec. 3: ``W = n^{-a} w``,
``w ~ N(0, sigma^2 n^{-2b})``, learning rate ``eta n^{-c}`` on ``w``), 3 hidden layers, tanh,
d_in 32, 64 examples (full batch), MSE ``sum (f - y)^2 / (2B)``, 5 steps, 8 seeds, float32.
The data (inputs on the sphere of radius sqrt(d_in), targets from a fixed width-64 tanh
teacher, unit RMS) are drawn with numpy exactly as ``widthlimits.numerics.data.make_data``
draws them (data seed 0).

``--init FILE.npz`` replaces torch's initializer by given effective initial weights (arrays
``w{width}_{seed}_{layer}``, ``W = n^{-a} w``; ``bench_vs_torch.py`` writes widthlimits' own
draws there), so that the recorded changes can be compared with widthlimits' ``dh``/``dx``
number for number.  ``--json FILE`` writes times and measurements.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn

H = 0.5
TEACHER_WIDTH = 64


def mup(L: int, entrywise: bool) -> dict:
    """muP exponents (same as ``bench_numerics.mup``): Adam takes ``c = (1/2, 1, ..., 1, 1/2)``,
    SGD ``c = 0``."""
    a = [-H] + [0.0] * (L - 1) + [H]
    c = [H] + [1.0] * (L - 1) + [H] if entrywise else [0.0] * (L + 1)
    return {"a": a, "b": [H] * (L + 1), "c": c}


def make_data(N: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sphere inputs and teacher targets, identical to widthlimits' ``make_data``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED_DA7A]))
    X = rng.standard_normal((N, d))
    X = X / np.linalg.norm(X, axis=1, keepdims=True) * np.sqrt(d)
    trng = np.random.default_rng(np.random.SeedSequence([seed, 0x7EAC_4E12]))
    W1 = trng.standard_normal((TEACHER_WIDTH, d)) / np.sqrt(d)
    w2 = trng.standard_normal(TEACHER_WIDTH) / np.sqrt(TEACHER_WIDTH)
    y = np.tanh(X @ W1.T) @ w2
    y = y / max(np.sqrt(np.mean(y**2)), 1e-300)
    return X, y


class MLP(nn.Module):
    """``h^1 = n^{-a_1} w^1 xi``, ``x^l = tanh(h^l)``, ``h^{l+1} = n^{-a_{l+1}} w^{l+1} x^l``,
    ``f = n^{-a_{L+1}} w^{L+1} x^L``; no biases."""

    def __init__(self, d_in: int, n: int, L: int, a: list[float]) -> None:
        super().__init__()
        dims = [d_in] + [n] * L + [1]
        self.linears = nn.ModuleList(nn.Linear(dims[i], dims[i + 1], bias=False)
                                     for i in range(L + 1))
        self.acts = nn.ModuleList(nn.Tanh() for _ in range(L))
        self.mults = [float(n) ** (-ai) for ai in a]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for lin, act, m in zip(self.linears, self.acts, self.mults, strict=False):
            x = act(m * lin(x))
        return self.mults[-1] * self.linears[-1](x)[:, 0]


def init_torch(model: MLP, n: int, d_in: int, p: dict, gen: torch.Generator) -> None:
    for l, lin in enumerate(model.linears):
        std = float(n) ** (-p["b"][l]) / (math.sqrt(d_in) if l == 0 else 1.0)
        nn.init.normal_(lin.weight, 0.0, std, generator=gen)


def init_file(model: MLP, n: int, seed: int, weights: dict) -> None:
    """Effective initial weights ``W = n^{-a} w`` from ``weights["w{n}_{seed}_{l}"]``."""
    with torch.no_grad():
        for l, lin in enumerate(model.linears):
            W = np.asarray(weights[f"w{n}_{seed}_{l}"], dtype=np.float32)
            lin.weight.copy_(torch.from_numpy(W) / model.mults[l])


def run_one(n: int, seed: int, opt: str, p: dict, L: int, T: int, X: torch.Tensor,
            y: torch.Tensor, init: dict | None) -> np.ndarray:
    """Train one model; returns the recorded changes, shape (2, L, T + 1): dh, dx (RMS)."""
    d_in = X.shape[1]
    model = MLP(d_in, n, L, p["a"])
    if init is not None:
        init_file(model, n, seed, init)
    else:
        init_torch(model, n, d_in, p, torch.Generator().manual_seed(seed))
    groups = [{"params": [lin.weight], "lr": float(n) ** (-c)}
              for lin, c in zip(model.linears, p["c"], strict=True)]
    if opt == "adam":
        # eps ~ 0: widthlimits' default for d = None (scale-invariant Adam)
        optim = torch.optim.Adam(groups, betas=(0.9, 0.999), eps=1e-30)
    else:
        optim = torch.optim.SGD(groups)

    rec = np.zeros((2, L, T + 1))
    ref: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * L
    t_now = [0]

    def make_hook(l: int):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
            h, x = inputs[0].detach(), out.detach()
            if ref[l] is None:
                ref[l] = (h.clone(), x.clone())
            h0, x0 = ref[l]
            rec[0, l, t_now[0]] = (h - h0).pow(2).mean().sqrt().item()
            rec[1, l, t_now[0]] = (x - x0).pow(2).mean().sqrt().item()
        return hook

    for l, act in enumerate(model.acts):
        act.register_forward_hook(make_hook(l))
    for t in range(T + 1):
        t_now[0] = t
        if t == T:
            with torch.no_grad():
                model(X)
            break
        optim.zero_grad(set_to_none=True)
        f = model(X)
        loss = 0.5 * (f - y).pow(2).mean()
        loss.backward()
        optim.step()
    return rec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", default="256,512,1024,2048,4096")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--optimizers", default="adam,sgd")
    ap.add_argument("--init", default="torch",
                    help="'torch' (torch's normal_) or an .npz file of effective initial weights")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--json", default=None, help="write times and measurements here")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.widths.split(",")]
    L, S, T, N, d_in = args.depth, args.seeds, args.steps, 64, 32
    Xn, yn = make_data(N, d_in)
    X = torch.from_numpy(Xn.astype(np.float32))
    y = torch.from_numpy(yn.astype(np.float32))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.2f}")
    out: dict = {"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": {}}
    init = None if args.init == "torch" else dict(np.load(args.init))
    for opt in args.optimizers.split(","):
        p = mup(L, opt == "adam")
        run_one(64, 0, opt, p, L, T, X, y, None)  # warm-up
        print(f"\n{opt}: L={L}, {S} seeds, {T} steps, batch {N}, float32, "
              f"one model per (width, seed), init {'torch' if init is None else args.init}")
        print(f"{'width':>6} {'wall s':>8} {'load1':>6}")
        for n in widths:
            tic = time.perf_counter()
            recs = [run_one(n, s, opt, p, L, T, X, y, init) for s in range(S)]
            wall = time.perf_counter() - tic
            load = os.getloadavg()[0]
            print(f"{n:>6} {wall:>8.2f} {load:>6.2f}", flush=True)
            out["runs"][f"{opt}:{n}"] = {"seconds": wall, "load1": load,
                                         "changes": np.stack(recs).tolist()}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh)


if __name__ == "__main__":
    main()
