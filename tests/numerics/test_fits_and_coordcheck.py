"""Exponent fits (CI coverage of a known slope), verdicts, the coord-check report and plot,
and input validation of the public entry points."""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.coordcheck import coordcheck
from widthlimits.numerics.data import DataConfig, make_data
from widthlimits.numerics.fits import DegenerateFitWarning, fit_exponent
from widthlimits.numerics.numeric_parametrization import as_numeric_parametrization
from widthlimits.numerics.simulator import simulate
from widthlimits.numerics.verdicts import Verdict, compare, compare_detail

H = 0.5
MUP = {"a": [-H, 0, H], "b": [H, H, H], "c": [0, 0, 0]}
WIDTHS = [64, 128, 256, 512, 1024, 2048]


def _synthetic(slope: float, rng: np.random.Generator, seeds: int = 8,
               noise: float = 0.3) -> np.ndarray:
    w = np.asarray(WIDTHS, dtype=float)
    return 2.0 * w[:, None] ** slope * np.exp(noise * rng.standard_normal((len(w), seeds)))


@pytest.mark.parametrize("method", ["bootstrap", "percentile", "ols"])
def test_fit_ci_covers_known_slope(method: str) -> None:
    # coverage of the nominal 95% CI over 200 synthetic data sets, lognormal noise 0.3, only
    # 4 seeds (the hard case).  Measured over 300 sets: expanded BCa 92%, OLS 95%; the raw
    # bootstrap interval (no small-sample expansion) covered 81%, which this bound rejects.
    rng = np.random.default_rng(2442101192988600726)
    hits = 0
    for _ in range(200):
        f = fit_exponent(WIDTHS, _synthetic(-0.5, rng, seeds=4), method=method,
                         n_resamples=500, rng=rng)
        hits += f.ci_low <= -0.5 <= f.ci_high
    assert hits >= 176, hits


def test_fit_exact_power_law_and_raw_data_kept() -> None:
    v = np.outer(np.asarray(WIDTHS, float) ** Fraction(-3, 2).__float__(), [1.0, 2.0, 3.0])
    f = fit_exponent(WIDTHS, v, rng=1)
    assert f.slope == pytest.approx(-1.5, abs=1e-12)
    assert f.values.shape == (6, 3) and f.widths == tuple(WIDTHS) and f.n_seeds == 3
    assert "slope=-1.500" in repr(f) and f._repr_latex_().startswith("$")


def test_fit_zero_nan_and_degenerate_cases() -> None:
    z = fit_exponent(WIDTHS, np.zeros((6, 4)))
    assert z.all_zero and z.slope == -math.inf
    v = _synthetic(0.0, np.random.default_rng(5))
    v[2, 1] = np.nan  # a diverged seed is dropped, not fatal
    f = fit_exponent(WIDTHS, v, rng=0)
    assert f.n_seeds == 7 and "dropped" in f.note and math.isfinite(f.slope)
    bad = np.ones((6, 2))
    bad[3] = 0.0
    with pytest.warns(DegenerateFitWarning):
        assert math.isnan(fit_exponent(WIDTHS, bad).slope)


def test_verdict_rules() -> None:
    rng = np.random.default_rng(77)
    f = fit_exponent(WIDTHS, _synthetic(-0.5, rng, noise=0.05), rng=rng)
    assert compare(Fraction(-1, 2), f) is Verdict.AGREE
    assert compare("-0.55", f) is Verdict.AGREE  # inside the 0.1 tolerance
    assert compare(0, f) is Verdict.DISAGREE
    assert compare(None, f) is Verdict.INCONCLUSIVE
    assert compare("-inf", f) is Verdict.DISAGREE
    zero = fit_exponent(WIDTHS, np.zeros((6, 3)))
    assert compare(float("-inf"), zero) is Verdict.AGREE
    assert compare(0, zero) is Verdict.DISAGREE
    noisy = fit_exponent(WIDTHS[:3], _synthetic(-0.5, rng, noise=2.0)[:3], rng=rng)
    assert compare_detail(-0.5, noisy, max_ci_width=0.05).verdict is Verdict.INCONCLUSIVE
    assert "wider" in compare_detail(-0.5, noisy, max_ci_width=0.05).reason


