"""widthlimits.torch.coordcheck on a user-written nn.Sequential MLP: under muP every fitted
exponent agrees with the engine; under SP with a constant learning rate the readout update grows
with width and is flagged with the engine's reason."""

import json
import re

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from widthlimits.torch import BridgeError, coordcheck, parametrize  # noqa: E402

D = 16
WIDTHS = [128, 256, 512, 1024, 2048]


def mlp(n, bias=False):
    return nn.Sequential(nn.Linear(D, n, bias=bias), nn.Tanh(), nn.Linear(n, n, bias=bias), nn.Tanh(),
                         nn.Linear(n, 1, bias=bias))


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(32, D, generator=g)
    X = X / X.norm(dim=1, keepdim=True) * D ** 0.5
    return X, torch.sign(torch.randn(32, 1, generator=g))


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("opt,lr", [("sgd", 0.5), ("adam", 0.01)])
def test_mup_every_fitted_exponent_agrees_with_the_engine(data, opt, lr):
    rep = coordcheck(lambda n: parametrize(mlp(n), mlp(64), "mup", optimizer=opt, lr=lr),
                     WIDTHS, data, steps=3, seeds=4)
    assert rep.classification is not None and rep.classification.regime == "feature_learning"
    # h, x (2 layers) at 4 steps; dh, dx (2 layers), dWx (3 layers) at 3 steps; f at 4, df at 3
    assert len(rep.checks) == 4 * 4 + 7 * 3 + 4 + 3
    assert all(c.predicted is not None for c in rep.checks)
    bad = [f"{c.name}^{c.layer}_{c.step}: {c.reason}" for c in rep.checks if c.verdict != "agree"]
    assert not bad, bad
    assert rep.flags == ()


def test_sp_constant_lr_readout_update_grows_and_is_flagged_with_the_engines_reason(data):
    # a plain user model: torch's default init (SP) and torch.optim.SGD at one learning rate
    rep = coordcheck(mlp, WIDTHS, data, lambda m: torch.optim.SGD(m.parameters(), lr=0.1),
                     steps=3, seeds=4, parametrization="sp:0")
    assert rep.classification.regime == "unstable"
    readout = rep.check("dWx", 3, 1)
    assert readout.fit.ci_low > 0.5 and readout.predicted == "1" and readout.verdict == "agree"
    flag = next(f for f in rep.flags if (f.name, f.layer, f.step) == ("dWx", 3, 1))
    assert re.search(r"f_1 = Theta\(n\^\{?1\}?\): violates e\(f\) <= 0 \(output blows up\)", flag.reason)
    assert "grows with width" in str(flag)


def test_plot_in_mups_layout(data, tmp_path):
    pytest.importorskip("matplotlib")
    rep = coordcheck(lambda n: parametrize(mlp(n), mlp(64), "mup", optimizer="sgd", lr=0.5),
                     WIDTHS[:3], data, steps=2, seeds=2)
    path = rep.plot(str(tmp_path / "cc.png"), quantities=("h", "f", "dWx"))
    assert (tmp_path / "cc.png").stat().st_size > 10_000 and path.endswith("cc.png")
    assert "engine:" in rep.table()
    d = json.loads(rep.to_json())
    assert d["regime"] == "feature_learning" and len(d["checks"]) == len(rep.checks)


def test_module_the_engine_cannot_read_gets_fits_without_predictions(data):
    rep = coordcheck(lambda n: parametrize(mlp(n, bias=True), mlp(64, bias=True), "mup",
                                           optimizer="sgd", lr=0.5),
                     WIDTHS[:3], data, steps=1, seeds=2)
    assert "has a bias; the engine's MLP has none" in rep.engine_note
    assert rep.classification is None and all(c.predicted is None for c in rep.checks)
    assert all(c.verdict == "inconclusive" for c in rep.checks)


def test_bad_input(data):
    with pytest.raises(BridgeError, match="at least 2 increasing widths"):
        coordcheck(mlp, [256, 128], data, lambda m: torch.optim.SGD(m.parameters(), lr=0.1))
    with pytest.raises(BridgeError, match="must be a pair"):
        coordcheck(mlp, [64, 128], data[0], lambda m: torch.optim.SGD(m.parameters(), lr=0.1))
    with pytest.raises(BridgeError, match="must be a callable model"):
        coordcheck(mlp, [64, 128], data)
