"""The coord check's default learning rates across every named parametrization and optimizer
(issue 14): the first step stays in tanh's near-linear range, and the study that measures the
command at its defaults reports every row."""

from __future__ import annotations

import pytest

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.coordcheck import DEFAULT_ETA
from widthlimits.numerics.data import DataConfig
from widthlimits.numerics.simulator import simulate
from widthlimits.proofs_checks.crossval import (
    OPTIMIZERS,
    CrossValidation,
    default_presets,
    render_defaults,
)
from widthlimits.theory.presets import preset


def _pairs():
    out = []
    for name in default_presets():
        for opt in OPTIMIZERS:
            try:
                preset(name, 2, opt)
            except ValueError:  # golikov-sym-default has no entrywise branch
                continue
            out.append((name, opt))
    return out


def test_every_optimizer_has_a_default_rate():
    assert set(DEFAULT_ETA) == set(OPTIMIZERS)


@pytest.mark.parametrize(("name", "optimizer"), _pairs())
def test_default_first_step_is_linear_for_every_named_parametrization(name, optimizer):
    """|dh^1_1| / |h^1_0| < 1/2 at the command's default rate, widths 256 and 1024 (the rule of
    DEFAULT_ETA, which was set on muP: it must hold for every preset the command offers)."""
    cfg = SimulationConfig(preset(name, 2, optimizer), optimizer=optimizer, activation="tanh",
                           eta=DEFAULT_ETA[optimizer], steps=1, data=DataConfig(),
                           dtype="float64", quantities=("h", "dh"))
    for n in (256, 1024):
        m = simulate(cfg, n, [0, 1])
        ratio = m.get("dh", 1)[:, 1].mean() / m.get("h", 1)[:, 0].mean()
        assert ratio < 0.5, (name, optimizer, n, ratio)


def test_render_defaults_counts_and_lists_every_disagreement():
    rows = [{"name": "h", "layer": 1, "step": 0, "predicted": "0", "measured": 0.01,
             "ci_low": -0.02, "ci_high": 0.03, "verdict": "agree"},
            {"name": "h", "layer": 2, "step": 1, "predicted": "0", "measured": -0.4,
             "ci_low": -0.45, "ci_high": -0.35, "verdict": "disagree"},
            {"name": "dh", "layer": 1, "step": 1, "predicted": "-1/2", "measured": None,
             "ci_low": None, "ci_high": None, "verdict": "inconclusive"}]
    case = {"name": "x/sgd", "optimizer": "sgd", "regime": "feature_learning", "r": "0",
            "first_blowup": None, "parametrization": "x", "agreement_rate": 1 / 3,
            "quantities": rows, "divergences": [], "first_step": [0.3, None, 0.2]}
    text = render_defaults(CrossValidation((case,)), 2)
    assert "| x | sgd | feature_learning | 1 | 1 | 1 | 3 | 0.3 |" in text
    assert "| x/sgd | feature_learning | h | 2 | 1 | 0 | -0.400 [-0.450, -0.350] |" in text
    assert "All rows: 1 agree, 1 disagree, 1 inconclusive of 3 rows" in text
