r"""Deep linear networks: finite width vs the deterministic infinite-width dynamics of CCFF.

Model (Chizat, Colombo, Fernandez-Real, Figalli 2022, arXiv 2211.16980, Section 6, eqs.
(6.1)-(6.9), the layer-scaled GD recursion with middle operators :math:`m^{-1/2}Z + m^{-1}W`;
the concrete normalization below is this project's choice, consistent with that section):
:math:`f(x) = \frac1m v^\top M U x` with :math:`M = m^{-1/2}Z + m^{-1}W`, i.i.d. standard normal
:math:`U\in\mathbb R^{m\times d}`, :math:`Z\in\mathbb R^{m\times m}`, :math:`v\in\mathbb R^m`,
:math:`W(0) = 0`, risk :math:`L(\beta) = \frac{1}{2n}\|X\beta - y\|^2` and layer-wise rates
:math:`\dot U = -m\nabla_U L`, :math:`\dot v = -m\nabla_v L`, :math:`\dot W = -m^2\nabla_W L`.
In normalized variables :math:`\bar u_k = Ue_k/\sqrt m`, :math:`\bar v = v/\sqrt m`, :math:`T = M`
and with :math:`g = X^\top(X\beta - y)/n`, :math:`w = \sum_k g_k\bar u_k` the flow is exactly

.. math::

    \beta_k = \langle\bar v, T\bar u_k\rangle,\quad
    \dot{\bar u}_k = -g_k T^\top\bar v,\quad \dot{\bar v} = -Tw,\quad \dot T = -\bar v w^\top .

The infinite-width limit is the same system on Hilbert spaces of rooted Gaussian paths
(section 1.3 of the notes): roots :math:`in_k` (layer 0) and :math:`out` (layer 1), one chain
per root, :math:`T(0) = \Lambda = J P_0` with :math:`J` the free semi-infinite Jacobi chain
(creation plus back-track contraction) and :math:`P_0` the projection on layer-0 paths,
:math:`u_k(0) = e_{(in_k,0)}`, :math:`v(0) = e_{(out,0)}`.  Chains are truncated at length
``P``; the truncation error decays factorially in ``P`` (check ``P`` vs ``2P``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LinearState:
    """State of the normalized flow: columns ``U`` (dim x d), ``v`` (dim,), ``T`` (dim x dim)."""

    U: np.ndarray
    v: np.ndarray
    T: np.ndarray

    def beta(self) -> np.ndarray:
        r"""Linear predictor :math:`\beta_k = \langle v, T u_k\rangle`."""
        return self.U.T @ (self.T.T @ self.v)


def _rhs(U: np.ndarray, v: np.ndarray, T: np.ndarray, corr: list, X: np.ndarray,
         y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Right-hand side at T_eff = T + sum_c c * a b^T (rank-one stage corrections, never formed).

    Returns (dU, dv, a, b) with dT = -a b^T.
    """
    ttv = T.T @ v
    for c, a, b in corr:
        ttv = ttv + c * b * (a @ v)
    g = X.T @ (X @ (U.T @ ttv) - y) / len(y)
    w = U @ g
    tw = T @ w
    for c, a, b in corr:
        tw = tw + c * a * (b @ w)
    return -np.outer(ttv, g), -tw, v, w


def integrate(state: LinearState, X: np.ndarray, y: np.ndarray, *, t_max: float, dt: float,
              record_every: int = 1) -> tuple[np.ndarray, np.ndarray, LinearState]:
    """Classical RK4 for the flow; returns (times, betas (len(times), d), final state).

    The m x m matrix is touched only by matrix-vector products and one rank-4 update per step.
    """
    n_steps = round(t_max / dt)
    U, v, T = state.U.copy(), state.v.copy(), state.T.copy()
    times, betas = [0.0], [state.beta()]
    for i in range(1, n_steps + 1):
        dU1, dv1, a1, b1 = _rhs(U, v, T, [], X, y)
        dU2, dv2, a2, b2 = _rhs(U + dt / 2 * dU1, v + dt / 2 * dv1, T, [(-dt / 2, a1, b1)], X, y)
        dU3, dv3, a3, b3 = _rhs(U + dt / 2 * dU2, v + dt / 2 * dv2, T, [(-dt / 2, a2, b2)], X, y)
        dU4, dv4, a4, b4 = _rhs(U + dt * dU3, v + dt * dv3, T, [(-dt, a3, b3)], X, y)
        U = U + dt / 6 * (dU1 + 2 * dU2 + 2 * dU3 + dU4)
        v = v + dt / 6 * (dv1 + 2 * dv2 + 2 * dv3 + dv4)
        T -= (dt / 6) * (np.stack([a1, 2 * a2, 2 * a3, a4], axis=1)
                         @ np.stack([b1, b2, b3, b4], axis=0))
        if i % record_every == 0 or i == n_steps:
            times.append(i * dt)
            betas.append(U.T @ (T.T @ v))
    return np.array(times), np.array(betas), LinearState(U, v, T)


