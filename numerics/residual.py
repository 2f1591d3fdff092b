"""Batched finite-width simulator of residual MLPs: blocks with branch multiplier L^{-alpha},
pre-LN LayerNorm (with or without gain and bias), biases, SGD / Adam / AdamW (coupled or
decoupled weight decay).  Forward and backward by hand; seeds batched along a leading axis as
in :mod:`widthlimits.numerics.simulator` (each seed's weights from its own stream
``SFC64(SeedSequence([init_seed, width, depth, seed]))``).

Network (rows are the B inputs; per seed)::

    x^0 = m_e xi W_e^T
    u   = LN(x^{l-1}) * gamma_l + beta_l          (u = x^{l-1} without LayerNorm)
    1 layer :  br = m_1 phi(u) W_l^T + b_l
    2 layers:  z = m_1 u W1_l^T + b1_l,  br = m_2 phi(z) W2_l^T + b2_l
    x^l = x^{l-1} + L^{-alpha} br
    f   = m_r LN(x^L) W_r^T                        (no final LN without LayerNorm)

MSE loss ``(1/2B) sum_b (f_b - y_b)^2``.  Each weight role has a multiplier ``m``, init std,
learning rate, Adam epsilon and weight decay given as numbers (:class:`RoleScale`); the
bridge from the exponent engine's :class:`ResidualModel` to numbers lives in
``widthlimits.proofs_checks.catalogue.depth``.

Measured after ``steps`` updates (RMS over inputs and coordinates, per seed; block quantities
are the mean over blocks of each block's RMS): ``x_stream`` (x^L at init), ``dx_stream``,
``f``, ``df``, ``block_features`` (a block's hidden features moved by its own parameters' update
at the current input), ``block_update`` (L^{-alpha} times the change of the branch caused by its
own parameters), its linearization in those parameters, and ``linearization_ratio`` (RMS of
the nonlinear remainder over RMS of the linear part: CompleteP's relative distance from
linearization, Dey et al. 2025, arXiv 2505.01618, its lazy-learning argument).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from widthlimits.numerics.activations import get_activation
from widthlimits.numerics.linalg import bmm, tr
from widthlimits.numerics.normals import fill_normal, normal_stream

Array = np.ndarray
LN_EPS = 1e-5
MEASURED = ("x_stream", "f", "dx_stream", "df", "block_features", "block_update",
            "block_linear", "linearization_ratio", "loss")


@dataclass(frozen=True)
class RoleScale:
    """Numbers of one weight role: multiplier, init std, learning rate, epsilon, weight decay."""

    mult: float = 1.0
    std: float = 1.0
    lr: float = 0.0
    eps: float = 1e-30
    wd: float = 0.0


@dataclass(frozen=True)
class ResidualConfig:
    width: int
    depth: int
    alpha: float = 0.5
    block_layers: int = 2
    layernorm: str = "none"  # none | plain | gain | gain_bias
    biases: bool = False
    activation: str = "tanh"
    optimizer: str = "adam"  # sgd | adam | adamw
    weight_decay: str = "none"  # none | decoupled | coupled
    embedding: RoleScale = field(default_factory=RoleScale)
    block: tuple[RoleScale, ...] = (RoleScale(), RoleScale())
    readout: RoleScale = field(default_factory=RoleScale)
    bias: RoleScale = field(default_factory=lambda: RoleScale(std=0.0))
    norm: RoleScale = field(default_factory=lambda: RoleScale(std=0.0))
    steps: int = 3
    d_in: int = 8
    batch: int = 8
    beta1: float = 0.9
    beta2: float = 0.999
    data_seed: int = 0
    init_seed: int = 0
    dtype: str = "float64"

    def __post_init__(self) -> None:
        for name, v, lo in (("width", self.width, 1), ("depth", self.depth, 1), ("steps", self.steps, 0),
                            ("d_in", self.d_in, 1), ("batch", self.batch, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"`{name}` must be an int >= {lo}, got {v!r}")
        if self.block_layers not in (1, 2) or len(self.block) < self.block_layers:
            raise ValueError("`block_layers` must be 1 or 2, with a RoleScale per layer in `block`")
        if self.layernorm not in ("none", "plain", "gain", "gain_bias"):
            raise ValueError(f"unknown layernorm {self.layernorm!r}")
        if self.optimizer not in ("sgd", "adam", "adamw"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose sgd, adam or adamw")
        if self.weight_decay not in ("none", "decoupled", "coupled"):
            raise ValueError(f"unknown weight_decay {self.weight_decay!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"`dtype` must be float32 or float64, got {self.dtype!r}")
        get_activation(self.activation)


# ---------------------------------------------------------------------------- parameters
def param_roles(cfg: ResidualConfig) -> dict[str, RoleScale]:
    """Parameter name -> its role's numbers (which LR, epsilon, weight decay apply)."""
    roles = {"We": cfg.embedding, "W1": cfg.block[0], "Wr": cfg.readout}
    if cfg.block_layers == 2:
        roles["W2"] = cfg.block[1]
    if cfg.biases:
        roles["b1"] = cfg.bias
        if cfg.block_layers == 2:
            roles["b2"] = cfg.bias
    if cfg.layernorm in ("gain", "gain_bias"):
        roles["gamma"] = cfg.norm
    if cfg.layernorm == "gain_bias":
        roles["beta"] = cfg.norm
    return roles


