"""The PyTorch bridge: layer roles, per-parameter numbers at a width, init, hooks, optimizers."""

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from widthlimits.torch import BridgeError, parametrize  # noqa: E402


def mlp(n, d=8, depth=2, bias=False):
    layers = [nn.Linear(d, n, bias=bias), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(n, n, bias=bias), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(n, 1, bias=bias))


def weights(b):
    return [s for s in b.scalings if s.kind == "weight"]


def test_roles_and_width_ratio_from_base_shapes():
    b = parametrize(mlp(512, depth=3), mlp(128, depth=3), "mup", optimizer="sgd")
    assert [r.role for r in b.layers] == ["input", "hidden", "hidden", "readout"]
    assert all(r.width_ratio == 4.0 for r in b.layers)


@pytest.mark.parametrize("opt", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("name", ["mup", "sp", "ntp", "mfp"])
def test_numbers_follow_the_exponents_from_the_base_width(opt, name):
    """lr_l = base_lr r^{-c_l} (SGD: r^{-(c-d)}), std = base_std r^{-b}, m = r^{-a}, lr * wd kept."""
    from widthlimits.theory.presets import preset

    p = preset(name, 2, "sgd" if opt == "sgd" else "adam")
    base_std = {"input": 0.3, "hidden": 0.05, "readout": 0.02}
    for n in (32, 256, 1024):
        b = parametrize(mlp(n), mlp(64), name, optimizer=opt, lr=0.1, init_std=base_std,
                        weight_decay=0.01, initialize=False)
        r = n / 64
        for i, s in enumerate(weights(b)):
            a, bb, c = (float(x) for x in (p.a[i], p.b[i], p.c[i]))
            assert s.multiplier == pytest.approx(r ** -a)
            assert s.init_std == pytest.approx(base_std[s.role] * r ** -bb)
            assert s.lr == pytest.approx(0.1 * r ** -c)
            assert s.lr * s.weight_decay == pytest.approx(0.1 * 0.01)
            assert (s.eps is None) == (opt == "sgd")


def test_epsilon_scales_with_d_and_sgd_lr_with_c_minus_d():
    p = {"a": [0, 0, 0], "b": [0, "1/2", "1/2"], "c": [1, 1, 1], "d": [0, "1/2", 1]}
    b = parametrize(mlp(400), mlp(100), p, optimizer="adam", eps=1e-6, lr=1.0, initialize=False)
    assert [s.eps for s in weights(b)] == pytest.approx([1e-6, 0.5e-6, 0.25e-6])
    b = parametrize(mlp(400), mlp(100), p, optimizer="sgd", lr=1.0, initialize=False)
    assert [s.lr for s in weights(b)] == pytest.approx([4 ** -1, 4 ** -0.5, 1.0])


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_without_multipliers_is_the_same_function_and_update(opt):
    """multipliers=False moves a into b and c by the width symmetry (TP4 Eq. 5): from the same
    draws, the same function before and after three steps."""
    X = torch.randn(16, 8, generator=torch.Generator().manual_seed(1))
    outs = []
    for mult in (True, False):
        model = mlp(256).double()
        b = parametrize(model, mlp(64), "mup", optimizer=opt, lr=0.05, multipliers=mult,
                        init_std=1.0, eps=1e-12, generator=torch.Generator().manual_seed(3))
        assert (len(b.handles) > 0) == mult
        o = b.optimizer()
        f0 = model(X.double()).detach()
        for _ in range(3):
            o.zero_grad()
            ((model(X.double()) - 1) ** 2).mean().backward()
            o.step()
        outs.append((f0, model(X.double()).detach()))
    (f0a, fa), (f0b, fb) = outs
    torch.testing.assert_close(f0a, f0b, rtol=1e-9, atol=0)
    torch.testing.assert_close(fa, fb, rtol=1e-6, atol=0)
    assert (fa - f0a).abs().max() > 1e-3  # the steps moved the output


def test_init_std_and_hooks_and_remove():
    model = mlp(2048)
    b = parametrize(model, mlp(512), "mup", optimizer="adam", generator=torch.Generator().manual_seed(0))
    for s, (name, prm) in zip(b.scalings, model.named_parameters(), strict=True):
        assert s.name == name
        assert prm.std().item() == pytest.approx(s.init_std, rel=0.05)
    x = torch.randn(4, 8)
    hooked = model(x)
    b.remove()
    raw = model(x)
    assert not torch.allclose(hooked, raw)


@pytest.mark.parametrize("opt,cls", [("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW")])
def test_optimizer_groups(opt, cls):
    model = mlp(128, bias=True)
    b = parametrize(model, mlp(32, bias=True), "mup", optimizer=opt, lr=1e-2, weight_decay=1e-3)
    o = b.optimizer()
    assert type(o).__name__ == cls
    assert [g["name"] for g in o.param_groups] == [n for n, _ in model.named_parameters()]
    for g in o.param_groups:
        s = b.scaling(g["name"])
        assert g["lr"] == s.lr and g["weight_decay"] == s.weight_decay
        if opt != "sgd":
            assert g["eps"] == s.eps
    with pytest.raises(BridgeError, match="set per parameter"):
        b.optimizer(lr=1.0)


def test_bias_keeps_the_input_layer_scaling_after_its_multiplier():
    """Effective bias update (multiplier x raw update) scales like the input layer's."""
    b = parametrize(mlp(1024, bias=True), mlp(256, bias=True), "mup", optimizer="adam",
                    initialize=False)
    inp = b.scaling("0.weight")
    for s in b.scalings:
        if s.kind == "bias" and s.role != "readout":
            assert s.multiplier * s.lr == pytest.approx(inp.multiplier * inp.lr)


# ----------------------------------------------------------------------------- bad input
def test_no_linear_layer():
    with pytest.raises(BridgeError, match=r"the model \(Sequential\) has no nn.Linear layer"):
        parametrize(nn.Sequential(nn.Tanh()), nn.Sequential(nn.Tanh()))


def test_base_model_that_does_not_match():
    with pytest.raises(BridgeError, match="layer '4' is in the model but not in the base model"):
        parametrize(mlp(64, depth=2), mlp(32, depth=1))
    with pytest.raises(BridgeError, match="layer '2': the model and the base model differ in"):
        base = mlp(32)
        base[2] = nn.Linear(32, 32, bias=True)
        parametrize(mlp(64), base)


def test_base_model_with_another_input_dimension_names_the_layer():
    with pytest.raises(BridgeError, match="layer '0' is a hidden layer by its shapes but position 1"):
        parametrize(mlp(64, d=16), mlp(32, d=8))


def test_layer_that_cannot_be_classified():
    model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 10), nn.Linear(10, 10))
    base = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 10), nn.Linear(10, 10))
    with pytest.raises(BridgeError, match=r"layer '3' \(Linear 10 -> 10\): no dimension grows"):
        parametrize(model, base)


