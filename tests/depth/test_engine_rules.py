"""The residual engine and the derived depth rules against closed forms and the literature."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.depth.engine import derive_depth
from widthlimits.theory.depth.model import DepthModelError, LayerScaling, ResidualModel
from widthlimits.theory.depth.presets import completep, depth_mup, depth_preset, mup_roles
from widthlimits.theory.depth.rules import derive_rules, literature_rules
from widthlimits.theory.depth.scale import Scale, depth_sum, is_diverging

H = Fraction(1, 2)
alphas = st.fractions(min_value=H, max_value=1, max_denominator=12)


def model(alpha: Fraction, optimizer: str, c_L: Fraction = Fraction(0), two: bool = True,
          layernorm: str = "plain", weight_decay: str = "none") -> ResidualModel:
    emb, hid, out = mup_roles(optimizer)
    hid = hid.with_(c_L=c_L, wd=-1 if weight_decay != "none" else None)
    return ResidualModel(emb, (hid, hid) if two else (hid,), out, alpha=alpha,
                         optimizer=optimizer, layernorm=layernorm, weight_decay=weight_decay)


def test_block_sums() -> None:
    assert depth_sum(Scale(0, -1), correlated=True) == Scale(0, 0)
    assert depth_sum(Scale(0, -1), correlated=False) == Scale(0, Fraction(-1, 2))


def test_tp6_depth_mup_sgd() -> None:
    """TP VI: alpha = 1/2 with SGD LR Theta(1): each block Theta(1/L), output Theta(1), the
    block's features move L^{-1/2} (lazy)."""
    r = derive_depth(depth_mup("sgd"))
    assert r.size("block_update") == Scale(0, -1)
    assert r.size("df") == Scale(0, 0) and r.size("dx_stream") == Scale(0, 0)
    assert r.size("block_features") == Scale(0, -H)
    assert r.regime.stable


@settings(max_examples=40, deadline=None)
@given(alphas, st.sampled_from(["sgd", "adam"]), st.booleans())
def test_transferring_lr_closed_form(alpha: Fraction, opt: str, two: bool) -> None:
    """Adam: LR ~ L^{alpha-1}; SGD: LR ~ L^{2 alpha - 1}; features move L^{alpha - 1}."""
    m = model(alpha, opt, two=two)
    c_L = derive_rules(m).block_lr
    assert c_L == (1 - alpha if opt == "adam" else 1 - 2 * alpha)
    r = derive_depth(m.with_block(c_L=c_L))
    assert r.size("block_update") == Scale(0, -1)
    assert r.size("df") == Scale(0, 0)
    assert r.size("block_features") == Scale(0, alpha - 1)
    assert r.regime.stable
    if two:  # CompleteP Sec. 4: nonlinear / linear = L^{alpha - 1}
        assert r.size("linearization_ratio") == Scale(0, alpha - 1)
    feature = "complete" if alpha == 1 else "lazy"
    assert feature in r.regime.summary


@settings(max_examples=30, deadline=None)
@given(st.fractions(min_value=0, max_value=Fraction(5, 11), max_denominator=12))
def test_alpha_below_half_is_unstable(alpha: Fraction) -> None:
    with_ln = derive_depth(model(alpha, "adam", c_L=1 - alpha))
    assert with_ln.size("x_stream") == Scale(0, H - alpha) and not with_ln.regime.stable
    without = derive_depth(model(alpha, "adam", c_L=1 - alpha, layernorm="none"))
    assert is_diverging(without.size("x_stream")) and not without.regime.stable


@settings(max_examples=30, deadline=None)
@given(alphas)
def test_epsilon_and_weight_decay_rules(alpha: Fraction) -> None:
    dec = derive_rules(model(alpha, "adamw", weight_decay="decoupled"))
    assert dec.epsilon["block.1"] == alpha and dec.epsilon["embedding"] == 0
    assert dec.weight_decay == alpha - 1  # lambda ~ L^{1 - alpha}: LR * lambda depth-free
    # coupled L2 under Adam: the decay share is lambda w / |g| with g ~ L^{-alpha}; a
    # depth-free time-scale needs lambda w above the gradient unless alpha = 1 (no solution)
    cpl = derive_rules(model(alpha, "adam", weight_decay="coupled"))
    if alpha == 1:
        assert cpl.weight_decay == 1 and not cpl.notes
    else:
        assert cpl.weight_decay is None and "no depth-free solution" in cpl.notes[0]


def test_tp6_rows_reproduced() -> None:
    for opt in ("sgd", "adam"):
        m = depth_mup(opt)
        assert derive_rules(m).as_dict()["block_lr_L"] == literature_rules(m)["block_lr_L"]


@pytest.mark.parametrize("alpha", [H, Fraction(2, 3), Fraction(3, 4), Fraction(1)])
def test_completep_rows_reproduced(alpha: Fraction) -> None:
    m = completep("adamw", alpha=alpha)
    got, paper = derive_rules(m).as_dict(), literature_rules(m)
    for key in ("block_lr_L", "norm_lr_L", "bias_lr_L"):
        assert got[key] == paper[key], key
    assert got["epsilon_L"]["block.1"] == paper["epsilon_L"]["block.1"]
    # the two documented differences (docs/depth.md): epsilon of the embedding/readout, which
    # the reference code scales like the blocks' (smaller than their gradients: harmless), and
    # the hidden weight decay for alpha < 1 (code: no depth factor; rule: L^{1 - alpha})
    assert got["epsilon_L"]["embedding"] == "0" and paper["epsilon_L"]["embedding"] == str(-alpha)
    assert (got["weight_decay_L"] == paper["weight_decay_L"]) == (alpha == 1)


def test_completep_regime_and_presets() -> None:
    r = derive_depth(depth_preset("completep", "adam"))
    assert r.regime.stable and "complete" in r.regime.summary
    assert r.size("block_nonlinear") == r.size("block_update") == Scale(0, -1)
    lazy = derive_depth(depth_preset("completep:1/2", "adamw"))
    assert lazy.size("linearization_ratio") == Scale(0, -H)


def test_bad_input() -> None:
    with pytest.raises(DepthModelError):
        depth_preset("completep", "sgd")
    with pytest.raises(DepthModelError):
        depth_preset("completep:2", "adamw")
    with pytest.raises(DepthModelError):
        ResidualModel(LayerScaling(), (), LayerScaling())
    with pytest.raises(DepthModelError):
        LayerScaling(a=0.5)


@settings(max_examples=20, deadline=None)
@given(alphas)
def test_sgd_weight_decay_sums_like_init_branches(alpha: Fraction) -> None:
    """SGD with L2 decay: LR ~ L^{2 alpha - 1}, lambda ~ L^{1 - 2 alpha}; the decay shrinks each
    W_0, so its per-block effects are independent across blocks and add like L^{1/2}."""
    emb, hid, out = mup_roles("sgd")
    m = ResidualModel(emb, (hid.with_(wd=0),) * 2, out, alpha=alpha, optimizer="sgd",
                      weight_decay="coupled", layernorm="plain")
    rules = derive_rules(m)
    assert rules.block_lr == 1 - 2 * alpha and rules.weight_decay == 2 * alpha - 1
    r = derive_depth(m.with_block(c_L=rules.block_lr, wd_L=rules.weight_decay))
    assert r.size("block_update_decay") == Scale(0, -alpha)
    assert r.size("dx_stream") == Scale(0, max(Fraction(0), H - alpha))
    assert r.regime.stable