def init_params(cfg: ResidualConfig, seeds: Any) -> dict[str, Array]:
    """Weights per seed (leading axis), drawn from each seed's own stream."""
    seeds = tuple(int(s) for s in seeds)
    dt = np.dtype(cfg.dtype)
    n, L, S = cfg.width, cfg.depth, len(seeds)
    shapes = {"We": (n, cfg.d_in), "W1": (L, n, n), "Wr": (1, n)}
    if cfg.block_layers == 2:
        shapes["W2"] = (L, n, n)
    p = {k: np.empty((S,) + s, dtype=dt) for k, s in shapes.items()}
    std = {"We": cfg.embedding.std, "W1": cfg.block[0].std, "Wr": cfg.readout.std}
    if cfg.block_layers == 2:
        std["W2"] = cfg.block[1].std
    for i, s in enumerate(seeds):
        bits = normal_stream([cfg.init_seed, n, L, s])
        for k in shapes:  # fixed order: We, W1, Wr, W2
            fill_normal(bits, p[k][i], std[k])
    if cfg.biases:
        p["b1"] = np.zeros((S, L, n), dtype=dt)
        if cfg.block_layers == 2:
            p["b2"] = np.zeros((S, L, n), dtype=dt)
    if cfg.layernorm in ("gain", "gain_bias"):
        p["gamma"] = np.ones((S, L, n), dtype=dt)
    if cfg.layernorm == "gain_bias":
        p["beta"] = np.zeros((S, L, n), dtype=dt)
    return p


def make_batch(cfg: ResidualConfig) -> tuple[Array, Array]:
    """Inputs xi (B, d_in) with unit-RMS rows scaled by 1/sqrt(d_in) and targets y (B,)."""
    rng = np.random.default_rng([cfg.data_seed, cfg.d_in, cfg.batch])
    X = rng.standard_normal((cfg.batch, cfg.d_in)) / np.sqrt(cfg.d_in)
    y = rng.standard_normal(cfg.batch)
    return X.astype(cfg.dtype), y.astype(cfg.dtype)


# ---------------------------------------------------------------------------- layer norm
def ln_forward(x: Array) -> tuple[Array, Array]:
    """(x - mean) / sqrt(var + eps) over the last axis; returns (yhat, 1/sigma)."""
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    inv = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + LN_EPS)
    return xc * inv, inv


def ln_backward(dy: Array, yhat: Array, inv: Array) -> Array:
    """Gradient through LN: inv * (dy - mean(dy) - yhat * mean(dy * yhat))."""
    return inv * (dy - dy.mean(axis=-1, keepdims=True)
                  - yhat * (dy * yhat).mean(axis=-1, keepdims=True))


