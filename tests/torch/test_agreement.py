"""Agreement: the bridge's PyTorch model trained for 5 steps equals the project's simulator
(numerics/simulator.py) on the same init and data, to 1e-5 relative (float64).

The simulator's network (``SimulationConfig``): no biases, ``f = W^{L+1} x^L``, MSE loss
``0.5 mean (f - y)^2`` over the full batch, weights ``W = n^{-a} w``, learning rate on ``w``
``eta n^{-c}`` (SGD: times ``n^d``), Adam on ``n^d g`` (epsilon ``eps n^{-d}`` on ``g``).  The
bridge gets the base values that make its numbers at width ``n`` those of the simulator
(``base = eta n0^{-c}`` etc., since ``r^{-c} n0^{-c} = n^{-c}``), the simulator's initial
effective weights (``init_weights``) are loaded as ``w = W / multiplier``, and every quantity
the simulator measures that a forward/backward pass gives is compared step by step.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from widthlimits.numerics.config import SimulationConfig  # noqa: E402
from widthlimits.numerics.data import DataConfig, make_data  # noqa: E402
from widthlimits.numerics.mlp_arrays import init_weights  # noqa: E402
from widthlimits.numerics.simulator import simulate  # noqa: E402
from widthlimits.theory.presets import preset  # noqa: E402
from widthlimits.torch import parametrize  # noqa: E402

N, N0, D, L, T = 128, 32, 8, 2, 5


def mlp(n):
    layers = [nn.Linear(D, n, bias=False), nn.Tanh()]
    for _ in range(L - 1):
        layers += [nn.Linear(n, n, bias=False), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(n, 1, bias=False)).double()


def rms(t):
    return float(torch.sqrt(torch.mean(t.double() ** 2)))


def torch_run(cfg, p):
    """Train the bridge's model like the simulator; returns {(name, layer): [values per t]}."""
    opt = cfg.optimizer
    entry = opt != "sgd"
    d = [0.0] * (L + 1) if p.d is None else [float(x) for x in p.d]
    c = [float(x) for x in p.c]
    lr0 = {r: cfg.eta[i] * N0 ** -(c[i] if entry else c[i] - d[i])
           for i, r in enumerate(("input", "hidden", "readout"))}
    mult0 = {r: N0 ** -float(p.a[i]) for i, r in enumerate(("input", "hidden", "readout"))}
    std0 = {r: N0 ** -float(p.b[i]) * (1 / math.sqrt(D) if i == 0 else 1.0)
            for i, r in enumerate(("input", "hidden", "readout"))}
    eps0 = cfg.effective_eps  # d = 0 when given (n^{-d} = 1); d = None: 1e-30, negligible
    model = mlp(N)
    b = parametrize(model, mlp(N0), p, optimizer=opt, lr=lr0, multiplier=mult0, init_std=std0,
                    eps=eps0, initialize=False)
    # the bridge's init stds are the simulator's (init_weights: n^{-a} n^{-b}, input / sqrt(d))
    for i, s in enumerate(x for x in b.scalings if x.kind == "weight"):
        sim_std = N ** -float(p.a[i]) * N ** -float(p.b[i]) * (1 / math.sqrt(D) if i == 0 else 1)
        assert s.multiplier * s.init_std == pytest.approx(sim_std, rel=1e-12)
    Ws = init_weights(cfg, N, (0,))
    lins = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for lin, W, s in zip(lins, Ws, [x for x in b.scalings if x.kind == "weight"], strict=True):
            lin.weight.copy_(torch.from_numpy(W[0] / s.multiplier))
    kw = {"betas": cfg.adam_betas} if entry else {}
    o = b.optimizer(**kw)
    X, y = (torch.from_numpy(a) for a in make_data(cfg.data))
    hs = []
    hooks = [lin.register_forward_hook(lambda m, i, out: hs.append(out)) for lin in lins[:-1]]
    rec = {}

    def put(k, t, v):
        rec.setdefault(k, [math.nan] * (T + 1))[t] = v

    h0 = x0 = f0 = None
    for t in range(T + 1):
        hs.clear()
        f = model(X)[:, 0]
        loss = 0.5 * torch.mean((f - y) ** 2)
        h = [hh.detach() for hh in hs]  # registered after the multiplier hook: sees h = m w x
        x = [torch.tanh(hh) for hh in h]
        if t == 0:
            h0, x0, f0 = h, x, f.detach()
        put(("loss", None), t, float(loss.detach()))
        put(("f", None), t, rms(f.detach()))
        put(("df", None), t, rms(f.detach() - f0))
        for l in range(L):
            put(("h", l + 1), t, rms(h[l]))
            put(("x", l + 1), t, rms(x[l]))
            put(("dh", l + 1), t, rms(h[l] - h0[l]))
            put(("dx", l + 1), t, rms(x[l] - x0[l]))
        o.zero_grad()
        loss.backward()
        for l, lin in enumerate(lins):
            put(("grad", l + 1), t, rms(lin.weight.grad))
        if t == T:
            break
        before = [lin.weight.detach().clone() for lin in lins]
        o.step()
        for l, (lin, w) in enumerate(zip(lins, before, strict=True)):
            put(("dW", l + 1), t, rms((lin.weight.detach() - w) * b.multiplier(b.layers[l].name)))
    for hk in hooks:
        hk.remove()
    return rec


CASES = [("mup", "sgd"), ("sp", "sgd"), ("mup", "adam"), ("sp", "adam"), ("mup-d0", "adam")]


@pytest.mark.parametrize("name,opt", CASES)
def test_bridge_equals_simulator_for_five_steps(name, opt):
    p = preset(name.split("-")[0], L, opt)
    if name.endswith("-d0"):
        p = p.replace(d=(0,) * (L + 1))  # epsilon given (d): the simulator's eps 1e-8 path
    eta = 0.5 if opt == "sgd" else 0.02
    cfg = SimulationConfig(p, optimizer=opt, activation="tanh", loss="mse", eta=eta, steps=T,
                           data=DataConfig(kind="sphere", n_samples=16, d_in=D), dtype="float64")
    sim = simulate(cfg, N, seeds=(0,))
    rec = torch_run(cfg, p)
    worst = 0.0
    for (q, layer), vals in rec.items():
        ref = sim.loss[0] if q == "loss" else sim.get(q, layer)[0]
        got = np.array(vals)
        ok = np.isfinite(ref)
        np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-5, atol=1e-300,
                                   err_msg=f"{name}/{opt}: {q} layer {layer}")
        nz = ok & (ref != 0)
        if nz.any():
            worst = max(worst, float(np.max(np.abs(got[nz] / ref[nz] - 1))))
    # the model really trained: the loss moved, and every quantity was compared
    assert rec[("loss", None)][T] != pytest.approx(rec[("loss", None)][0], rel=1e-3)
    print(f"{name}/{opt}: worst relative difference {worst:.2e}")
    assert worst < 1e-5
