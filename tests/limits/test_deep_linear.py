"""CCFF deep linear networks: the infinite-width limit and the rate of finite widths toward it."""

import numpy as np
import pytest

from widthlimits.numerics.limits import DeepLinearProblem, convergence_study
from widthlimits.numerics.limits.deep_linear import kernel, path_space_init


@pytest.fixture(scope="module")
def long_limit():
    pr = DeepLinearProblem.random(rng=0)  # d = 8, n = 4, X_ij ~ N(0, 4/d), y ~ N(0, 1)
    return pr, *pr.limit(t_max=30.0)


def test_limit_kernel_at_init_is_3_identity():
    # K = |T*v|^2 I + |v|^2 Gamma_U + Gamma_TU -> I + I + I at t = 0
    np.testing.assert_allclose(kernel(path_space_init(8, 30)), 3 * np.eye(8), atol=1e-15)


def test_limit_lands_on_min_norm_interpolator(long_limit):
    # CCFF abstract: the infinitely wide net converges to the risk minimizer of minimal l2 norm
    pr, times, betas, _ = long_limit
    np.testing.assert_allclose(betas[-1], pr.min_norm_interpolator(), atol=1e-8)
    null = np.eye(8) - np.linalg.pinv(pr.X) @ pr.X
    assert np.abs(betas @ null).max() < 1e-12  # beta(t) in row(X) at all times (equivariance)


def test_late_rate_equals_lambda_min_of_X_Kinf_Xt_over_n(long_limit):
    # CCFF Thm 2.3 / Prop. 5.5: |r(t)| ~ exp(-lambda t), lambda = lambda_min^+(X K_inf X^T / n)
    pr, times, betas, final = long_limit
    r = np.linalg.norm(betas @ pr.X.T - pr.y, axis=1)
    late = (times > 12) & (times < 22)
    fitted = -np.polyfit(times[late], np.log(r[late]), 1)[0]
    predicted = pr.predicted_late_rate(kernel(final))
    print(f"late rate fitted {fitted:.7f}, predicted {predicted:.7f}")
    assert abs(fitted / predicted - 1) < 1e-3


def test_chain_truncation_P_vs_2P():
    pr = DeepLinearProblem.random(rng=0)
    b15, b30 = pr.limit(P=15)[1], pr.limit(P=30)[1]
    assert np.abs(b15 - b30).max() < 1e-10


def test_finite_width_loss_obeys_certificate():
    # L(t) <= L(0) exp(-2 lambda_min(X X^T/n) int |T^T v|^2) since K >= |T^T v|^2 I; here we check
    # the weaker consequence that the finite-width loss decreases monotonically under the flow
    pr = DeepLinearProblem.random(rng=0, t_max=2.0)
    _, b, _ = pr.finite(128, np.random.default_rng(2024061101))
    loss = 0.5 * np.mean((b @ pr.X.T - pr.y) ** 2, axis=1)
    assert np.all(np.diff(loss) <= 1e-12)


@pytest.mark.slow
def test_finite_widths_converge_at_order_one_half():
    # widths 64..1024, 6 seeds, RK4 dt = 0.01, T = 4: sup_t rms |beta_m - beta_inf| ~ m^{-1/2}
    res = convergence_study("deep-linear")
    print(res.summary())
    assert res.fit.ci_low <= 0.65 and res.fit.ci_high >= 0.35


def test_finite_widths_approach_the_limit_quick():
    # a fast version: widths 32..256, 4 seeds; the CI is wide, it must intersect [0.2, 0.8]
    res = convergence_study("deep-linear", widths=[32, 64, 128, 256], seeds=4, n_resamples=500)
    print(res.summary())
    assert res.fit.ci_low <= 0.8 and res.fit.ci_high >= 0.2
