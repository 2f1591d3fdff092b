"""Two-layer and multilayer mean field, and Golikov's discrete-time MF limit."""

import numpy as np
import pytest
from scipy import integrate, stats

from widthlimits.numerics.limits import (
    IsotropicGaussianMF,
    TwoLayerMF,
    convergence_study,
)


def test_ramp_gaussian_expectation_closed_form_vs_adaptive_quadrature():
    iso = IsotropicGaussianMF()
    k = (iso.s2 - iso.s1) / (iso.t2 - iso.t1)

    def ramp(t):
        return np.clip(iso.s1 + k * (t - iso.t1), iso.s1, iso.s2)

    for a in (0.2, 0.7, 1.9):
        val, dval = iso.q(np.array(a))
        quad = integrate.quad(lambda g, a=a: ramp(a * g) * stats.norm.pdf(g), -12, 12,
                              points=[iso.t1 / a, iso.t2 / a], limit=200)[0]
        h = 1e-5
        fd = (iso.q(np.array(a + h))[0] - iso.q(np.array(a - h))[0]) / (2 * h)
        assert abs(val - quad) < 1e-9 and abs(dval - fd) < 1e-6


def test_isotropic_radial_equation_matches_reference_risks():
    # notes section 2.3 (d = 40, kappa = 0.4, Delta = 0.8, ramp (0.5, 1.5, -2.5, 7.5)): the spread
    # PDE gives R = 4.32, 1.067, 1.012 at t = 0, 1, 2; M/dt spread of the solver <= 0.015
    r = IsotropicGaussianMF().solve([0.0, 1.0, 2.0], M=2000, dt=0.01)
    np.testing.assert_allclose(r, [4.32, 1.067, 1.012], atol=0.015)


def test_two_layer_reference_is_accurate_and_starts_at_zero():
    pr = TwoLayerMF.random(rng=0)
    assert np.abs(pr.limit()[0]).max() < 5e-3  # E[a] = 0: the limit output starts at 0
    assert pr.reference_error() < 2e-3  # QMC: far below the errors at widths <= 1024 (>= 2e-2)


def test_step_size_error_is_first_order():
    # full-batch GD with step eps vs gradient flow from the same 256 particles: error ~ eps^1
    res = convergence_study("mf-two-layer-step", n_resamples=500)
    print(res.summary())
    assert res.fit.ci_low <= 1.1 and res.fit.ci_high >= 0.9


@pytest.mark.slow
def test_two_layer_width_order_one_half():
    # widths 64..1024, 8 seeds; MMN Thm 3 / MMM: N-term of order N^{-1/2}
    res = convergence_study("mf-two-layer")
    print(res.summary())
    assert res.fit.ci_low <= 0.65 and res.fit.ci_high >= 0.35


def test_two_layer_width_order_quick():
    res = convergence_study("mf-two-layer", widths=[32, 128, 512], seeds=4, n_resamples=500)
    print(res.summary())
    assert res.fit.ci_low <= 0.8 and res.fit.ci_high >= 0.2


def test_multilayer_derandomization_gap_is_order_one_quick():
    # random w2 vs w2 == mu2 with the same w1, w3: output gap O(1/n) (notes row 14)
    res = convergence_study("mf-multilayer", widths=[25, 50, 100, 200], seeds=4,
                            n_resamples=500)
    print(res.summary())
    assert res.fit.ci_low <= 1.3 and res.fit.ci_high >= 0.7


@pytest.mark.parametrize("model", ["golikov-discrete-mf", "golikov-icmf"])
def test_golikov_discrete_mf_quick(model):
    res = convergence_study(model, widths=[32, 128, 512], seeds=4, n_resamples=500)
    print(res.summary())
    assert res.fit.ci_low <= 0.8 and res.fit.ci_high >= 0.2