# ---------------------------------------------------------------------------- blocks
def block_input(cfg: ResidualConfig, p: dict[str, Array], l: int, x: Array
                ) -> tuple[Array, Array | None, Array | None]:
    if cfg.layernorm == "none":
        return x, None, None
    yhat, inv = ln_forward(x)
    u = yhat
    if "gamma" in p:
        u = u * p["gamma"][:, l, None, :]
    if "beta" in p:
        u = u + p["beta"][:, l, None, :]
    return u, yhat, inv


def branch(cfg: ResidualConfig, p: dict[str, Array], l: int, u: Array, act: Any
           ) -> tuple[Array, Array | None, Array]:
    """(branch output, hidden pre-activation z or None, phi input activation v)."""
    m1 = cfg.block[0].mult
    if cfg.block_layers == 2:
        z = m1 * bmm(u, tr(p["W1"][:, l]))
        if "b1" in p:
            z += p["b1"][:, l, None, :]
        v = act.phi(z)
        br = cfg.block[1].mult * bmm(v, tr(p["W2"][:, l]))
        if "b2" in p:
            br += p["b2"][:, l, None, :]
        return br, z, v
    v = act.phi(u)
    br = m1 * bmm(v, tr(p["W1"][:, l]))
    if "b1" in p:
        br += p["b1"][:, l, None, :]
    return br, None, v


def forward(cfg: ResidualConfig, p: dict[str, Array], X: Array) -> tuple[Array, list[Any], Any]:
    """f (S, B), the per-block cache, and the final (x^L, yhat, inv)."""
    act = get_activation(cfg.activation)
    scale = cfg.depth ** -cfg.alpha
    x = cfg.embedding.mult * bmm(X, tr(p["We"]))
    cache = []
    for l in range(cfg.depth):
        u, yhat, inv = block_input(cfg, p, l, x)
        br, z, v = branch(cfg, p, l, u, act)
        cache.append((x, u, yhat, inv, z, v))
        x = x + scale * br
    if cfg.layernorm != "none":
        xr, inv_f = ln_forward(x)
    else:
        xr, inv_f = x, None
    f = cfg.readout.mult * bmm(xr, tr(p["Wr"]))[..., 0]
    return f, cache, (x, xr, inv_f)


def backward(cfg: ResidualConfig, p: dict[str, Array], X: Array, chi: Array,
             cache: list[Any], final: Any) -> dict[str, Array]:
    """Gradients of sum_b chi_b f_b with respect to every parameter (raw weights)."""
    act = get_activation(cfg.activation)
    scale = cfg.depth ** -cfg.alpha
    _, xr, inv_f = final
    g: dict[str, Array] = {k: np.zeros_like(v) for k, v in p.items()}
    mr = cfg.readout.mult
    g["Wr"] = mr * bmm(chi[:, None, :], xr)
    dx = mr * chi[:, :, None] * p["Wr"]  # (S, B, n)
    if inv_f is not None:
        dx = ln_backward(dx, xr, inv_f)
    for l in range(cfg.depth - 1, -1, -1):
        x, u, yhat, inv, z, v = cache[l]
        dbr = scale * dx
        if cfg.block_layers == 2:
            m2 = cfg.block[1].mult
            g["W2"][:, l] = m2 * bmm(tr(dbr), v)
            if "b2" in p:
                g["b2"][:, l] = dbr.sum(axis=1)
            dz = m2 * bmm(dbr, p["W2"][:, l]) * act.dphi(z)
        else:
            dz = dbr
        m1 = cfg.block[0].mult
        lhs = v if cfg.block_layers == 1 else u
        g["W1"][:, l] = m1 * bmm(tr(dz), lhs)
        if "b1" in p:
            g["b1"][:, l] = dz.sum(axis=1)
        du = m1 * bmm(dz, p["W1"][:, l])
        if cfg.block_layers == 1:
            du = du * act.dphi(u)
        if cfg.layernorm != "none":
            if "beta" in p:
                g["beta"][:, l] = du.sum(axis=1)
            if "gamma" in p:
                g["gamma"][:, l] = (du * yhat).sum(axis=1)
                du = du * p["gamma"][:, l, None, :]
            du = ln_backward(du, yhat, inv)
        dx = dx + du
    g["We"] = cfg.embedding.mult * bmm(tr(dx), X)
    return g


