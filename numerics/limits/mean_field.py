r"""Two-layer mean field: finite networks vs the distributional dynamics (particle method).

Model (Mei, Montanari, Nguyen 2018, arXiv 1804.06561, eq. (1)-(3); Mei, Misiakiewicz, Montanari
2019, arXiv 1902.06015): :math:`\hat y(x;\theta) = \frac1N\sum_{i\le N} a_i\,\sigma(\langle w_i,
x\rangle)`, :math:`\theta_i = (a_i, w_i)` i.i.d. from :math:`\rho_0`, empirical risk
:math:`L = \frac1n\sum_j \ell(\hat y(x_j), y_j)`, trained in mean-field time
:math:`\dot\theta_i = -N\nabla_{\theta_i}L`, i.e.

.. math::

    \dot a_i = -\tfrac1n\textstyle\sum_j \ell'_j\,\sigma(\langle w_i,x_j\rangle),\qquad
    \dot w_i = -\tfrac1n\textstyle\sum_j \ell'_j\,a_i\sigma'(\langle w_i,x_j\rangle)\,x_j .

This is the particle discretization of the distributional dynamics
:math:`\partial_t\rho = \nabla\cdot(\rho\nabla\Psi(\theta;\rho))` (MMN eq. (7)); the limit is
computed by the same ODE with a large population whose initial positions are a scrambled Sobol
sequence pushed through the Gaussian quantile (quasi-Monte Carlo), so that the reference's own
error is far below the i.i.d. :math:`N_{ref}^{-1/2}`; it is estimated from two independent
scramblings.  MMN Theorem 3 and the MMM bound give :math:`|\hat y_N - \hat y_\infty| =
O(\sqrt{1/N \vee \varepsilon})`: order 1/2 in N, and for full-batch GD the Euler step adds an
O(ε) bias.

Also: :class:`IsotropicGaussianMF`, the reduced radial equation of MMN's isotropic Gaussian example
(notes section 2.3), and the discrete-time mean-field limit of Golikov (ICML 2020,
arXiv 2003.05884): finite learning rate, N -> infinity, with the initialization-corrected
output of Golikov (arXiv 2006.06574, ``InitCorrectedModel``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats
from scipy.stats import qmc

_LOSSES = ("mse", "logistic")
_SCHEMES = ("euler", "rk4")


def _dloss(f: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    if loss == "mse":
        return f - y
    return -y * special.expit(-y * f)


def _forward(a: np.ndarray, W: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = W @ X.T  # (N, n)
    h = np.tanh(z)
    return a @ h / len(a), h


def _velocity(a: np.ndarray, W: np.ndarray, X: np.ndarray, y: np.ndarray, loss: str,
              offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f, h = _forward(a, W, X)
    lp = _dloss(f + offset, y, loss) / len(y)
    da = -(h @ lp)
    dW = -((1 - h * h) * lp * a[:, None]) @ X
    return da, dW, f


def run_particles(a: np.ndarray, W: np.ndarray, X: np.ndarray, y: np.ndarray, *, dt: float,
                  n_steps: int, scheme: str = "rk4", loss: str = "mse",
                  offset: np.ndarray | None = None, record_every: int = 1,
                  return_particles: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    r"""Evolve the particle system; returns the mean-field outputs at recorded steps (and, with
    ``return_particles``, the final particles ``a, W``).

    Parameters
    ----------
    a, W : numpy.ndarray, shapes (N,), (N, d)
        Initial particles.
    dt : float
        Step in mean-field time.  With ``scheme="euler"`` this is full-batch GD with learning
        rate ``dt`` on the mean-field-scaled parameters.
    offset : numpy.ndarray, optional
        Fixed output offset added inside the loss (Golikov's initialization correction).

    Returns
    -------
    numpy.ndarray, shape (n_steps // record_every + 1, n)
        :math:`\frac1N\sum_i a_i\sigma(\langle w_i, x_j\rangle)` (without ``offset``).
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"`scheme` must be one of {_SCHEMES}, got {scheme=}")
    if loss not in _LOSSES:
        raise ValueError(f"`loss` must be one of {_LOSSES}, got {loss=}")
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, float)
    a, W = np.array(a, float), np.array(W, float)
    out = []
    for k in range(n_steps + 1):
        da1, dW1, f = _velocity(a, W, X, y, loss, off)
        if k % record_every == 0:
            out.append(f)
        if k == n_steps:
            break
        if scheme == "euler":
            a, W = a + dt * da1, W + dt * dW1
            continue
        da2, dW2, _ = _velocity(a + dt / 2 * da1, W + dt / 2 * dW1, X, y, loss, off)
        da3, dW3, _ = _velocity(a + dt / 2 * da2, W + dt / 2 * dW2, X, y, loss, off)
        da4, dW4, _ = _velocity(a + dt * da3, W + dt * dW3, X, y, loss, off)
        a = a + dt / 6 * (da1 + 2 * da2 + 2 * da3 + da4)
        W = W + dt / 6 * (dW1 + 2 * dW2 + 2 * dW3 + dW4)
    if return_particles:
        return np.array(out), a, W
    return np.array(out)


