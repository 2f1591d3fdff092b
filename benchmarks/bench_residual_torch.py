"""Plain-PyTorch baseline for bench_residual.py (run under a venv with torch; never imported by
widthlimits).  Same workload as widthlimits.numerics.residual: pre-LN residual MLP, one weight
layer per block, GELU, biases, LN gain and bias, AdamW, full batch; one model per seed.

    /tmp/torchenv/bin/python benchmarks/bench_residual_torch.py WIDTH DEPTH SEEDS STEPS THREADS

prints one JSON line: {"wall": [...], "cpu": [...]} per repeat (the timed part builds the model,
initializes it and trains STEPS steps for every seed).
"""

import json
import sys
import time

import torch

width, depth, seeds, steps, threads, repeats = (int(a) for a in sys.argv[1:7])
torch.set_num_threads(threads)
n, L, B, D = width, depth, 8, 8
alpha = 1.0


def run_seed(seed):
    g = torch.Generator().manual_seed(seed)
    P = {
        "We": torch.randn(n, D, generator=g) * n ** -0.5,
        "W1": torch.randn(L, n, n, generator=g) * n ** -0.5,
        "Wr": torch.randn(1, n, generator=g) * n ** -0.5,
        "b1": torch.zeros(L, n), "gamma": torch.ones(L, n), "beta": torch.zeros(L, n),
    }
    for v in P.values():
        v.requires_grad_(True)
    X = torch.randn(B, D, generator=g) / D ** 0.5
    y = torch.randn(B, generator=g)
    lr = {"We": 0.02 * n ** -0.5, "W1": 0.02 / n, "Wr": 0.02 * n ** -0.5, "b1": 0.02,
          "gamma": 0.02, "beta": 0.02}
    decay = {"We": 0.1, "W1": 0.1}
    opt = torch.optim.AdamW([{"params": [P[k]], "lr": lr[k], "weight_decay": decay.get(k, 0.0),
                              "eps": 1e-8 / n / L} for k in P])
    for _ in range(steps):
        x = n ** 0.5 * X @ P["We"].T
        for l in range(L):
            u = torch.nn.functional.layer_norm(x, (n,), P["gamma"][l], P["beta"][l], eps=1e-5)
            x = x + L ** -alpha * (torch.nn.functional.gelu(u) @ P["W1"][l].T + P["b1"][l])
        f = n ** -0.5 * (torch.nn.functional.layer_norm(x, (n,), eps=1e-5) @ P["Wr"].T)[:, 0]
        loss = 0.5 * ((f - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss)


walls, cpus = [], []
for _ in range(repeats):
    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(seeds):
        run_seed(s)
    walls.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
print(json.dumps({"wall": walls, "cpu": cpus, "torch": torch.__version__}))