def loss_and_grads(cfg: ResidualConfig, p: dict[str, Array], X: Array, y: Array
                   ) -> tuple[Array, Array, dict[str, Array]]:
    """(loss per seed, f, gradients) for the MSE loss (1/2B) sum (f - y)^2."""
    f, cache, final = forward(cfg, p, X)
    r = f - y
    chi = r / cfg.batch
    return 0.5 * (r * r).mean(axis=1), f, backward(cfg, p, X, chi, cache, final)


def loss_only(cfg: ResidualConfig, p: dict[str, Array], X: Array, y: Array) -> tuple[Array, Array]:
    """(loss per seed, f) without the backward pass."""
    f, _, _ = forward(cfg, p, X)
    r = f - y
    return 0.5 * (r * r).mean(axis=1), f


# ---------------------------------------------------------------------------- optimizer
class Optimizer:
    """SGD, Adam (coupled L2 decay: lambda w added to the gradient) and AdamW (decoupled:
    w <- w (1 - lr lambda) before the Adam step, as torch.optim.AdamW)."""

    def __init__(self, cfg: ResidualConfig, p: dict[str, Array]) -> None:
        self.cfg = cfg
        self.roles = param_roles(cfg)
        self.t = 0
        self.m = {k: np.zeros_like(v) for k, v in p.items()} if cfg.optimizer != "sgd" else {}
        self.v = {k: np.zeros_like(v) for k, v in p.items()} if cfg.optimizer != "sgd" else {}

    def step(self, p: dict[str, Array], grads: dict[str, Array]) -> None:
        cfg = self.cfg
        self.t += 1
        b1, b2 = cfg.beta1, cfg.beta2
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for k, w in p.items():
            r = self.roles[k]
            gk = grads[k]
            decay = r.wd if cfg.weight_decay != "none" else 0.0
            if decay and (cfg.weight_decay == "coupled" or cfg.optimizer == "sgd"):
                gk = gk + decay * w
            if cfg.optimizer == "sgd":
                w -= r.lr * gk
                continue
            if decay and cfg.weight_decay == "decoupled":
                w *= 1 - r.lr * decay
            m, v = self.m[k], self.v[k]
            tmp = np.multiply(gk, 1 - b1)  # in place below: one scratch array per parameter
            m *= b1
            m += tmp
            np.multiply(gk, gk, out=tmp)
            tmp *= 1 - b2
            v *= b2
            v += tmp
            np.divide(v, c2, out=tmp)  # w -= lr (m / c1) / (sqrt(v / c2) + eps)
            np.sqrt(tmp, out=tmp)
            tmp += r.eps
            np.divide(m, tmp, out=tmp)
            tmp *= r.lr / c1
            w -= tmp


# ---------------------------------------------------------------------------- measurement
def _rms(a: Array) -> Array:
    return np.sqrt((a.astype(np.float64) ** 2).reshape(a.shape[0], -1).mean(axis=1))