def sobol_gaussian(n: int, dim: int, rng: np.random.Generator | int | None) -> np.ndarray:
    """``n`` (power of 2) scrambled-Sobol points mapped to N(0, I_dim) (quasi-Monte Carlo)."""
    s = qmc.Sobol(dim, scramble=True, rng=np.random.default_rng(rng)).random(n)
    return stats.norm.ppf(np.clip(s, 1e-12, 1 - 1e-12))


@dataclass(frozen=True)
class TwoLayerMF:
    r"""Two-layer mean-field network and its limit on a fixed data set.

    Initial law :math:`\rho_0 = N(0, 1)\otimes N(0, I_d/\text{in\_scale}^2)` scaled so that
    :math:`\langle w, x\rangle \sim N(0, 1)` for unit-norm inputs.

    Attributes
    ----------
    X : numpy.ndarray, shape (n, d)
        Unit-norm inputs.
    y : numpy.ndarray, shape (n,)
        Targets (reals for ``mse``, ±1 for ``logistic``).
    t_max, dt : float
        Horizon (mean-field time) and step of the finite networks.
    scheme : {"rk4", "euler"}
        ``"euler"`` is full-batch GD.
    loss : {"mse", "logistic"}
    n_ref : int
        Population of each QMC reference run (power of 2).
    n_scramblings : int
        Independent scramblings averaged in the reference (their spread estimates its error).
    ref_dt : float
        Step of the reference (defaults to ``dt``: the same time discretization, so only the
        width error is measured).
    init_corrected : bool
        Golikov's IC-MF output :math:`f^{MF}(\theta_t) - f^{MF}(\theta_0) + f^{std}(\theta_0)`
        with :math:`f^{std} = N^{-1/2}\sum_i a_i\sigma(\langle w_i,x\rangle)`; the limit is the
        mean-field dynamics driven by the fixed Gaussian offset :math:`f^{std}(\theta_0)`.
    record_every : int
        Output recording stride in steps.
    """

    X: np.ndarray
    y: np.ndarray
    t_max: float = 5.0
    dt: float = 0.02
    scheme: str = "rk4"
    loss: str = "mse"
    n_ref: int = 2 ** 12
    n_scramblings: int = 4
    ref_dt: float | None = None
    init_corrected: bool = False
    record_every: int = 5
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def random(cls, n: int = 10, d: int = 12, *, rng: np.random.Generator | int | None = 0,
               loss: str = "mse", **kw: object) -> TwoLayerMF:
        """Unit-norm Gaussian inputs; targets ``tanh(2 <w*, x>)`` (mse) or their signs."""
        gen = np.random.default_rng(rng)
        X = gen.standard_normal((n, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        ws = gen.standard_normal(d)
        y = np.tanh(2 * X @ ws / np.linalg.norm(ws) * np.sqrt(d) / 2)
        if loss == "logistic":
            y = np.where(y >= 0, 1.0, -1.0)
        return cls(X, y, loss=loss, **kw)  # type: ignore[arg-type]

    @property
    def n_steps(self) -> int:
        return round(self.t_max / self.dt)

    def init_particles(self, N: int, rng: np.random.Generator | int | None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """``N`` i.i.d. particles from :math:`\\rho_0`; ``w`` has covariance ``I``."""
        if not isinstance(N, int | np.integer) or N < 1:
            raise ValueError(f"`width` must be an int >= 1, got {N=}")
        gen = np.random.default_rng(rng)
        return gen.standard_normal(N), gen.standard_normal((N, self.X.shape[1]))

    def _run(self, a: np.ndarray, W: np.ndarray, offset: np.ndarray | None, dt: float
             ) -> np.ndarray:
        n_steps = round(self.t_max / dt)
        every = max(1, round(self.record_every * self.dt / dt))
        return run_particles(a, W, self.X, self.y, dt=dt, n_steps=n_steps, scheme=self.scheme,
                             loss=self.loss, offset=offset, record_every=every)

    def finite(self, N: int, rng: np.random.Generator | int | None
               ) -> tuple[np.ndarray, np.ndarray | None]:
        """Outputs (recorded steps, n) of a width-``N`` network, and its IC offset (or None)."""
        a, W = self.init_particles(N, rng)
        offset = None
        if self.init_corrected:
            f0, _ = _forward(a, W, self.X)
            offset = np.sqrt(N) * f0 - f0  # f_std(theta_0) - f_MF(theta_0)
        f = self._run(a, W, offset, self.dt)
        if self.init_corrected:
            f = f + offset
        return f, offset

    def _limits(self, offset: np.ndarray | None) -> np.ndarray:
        key = None if offset is None else offset.tobytes()
        if key not in self._cache:
            runs = []
            for k in range(self.n_scramblings):
                pts = sobol_gaussian(self.n_ref, self.X.shape[1] + 1, [12345, k])
                a, W = pts[:, 0], pts[:, 1:]
                runs.append(self._run(a, W, offset, self.ref_dt or self.dt))
            self._cache[key] = np.array(runs)
        return self._cache[key]

    def final_particles(self, N: int, rng: np.random.Generator | int | None) -> np.ndarray:
        """The N neurons (a_i, w_i) of a finite net at ``t_max`` (no initialization
        correction), shape (N, 1 + d): an empirical measure to compare with the limit's."""
        a, W = self.init_particles(N, rng)
        n_steps = round(self.t_max / self.dt)
        _, a, W = run_particles(a, W, self.X, self.y, dt=self.dt, n_steps=n_steps,
                                scheme=self.scheme, loss=self.loss, record_every=n_steps,
                                return_particles=True)
        return np.column_stack([a, W])

    def limit_particles(self) -> list[np.ndarray]:
        """The reference populations (one per Sobol scrambling) evolved to ``t_max``."""
        if "particles" not in self._cache:
            pops = []
            dt = self.ref_dt or self.dt
            n_steps = round(self.t_max / dt)
            for k in range(self.n_scramblings):
                pts = sobol_gaussian(self.n_ref, self.X.shape[1] + 1, [12345, k])
                _, a, W = run_particles(pts[:, 0], pts[:, 1:], self.X, self.y, dt=dt,
                                        n_steps=n_steps, scheme=self.scheme, loss=self.loss,
                                        record_every=n_steps, return_particles=True)
                pops.append(np.column_stack([a, W]))
            self._cache["particles"] = pops  # type: ignore[assignment]
        return self._cache["particles"]  # type: ignore[return-value]

    def limit(self, offset: np.ndarray | None = None) -> np.ndarray:
        """QMC large-population reference outputs (recorded steps, n); ``offset`` for IC-MF.

        The mean over ``n_scramblings`` independent scramblings of ``n_ref`` Sobol particles.
        """
        f = self._limits(offset).mean(axis=0)
        return f if offset is None else f + offset

    def reference_error(self, offset: np.ndarray | None = None) -> float:
        """Standard error of :meth:`limit`: sup_t rms_j of sd over scramblings / sqrt(K)."""
        runs = self._limits(offset)
        se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
        return float(np.sqrt(np.mean(se * se, axis=1)).max())


# ----------------------------------------------------------------------------------------------
# isotropic Gaussian example: reduced radial equation (d = infinity)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IsotropicGaussianMF:
    r"""Reduced radial dynamics of MMN's isotropic Gaussian example (d -> infinity).

    Data :math:`y = \pm1`, :math:`x|y \sim N(0, (1+y\Delta)^2 I_d)`; neurons
    :math:`\sigma_*(x; w) = \sigma(\langle w, x\rangle)` with the ramp :math:`\sigma`
    (:math:`s_1` below :math:`t_1`, :math:`s_2` above :math:`t_2`, linear between).  With
    :math:`q(a) = \mathbb E\sigma(aG)`, :math:`q_\pm(r) = q(r(1\pm\Delta))`,
    :math:`v(r) = -\frac12(q_+ - q_-)` and :math:`Q_\pm = \langle q_\pm\rangle_{\bar\rho}`,
    the radial particles follow (notes section 2.3; MMN section on isotropic Gaussians)

    .. math::

        \dot r_i = -2\xi\,[v'(r_i) + \tfrac12\textstyle\sum_\pm Q_\pm q_\pm'(r_i)],\qquad
        R = 1 + 2\langle v\rangle + \tfrac12(Q_+^2 + Q_-^2) + O(1/d).

    The initial radial law is that of :math:`\kappa\sqrt{\chi^2_d/d}` (not :math:`\delta_\kappa`,
    which is an unstable fixed branch).  Gaussian expectations are in closed form (Gauss-Hermite
    quadrature of the discontinuous :math:`\sigma'` is a trap, notes finding 4).
    """

    delta: float = 0.8
    t1: float = 0.5
    t2: float = 1.5
    s1: float = -2.5
    s2: float = 7.5
    kappa: float = 0.4
    d: int = 40
    xi: float = 1.0

    def q(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`\\mathbb E\\sigma(aG)` and its derivative in ``a`` (closed forms, ``a > 0``)."""
        k = (self.s2 - self.s1) / (self.t2 - self.t1)
        A1, A2 = self.t1 / a, self.t2 / a
        P1, P2 = special.ndtr(A1), special.ndtr(A2)
        p1, p2 = stats.norm.pdf(A1), stats.norm.pdf(A2)
        val = (self.s1 * P1 + self.s2 * (1 - P2) + (self.s1 - k * self.t1) * (P2 - P1)
               + k * a * (p1 - p2))
        return val, k * (p1 - p2)

    def _parts(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        qp, dqp = self.q(r * (1 + self.delta))
        qm, dqm = self.q(r * (1 - self.delta))
        return qp, qm, (1 + self.delta) * dqp, (1 - self.delta) * dqm

    def risk(self, r: np.ndarray) -> float:
        """Population risk of the radial law (d = infinity)."""
        qp, qm, _, _ = self._parts(r)
        return float(1 - (qp.mean() - qm.mean()) + 0.5 * (qp.mean() ** 2 + qm.mean() ** 2))

    def velocity(self, r: np.ndarray) -> np.ndarray:
        qp, qm, dqp, dqm = self._parts(r)
        dv = -0.5 * (dqp - dqm)
        return -2 * self.xi * (dv + 0.5 * (qp.mean() * dqp + qm.mean() * dqm))

    def initial_radii(self, M: int, rng: np.random.Generator | int | None) -> np.ndarray:
        """:math:`\\kappa\\sqrt{\\chi^2_d/d}` samples (stratified by quantiles: deterministic law)."""
        gen = np.random.default_rng(rng)
        u = (np.arange(M) + gen.uniform(size=M)) / M
        return self.kappa * np.sqrt(stats.chi2.ppf(u, self.d) / self.d)

    def solve(self, times: np.ndarray, *, M: int = 4000, dt: float = 0.005,
              rng: np.random.Generator | int | None = 0) -> np.ndarray:
        """Risk at ``times`` by an RK4 radial particle method with ``M`` particles."""
        times = np.asarray(times, float)
        r = self.initial_radii(M, rng)
        out, t = [], 0.0
        for target in times:
            while t < target - 1e-12:
                h = min(dt, target - t)
                k1 = self.velocity(r)
                k2 = self.velocity(r + h / 2 * k1)
                k3 = self.velocity(r + h / 2 * k2)
                k4 = self.velocity(r + h * k3)
                r = np.abs(r + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
                t += h
            out.append(self.risk(r))
        return np.array(out)