def test_coordcheck_report_schema_and_frozen_layer(tmp_path) -> None:
    frozen_readout = {"a": [-H, 0, H], "b": [H, H, H], "c": [0, 0, float("inf")]}
    pred = {("f", None, 0): Fraction(-1, 2), ("dx", 2, 1): 0, ("dW", 3, 0): float("-inf"),
            ("dW", 2, 0): -1, ("h", 1, 1): "0", ("feature_kernel_change", None, 1): None}
    rep = coordcheck(frozen_readout, 2, "sgd", widths=[64, 128, 256, 512], seeds=4, steps=1,
                     predicted=pred, executor="serial", store=tmp_path)
    d = json.loads(rep.to_json())
    assert set(d) == {"quantities", "agreement_rate", "divergences"}
    for q in d["quantities"]:
        assert set(q) == {"name", "layer", "step", "predicted", "measured", "ci_low",
                          "ci_high", "verdict"}
        assert q["verdict"] in ("agree", "disagree", "inconclusive")
    byname = {(q["name"], q["layer"]): q for q in d["quantities"]}
    assert byname[("f", None)]["predicted"] == "-1/2"
    assert byname[("dW", 3)]["predicted"] == "-inf" and byname[("dW", 3)]["verdict"] == "agree"
    assert byname[("feature_kernel_change", None)]["predicted"] is None
    assert d["agreement_rate"] == 1.0, rep.table()
    assert "agreement rate" in rep.table()


def test_coordcheck_detects_a_wrong_prediction() -> None:
    rep = coordcheck(MUP, 2, "sgd", widths=[64, 128, 256, 512], seeds=4, steps=1,
                     predicted={("dx", 2, 1): "-1/2", ("f", None, 0): "-1/2"},
                     executor="serial")
    verdicts = {c.name: c.verdict for c in rep.checks}
    assert verdicts == {"dx": Verdict.DISAGREE, "f": Verdict.AGREE}
    assert rep.agreement_rate == 0.5 and len(rep.disagreements()) == 1


