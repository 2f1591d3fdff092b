"""Sliced Wasserstein distance between particle measures (numerics.limits.distances)."""

import numpy as np
import pytest

from widthlimits.numerics.limits.distances import sliced_wasserstein


def test_identical_measures_are_at_distance_zero_and_shifts_are_seen():
    rng = np.random.default_rng(8841921)
    x = rng.standard_normal((400, 4))
    assert sliced_wasserstein(x, x) == 0.0
    shift = np.zeros(4)
    shift[0] = 1.0
    d = sliced_wasserstein(x, x + shift, n_projections=256)
    # SW1 of a translation by v is E|<theta, v>| = |v| E|theta_1| (about 0.40 in 4-D)
    assert 0.3 < d < 0.5


def test_empirical_measure_converges_at_rate_one_half():
    """E SW1(mu_N, mu) ~ N^{-1/2} for a Gaussian mu (1-D projections of i.i.d. samples)."""
    rng = np.random.default_rng(31337)
    ref = rng.standard_normal((20_000, 2))
    ns = np.array([100, 400, 1600])
    errs = [np.mean([sliced_wasserstein(rng.standard_normal((n, 2)), ref, n_projections=16, rng=s)
                     for s in range(6)]) for n in ns]
    slope = np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert -0.65 < slope < -0.4


def test_shapes_are_validated():
    with pytest.raises(ValueError, match="same number of columns"):
        sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 3)))
