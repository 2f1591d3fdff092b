"""The initial-weight generator: Box-Muller on SFC64 bits gives i.i.d. N(0, std^2) entries,
as a fixed function of the stream and the number of entries (numerics/normals.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from widthlimits.numerics.normals import CHUNK_PAIRS, fill_normal, normal_stream


def _draw(n: int, dtype: type = np.float32, std: float = 1.0, words: tuple = (0, 1, 2)) -> np.ndarray:
    return fill_normal(normal_stream(words), np.empty(n, dtype=dtype), std)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_moments_and_distribution_are_standard_normal(dtype: type) -> None:
    N = 1 << 21
    z = _draw(N, dtype).astype(np.float64)
    se = 1 / math.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * math.sqrt(2) * se
    assert abs(np.mean(z**3)) < 5 * math.sqrt(15) * se
    assert abs(np.mean(z**4) - 3) < 5 * math.sqrt(96) * se
    # two-sided tail beyond 3 sigma: binomial with p = 0.0027
    p = 2 * stats.norm.sf(3)
    assert abs(np.mean(np.abs(z) > 3) - p) < 5 * math.sqrt(p * (1 - p) / N)
    assert stats.kstest(z[: 1 << 20], "norm").pvalue > 1e-3


def test_box_muller_pairs_are_independent() -> None:
    # entry j gets R cos(Theta), entry j + k of the same chunk R sin(Theta) of the same pair:
    # independent normals, so neither they nor their squares are correlated
    z = _draw(8 * 2 * CHUNK_PAIRS).astype(np.float64).reshape(8, 2, CHUNK_PAIRS)
    c, s = z[:, 0].ravel(), z[:, 1].ravel()
    se = 1 / math.sqrt(c.size)
    assert abs(np.corrcoef(c, s)[0, 1]) < 5 * se
    assert abs(np.corrcoef(c**2, s**2)[0, 1]) < 5 * se
    # neighbours (consecutive words) too
    assert abs(np.corrcoef(c[:-1], c[1:])[0, 1]) < 5 * se


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3 * 2 * CHUNK_PAIRS + 5), st.integers(0, 2**32 - 1))
def test_output_is_a_function_of_stream_and_size_only(n: int, seed: int) -> None:
    a = _draw(n, words=(seed, 7))
    b = _draw(n, words=(seed, 7))
    np.testing.assert_array_equal(a, b)
    if n % 2 == 0:  # the same entries in any C-contiguous shape
        c = fill_normal(normal_stream((seed, 7)), np.empty((2, n // 2), np.float32))
        np.testing.assert_array_equal(a, c.ravel())
    assert np.all(np.isfinite(a))


def test_streams_of_different_seeds_differ_and_std_scales() -> None:
    a, b = _draw(1000, words=(0, 64, 1)), _draw(1000, words=(0, 64, 2))
    assert not np.allclose(a, b)
    np.testing.assert_allclose(_draw(1000, std=0.25), 0.25 * _draw(1000), rtol=1e-6)
    np.testing.assert_allclose(_draw(1000, np.float64, std=3.0), 3.0 * _draw(1000, np.float64),
                               rtol=1e-14)


def test_float32_tail_reaches_its_stated_bound_and_no_further() -> None:
    # |Z| <= sqrt(-2 ln 2^-33) = 6.76: the largest of 2^24 draws is near the expected maximum
    z = np.abs(_draw(1 << 24).astype(np.float64))
    assert z.max() <= math.sqrt(66 * math.log(2)) + 1e-5
    assert z.max() > 4.5


def test_zero_std_and_bad_arrays() -> None:
    np.testing.assert_array_equal(_draw(10, std=0.0), np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        fill_normal(normal_stream((0,)), np.empty((4, 4), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="float32 or float64"):
        fill_normal(normal_stream((0,)), np.empty(4, np.int64))
    assert fill_normal(normal_stream((0,)), np.empty(0, np.float32)).size == 0


def test_random_matrices_look_like_those_of_numpys_ziggurat() -> None:
    # matrix-level statistics, where Box-Muller's paired entries (rows i and i + 32 of a 64 x 64
    # matrix share (R, Theta)) would show if they were not independent: the extreme singular
    # values of 400 matrices are distributed as with numpy's ziggurat (two-sample KS)
    n, k = 64, 400
    ours, zig = [], []
    bits = normal_stream((3, 64))
    rng = np.random.default_rng(4)
    for _ in range(k):
        for out, W in ((ours, fill_normal(bits, np.empty((n, n), np.float32))),
                       (zig, rng.standard_normal((n, n), dtype=np.float32))):
            s = np.linalg.svd(W.astype(np.float64) / math.sqrt(n), compute_uv=False)
            out.append((s[0], s[-1], np.linalg.norm(W[: n // 2].sum(0)) / n))
    for j in range(3):
        a, b = [o[j] for o in ours], [z[j] for z in zig]
        assert stats.ks_2samp(a, b).pvalue > 1e-3, j


@pytest.mark.parametrize("std", [1e-30, 1e-16, 1e16, 1e30])
def test_extreme_scales_neither_underflow_nor_overflow(std: float) -> None:
    # std^2 would underflow (or overflow) float32; the draws are still std times the unit draws
    np.testing.assert_allclose(_draw(1000, std=std), std * _draw(1000).astype(np.float64),
                               rtol=1e-6)
