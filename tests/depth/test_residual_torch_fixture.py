"""The residual simulator against a fixture generated once with PyTorch 2.13.0 (float64,
autograd, torch.optim); provenance and the generating script are in tests/fixtures/."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from widthlimits.numerics.residual import Optimizer, ResidualConfig, RoleScale, loss_and_grads

FIXTURE = json.loads((pathlib.Path(__file__).parents[1] / "fixtures" / "residual_torch.json").read_text())


def test_provenance():
    prov = FIXTURE["provenance"]
    assert prov["package"] == "torch" and prov["version"].startswith("2.13.0")
    assert prov["dtype"] == "float64" and prov["date"]


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["case"]["name"])
def test_forward_backward_and_steps_match_torch(case):
    c = case["case"]
    roles = {k: RoleScale(*v) for k, v in FIXTURE["roles"].items()}
    cfg = ResidualConfig(
        width=FIXTURE["width"], depth=FIXTURE["depth"], d_in=FIXTURE["d_in"], batch=FIXTURE["batch"],
        alpha=c["alpha"], block_layers=c["block_layers"], layernorm=c["layernorm"], biases=c["biases"],
        activation=c["activation"], optimizer=c["optimizer"], weight_decay=c["weight_decay"],
        embedding=roles["embedding"], block=(roles["block1"], roles["block2"]),
        readout=roles["readout"], bias=roles["bias"], norm=roles["norm"], steps=FIXTURE["steps"])
    p = {k: np.asarray(v, dtype=np.float64)[None] for k, v in case["init"].items()}
    X, y = np.asarray(case["X"]), np.asarray(case["y"])
    loss, f, g = loss_and_grads(cfg, p, X, y)
    np.testing.assert_allclose(f[0], case["f0"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss[0], case["loss0"], rtol=1e-12)
    assert set(g) == set(case["grads0"])
    for k, v in case["grads0"].items():
        np.testing.assert_allclose(g[k][0], v, rtol=1e-10, atol=1e-13, err_msg=k)
    opt = Optimizer(cfg, p)
    for _ in range(cfg.steps):
        _, _, g = loss_and_grads(cfg, p, X, y)
        opt.step(p, g)
    for k, v in case["after"].items():
        np.testing.assert_allclose(p[k][0], v, rtol=1e-9, atol=1e-12, err_msg=k)
