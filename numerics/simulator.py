"""Fast finite-width MLP simulator: the training run, seeds batched.

All seeds of one width share every matrix product: weights are stacked along a leading seed
axis ``S`` and one ``np.matmul`` on ``(S, n, n)`` arrays serves all of them.  Seeds run in
groups of :func:`auto_seed_batch` that reuse one pool of arrays; each seed draws its weights
from its own stream, so the numbers do not depend on how seeds are grouped or scheduled
(tested).

SGD and momentum updates of the hidden ``n x n`` layers are rank ``B`` per step; in low-rank
mode (:func:`uses_lowrank`: automatic when ``B * steps <= width / 3``) the simulator never forms
:math:`W_t` and computes :math:`W_t x = W_0 x + \\sum_s c_s U_s (V_s^\\top x)` instead, which
also gives :math:`(W_t - W_0)x` and :math:`W_0 x` for free.

Overflow or NaN never raises: the first step at which a seed produces a non-finite
measurement is recorded as a :class:`~widthlimits.numerics.measurements.Divergence`, and that
seed's later values are NaN.

The result type is in :mod:`~widthlimits.numerics.measurements`; the plain MLP arithmetic on
seed-batched arrays (initial weights, minibatch rows, the dense forward/backward pass, per-seed
RMS) in :mod:`~widthlimits.numerics.mlp_arrays`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from widthlimits.numerics.activations import get_activation
from widthlimits.numerics.config import SimulationConfig, width_factor
from widthlimits.numerics.data import make_data
from widthlimits.numerics.linalg import bmm, tr
from widthlimits.numerics.losses import loss_derivative, loss_value
from widthlimits.numerics.measurements import Divergence, Measurements
from widthlimits.numerics.mlp_arrays import (
    gram_fro2,
    init_weights,
    minibatch_rows,
    rms,
    weight_shapes,
)
from widthlimits.numerics.quantities import QUANTITY_NAMES, quantity_keys
from widthlimits.numerics.validation import check_int, check_seeds

Array = np.ndarray
#: quantities whose NaN means "undefined" (zero reference kernel), not divergence
_NAN_OK = frozenset({"feature_kernel_change", "tangent_kernel_change"})


def _decay_add(acc: Array, x: Array, decay: Any, first: bool) -> None:
    """``acc = decay * acc + x`` in place (``acc = x`` at the first step: the state needs no zero
    fill) -- the momentum buffer and Adam/RMSProp's moments."""
    if first:
        np.copyto(acc, x)
    else:
        acc *= decay
        acc += x


# ---------------------------------------------------------------------------- memory
#: elements per block of the blocked optimizer update (a few such blocks stay in L2 cache)
_BLOCK = 1 << 16
#: size of the n x n state (weights, optimizer moments) of one automatic seed group
_GROUP_BYTES = 8 << 20


class _Pool:
    """Arrays shared by the seed groups of one :func:`simulate` call.

    On the reference VM the first write to freshly allocated memory costs about 0.16-0.5 s per
    64 MiB (page faults, docs/benchmarks.md), far more than the arithmetic done on it.  Seed
    groups therefore run one after another in the same memory: every array is allocated for
    ``S_max`` seeds once and later groups get (views of) the same arrays back."""

    def __init__(self, s_max: int) -> None:
        self.s_max = s_max
        self.arrays: dict[tuple[Any, ...], Array] = {}

    def get(self, key: Any, S: int | None, shape: tuple[int, ...], dtype: Any,
            zero: bool = False) -> Array:
        """Array of shape ``(S, *shape)`` (or ``shape`` if ``S`` is None) for ``key``; zeroed
        if ``zero`` (``np.zeros`` on first use: lazily zeroed pages, no explicit fill)."""
        dt = np.dtype(dtype)
        full = shape if S is None else (self.s_max, *shape)
        k = (key, full, dt.str)
        a = self.arrays.get(k)
        if a is None:
            a = np.zeros(full, dtype=dt) if zero else np.empty(full, dtype=dt)
            self.arrays[k] = a
        elif zero:
            a.fill(0)
        return a if S is None else a[:S]


