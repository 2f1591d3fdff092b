"""Kernel regime: NNGP/NTK closed forms vs an independent implementation, quadrature and Monte Carlo."""

import json
import pathlib

import numpy as np
import pytest

from widthlimits.numerics.limits import (
    FiniteMLP,
    KernelGDLimit,
    mlp_kernels,
    monte_carlo_kernels,
)

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "skntk_relu_ntk.json"


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_relu_ntk_equals_scikit_ntk_fixture(depth):
    # (d) external reference: scikit-ntk 1.2.1 (PyPI `scikit-ntk`, import `skntk`), generated once
    # in a throwaway venv by tests/fixtures/make_skntk_ntk_fixture.py on 2026-11-22 (provenance
    # inside the JSON).  skntk(depth=D, bias=0)(X) == ntk(X sqrt(d/2), sigma_w^2=2) / (D + 1).
    # Tolerance 1e-7: the fixture has an antipodal and a parallel pair, where sqrt(1 - lambda^2)
    # turns a 1e-16 rounding of the cosine into ~1e-8.
    fx = json.loads(FIXTURE.read_text())
    X = np.array(fx["X"])
    expected = np.array(fx["kernels"][str(depth)])
    ours = mlp_kernels(X * np.sqrt(X.shape[1] / 2), depth=depth, weight_var=2.0).ntk / (depth + 1)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-7)


@pytest.mark.parametrize("activation", ["erf", "linear"])
def test_closed_form_equals_gauss_hermite_quadrature(activation):
    # (b) two constructions: closed form vs 128-node tensor Gauss-Hermite (smooth activations)
    X = np.random.default_rng(7003141592653589793).standard_normal((5, 3)) * 0.5
    kw = {"depth": 2, "activation": activation, "weight_var": 1.0, "bias_var": 0.1}
    a, b = mlp_kernels(X, **kw), mlp_kernels(X, quadrature=True, n_quad=128, **kw)
    np.testing.assert_allclose(a.nngp, b.nngp, atol=1e-12)
    np.testing.assert_allclose(a.ntk, b.ntk, atol=1e-12)


def test_linear_network_kernels_exact():
    # linear activation, no bias: Sigma^{l} = sw^{2l} x.x'/d and Theta^{L+1} = (L+1) Sigma^{L+1}
    X = np.random.default_rng(1).standard_normal((4, 6))
    k = mlp_kernels(X, depth=3, activation="linear", weight_var=1.5)
    base = X @ X.T / 6
    np.testing.assert_allclose(k.nngp, 1.5 ** 4 * base, rtol=1e-13)
    np.testing.assert_allclose(k.ntk, 4 * 1.5 ** 4 * base, rtol=1e-13)


@pytest.mark.parametrize("activation", ["relu", "erf", "tanh"])
def test_closed_form_equals_monte_carlo_finite_width(activation):
    # (c) width 512, 40 networks: |MC - limit| <= 5 standard errors + 0.02 (the O(1/width)
    # finite-width bias of the kernel mean is ~ 1/512 relative; 0.02 covers it at these scales)
    X = np.random.default_rng(2718281828).standard_normal((4, 3))
    kw = {"depth": 2, "activation": activation, "weight_var": 1.5, "bias_var": 0.1}
    exact = mlp_kernels(X, **kw)
    mean, se = monte_carlo_kernels(X, width=512, n_samples=40, rng=31415926535, **kw)
    for name in ("nngp", "ntk"):
        err = np.abs(getattr(mean, name) - getattr(exact, name))
        assert np.all(err <= 5 * getattr(se, name) + 0.02), (name, err.max())


def test_empirical_ntk_is_the_sum_of_parameter_gradient_products():
    # the backprop formula == finite differences of f along random parameter directions
    X = np.random.default_rng(5).standard_normal((3, 4))
    net = FiniteMLP.init(4, 16, 2, activation="tanh", bias_var=0.2, rng=11)
    eps = 1e-6
    grads = []
    for li in range(len(net.weights)):
        for which in ("w", "b"):
            arr = net.weights[li] if which == "w" else net.biases[li]
            for idx in np.ndindex(arr.shape):
                def shifted(h, li=li, which=which, idx=idx):
                    ws = [w.copy() for w in net.weights]
                    bs = [b.copy() for b in net.biases]
                    (ws if which == "w" else bs)[li][idx] += h
                    return FiniteMLP(tuple(ws), tuple(bs), "tanh", 1.0, 0.2)(X)
                grads.append((shifted(eps) - shifted(-eps)) / (2 * eps))
    J = np.array(grads)
    np.testing.assert_allclose(net.empirical_ntk(X), J.T @ J, rtol=1e-6, atol=1e-8)


def test_kernel_gd_limit_flow_and_steps():
    X = np.random.default_rng(9).standard_normal((5, 3))
    y = np.sin(X[:, 0])
    lim = KernelGDLimit.build(X, y, depth=1, activation="erf")
    f0 = np.zeros(5)
    # gradient flow interpolates as t -> inf; GD with small steps tracks the flow (Euler, O(lr))
    np.testing.assert_allclose(lim.flow([1e6], f0)[0], y, atol=1e-8)
    lr = 1e-3
    np.testing.assert_allclose(lim.steps(2000, lr, f0)[-1], lim.flow([2.0], f0)[0], atol=1e-3)


def test_validation_messages():
    X = np.ones((2, 2))
    with pytest.raises(ValueError, match="`activation` must be one of"):
        mlp_kernels(X, activation="swish")
    with pytest.raises(ValueError, match="`depth`.*depth=0"):
        mlp_kernels(X, depth=0)
    with pytest.raises(ValueError, match="`X` must be a 2-d array"):
        mlp_kernels(np.ones(3))


def test_finite_width_gd_converges_to_infinite_width_gd_quick():
    # Lee et al. 2019 Thm 2.1: sup_k |f_k^{(n)} - f_k^{lin}| = O(n^{-1/2}); widths 32..256, 4 seeds
    from widthlimits.numerics.limits import convergence_study

    res = convergence_study("ntk", widths=[32, 64, 128, 256], seeds=4, n_resamples=500)
    print(res.summary())
    assert res.fit.ci_low <= 0.8 and res.fit.ci_high >= 0.2


@pytest.mark.slow
def test_finite_width_gd_order_one_half():
    from widthlimits.numerics.limits import convergence_study

    res = convergence_study("ntk")  # widths 64..1024, 8 seeds
    print(res.summary())
    assert res.fit.ci_low <= 0.65 and res.fit.ci_high >= 0.35
