"""Plain MLP arithmetic on seed-batched arrays: weight shapes and initial weights, minibatch
rows, the dense forward and backward pass, and per-seed RMS and Frobenius norms.

The network is :class:`~widthlimits.numerics.config.SimulationConfig`'s (TP4 Sec. 3):
:math:`h^1 = W^1\\xi`, :math:`x^l = \\phi(h^l)`, :math:`h^{l+1} = W^{l+1}x^l`,
:math:`f = W^{L+1}x^L`, no biases, with effective weights :math:`W^l = n^{-a_l}w^l`.  Every
array carries a leading seed axis ``S`` (weights ``(S, m_out, m_in)``, activations
``(S, N, n)``; the input ``X`` (N, d_in) is shared), so one ``np.matmul``
(:func:`~widthlimits.numerics.linalg.bmm`) serves all seeds.  Each seed draws its weights from
its own stream ``SFC64(SeedSequence([init_seed, width, seed]))``
(:mod:`~widthlimits.numerics.normals`), so they do not depend on the other seeds in the batch.

:func:`forward`, :func:`backward_output` and :func:`weight_gradients` are the dense pass
(the tests check them against finite differences and build a naive reference run from them);
:func:`~widthlimits.numerics.simulator.simulate` runs its own pass, which can keep low-rank
updates as factors, and uses :func:`weight_shapes`, :func:`init_weights`,
:func:`minibatch_rows`, :func:`rms` and :func:`gram_fro2`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from widthlimits.numerics.config import SimulationConfig, width_factor
from widthlimits.numerics.linalg import bmm
from widthlimits.numerics.normals import fill_normal, normal_stream

Array = np.ndarray


def rms(a: Array) -> Array:
    """Per-seed RMS over all but the leading axis (sums of squares in float64 for float64
    arrays and small ones, in float32 SIMD partial sums for larger float32 arrays).

    One reduction per seed: a batched ``einsum("si,si->s")`` sums in a different order than
    the same row alone, which would make a seed's numbers depend on how seeds are grouped."""
    flat = a.reshape(a.shape[0], -1)
    m = flat.shape[1]
    if m == 0:
        return np.zeros(a.shape[0])
    # float32 arrays: float32 SIMD accumulation (einsum keeps several partial sums): relative
    # error of the sum of squares <= 2e-5 even for 2^24 equal entries (measured), 4x faster
    # than accumulating in float64, which is kept for float64 runs and tiny arrays
    acc = np.float64 if flat.dtype == np.float64 or m <= 1 << 12 else None
    sq = np.array([np.einsum("i,i->", r, r, dtype=acc) for r in flat], dtype=np.float64)
    return np.sqrt(sq / m)


def gram_fro2(U: Array, V: Array, w: Array | None = None) -> Array:
    """:math:`\\|\\sum_k w_k u_k v_k^\\top\\|_F^2` per seed, for ``U`` (S, K, m), ``V`` (S, K, p)."""
    GU = bmm(U, U.swapaxes(-1, -2)).astype(np.float64)
    GV = bmm(V, V.swapaxes(-1, -2)).astype(np.float64)
    if w is None:
        return np.einsum("skj,skj->s", GU, GV)
    return np.einsum("k,skj,skj,j->s", w, GU, GV, w)


def minibatch_rows(config: SimulationConfig, t: int) -> Array:
    """Rows of the data set used by the update at step ``t``.

    Full batch: all rows.  Otherwise rows ``order[(tB + k) mod N]``, ``k < B``, of a fixed
    permutation drawn from the data seed (the same at every width and weight seed).
    """
    N, B = config.data.n_samples, config.effective_batch_size
    if B == N:
        return np.arange(N)
    order = np.random.default_rng(
        np.random.SeedSequence([config.data.seed, 0xBA7C4])).permutation(N)
    return order[(t * B + np.arange(B)) % N]