def uses_lowrank(config: SimulationConfig, width: int) -> bool:
    """Whether ``simulate`` keeps SGD/momentum updates of the hidden layers as low-rank factors
    at this width (``config.lowrank``, or automatically when ``B * steps * 3 <= width``)."""
    L = config.param.depth
    B = config.effective_batch_size
    # measured crossover (docs/benchmarks.md): dense is faster at B T / n = 0.63 (n = 512),
    # low rank at 0.31 (n = 1024, 9% faster) and below
    auto = (not config.entrywise) and L >= 2 and B * max(config.steps, 1) * 3 <= width
    return (config.lowrank if config.lowrank is not None else auto) and (
        not config.entrywise) and L >= 2


def auto_seed_batch(config: SimulationConfig, width: int, n_seeds: int) -> int:
    """Seeds processed at once by :func:`simulate` when ``seed_batch`` is not given.

    The hidden ``n x n`` state of one group (weights, optimizer moments) is kept near
    ``_GROUP_BYTES``: groups reuse each other's memory, so fresh memory (expensive to touch
    on the reference VM) is touched for one group only, while small widths still batch all
    seeds (per-call overhead).  The numbers do not depend on it."""
    L = config.param.depth
    if L < 2:
        return n_seeds
    lowrank = uses_lowrank(config, width)
    per = 1  # W (W_0 in low-rank mode)
    if config.quantities is None or {"dWx", "W0dx"} & set(config.quantities):
        per += 0 if lowrank else 1
    per += {"adam": 2, "rmsprop": 1, "momentum": 0 if lowrank else 1}.get(config.optimizer, 0)
    nbytes = per * (L - 1) * width * width * np.dtype(config.dtype).itemsize
    return max(1, min(n_seeds, _GROUP_BYTES // max(nbytes, 1)))


# ---------------------------------------------------------------------------- the run
class _Run:
    """State of one batched simulation (private; use :func:`simulate`)."""

    def __init__(self, config: SimulationConfig, width: int, seeds: tuple[int, ...],
                 pool: _Pool | None = None) -> None:
        self.pool = pool if pool is not None else _Pool(len(seeds))
        self.cfg = config
        self.n = n = width
        self.seeds = seeds
        self.S = len(seeds)
        p = config.param
        self.L = L = p.depth
        self.dt = dt = np.dtype(config.dtype)
        act = get_activation(config.activation)
        self.phi, self.dphi = act.phi, act.dphi
        X, y = make_data(config.data)
        self.X = X.astype(dt)
        self.y = y
        self.N = X.shape[0]
        self.B = config.effective_batch_size
        self.T = config.steps
        self.q = set(config.quantities or QUANTITY_NAMES)
        self.keys = quantity_keys([nm for nm in QUANTITY_NAMES if nm in self.q], L)
        self.kidx = {k: i for i, k in enumerate(self.keys)}
        self.values = np.full((len(self.keys), self.S, self.T + 1), np.nan)
        self.reference = np.full_like(self.values, np.nan)
        self.loss = np.full((self.S, self.T + 1), np.nan)

        # per-layer factors: multiplier, learning rate
        self.am = [width_factor(n, a) for a in p.a]  # n^{-a}
        dvec = p.d if p.d is not None else (0.0,) * p.n_layers
        self.dpow = [float(n) ** dd for dd in dvec]
        self.frozen = [math.isinf(c) for c in p.c]
        if config.entrywise:
            # dW = -eta n^{-c} n^{-a} Q(n^d n^{-a} G)
            self.lr = [e * width_factor(n, c) * am for e, c, am in zip(config.eta, p.c, self.am,
                                                                       strict=True)]
        else:
            # dW = n^{-a} dw = -eta n^{-c} n^{d} n^{-2a} G
            self.lr = [e * width_factor(n, c) * dp * am * am for e, c, dp, am in
                       zip(config.eta, p.c, self.dpow, self.am, strict=True)]
        # tangent-kernel layer weights: the per-layer rate on w, times n^{-2a} for dW/dw
        self.ntk_w = [e * width_factor(n, c) * (1.0 if config.entrywise else dp) * am * am
                      for e, c, dp, am in zip(config.eta, p.c, self.dpow, self.am, strict=True)]

        self.lowrank = uses_lowrank(config, n)

        S, pool = self.S, self.pool
        shapes = weight_shapes(config, n)
        self.W = init_weights(config, width, seeds,
                              out=[pool.get(("W", l), S, sh, dt) for l, sh in enumerate(shapes)])
        need_w0_dense = bool(self.q & {"dWx", "W0dx"})
        self.W0 = [None] * (L + 1)
        for l in range(L + 1):
            hidden = 0 < l < L
            if hidden and self.lowrank:
                self.W0[l] = self.W[l]
            elif not hidden or need_w0_dense:
                self.W0[l] = pool.get(("W0", l), S, shapes[l], dt)
                np.copyto(self.W0[l], self.W[l])
        # optimizer state: no zero fill, the first step assigns it (_step_block)
        self.state: dict[str, list[Any]] = {}
        if self.lowrank:
            K = self.B * max(self.T, 1)
            self.Ut = [None] * (L + 1)
            self.Vt = [None] * (L + 1)
            for l in range(1, L):
                self.Ut[l] = pool.get(("Ut", l), S, (K, n), dt, zero=True)
                self.Vt[l] = pool.get(("Vt", l), S, (K, n), dt, zero=True)
            self.K = 0
            self.block_coef = np.zeros(max(self.T, 1))  # coefficient of each step's block in W_t
        if config.optimizer == "momentum":
            self.state["buf"] = [None if (self.lowrank and 0 < l < L) else
                                 pool.get(("buf", l), S, shapes[l], dt)
                                 for l in range(L + 1)]
        if config.optimizer in ("adam",):
            self.state["m"] = [pool.get(("m", l), S, shapes[l], dt)
                               for l in range(L + 1)]
        if config.optimizer in ("adam", "rmsprop"):
            self.state["v"] = [pool.get(("v", l), S, shapes[l], dt)
                               for l in range(L + 1)]
        if config.entrywise and config.param.d is None:
            self.qscale = [np.zeros(self.S) for _ in self.W]
        self.alive = np.ones(self.S, dtype=bool)
        self.bad = np.zeros(self.S, dtype=bool)
        self.div_step = np.full(self.S, -1)

    # ------------------------------------------------------------------ recording
    def put(self, name: str, layer: int | None, t: int, value: Array,
            ref: Array | None = None) -> None:
        k = self.kidx.get((name, layer))
        if k is None:
            return
        self.values[k, :, t] = value
        if name not in _NAN_OK:
            self.bad |= ~np.isfinite(value)
        if ref is not None:
            self.reference[k, :, t] = ref

    def want(self, name: str) -> bool:
        return name in self.q

    # ------------------------------------------------------------------ linear maps
    def _coef_cols(self, l: int) -> Array:
        """Column weights of layer ``l``'s factors: ``W_t = W_0 + U^T diag(w) V``."""
        c = np.repeat(self.block_coef[: self.K // self.B], self.B) * (-self.lr[l])
        return c.astype(self.dt)

    def apply(self, l: int, x: Array) -> tuple[Array, Array | None, Array | None]:
        """``x @ W_t^T`` for layer index ``l`` (0-based); in low-rank mode also returns
        ``W_0 x`` and ``(W_t - W_0) x``."""
        W = self.W[l]
        if x.ndim == 2:
            return bmm(x, W.swapaxes(-1, -2)), None, None
        if self.lowrank and 0 < l < self.L:
            base = bmm(x, self.W0[l].swapaxes(-1, -2))
            if self.K == 0:
                return base, base, np.zeros_like(base)
            z = bmm(x, self.Vt[l][:, : self.K].swapaxes(-1, -2))
            z *= self._coef_cols(l)
            low = bmm(z, self.Ut[l][:, : self.K])
            return base + low, base, low
        return bmm(x, W.swapaxes(-1, -2)), None, None

    def apply_t(self, l: int, g: Array) -> Array:
        """``g @ W_t`` (backward through layer index ``l``)."""
        if self.lowrank and 0 < l < self.L:
            out = bmm(g, self.W0[l])
            if self.K:
                z = bmm(g, self.Ut[l][:, : self.K].swapaxes(-1, -2))
                z *= self._coef_cols(l)
                out += bmm(z, self.Vt[l][:, : self.K])
            return out
        return bmm(g, self.W[l])

    # ------------------------------------------------------------------ one step
    def forward(self) -> tuple[list[Array], list[Array], Array, list[Any], list[Any]]:
        hs, xs = [], [self.X]
        base, low = [None] * (self.L + 1), [None] * (self.L + 1)
        for l in range(self.L):
            h, b, lo = self.apply(l, xs[-1])
            base[l], low[l] = b, lo
            hs.append(h)
            xs.append(self.phi(h))
        f = bmm(xs[-1], self.W[self.L].swapaxes(-1, -2))[..., 0]
        return hs, xs, f, base, low

    def backward(self, hs: list[Array]) -> list[Array]:
        L = self.L
        gs: list[Array] = [None] * L  # type: ignore[list-item]
        g = self.W[L][:, 0, None, :] * self.dphi(hs[-1])
        gs[L - 1] = g
        for l in range(L - 1, 0, -1):
            g = self.apply_t(l, g) * self.dphi(hs[l - 1])
            gs[l - 1] = g
        return gs

    def run(self) -> None:
        L, T, S = self.L, self.T, self.S
        cfg = self.cfg
        h0 = x0 = f0 = K0 = NTK0 = None
        f_prev = None
        need_back_at_T = bool(self.q & {"g", "grad", "tangent_kernel_change"})
        for t in range(T + 1):
            hs, xs, f, base, low = self.forward()
            if t == 0:
                h0 = [h.copy() for h in hs]
                x0 = [x.copy() for x in xs]
                f0 = f.copy()
            f64 = f.astype(np.float64)
            self.loss[:, t] = loss_value(cfg.loss, f64, self.y)
            # --- forward quantities
            # (only what is recorded: put() ignores other quantities, so computing them is waste)
            for l in range(L):
                if self.want("h") or self.want("dh"):
                    rh = rms(hs[l])
                    self.put("h", l + 1, t, rh)
                    if self.want("dh"):
                        self.put("dh", l + 1, t, rms(hs[l] - h0[l]), rh)
                if self.want("x") or self.want("dx"):
                    rx = rms(xs[l + 1])
                    self.put("x", l + 1, t, rx)
                    if self.want("dx"):
                        self.put("dx", l + 1, t, rms(xs[l + 1] - x0[l + 1]), rx)
            self.put("f", None, t, np.sqrt(np.mean(f64**2, axis=1)))
            self.put("df", None, t, np.sqrt(np.mean((f64 - f0) ** 2, axis=1)),
                     np.sqrt(np.mean(f64**2, axis=1)))
            if f_prev is not None:
                self.put("df_step", None, t - 1, np.sqrt(np.mean((f64 - f_prev) ** 2, axis=1)),
                         np.sqrt(np.mean(f64**2, axis=1)))
            f_prev = f64
            if self.want("dWx") or self.want("W0dx"):
                self._decomposition(t, hs, xs, f, base, low, h0, x0, f0)
            if self.want("feature_kernel_change"):
                Kt = bmm(xs[L], xs[L].swapaxes(-1, -2)).astype(np.float64) / self.n
                if t == 0:
                    K0 = Kt
                self.put("feature_kernel_change", None, t, _rel_change(Kt, K0))
            # --- backward
            if t == T and not need_back_at_T:
                self._check(t, f)
                break
            gs = self.backward(hs)
            if self.want("g"):
                for l in range(L):
                    self.put("g", l + 1, t, rms(gs[l]))
            if self.want("tangent_kernel_change"):
                ntk = self._ntk(gs, xs)
                if t == 0:
                    NTK0 = ntk
                self.put("tangent_kernel_change", None, t, _rel_change(ntk, NTK0))
            chi_full = np.zeros((S, self.N))
            rows = minibatch_rows(cfg, t)
            chi_full[:, rows] = loss_derivative(cfg.loss, f64[:, rows], self.y[rows])
            chi = chi_full.astype(self.dt)
            if t == T:
                if self.want("grad"):
                    for l in range(L + 1):
                        self.put("grad", l + 1, t, self._grad_rms(l, gs, xs, chi, rows))
                self._check(t, f)
                break
            self._update(t, gs, xs, chi, rows)
            self._check(t, f)
            if not self.alive.any():
                break

    # ------------------------------------------------------------------ pieces
    def _decomposition(self, t: int, hs: list[Array], xs: list[Array], f: Array,
                       base: list[Any], low: list[Any], h0: list[Array], x0: list[Array],
                       f0: Array) -> None:
        L = self.L
        # input layer: x^0 fixed, so (W_t - W_0) x^0 = h^1_t - h^1_0
        d1 = bmm(self.X, (self.W[0] - self.W0[0]).swapaxes(-1, -2))
        self.put("dWx", 1, t, rms(d1), rms(hs[0]))
        for l in range(1, L):
            if self.lowrank:
                w0dx = base[l] - h0[l]
                dwx = low[l]
            else:
                w0dx = bmm(xs[l] - x0[l], self.W0[l].swapaxes(-1, -2))
                dwx = (hs[l] - h0[l]) - w0dx
            self.put("dWx", l + 1, t, rms(dwx), rms(hs[l]))
            self.put("W0dx", l + 1, t, rms(w0dx), rms(hs[l]))
        R = self.L
        dwx = bmm(xs[L], (self.W[R] - self.W0[R]).swapaxes(-1, -2))[..., 0]
        w0dx = bmm(xs[L] - x0[L], self.W0[R].swapaxes(-1, -2))[..., 0]
        fr = rms(f)
        self.put("dWx", L + 1, t, rms(dwx), fr)
        self.put("W0dx", L + 1, t, rms(w0dx), fr)

    def _ntk(self, gs: list[Array], xs: list[Array]) -> Array:
        L = self.L
        out = np.zeros((self.S, self.N, self.N))
        for l in range(L + 1):
            w = self.ntk_w[l]
            if w == 0.0:
                continue
            x = xs[l]
            Gx = np.broadcast_to(x @ x.T, (self.S, self.N, self.N)) if x.ndim == 2 else bmm(x, tr(x))
            if l == L:
                out += w * Gx.astype(np.float64)
            else:
                Gg = bmm(gs[l], gs[l].swapaxes(-1, -2))
                out += w * (Gg.astype(np.float64) * Gx.astype(np.float64))
        return out

    def _grad_rms(self, l: int, gs: list[Array], xs: list[Array], chi: Array,
                  rows: Array) -> Array:
        """RMS entry of dL/dw^l without forming the matrix (Gram identity)."""
        x = xs[l]
        xr = x[rows] if x.ndim == 2 else x[:, rows]
        if xr.ndim == 2:
            xr = np.broadcast_to(xr, (self.S, *xr.shape))
        if l == self.L:
            U = chi[:, rows, None]
        else:
            U = gs[l][:, rows] * chi[:, rows, None]
        fro2 = gram_fro2(U, xr)
        size = U.shape[2] * xr.shape[2]
        return self.am[l] * np.sqrt(np.maximum(fro2, 0.0) / size)

    def _update(self, t: int, gs: list[Array], xs: list[Array], chi: Array,
                rows: Array) -> None:
        cfg = self.cfg
        L = self.L
        opt = cfg.optimizer
        # low-rank hidden layers (SGD / momentum)
        if self.lowrank:
            k0, k1 = self.K, self.K + self.B
            for l in range(1, L):
                self.Ut[l][:, k0:k1] = gs[l][:, rows] * chi[:, rows, None]
                self.Vt[l][:, k0:k1] = xs[l][:, rows]
            self.K = k1
            nblk = t + 1
            if opt == "momentum":
                beta = cfg.momentum
                step_w = np.array([beta ** (t - s) for s in range(nblk)])
            else:
                step_w = np.zeros(nblk)
                step_w[t] = 1.0
            for l in range(1, L):
                lr = self.lr[l]
                Uc, Vc = self.Ut[l][:, :k1], self.Vt[l][:, :k1]
                if self.want("grad"):
                    fro = gram_fro2(self.Ut[l][:, k0:k1], self.Vt[l][:, k0:k1])
                    self.put("grad", l + 1, t,
                             self.am[l] * np.sqrt(np.maximum(fro, 0.0) / self.n**2))
                if self.want("dW"):
                    wcols = np.repeat(step_w, self.B) * lr
                    fro = gram_fro2(Uc, Vc, wcols)
                    self.put("dW", l + 1, t, np.sqrt(np.maximum(fro, 0.0) / self.n**2))
            # W_{t+1} = W_0 - lr_l * sum_s block_coef[s] U_s^T V_s  (per-layer lr in _coef_cols)
            self.block_coef[:nblk] += step_w
        for l in range(L + 1):
            if not (self.lowrank and 0 < l < L):
                self._update_dense(l, t, gs, xs, chi)

    def _update_dense(self, l: int, t: int, gs: list[Array], xs: list[Array],
                      chi: Array) -> None:
        """Gradient and optimizer step of the dense layer ``l``, seed by seed.

        Each seed's gradient is one GEMM into a scratch matrix shared by all seeds and layers;
        the elementwise optimizer update then runs over row blocks of about ``_BLOCK``
        entries, so that its dozen elementwise operations work in cache instead of streaming
        whole ``n x n`` arrays through memory once each (and need only block-sized scratch).
        Neither depends on how seeds are grouped."""
        cfg = self.cfg
        S, L, dt = self.S, self.L, self.dt
        x = xs[l]
        W = self.W[l]
        m_out, m_in = W.shape[1:]
        G = self.pool.get("G", None, (m_out, m_in), dt)
        rb = max(1, _BLOCK // m_in)
        blocks = [slice(r, min(r + rb, m_out)) for r in range(0, m_out, rb)]
        sq = self.pool.get("sq", None, (rb, m_in), dt)
        cg = None if l == L else gs[l] * chi[..., None]
        frozen = self.frozen[l] or self.lr[l] == 0.0
        sc = self.qscale[l] if cfg.entrywise and cfg.param.d is None else None
        grad = np.zeros(S)
        dW = np.zeros(S)
        for i in range(S):
            if frozen and not self.want("grad"):
                continue
            xi = x if x.ndim == 2 else x[i]
            if l == L:
                np.matmul(chi[i, None, :], xi, out=G)
            else:
                np.matmul(cg[i].T, xi, out=G)  # type: ignore[index]
            if self.want("grad"):
                grad[i] = self.am[l] * rms(G[None])[0]
            if frozen:
                continue
            if sc is not None and sc[i] == 0 and self.alive[i]:
                r = rms(G[None])[0]
                if r > 0 and np.isfinite(r):
                    sc[i] = 1.0 / r
            if not cfg.entrywise:
                scale = 1.0
            else:
                scale = self.dpow[l] * self.am[l] if sc is None else float(sc[i])
            step = self._block_step(l, i, t, scale)
            for sl in blocks:
                Gb = G[sl]
                upd = step(sl, Gb, sq[: sl.stop - sl.start])
                if upd is not Gb and self.want("dW"):
                    np.copyto(Gb, upd)  # G collects the update for its RMS
            if self.want("dW"):
                dW[i] = rms(G[None])[0]
        self.put("grad", l + 1, t, grad)
        self.put("dW", l + 1, t, dW)

    def _block_step(self, l: int, i: int, t: int, scale: float) -> Any:
        """The optimizer step of seed ``i``'s layer ``l`` at step ``t`` as a function
        ``step(rows, Gb, sq)``: applies ``W += dW`` to the slice ``rows`` of the weight rows,
        given those rows ``Gb`` of the gradient (overwritten; ``sq`` is scratch of the same
        shape), and returns the array holding ``dW`` of these rows.  ``scale`` is the
        entrywise optimizers' gradient factor (``n^d n^{-a}`` or the scale-invariant one).

        Adam, with ``q = scale * G``, ``k1 = 1 - b1^(t+1)``, ``k2 = 1 - b2^(t+1)``:
        ``m = b1 m + (1 - b1) q``, ``v = b2 v + (1 - b2) q^2``,
        ``dW = -lr (m / k1) / (sqrt(v / k2) + eps)``.  The constant factors are folded so
        that an entry costs 11 elementwise passes instead of 15: with ``p = sqrt(1 - b2) q``
        the state is ``v`` itself (``v = b2 v + p^2``) and ``m' = b1 m' + p`` (so
        ``m = (1 - b1) / sqrt(1 - b2) m'``), and
        ``dW = -(lr sqrt(k2) (1 - b1) / (k1 sqrt(1 - b2))) m' / (sqrt(v) + eps sqrt(k2))``;
        equal to the textbook form up to float rounding.  RMSProp is ``b1 = 0`` (numerator
        ``p``).  At ``t = 0`` the state is assigned, not decayed from zero, so it needs no
        zero fill."""
        cfg = self.cfg
        opt = cfg.optimizer
        dt = self.dt.type
        first = t == 0
        Wi = self.W[l][i]
        lr = self.lr[l]
        neg_lr = dt(-lr)

        if opt == "sgd":
            def step(sl: slice, Gb: Array, sq: Array) -> Array:
                Gb *= neg_lr
                Wi[sl] += Gb
                return Gb
        elif opt == "momentum":
            bufi = self.state["buf"][l][i]
            mom = dt(cfg.momentum)

            def step(sl: slice, Gb: Array, sq: Array) -> Array:
                buf = bufi[sl]
                _decay_add(buf, Gb, mom, first)
                np.multiply(buf, neg_lr, out=sq)
                Wi[sl] += sq
                return sq
        elif opt == "signsgd":
            sc, eps = dt(scale), dt(cfg.effective_eps)

            def step(sl: slice, Gb: Array, sq: Array) -> Array:
                Gb *= sc
                den = np.abs(Gb, out=sq)
                den += eps
                Gb /= den
                Gb *= neg_lr
                Wi[sl] += Gb
                return Gb
        else:
            adam = opt == "adam"
            b1, b2 = cfg.adam_betas if adam else (0.0, cfg.rmsprop_beta)
            vi = self.state["v"][l][i]
            mi = self.state["m"][l][i] if adam else None
            rk2 = math.sqrt(1 - b2 ** (t + 1))
            cp = dt(scale * math.sqrt(1 - b2))
            db1, db2 = dt(b1), dt(b2)
            eps = dt(cfg.effective_eps * rk2)
            cu = dt(-lr * rk2 * (1 - b1) / ((1 - b1 ** (t + 1)) * math.sqrt(1 - b2)))

            def step(sl: slice, Gb: Array, sq: Array) -> Array:
                Gb *= cp
                np.square(Gb, out=sq)
                v = vi[sl]
                _decay_add(v, sq, db2, first)
                num = Gb
                if mi is not None:
                    num = mi[sl]
                    _decay_add(num, Gb, db1, first)
                np.sqrt(v, out=sq)
                sq += eps
                np.divide(num, sq, out=sq)
                sq *= cu
                Wi[sl] += sq
                return sq
        return step

    def _check(self, t: int, f: Array) -> None:
        """Mark seeds with a non-finite value recorded during step ``t`` as diverged."""
        bad = self.bad | ~np.isfinite(f).all(axis=1)
        bad &= self.alive
        self.bad = np.zeros(self.S, dtype=bool)
        if bad.any():
            for i in np.flatnonzero(bad):
                self.alive[i] = False
                self.div_step[i] = t
                for arrs in [self.W, self.W0, *self.state.values()]:
                    for A in arrs:
                        if A is not None:
                            A[i] = 0
                if self.lowrank:
                    for A in (*self.Ut, *self.Vt):
                        if A is not None:
                            A[i] = 0

    def result(self, seconds: float) -> Measurements:
        values = self.values
        divs = []
        for i, s in enumerate(self.seeds):
            t = int(self.div_step[i])
            if t >= 0:
                values[:, i, t:] = np.nan
                self.loss[i, t:] = np.nan
                divs.append(Divergence(seed=s, step=t, width=self.n))
        return Measurements(
            width=self.n, seeds=self.seeds, steps=self.T, keys=self.keys, values=values,
            loss=self.loss, reference=self.reference, diverged=tuple(divs),
            dtype=self.dt.name, seconds=seconds,
        )


def _rel_change(A: Array, A0: Array) -> Array:
    num = np.sqrt(np.einsum("sij,sij->s", A - A0, A - A0))
    den = np.sqrt(np.einsum("sij,sij->s", A0, A0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def simulate(config: SimulationConfig, width: int, seeds: Any = (0,), *,
             seed_batch: int | None = None) -> Measurements:
    """Train the finite-width MLP of ``config`` at one width, all seeds batched.

    Parameters
    ----------
    config : SimulationConfig
    width : int
        Hidden width ``n``.
    seeds : int or sequence of int
        Weight seeds (an int ``k`` means ``0..k-1``).
    seed_batch : int, optional
        Process at most this many seeds at once (bounds memory at large widths); default
        :func:`auto_seed_batch`.  Groups run one after another in the same memory.  The result
        does not depend on it.

    Returns
    -------
    Measurements
        RMS sizes of the quantities in ``config.quantities`` per seed and step.

    Examples
    --------
    >>> from widthlimits.numerics.config import SimulationConfig
    >>> mup = {"a": ["-1/2", 0, "1/2"], "b": ["1/2"] * 3, "c": [0, 0, 0]}
    >>> m = simulate(SimulationConfig(mup, steps=2), width=64, seeds=2)
    >>> m.get("dx", 2).shape
    (2, 3)
    """
    if not isinstance(config, SimulationConfig):
        raise TypeError(f"`config` must be a SimulationConfig, got {type(config).__name__}")
    n = check_int(width, "width", minimum=1)
    seeds_t = check_seeds(seeds)
    if seed_batch is not None:
        check_int(seed_batch, "seed_batch", minimum=1)
    else:
        seed_batch = auto_seed_batch(config, n, len(seeds_t))
    sb = min(seed_batch, len(seeds_t))
    pool = _Pool(sb)
    parts = []
    for i in range(0, len(seeds_t), sb):
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            run = _Run(config, n, seeds_t[i:i + sb], pool)
            run.run()
        parts.append(run.result(time.perf_counter() - t0))
    return parts[0] if len(parts) == 1 else Measurements.concatenate(parts)


__all__ = ["auto_seed_batch", "simulate", "uses_lowrank"]