def test_same_width_is_ambiguous_without_delta_and_fine_with_it():
    with pytest.raises(BridgeError, match="layer '0': every shape equals the base model's"):
        parametrize(mlp(64), mlp(64))
    b = parametrize(mlp(64), mlp(64), "mup", delta_model=mlp(128), initialize=False)
    assert [r.role for r in b.layers] == ["input", "hidden", "readout"]


def test_module_with_other_parameters_and_wrong_order():
    model = nn.Sequential(nn.Linear(8, 64), nn.LayerNorm(64), nn.Linear(64, 1))
    base = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.Linear(16, 1))
    with pytest.raises(BridgeError, match=r"layer '1' \(LayerNorm\) has parameters but is not"):
        parametrize(model, base)
    with pytest.raises(BridgeError, match="layer '0' is a readout layer by its shapes"):
        parametrize(nn.Sequential(nn.Linear(64, 1), nn.Linear(1, 64)),
                    nn.Sequential(nn.Linear(16, 1), nn.Linear(1, 16)))


def test_unknown_preset_and_optimizer_are_one_line_errors():
    with pytest.raises(BridgeError, match="unknown preset 'muq'"):
        parametrize(mlp(64), mlp(32), "muq")
    with pytest.raises(BridgeError, match="unknown optimizer 'lion'"):
        parametrize(mlp(64), mlp(32), "mup", optimizer="lion")
    assert issubclass(BridgeError, ValueError)


def test_core_imports_without_torch():
    code = ("import sys\n"
            "class NoTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'torch':\n"
            "            raise ImportError('no torch here')\n"
            "sys.meta_path.insert(0, NoTorch())\n"
            "import widthlimits.theory, widthlimits.numerics, widthlimits.numerics.torch_bridge\n"
            "import widthlimits.proofs_checks.cli\n"
            "from widthlimits.numerics.torch_bridge import scale_parameter\n"
            "try:\n    import widthlimits.torch\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "widthlimits.torch needs PyTorch: pip install 'widthlimits[torch]'"
