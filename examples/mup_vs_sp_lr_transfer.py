"""Learning-rate transfer across width: muP against SP, through the PyTorch bridge.

An MLP (64 -> n -> n -> 10, tanh, no biases) is trained with Adam on the 8x8 digits bundled
with widthlimits (scikit-learn's ``load_digits`` file; standardized images, 10 classes,
cross-entropy, full batch) at widths 128..2048 for a grid of learning rates, in two
parametrizations built by ``widthlimits.torch.parametrize`` from base width 128:

* ``mup`` (Yang & Hu 2021, arXiv:2011.14522; Adam exponents of TP IVb, arXiv:2308.01814): the
  base learning rate is rescaled per layer with width;
* ``sp:0``: standard parametrization with one global learning rate at every width (what a
  PyTorch user does without the bridge).

The training loss after ``--steps`` steps is plotted against the learning rate, one curve per
width.  For every width and seed the optimal learning rate is the minimum of a parabola through
the best grid point and its neighbours (in log2 lr); the log-log slope of the optimal learning
rate in width is fitted with ``widthlimits.numerics.fits.fit_exponent`` (seed-bootstrap CI).
muP predicts a slope near 0 (the optimum transfers); for SP with Adam the hidden and readout
updates grow with width at a fixed learning rate, so the optimum should move to smaller rates.

Run (233 s on one core of the 2-core reference machine under load)::

    nice -n 10 python examples/mup_vs_sp_lr_transfer.py --out docs/torch_lr_transfer

writes ``<out>.png`` and ``<out>.json``.  Needs the ``torch``, ``data`` and ``plots`` extras.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn

from widthlimits.numerics.fits import fit_exponent
from widthlimits.torch import parametrize

BASE = 128


def digits(n_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    from widthlimits.numerics.data import load_digits

    X, target = load_digits()  # the digits scikit-learn ships, bundled with widthlimits
    sd = X.std(0)
    X = np.where(sd > 0, (X - X.mean(0)) / np.where(sd > 0, sd, 1.0), 0.0)
    idx = np.random.default_rng(0).permutation(len(X))[:n_samples]
    return torch.tensor(X[idx], dtype=torch.float32), torch.tensor(target[idx])


def mlp(n: int) -> nn.Module:
    return nn.Sequential(nn.Linear(64, n, bias=False), nn.Tanh(), nn.Linear(n, n, bias=False),
                         nn.Tanh(), nn.Linear(n, 10, bias=False))


def train(param: str, width: int, lr: float, seed: int, X: torch.Tensor, y: torch.Tensor,
          steps: int) -> float:
    """Final training loss (NaN-safe: a diverged run counts as +inf)."""
    torch.manual_seed(seed)
    model = mlp(width)
    delta = mlp(2 * BASE) if width == BASE else None  # at the base width: a third width for the roles
    b = parametrize(model, mlp(BASE), param, optimizer="adam", lr=lr, delta_model=delta)
    opt = b.optimizer()
    lossf = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss = lossf(model(X), y)
        if not torch.isfinite(loss):
            return math.inf
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = float(lossf(model(X), y))
    return final if math.isfinite(final) else math.inf


def optimum(log2_lrs: np.ndarray, losses: np.ndarray) -> float:
    """log2 of the optimal lr: vertex of the parabola through the best point and its neighbours
    (the grid point itself at the edge of the grid)."""
    k = int(np.argmin(losses))
    if k == 0 or k == len(losses) - 1 or not np.all(np.isfinite(losses[k - 1:k + 2])):
        return float(log2_lrs[k])
    a, b, _ = np.polyfit(log2_lrs[k - 1:k + 2], losses[k - 1:k + 2], 2)
    return float(-b / (2 * a)) if a > 0 else float(log2_lrs[k])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="128,256,512,1024,2048")
    ap.add_argument("--log2-lrs", default="-10:-1",
                    help="LO:HI, integer powers of two (write --log2-lrs=-14:-3)")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--samples", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="mup_vs_sp_lr_transfer")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.widths.split(",")]
    lo, hi = (int(x) for x in args.log2_lrs.split(":"))
    log2_lrs = np.arange(lo, hi + 1, dtype=float)
    X, y = digits(args.samples)
    t0 = time.perf_counter()
    loss: dict[str, np.ndarray] = {}
    for param in ("mup", "sp:0"):
        arr = np.full((len(widths), args.seeds, len(log2_lrs)), np.inf)
        for i, n in enumerate(widths):
            for s in range(args.seeds):
                for k, e in enumerate(log2_lrs):
                    arr[i, s, k] = train(param, n, 2.0 ** e, s, X, y, args.steps)
            print(f"{param:5s} width {n:5d}: mean loss per log2 lr "
                  + " ".join(f"{v:.3g}" for v in arr[i].mean(0)) + f"  ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
        loss[param] = arr
    result: dict[str, object] = {"widths": widths, "log2_lrs": log2_lrs.tolist(), "steps": args.steps,
                                 "seeds": args.seeds, "samples": args.samples, "base_width": BASE,
                                 "seconds": round(time.perf_counter() - t0, 1)}
    for param, arr in loss.items():
        opt = np.array([[optimum(log2_lrs, arr[i, s]) for s in range(args.seeds)]
                        for i in range(len(widths))])
        fit = fit_exponent(widths, 2.0 ** opt, rng=0)
        result[param] = {"loss": np.where(np.isfinite(arr), arr, None).tolist(),
                         "log2_opt_lr": opt.tolist(),
                         "slope": fit.slope, "ci": [fit.ci_low, fit.ci_high]}
        print(f"{param}: optimal log2 lr per width (seed mean) "
              + ", ".join(f"{w}: {m:.2f}" for w, m in zip(widths, opt.mean(1), strict=True))
              + f"; slope of the optimal lr in width {fit.slope:.3f} [{fit.ci_low:.3f}, {fit.ci_high:.3f}]")
    with open(args.out + ".json", "w") as fh:
        json.dump(result, fh, indent=1)
    plot(result, loss, widths, log2_lrs, args.out + ".png")
    print(f"wrote {args.out}.json and {args.out}.png ({result['seconds']} s)")


def plot(result: dict, loss: dict, widths: list[int], log2_lrs: np.ndarray, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    cmap = plt.get_cmap("viridis")
    for ax, param, title in zip(axes, ("sp:0", "mup"), ("SP, one global lr", "muP (bridge)"),
                                strict=True):
        arr = loss[param]
        for i, n in enumerate(widths):
            with np.errstate(invalid="ignore"):
                m = np.where(np.isfinite(arr[i]), arr[i], np.nan).mean(0)
            ax.plot(log2_lrs, m, "o-", ms=3, color=cmap(i / max(1, len(widths) - 1)), label=f"n={n}")
        r = result[param]
        ax.set_title(f"{title}: optimal-lr slope {r['slope']:.2f} [{r['ci'][0]:.2f}, {r['ci'][1]:.2f}]",
                     fontsize=9)
        ax.set_xlabel("log2 learning rate (base width 128)")
        ax.set_yscale("log")
    axes[0].set_ylabel(f"training loss after {result['steps']} Adam steps")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