def test_coordcheck_plot(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    rep = coordcheck(MUP, 2, "adam", widths=[32, 64, 128], seeds=2, steps=1,
                     executor="serial", quantities=("dh", "f"))
    out = rep.plot(str(tmp_path / "cc.png"))
    assert (tmp_path / "cc.png").stat().st_size > 1000 and out.endswith("cc.png")


def test_digits_dataset_is_bundled() -> None:
    pytest.importorskip("sklearn")
    X, y = make_data(DataConfig(kind="digits", n_samples=50, d_in=64, target="labels"))
    assert X.shape == (50, 64) and set(np.unique(y)) <= {-1.0, 1.0}
    cfg = SimulationConfig(MUP, loss="logistic", steps=2,
                           data=DataConfig(kind="digits", n_samples=32, d_in=64,
                                           target="labels"))
    m = simulate(cfg, 64, seeds=2)
    assert m.loss[0, -1] < m.loss[0, 0]


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"optimizer": "lion"}, ValueError, "unknown `optimizer` 'lion'"),
        ({"activation": "swish"}, ValueError, "unknown `activation` 'swish'"),
        ({"loss": "hinge"}, ValueError, "unknown `loss` 'hinge'"),
        ({"eta": (1.0, 2.0)}, ValueError, "`eta` has 2 values"),
        ({"eta": -1.0}, ValueError, "`eta` must be >"),
        ({"steps": -1}, ValueError, r"`steps` must be an int in 0\.\.1000"),
        ({"steps": 10**9}, ValueError, r"`steps` must be an int in 0\.\.1000, got 1000000000"),
        ({"steps": 1.5}, TypeError, "`steps` must be an int"),
        ({"dtype": "float16"}, ValueError, "`dtype` must be 'float32' or 'float64'"),
        ({"batch_size": 1000}, ValueError, "`batch_size` = 1000 exceeds"),
        ({"quantities": ("dh", "nope")}, ValueError, "unknown quantity 'nope'"),
        ({"momentum": 2.0}, ValueError, "`momentum` must be <= 1"),
    ],
)
def test_config_validation(kwargs: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        SimulationConfig(MUP, **kwargs)


@pytest.mark.parametrize(
    ("param", "exc", "match"),
    [
        ({"a": [0, 0], "b": [0, 0]}, TypeError, "lacks c"),
        ({"a": [0, 0], "b": [0, 0], "c": [0]}, ValueError, "`c` has 1 values"),
        ({"a": [0, float("inf")], "b": [0, 0], "c": [0, 0]}, ValueError, r"`a\[2\]`"),
        ({"a": [0, 0], "b": [0, "x"], "c": [0, 0]}, ValueError, r"`b\[2\]` = 'x'"),
        ({"a": [0, 0], "b": [0, 0], "c": [0, object()]}, TypeError, r"`c\[2\]`"),
        ({"a": [0], "b": [0], "c": [0]}, ValueError, "at least 2 weight layers"),
        ({"a": [0, 0], "b": [0, float("nan")], "c": [0, 0]}, ValueError, "NaN"),
    ],
)
def test_param_validation(param: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        as_numeric_parametrization(param)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"depth": 3}, ValueError, "`depth` = 3 but the parametrization has 3 weight layers"),
        ({"widths": [64, 128]}, ValueError, "at least 3"),
        ({"predicted": {("dz", 1, 0): 0}}, ValueError, "unknown quantity 'dz'"),
        ({"predicted": {("dh", 3, 1): 0}}, ValueError, "defined at layers"),
        ({"predicted": {("dh", 1, 9): 0}}, ValueError, "step must be an int in 0..1"),
        ({"predicted": {("dW", 1, 1): 0}}, ValueError, "undefined at the last step"),
        ({"predicted": {("dh", 1, 1): "half"}}, ValueError, "'half' is not a number"),
        ({"predicted": [1, 2]}, TypeError, "must be a mapping"),
    ],
)
def test_coordcheck_validation(kwargs: dict, exc: type, match: str) -> None:
    args = {"depth": 2, "widths": [16, 32, 64], "seeds": 2, "steps": 1,
            "executor": "serial"} | kwargs
    depth = args.pop("depth")
    with pytest.raises(exc, match=match):
        coordcheck(MUP, depth, "sgd", **args)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"method": "jackknife"}, ValueError, "unknown `method` 'jackknife'"),
        ({"confidence": 1.0}, ValueError, "`confidence` must be < 1"),
        ({"widths": [64]}, ValueError, "at least 2"),
        ({"values_per_seed": -np.ones((2, 2))}, ValueError, "non-negative"),
        ({"values_per_seed": np.ones((3, 2))}, ValueError, "shape"),
        ({"rng": "seed"}, TypeError, "`rng`"),
    ],
)
def test_fit_validation(kwargs: dict, exc: type, match: str) -> None:
    args = {"widths": [64, 128], "values_per_seed": np.ones((2, 2))} | kwargs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match):
            fit_exponent(args.pop("widths"), args.pop("values_per_seed"), **args)


def test_simulate_validation() -> None:
    cfg = SimulationConfig(MUP)
    with pytest.raises(ValueError, match="`width` must be an int >= 1, got 0"):
        simulate(cfg, 0)
    with pytest.raises(TypeError, match="`config` must be a SimulationConfig"):
        simulate(MUP, 16)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`seeds` must be distinct"):
        simulate(cfg, 16, seeds=[1, 1])
    with pytest.raises(ValueError, match="`data.d_in` must be 64 for the digits"):
        DataConfig(kind="digits", d_in=32)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop", "signsgd"])
def test_default_learning_rate_keeps_the_first_step_linear(optimizer):
    """The coord check's default rate moves h^1 by less than half its size on the first step
    (tanh near-linear); eta = 1 with an entrywise optimizer saturates it (why the defaults)."""
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.coordcheck import DEFAULT_ETA
    from widthlimits.numerics.data import DataConfig
    from widthlimits.numerics.simulator import simulate
    from widthlimits.theory.presets import preset

    def first_step(eta):
        cfg = SimulationConfig(preset("mup", 2, optimizer), optimizer=optimizer,
                               activation="tanh", eta=eta, steps=1, data=DataConfig(),
                               dtype="float64", quantities=("h", "dh"))
        m = simulate(cfg, 256, [0, 1])
        return m.get("dh", 1)[:, 1].mean() / m.get("h", 1)[:, 0].mean()

    assert first_step(DEFAULT_ETA[optimizer]) < 0.5
    if optimizer in ("adam", "rmsprop", "signsgd"):
        assert first_step(1.0) > 2.0