def block_changes(cfg: ResidualConfig, p: dict[str, Array], p0: dict[str, Array], l: int,
                  x: Array, act: Any) -> tuple[Array, Array, Array]:
    """At stream input x: (hidden features moved by the block's own update, full change of the
    branch, its linearization in the block's parameters), each (S, B, n)."""
    u1, yhat, _ = block_input(cfg, p, l, x)
    u0, _, _ = block_input(cfg, p0, l, x)
    br1, z1, _ = branch(cfg, p, l, u1, act)
    br0, z0, v0 = branch(cfg, p0, l, u0, act)
    du = u1 - u0  # LN gain / bias change (exact: u is affine in them)
    m1 = cfg.block[0].mult
    dW1 = p["W1"][:, l] - p0["W1"][:, l]
    db1 = (p["b1"][:, l, None, :] - p0["b1"][:, l, None, :]) if "b1" in p else 0.0
    if cfg.block_layers == 2:
        m2 = cfg.block[1].mult
        dz_lin = m1 * (bmm(du, tr(p0["W1"][:, l])) + bmm(u0, tr(dW1))) + db1
        dW2 = p["W2"][:, l] - p0["W2"][:, l]
        db2 = (p["b2"][:, l, None, :] - p0["b2"][:, l, None, :]) if "b2" in p else 0.0
        lin = m2 * (bmm(act.dphi(z0) * dz_lin, tr(p0["W2"][:, l])) + bmm(v0, tr(dW2))) + db2
        return z1 - z0, br1 - br0, lin
    lin = m1 * (bmm(act.dphi(u0) * du, tr(p0["W1"][:, l])) + bmm(v0, tr(dW1))) + db1
    return br1 - br0, br1 - br0, lin


@dataclass(frozen=True, eq=False)
class ResidualRun:
    """Per-seed measurements (each array has shape (S,)) after ``steps`` updates."""

    config: ResidualConfig
    seeds: tuple[int, ...]
    values: dict[str, Array]
    diverged: tuple[int, ...] = ()


def simulate_residual(cfg: ResidualConfig, seeds: Any = (0, 1, 2, 3), *, measure: bool = True
                      ) -> ResidualRun:
    """Train ``steps`` full-batch steps for every seed at once and measure (module docstring).

    A seed whose loss or parameters become non-finite is recorded in ``diverged`` and its
    values are NaN (a diverging run is data, never an exception).
    """
    seeds = tuple(int(s) for s in seeds)
    X, y = make_batch(cfg)
    p = init_params(cfg, seeds)
    p0 = {k: v.copy() for k, v in p.items()} if measure else None
    opt = Optimizer(cfg, p)
    with np.errstate(all="ignore"):
        loss0, f0, grads = loss_and_grads(cfg, p, X, y)
        for t in range(cfg.steps):
            opt.step(p, grads)
            if t + 1 < cfg.steps:
                _, _, grads = loss_and_grads(cfg, p, X, y)
        loss = loss_only(cfg, p, X, y)[0] if cfg.steps else loss0
        values: dict[str, Array] = {"loss": loss}
        if measure:
            assert p0 is not None
            values.update(_measure(cfg, p, p0, X, f0))
    S = len(seeds)
    bad = np.zeros(S, dtype=bool)
    for v in p.values():
        bad |= ~np.isfinite(v.reshape(S, -1)).all(axis=1)
    for k in values:
        values[k] = np.where(bad, np.nan, values[k])
    return ResidualRun(cfg, seeds, values, tuple(s for s, b in zip(seeds, bad, strict=True) if b))


def _measure(cfg: ResidualConfig, p: dict[str, Array], p0: dict[str, Array], X: Array,
             f0: Array) -> dict[str, Array]:
    act = get_activation(cfg.activation)
    scale = cfg.depth ** -cfg.alpha
    f, cache, final = forward(cfg, p, X)
    _, cache0, final0 = forward(cfg, p0, X)
    feats, upd, lin, ratio = [], [], [], []
    for l in range(cfg.depth):
        x = cache[l][0]
        dz, full, linear = block_changes(cfg, p, p0, l, x, act)
        feats.append(_rms(dz))
        upd.append(scale * _rms(full))
        lin.append(scale * _rms(linear))
        ratio.append(_rms(full - linear) / _rms(linear))
    return {
        "x_stream": _rms(final0[0]), "f": _rms(f0[:, :, None]),
        "dx_stream": _rms(final[0] - final0[0]), "df": _rms((f - f0)[:, :, None]),
        "block_features": np.mean(feats, axis=0), "block_update": np.mean(upd, axis=0),
        "block_linear": np.mean(lin, axis=0), "linearization_ratio": np.mean(ratio, axis=0),
    }
