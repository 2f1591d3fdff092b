"""Coord check of a user-written ``nn.Sequential`` MLP, with the engine's exponents beside the
fits (``widthlimits.torch.coordcheck``), under muP (through the bridge) and under SP with one
learning rate (PyTorch's default init and ``torch.optim.SGD``).

Run (a few seconds)::

    python examples/coordcheck_user_mlp.py --out docs/torch_coordcheck

prints both tables and writes ``<out>_mup.png`` and ``<out>_sp.png`` in ``mup``'s layout (one
panel per step, size against width, one line per layer; the engine's slopes dashed).  Needs the
``torch`` and ``plots`` extras.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn as nn

import widthlimits.torch as wt

D = 16


def mlp(n: int) -> nn.Module:
    return nn.Sequential(nn.Linear(D, n, bias=False), nn.Tanh(), nn.Linear(n, n, bias=False),
                         nn.Tanh(), nn.Linear(n, 1, bias=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="128,256,512,1024,2048")
    ap.add_argument("--out", default="coordcheck")
    args = ap.parse_args()
    torch.set_num_threads(1)
    widths = [int(w) for w in args.widths.split(",")]
    g = torch.Generator().manual_seed(0)
    X = torch.randn(32, D, generator=g)
    X = X / X.norm(dim=1, keepdim=True) * D ** 0.5
    data = (X, torch.sign(torch.randn(32, 1, generator=g)))
    runs = {
        "mup": wt.coordcheck(lambda n: wt.parametrize(mlp(n), mlp(64), "mup", optimizer="sgd", lr=0.5),
                             widths, data, steps=3, seeds=4),
        "sp": wt.coordcheck(mlp, widths, data, lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
                            steps=3, seeds=4, parametrization="sp:0"),
    }
    for name, rep in runs.items():
        print(f"== {name}: {rep.verdicts()}")
        print(rep.table())
        rep.plot(f"{args.out}_{name}.png", quantities=("h", "f", "dWx"))
    print(f"wrote {args.out}_mup.png and {args.out}_sp.png")


if __name__ == "__main__":
    main()
