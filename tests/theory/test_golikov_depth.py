"""Golikov (2020): with mean-field i.i.d. initialization, GD has a non-trivial discrete-time
mean-field limit for L <= 2 hidden layers and none for L >= 3; RMSProp/Adam has one for every L.
(arXiv:2003.05884, abstract.)  Derived by the engine, checked against this project's own
finite-width numpy measurements of that setting (widths 256..16384, tanh and leaky ReLU, not
published), whose fitted exponents are quoted in the tests below."""

import itertools
from fractions import Fraction as F

import pytest

from widthlimits.theory import Parametrization, preset
from widthlimits.theory.classify import classify
from widthlimits.theory.engine import derive
from widthlimits.theory.golikov import depth_row, is_mf_limit

H = F(1, 2)


@pytest.mark.parametrize("L", range(1, 7))
def test_gd_has_a_mean_field_limit_only_up_to_two_hidden_layers(L):
    row = depth_row(L, "sgd")
    assert row.mf_limit is (L <= 2), row.reason
    if L >= 3:
        assert row.classification.regime == "trivial"
        # the reason names the step-0 shortfall of the hidden updates: n^{1 - L/2}
        assert all(s == 1 - F(L, 2) for s in row.step0_shortfall[1:-1])
        assert "short of mean-field size" in row.reason
        # and raising the rates to move every layer at step 0 is unstable from step 1 on
        alt = row.first_step_rates
        assert alt is not None and alt.regime == "unstable"
        assert alt.violations[0].step >= 1


@pytest.mark.parametrize("L", range(1, 7))
@pytest.mark.parametrize("opt", ["rmsprop", "adam"])
def test_normalized_optimizers_have_a_mean_field_limit_at_every_depth(L, opt):
    row = depth_row(L, opt)
    assert row.mf_limit, row.reason
    assert all(s == 0 for s in row.step0_shortfall)


@pytest.mark.parametrize("L,df", [(3, -1), (4, -2), (5, -3)])
def test_gd_trivial_exponents_match_the_measurements(L, df):
    """The measurements: f_t - f_0 ~ n^{2-L}, h^l_t - h^l_0 ~ n^{(4-L-l)/2} (hidden l),
    dW^1 ~ n^{(1-L)/2}, n dW^hidden ~ n^{1-L/2}, n dW^readout ~ n^{(1-L)/2}, at every t >= 1."""
    r = derive(preset("golikov-mf", L, "sgd"), "sgd", "tanh", steps=6)
    for t in range(1, 7):
        def ex(q, l, t=t):
            return r.exponents[(q, l, t)]

        assert ex("df", None) == df == 2 - L
        for l in range(2, L + 1):
            assert ex("dh", l) == F(4 - L - l, 2)
        assert ex("dh", 1) == F(1 - L, 2)
        assert [ex("dW", l) + (1 if l > 1 else 0) for l in range(1, L + 2)] == \
            [F(1 - L, 2)] + [1 - F(L, 2)] * (L - 1) + [F(1 - L, 2)]


@pytest.mark.parametrize("L", [3, 4])
def test_rmsprop_first_step_is_degenerate(L):
    """Caveat 1: f_1 - f_0 ~ n^{-(L-2)/2}, h^l_1 - h^l_0 ~ n^{-(l-2)/2}; Theta(1) from t = 2."""
    r = derive(preset("golikov-mf", L, "rmsprop"), "rmsprop", "tanh")
    assert r.exponents[("df", None, 1)] == -F(L - 2, 2)
    assert [r.exponents[("dh", l, 1)] for l in range(2, L + 1)] == [-F(l - 2, 2) for l in range(2, L + 1)]
    assert r.exponents[("df", None, 2)] == 0


def test_gd_two_layers_lags_only_at_step_zero():
    """Caveat 2: at L = 2 the input and readout move n^{-1/2} below mean-field size at step 0."""
    r = derive(preset("golikov-mf", 2, "sgd"), "sgd", "tanh")
    assert [r.exponents[("dW", 1, 0)], r.exponents[("dW", 3, 0)] + 1] == [-H, -H]
    assert r.exponents[("dh", 1, 1)] == -H and r.exponents[("dh", 1, 2)] == 0
    assert r.exponents[("df", None, 1)] == 0


def test_no_gd_learning_rates_rescue_three_hidden_layers():
    """With the mean-field init fixed, every GD learning-rate exponent vector on a grid
    (input, hidden, readout in -3..3 step 1/2) is unstable, trivial, or leaves some hidden
    layer's features frozen -- never Golikov's mean-field limit; at L = 2 some point is."""
    grid = [F(k, 2) for k in range(-6, 7)]
    for L, expect_some in ((2, True), (3, False)):
        init = preset("golikov-mf", L, "sgd")
        found = []
        for ci, ch, co in itertools.product(grid, grid, grid):
            p = Parametrization(init.a, init.b, (ci,) + (ch,) * (L - 1) + (co,))
            if is_mf_limit(classify(p, "sgd")):
                found.append((ci, ch, co))
        assert bool(found) is expect_some, found[:5]


def test_relu_like_activations_lift_faster_under_rmsprop():
    """A non-odd activation gives features a mean component whose inner products add coherently
    (seen in the measurements: leaky ReLU's first-step slopes drift towards 0): for ReLU the
    engine predicts no first-step lag."""
    r = derive(preset("golikov-mf", 3, "rmsprop"), "rmsprop", "relu")
    assert r.exponents[("df", None, 1)] == 0
