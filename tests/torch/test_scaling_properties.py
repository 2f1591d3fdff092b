"""Properties of the bridge's numbers (no torch needed): the base-width rule and the width
symmetry (TP4 Eq. 5; TP IVb Prop. 2.2.3) hold for any exponents and widths."""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from widthlimits.numerics.torch_bridge.scaling import (
    BaseHyperparameters,
    BridgeError,
    Exponents,
    bias_exponents,
    scale_parameter,
)

halves = st.integers(-4, 4).map(lambda k: Fraction(k, 2))
ratios = st.sampled_from([0.25, 0.5, 2.0, 4.0, 16.0])
opts = st.sampled_from(["sgd", "adam", "adamw"])
BASE = BaseHyperparameters(lr=0.01, init_std=0.3, multiplier=1.5, eps=1e-8, weight_decay=0.1)


def numbers(e, r, opt, base=BASE):
    return scale_parameter("w", "l", "hidden", "weight", e, r, 64, base, opt)


@given(halves, halves, halves, halves, ratios, ratios, opts)
def test_base_width_rule_composes(a, b, c, d, r1, r2, opt):
    """Going n0 -> n1 -> n2 equals n0 -> n2: the numbers at n1 are base values for n2."""
    e = Exponents(float(a), float(b), float(c), float(d))
    s1 = numbers(e, r1, opt)
    base1 = BaseHyperparameters(lr=s1.lr, init_std=s1.init_std, multiplier=s1.multiplier,
                                eps=s1.eps if s1.eps is not None else 1e-8,
                                weight_decay=s1.weight_decay)
    s12, s2 = numbers(e, r2, opt, base1), numbers(e, r1 * r2, opt)
    for x, y in ((s12.lr, s2.lr), (s12.init_std, s2.init_std), (s12.multiplier, s2.multiplier),
                 (s12.weight_decay, s2.weight_decay)):
        assert x == pytest.approx(y, rel=1e-12)
    if opt != "sgd":
        assert s12.eps == pytest.approx(s2.eps, rel=1e-12)


@given(halves, halves, halves, halves, halves, ratios, opts)
def test_symmetry_leaves_effective_init_and_update_unchanged(a, b, c, d, theta, r, opt):
    """(a+t, b-t, c-2t | c-t, d+t): same effective init std m*sigma and the same effective
    update: SGD m^2 lr (the n^d shift included), Adam m lr with epsilon eps/m relative to the
    gradient m g."""
    e = Exponents(float(a), float(b), float(c), float(d))
    fam = "sgd" if opt == "sgd" else "entrywise"
    s, t = numbers(e, r, opt), numbers(e.shifted(float(theta), fam), r, opt)
    assert s.multiplier * s.init_std == pytest.approx(t.multiplier * t.init_std, rel=1e-12)
    if opt == "sgd":
        assert s.multiplier ** 2 * s.lr == pytest.approx(t.multiplier ** 2 * t.lr, rel=1e-12)
    else:
        assert s.multiplier * s.lr == pytest.approx(t.multiplier * t.lr, rel=1e-12)
        assert s.eps / s.multiplier == pytest.approx(t.eps / t.multiplier, rel=1e-12)
    assert s.lr * s.weight_decay == pytest.approx(t.lr * t.weight_decay, rel=1e-12)


@given(halves, halves, halves, halves, halves, opts)
def test_bias_effective_scaling_is_the_input_layers(a1, c1, al, bl, cl, opt):
    fam = "sgd" if opt == "sgd" else "entrywise"
    inp = Exponents(float(a1), 0.0, float(c1), 0.0)
    layer = Exponents(float(al), float(bl), float(cl), 0.0)
    be = bias_exponents(layer, inp, "hidden", fam)
    assert be.a == layer.a
    # effective update: SGD n^{-(2a + c - d)}; entrywise n^{-(a + c)} with epsilon n^{-(d - a)}
    # relative to the gradient of the effective weight; effective init n^{-(a + b)}
    if fam == "sgd":
        assert 2 * be.a + be.c - be.d == pytest.approx(2 * inp.a + inp.c - inp.d)
    else:
        assert be.a + be.c == pytest.approx(inp.a + inp.c)
        assert be.d - be.a == pytest.approx(inp.d - inp.a)
    assert be.a + be.b == pytest.approx(inp.a + inp.b)


def test_inf_exponents_and_bad_ratio():
    s = numbers(Exponents(0.0, math.inf, math.inf, None), 4.0, "adam")
    assert s.init_std == 0.0 and s.lr == 0.0 and s.weight_decay == 0.0
    with pytest.raises(BridgeError, match="layer 'l': width ratio"):
        numbers(Exponents(0.0, 0.5, 1.0), 0.0, "sgd")


@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("d", [None, ("1/2", 0, "-1/2")])
def test_without_multipliers_trains_like_the_original_in_the_simulator(opt, d):
    """Parametrization.without_multipliers: a = 0 and the simulator's losses unchanged (for SGD
    with d given, d is folded into c; the plain shift (a+t, b-t, c-2t, d+t) would not be a
    symmetry there)."""
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig
    from widthlimits.numerics.simulator import simulate
    from widthlimits.theory.presets import preset

    p = preset("mup", 2, opt)
    if d is not None:
        p = p.replace(d=d)
    q = p.without_multipliers(opt)
    assert all(x == 0 for x in q.a)
    losses = [simulate(SimulationConfig(x, optimizer=opt, steps=3, dtype="float64", eta=0.3,
                                        data=DataConfig(n_samples=8, d_in=4)), 64, seeds=(0,)).loss[0]
              for x in (p, q)]
    assert losses[1] == pytest.approx(losses[0], rel=1e-9)
    assert losses[0][3] != pytest.approx(losses[0][0], rel=1e-3)