def kernel(s: LinearState) -> np.ndarray:
    r""":math:`K = \|T^\top v\|^2 I + \|v\|^2\Gamma_U + \Gamma_{TU}` so that :math:`\dot\beta = -Kg`."""
    d = s.U.shape[1]
    tu = s.T @ s.U
    return (s.T.T @ s.v) @ (s.T.T @ s.v) * np.eye(d) + (s.v @ s.v) * (s.U.T @ s.U) + tu.T @ tu


def path_space_init(d: int, P: int) -> LinearState:
    r"""Initial state of the infinite-width limit, chains truncated at length ``P``.

    Coordinates are (root, p) with roots ``in_0..in_{d-1}, out`` and ``p = 0..P``; index
    ``root * (P + 1) + p``.  Layer-0 paths: (in_k, even p) and (out, odd p).
    """
    if not isinstance(P, int) or P < 2:
        raise ValueError(f"`P` (chain truncation) must be an int >= 2, got {P=}")
    L = P + 1
    dim = (d + 1) * L
    Lam = np.zeros((dim, dim))
    for root in range(d + 1):
        for p in range(L):
            layer0 = (p % 2 == 0) if root < d else (p % 2 == 1)
            if not layer0:
                continue
            col = root * L + p
            if p + 1 < L:
                Lam[col + 1, col] = 1.0
            if p >= 1:
                Lam[col - 1, col] = 1.0
    U = np.zeros((dim, d))
    for k in range(d):
        U[k * L, k] = 1.0
    v = np.zeros(dim)
    v[d * L] = 1.0
    return LinearState(U, v, Lam)


def finite_init(d: int, m: int, rng: np.random.Generator | int | None) -> LinearState:
    """Finite width ``m``: ``U/sqrt(m)``, ``v/sqrt(m)``, ``Z/sqrt(m)`` with i.i.d. N(0,1) entries."""
    if not isinstance(m, int | np.integer) or m < 1:
        raise ValueError(f"`width` must be an int >= 1, got {m=}")
    gen = np.random.default_rng(rng)
    s = np.sqrt(m)
    return LinearState(gen.standard_normal((m, d)) / s, gen.standard_normal(m) / s,
                       gen.standard_normal((m, m)) / s)


@dataclass(frozen=True)
class DeepLinearProblem:
    r"""A data set and integration grid shared by the finite widths and the limit.

    Attributes
    ----------
    X : numpy.ndarray, shape (n, d)
    y : numpy.ndarray, shape (n,)
    t_max, dt : float
        RK4 horizon and step.
    P : int
        Chain truncation of the limit.
    """

    X: np.ndarray
    y: np.ndarray
    t_max: float = 4.0
    dt: float = 0.01
    P: int = 30
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def random(cls, n: int = 4, d: int = 8, *, rng: np.random.Generator | int | None = 0,
               **kw: float) -> DeepLinearProblem:
        """Recipe of the notes (section 6 row 1): ``X_ij ~ N(0, 4/d)``, ``y ~ N(0, 1)``."""
        gen = np.random.default_rng(rng)
        X = gen.standard_normal((n, d)) * np.sqrt(4.0 / d)
        y = gen.standard_normal(n)
        return cls(X, y, **kw)  # type: ignore[arg-type]

    def limit(self, t_max: float | None = None, P: int | None = None
              ) -> tuple[np.ndarray, np.ndarray, LinearState]:
        """Infinite-width trajectory (times, betas, final state), cached."""
        key = (t_max or self.t_max, P or self.P)
        if key not in self._cache:
            s0 = path_space_init(self.X.shape[1], key[1])
            self._cache[key] = integrate(s0, self.X, self.y, t_max=key[0], dt=self.dt)
        return self._cache[key]

    def finite(self, m: int, rng: np.random.Generator | int | None
               ) -> tuple[np.ndarray, np.ndarray, LinearState]:
        """Width-``m`` trajectory (times, betas, final state)."""
        return integrate(finite_init(self.X.shape[1], m, rng), self.X, self.y,
                         t_max=self.t_max, dt=self.dt)

    def min_norm_interpolator(self) -> np.ndarray:
        r""":math:`X^+ y`."""
        return np.linalg.pinv(self.X) @ self.y

    def predicted_late_rate(self, K_inf: np.ndarray) -> float:
        r""":math:`\lambda_{\min}^+(X K_\infty X^\top / n)` (CCFF Theorem 2.3 / Prop. 5.5)."""
        ev = np.linalg.eigvalsh(self.X @ K_inf @ self.X.T / len(self.y))
        return float(ev[ev > 1e-12 * ev.max()].min())