def weight_shapes(config: SimulationConfig, width: int) -> list[tuple[int, int]]:
    """Shapes of the weight matrices: ``(n, d_in)``, ``(n, n)`` (``L - 1`` times), ``(1, n)``."""
    return [(width, config.data.d_in)] + [(width, width)] * (config.param.depth - 1) + [(1, width)]


def init_weights(config: SimulationConfig, width: int, seeds: Sequence[int],
                 out: Sequence[Array] | None = None) -> list[Array]:
    """Initial effective weights :math:`W^l_0 = n^{-a_l} w^l_0`, stacked over seeds.

    Shapes ``(S, n, d_in)``, ``(S, n, n)`` (``L - 1`` times), ``(S, 1, n)``.  Seed ``s`` draws
    from its own stream ``SFC64(SeedSequence([init_seed, width, s]))`` layer by layer
    (:func:`~widthlimits.numerics.normals.fill_normal`: Box-Muller in float32, numpy's ziggurat
    in float64), so a seed's weights do not depend on the other seeds in the batch.  ``out``, if
    given, holds arrays of these shapes and dtype that are overwritten (drawn into in place) and
    returned.
    """
    p, n, d = config.param, width, config.data.d_in
    dt = np.dtype(config.dtype)
    shapes = weight_shapes(config, n)
    if out is None:
        Ws = [np.empty((len(seeds), *sh), dtype=dt) for sh in shapes]
    else:
        Ws = list(out)
        if [W.shape for W in Ws] != [(len(seeds), *sh) for sh in shapes] or any(
                W.dtype != dt for W in Ws):
            raise ValueError("`out` does not match the weight shapes/dtype")
    for i, s in enumerate(seeds):
        bits = normal_stream((config.init_seed, n, s))
        for l, W in enumerate(Ws):
            std = width_factor(n, p.a[l]) * width_factor(n, p.b[l])
            if l == 0:
                std /= math.sqrt(d)
            fill_normal(bits, W[i], std)
    return Ws


def forward(Ws: Sequence[Array], X: Array, phi: Any) -> tuple[list[Array], list[Array], Array]:
    """Dense forward pass: returns ``hs`` (L arrays (S, N, n)), ``xs`` (``[X] + L`` arrays) and
    ``f`` (S, N)."""
    hs: list[Array] = []
    xs: list[Array] = [X]
    for W in Ws[:-1]:
        h = bmm(xs[-1], W.swapaxes(-1, -2))
        hs.append(h)
        xs.append(phi(h))
    f = bmm(xs[-1], Ws[-1].swapaxes(-1, -2))[..., 0]
    return hs, xs, f


def backward_output(Ws: Sequence[Array], hs: Sequence[Array], dphi: Any) -> list[Array]:
    """:math:`g^l = \\partial f/\\partial h^l` for ``l = 1..L`` (dense), each (S, N, n)."""
    L = len(hs)
    gs: list[Array] = [None] * L  # type: ignore[list-item]
    g = Ws[-1][:, 0, None, :] * dphi(hs[-1])
    gs[L - 1] = g
    for l in range(L - 1, 0, -1):
        g = bmm(g, Ws[l]) * dphi(hs[l - 1])
        gs[l - 1] = g
    return gs


def weight_gradients(gs: Sequence[Array], xs: Sequence[Array], chi: Array) -> list[Array]:
    """:math:`\\partial\\mathcal L/\\partial W^l = \\sum_i \\chi_i g^l_i x^{l-1\\top}_i`
    (effective weights; multiply by :math:`n^{-a_l}` for :math:`w^l`)."""
    out = []
    for l, g in enumerate(gs):
        cg = g * chi[..., None]
        out.append(bmm(cg.swapaxes(-1, -2), xs[l]))
    out.append(bmm(chi[:, None, :], xs[-1]))
    return out


__all__ = ["backward_output", "forward", "gram_fro2", "init_weights", "minibatch_rows", "rms",
           "weight_gradients", "weight_shapes"]
