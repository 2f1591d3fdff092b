"""Gaussian initial weights, drawn fast and reproducibly: Box-Muller on SFC64 bits.

The simulator's initial weights are i.i.d. :math:`N(0, \\sigma^2)`.  numpy's
``Generator.standard_normal`` (a scalar ziggurat) costs about 9.4 ns per float32 sample on the
reference machine, which made drawing the initial weights a third of a width-4096 SGD sweep.
This module draws the same distribution with the Box-Muller transform (Box and Muller 1958,
"A note on the generation of random normal deviates", Ann. Math. Statist. 29(2)):

.. math::

    Z_1 = R\\cos\\Theta,\\quad Z_2 = R\\sin\\Theta,\\qquad
    R = \\sqrt{-2\\ln U_1},\\ \\Theta = 2\\pi U_2,

with :math:`U_1, U_2` independent uniforms; :math:`Z_1, Z_2` are then independent standard
normals.  Every step is a whole-array numpy operation (numpy's SIMD ``log``, ``sqrt``,
``sin``, ``cos``), run over chunks that stay in cache: about 2.5 ns per float32 sample here
(``benchmarks/bench_numerics.py`` prints both rates).

Bits come from one ``numpy.random.SFC64`` stream per (init seed, width, seed) -- a
``SeedSequence`` per stream, as before, so a seed's weights do not depend on the other seeds
or on scheduling.  The output is a fixed function of the stream and of the number of entries:
entries are laid out in C order and cut into fixed chunks of ``2 * CHUNK_PAIRS`` entries; a
chunk of ``m`` entries takes ``k = ceil(m / 2)`` 64-bit words, the first ``k`` entries get
:math:`R\\cos\\Theta` and the remaining ``m - k`` get :math:`R\\sin\\Theta` of the first pairs.

Resolution (stated, not hidden): in float32,
:math:`U_1 = \\mathrm{fl}_{32}(w_1) 2^{-32} + 2^{-33}` from a 32-bit word ``w1`` (so
:math:`U_1 \\in [2^{-33}, 1]` and :math:`|Z| \\le \\sqrt{66 \\ln 2} \\approx 6.76`, a tail of
probability :math:`1.4 \\times 10^{-11}` cut off), and :math:`\\Theta` lies on a grid of
:math:`2^{24}` angles.

float64 (on request) uses numpy's own ziggurat on the same SFC64 stream
(``Generator(bits).standard_normal``): numpy has no SIMD float64 ``sin``/``cos`` (about 9 ns
each here), so Box-Muller would be twice as slow as the ziggurat in double precision.
"""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray

#: pairs per chunk: 2 x 16 K float32 entries (128 KiB) keeps the chunk's arrays in L2
CHUNK_PAIRS = 1 << 14

_TWO_PI = 2.0 * math.pi


def normal_stream(seed_words: list[int] | tuple[int, ...]) -> np.random.SFC64:
    """The bit stream of one (init seed, width, seed): ``SFC64(SeedSequence(seed_words))``."""
    return np.random.SFC64(np.random.SeedSequence(list(seed_words)))


def fill_normal(bits: np.random.BitGenerator, out: Array, std: float = 1.0) -> Array:
    """Overwrite ``out`` (float32 or float64, C-contiguous) with i.i.d. :math:`N(0, std^2)`
    entries drawn from the bit generator ``bits`` and return it: Box-Muller in float32
    (``ceil(m / 2)`` 64-bit words per chunk of ``m`` entries), numpy's ziggurat in float64
    (see the module docstring)."""
    dt = out.dtype
    if dt not in (np.float32, np.float64):
        raise ValueError(f"fill_normal: dtype {dt} is not float32 or float64")
    if not out.flags.c_contiguous:
        raise ValueError("fill_normal: `out` must be C-contiguous")
    flat = out.reshape(-1)
    total = flat.size
    if total == 0:
        return out
    if std == 0.0:
        flat[:] = 0
        return out
    if dt == np.float64:
        np.random.Generator(bits).standard_normal(out=flat)
        if std != 1.0:
            flat *= std
        return out
    k_max = min(CHUNK_PAIRS, (total + 1) // 2)
    radius = np.empty(k_max, dtype=dt)
    angle = np.empty(k_max, dtype=dt)
    # R^2 = -2 std^2 ln U1: the scale is folded into the factor of ln U1 when std^2 is a normal
    # float32 with room to spare; otherwise (|std| < 1e-15 or > 1e15) R is scaled after the sqrt
    fold = 1e-30 < std * std < 1e30
    m2 = np.float32(-2.0 * std * std if fold else -2.0)
    after = np.float32(std)
    for start in range(0, total, 2 * CHUNK_PAIRS):
        m = min(2 * CHUNK_PAIRS, total - start)
        k = (m + 1) // 2
        r, a = radius[:k], angle[:k]
        w = bits.random_raw(k).view(np.uint32)  # 2k words of 32 bits
        np.copyto(r, w[:k], casting="unsafe")
        r *= np.float32(2.0 ** -32)
        r += np.float32(2.0 ** -33)
        w2 = w[k:]
        w2 >>= 8  # 24 exact bits for the angle
        np.copyto(a, w2, casting="unsafe")
        a *= np.float32(_TWO_PI * 2.0 ** -24)
        np.log(r, out=r)
        r *= m2
        np.sqrt(r, out=r)
        if not fold:
            r *= after
        first = flat[start:start + k]
        np.cos(a, out=first)
        first *= r
        rest = flat[start + k:start + m]
        np.sin(a[: m - k], out=rest)
        rest *= r[: m - k]
    return out
