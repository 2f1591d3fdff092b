r"""Kernel regime: NNGP and NTK of deep MLPs, their Monte Carlo check, and infinite-width GD.

The finite-width model is an MLP with ``depth`` hidden layers of width ``n`` in NTK
parametrization (Jacot, Gabriel, Hongler 2018, eq. (1); Lee et al. 2019, eq. (1)):

.. math::

    g^{1} = \frac{\sigma_w}{\sqrt{d}} W^{1} x + \sigma_b b^{1},\quad
    g^{l+1} = \frac{\sigma_w}{\sqrt{n}} W^{l+1}\phi(g^{l}) + \sigma_b b^{l+1},\quad
    f(x) = g^{L+1}(x),

with all :math:`W, b` i.i.d. :math:`N(0, 1)`.  Its infinite-width kernels obey the recursions
(Jacot et al. 2018, Theorem 1 and Proposition 1; Lee et al. 2018 eq. (4) for the NNGP)

.. math::

    \Sigma^{1} = \sigma_w^2 \tfrac{x\cdot x'}{d} + \sigma_b^2,\quad
    \Sigma^{l+1} = \sigma_w^2\,\mathbb E[\phi(u)\phi(v)] + \sigma_b^2,\quad
    \Theta^{1} = \Sigma^{1},\quad
    \Theta^{l+1} = \Sigma^{l+1} + \sigma_w^2\,\mathbb E[\phi'(u)\phi'(v)]\,\Theta^{l},

where :math:`(u, v) \sim N(0, \Sigma^{l}|_{x,x'})`.  The Gaussian expectations are in closed form
for relu (arc-cosine kernel, Cho and Saul 2009, eq. (6) with n = 0, 1), erf (Williams 1997) and the
identity; any other activation uses a tensor Gauss-Hermite rule
(``numpy.polynomial.hermite_e.hermegauss``), which is accurate only for smooth activations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

_CLOSED = ("relu", "erf", "linear")


def _tanh_prime(z: np.ndarray) -> np.ndarray:
    return 1.0 / np.cosh(z) ** 2


#: activations with a known derivative, usable by quadrature and by the finite-width network
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]]
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "erf": (special.erf, lambda z: 2.0 / np.sqrt(np.pi) * np.exp(-z * z)),
    "linear": (lambda z: z, np.ones_like),
    "tanh": (np.tanh, _tanh_prime),
    "sin": (np.sin, np.cos),
    "gelu": (lambda z: z * special.ndtr(z),
             lambda z: special.ndtr(z) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)),
}


def _activation_iv(activation: str) -> tuple[Callable, Callable]:
    if activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {sorted(ACTIVATIONS)}, got {activation=}")
    return ACTIVATIONS[activation]


def _gauss_pair(k11: np.ndarray, k12: np.ndarray, k22: np.ndarray, act: str,
                n_quad: int, quadrature: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """E[phi(u)phi(v)] and E[phi'(u)phi'(v)] for (u, v) ~ N(0, [[k11, k12], [k12, k22]])."""
    if act == "linear" and not quadrature:
        return k12, np.ones_like(k12)
    if act == "relu" and not quadrature:
        s = np.sqrt(k11 * k22)
        c = np.clip(np.divide(k12, s, out=np.zeros_like(k12), where=s > 0), -1.0, 1.0)
        th = np.arccos(c)
        e = s / (2 * np.pi) * (np.sin(th) + (np.pi - th) * c)
        return e, (np.pi - th) / (2 * np.pi)
    if act == "erf" and not quadrature:
        a = (1 + 2 * k11) * (1 + 2 * k22)
        e = 2 / np.pi * np.arcsin(np.clip(2 * k12 / np.sqrt(a), -1.0, 1.0))
        ed = 4 / np.pi / np.sqrt(a - 4 * k12 * k12)
        return e, ed
    phi, dphi = ACTIVATIONS[act]
    z, w = hermegauss(n_quad)
    w = w / w.sum()
    z1, z2 = z[:, None], z[None, :]
    ww = w[:, None] * w[None, :]
    a = np.sqrt(k11)[..., None, None]
    s = np.sqrt(k11 * k22)
    rho = np.clip(np.divide(k12, s, out=np.zeros_like(k12), where=s > 0), -1.0, 1.0)
    rho = rho[..., None, None]
    b = np.sqrt(k22)[..., None, None]
    u = a * z1
    v = b * (rho * z1 + np.sqrt(1 - rho * rho) * z2)
    e = (phi(u) * phi(v) * ww).sum(axis=(-1, -2))
    ed = (dphi(u) * dphi(v) * ww).sum(axis=(-1, -2))
    return e, ed


@dataclass(frozen=True, slots=True)
class KernelPair:
    """NNGP and NTK Gram matrices of one MLP architecture.

    Attributes
    ----------
    nngp : numpy.ndarray, shape (p, q)
        :math:`\\Sigma^{L+1}(x_i, z_j)`, the covariance of the output at initialization.
    ntk : numpy.ndarray, shape (p, q)
        :math:`\\Theta^{L+1}(x_i, z_j)`, the limiting neural tangent kernel.
    """

    nngp: np.ndarray
    ntk: np.ndarray


def _mlp_iv(X: np.ndarray, depth: int, weight_var: float, bias_var: float) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"`X` must be a 2-d array (points x features), got shape {X.shape}")
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 1:
        raise ValueError(f"`depth` (number of hidden layers) must be an int >= 1, got {depth=}")
    if not (weight_var > 0 and bias_var >= 0):
        raise ValueError(f"need `weight_var` > 0 and `bias_var` >= 0, got {weight_var=}, "
                         f"{bias_var=}")
    return X


def mlp_kernels(
    X: np.ndarray,
    Z: np.ndarray | None = None,
    *,
    depth: int = 1,
    activation: str = "relu",
    weight_var: float = 1.0,
    bias_var: float = 0.0,
    n_quad: int = 64,
    quadrature: bool = False,
) -> KernelPair:
    r"""Infinite-width NNGP and NTK of a ``depth``-hidden-layer MLP in NTK parametrization.

    Parameters
    ----------
    X, Z : numpy.ndarray, shapes (p, d) and (q, d)
        Inputs; ``Z`` defaults to ``X``.
    depth : int
        Number of hidden layers :math:`L \ge 1` (there are :math:`L + 1` weight matrices).
    activation : str
        ``relu``, ``erf``, ``linear`` (closed forms) or ``tanh``, ``sin``, ``gelu`` (quadrature).
    weight_var, bias_var : float
        :math:`\sigma_w^2`, :math:`\sigma_b^2` (the same in every layer).
    n_quad : int
        Gauss-Hermite nodes per dimension for activations without a closed form.
    quadrature : bool
        Use quadrature even where a closed form exists (to cross-check the two; inaccurate for
        relu, whose derivative is discontinuous).

    Returns
    -------
    KernelPair

    Notes
    -----
    The recursion is the one in the module docstring (Jacot et al. 2018, Theorem 1).  ReLU uses
    :math:`\mathbb E[\phi(u)\phi(v)] = \frac{\sqrt{k_{11}k_{22}}}{2\pi}(\sin\theta + (\pi-\theta)
    \cos\theta)` and :math:`\mathbb E[\phi'\phi'] = (\pi-\theta)/(2\pi)` (Cho and Saul 2009);
    erf uses :math:`\frac{2}{\pi}\arcsin\frac{2k_{12}}{\sqrt{(1+2k_{11})(1+2k_{22})}}` and
    :math:`\frac{4}{\pi}((1+2k_{11})(1+2k_{22}) - 4k_{12}^2)^{-1/2}` (Williams 1997).

    Examples
    --------
    >>> import numpy as np
    >>> k = mlp_kernels(np.eye(2), depth=1, activation="linear")
    >>> np.allclose(k.ntk, np.eye(2))  # Sigma^2 + Sigma^1 = x.x'/d + x.x'/d
    True
    """
    X = _mlp_iv(X, depth, weight_var, bias_var)
    _activation_iv(activation)
    Z = X if Z is None else np.asarray(Z, dtype=float)
    if Z.ndim != 2 or Z.shape[1] != X.shape[1]:
        raise ValueError(f"`Z` must have shape (q, {X.shape[1]}), got {Z.shape}")
    d = X.shape[1]
    kxz = weight_var * (X @ Z.T) / d + bias_var
    kxx = weight_var * np.einsum("ij,ij->i", X, X) / d + bias_var
    kzz = weight_var * np.einsum("ij,ij->i", Z, Z) / d + bias_var
    theta = kxz.copy()
    for _ in range(depth):
        k11 = np.broadcast_to(kxx[:, None], kxz.shape)
        k22 = np.broadcast_to(kzz[None, :], kxz.shape)
        e, ed = _gauss_pair(k11, kxz, k22, activation, n_quad, quadrature)
        ex, _ = _gauss_pair(kxx, kxx, kxx, activation, n_quad, quadrature)
        ez, _ = _gauss_pair(kzz, kzz, kzz, activation, n_quad, quadrature)
        new = weight_var * e + bias_var
        theta = new + weight_var * ed * theta
        kxz = new
        kxx = weight_var * ex + bias_var
        kzz = weight_var * ez + bias_var
    return KernelPair(nngp=kxz, ntk=theta)


# ----------------------------------------------------------------------------------------------
# finite width
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiniteMLP:
    r"""A finite-width MLP in NTK parametrization (module docstring) with its parameters.

    Attributes
    ----------
    weights : tuple of numpy.ndarray
        Standard-normal :math:`W^{l}` of shapes (n, d), (n, n), ..., (1, n).
    biases : tuple of numpy.ndarray
        Standard-normal :math:`b^{l}`.
    activation : str
    weight_var, bias_var : float
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activation: str
    weight_var: float
    bias_var: float

    @classmethod
    def init(cls, d: int, width: int, depth: int, *, activation: str = "relu",
             weight_var: float = 1.0, bias_var: float = 0.0,
             rng: np.random.Generator | int | None = None) -> FiniteMLP:
        """Draw i.i.d. N(0, 1) parameters."""
        _activation_iv(activation)
        if not isinstance(width, int | np.integer) or width < 1:
            raise ValueError(f"`width` must be an int >= 1, got {width=}")
        gen = np.random.default_rng(rng)
        dims = [d] + [int(width)] * depth + [1]
        ws = tuple(gen.standard_normal((dims[i + 1], dims[i])) for i in range(len(dims) - 1))
        bs = tuple(gen.standard_normal(dims[i + 1]) for i in range(len(dims) - 1))
        return cls(ws, bs, activation, float(weight_var), float(bias_var))

    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        phi, _ = ACTIVATIONS[self.activation]
        sw, sb = np.sqrt(self.weight_var), np.sqrt(self.bias_var)
        acts, pres = [np.asarray(X, dtype=float)], []
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            g = sw / np.sqrt(w.shape[1]) * acts[-1] @ w.T + sb * b
            pres.append(g)
            if i < len(self.weights) - 1:
                acts.append(phi(g))
        return acts, pres

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """Outputs f(x_i), shape (p,)."""
        return self._forward(X)[1][-1][:, 0]

    def _deltas(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Activations a^{l-1} and backprop signals delta^l = df/dg^l, per point."""
        _, dphi = ACTIVATIONS[self.activation]
        sw = np.sqrt(self.weight_var)
        acts, pres = self._forward(X)
        deltas = [np.ones((X.shape[0], 1))]
        for i in range(len(self.weights) - 1, 0, -1):
            w = self.weights[i]
            back = sw / np.sqrt(w.shape[1]) * deltas[0] @ w
            deltas.insert(0, back * dphi(pres[i - 1]))
        return acts, deltas

    def empirical_ntk(self, X: np.ndarray, Z: np.ndarray | None = None) -> np.ndarray:
        r"""Finite-width NTK :math:`\sum_\theta \partial_\theta f(x)\partial_\theta f(z)`."""
        ax, dx = self._deltas(X)
        az, dz = (ax, dx) if Z is None else self._deltas(Z)
        out = np.zeros((len(X), len(az[0])))
        for a1, d1, a2, d2 in zip(ax, dx, az, dz, strict=True):
            out += (d1 @ d2.T) * (self.weight_var * (a1 @ a2.T) / a1.shape[1] + self.bias_var)
        return out

    def gd_step(self, X: np.ndarray, y: np.ndarray, lr: float) -> FiniteMLP:
        """One full-batch GD step on :math:`L = \\frac{1}{2p}\\|f(X) - y\\|^2` (new object)."""
        acts, deltas = self._deltas(X)
        r = (self(X) - y) / len(y)
        sw, sb = np.sqrt(self.weight_var), np.sqrt(self.bias_var)
        ws, bs = [], []
        for w, b, a, dl in zip(self.weights, self.biases, acts, deltas, strict=True):
            gw = sw / np.sqrt(w.shape[1]) * (dl * r[:, None]).T @ a
            gb = sb * (dl * r[:, None]).sum(axis=0)
            ws.append(w - lr * gw)
            bs.append(b - lr * gb)
        return FiniteMLP(tuple(ws), tuple(bs), self.activation, self.weight_var, self.bias_var)


def monte_carlo_kernels(
    X: np.ndarray,
    *,
    width: int,
    n_samples: int,
    depth: int = 1,
    activation: str = "relu",
    weight_var: float = 1.0,
    bias_var: float = 0.0,
    rng: np.random.Generator | int | None = None,
) -> tuple[KernelPair, KernelPair]:
    """Monte Carlo finite-width kernels: mean and standard error over ``n_samples`` networks.

    The NNGP estimate is the empirical covariance :math:`\\mathbb E[f(x)f(x')]` of the outputs,
    the NTK estimate the mean empirical NTK.  Both converge to :func:`mlp_kernels` as
    ``width -> inf`` (bias O(1/width)) and ``n_samples -> inf`` (error O(n_samples^{-1/2})).

    Returns
    -------
    mean, stderr : KernelPair
    """
    X = _mlp_iv(X, depth, weight_var, bias_var)
    gen = np.random.default_rng(rng)
    outs, ntks = [], []
    for _ in range(n_samples):
        net = FiniteMLP.init(X.shape[1], width, depth, activation=activation,
                             weight_var=weight_var, bias_var=bias_var, rng=gen)
        acts, pres = net._forward(X)
        # the readout's pre-activation has width 1; use many readouts for the NNGP: the last
        # hidden layer's features give E_W[f f'] = sw^2 a.a'/n + sb^2 exactly over the readout
        a = acts[-1]
        outs.append(weight_var * (a @ a.T) / a.shape[1] + bias_var)
        ntks.append(net.empirical_ntk(X))
    o, t = np.array(outs), np.array(ntks)
    se = np.sqrt(n_samples)
    return (KernelPair(o.mean(0), t.mean(0)),
            KernelPair(o.std(0, ddof=1) / se, t.std(0, ddof=1) / se))


# ----------------------------------------------------------------------------------------------
# infinite-width GD trajectory
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KernelGDLimit:
    r"""Infinite-width GD on :math:`L = \frac{1}{2p}\|f(X) - y\|^2` in the kernel regime.

    At infinite width the NTK is deterministic and constant in time (Jacot et al. 2018,
    Theorem 2; Lee et al. 2019, Theorem 2.1), so training outputs follow the linear ODE
    :math:`\dot f = -\frac{1}{p}\Theta(f - y)` (gradient flow) or the recursion
    :math:`f_{k+1} = f_k - \frac{\eta}{p}\Theta(f_k - y)` (GD with step :math:`\eta`):

    .. math::

        f_t(X) = y + e^{-\Theta t/p}(f_0(X) - y),\qquad f_k(X) = y + (I - \eta\Theta/p)^k (f_0(X) - y),

    and a test point follows :math:`f_t(x) = f_0(x) - \Theta(x, X)\Theta^{-1}(I - e^{-\Theta t/p})
    (f_0(X) - y)`.  :math:`f_0` is the network's own initial output (a draw from the NNGP), so
    conditioning on it leaves a deterministic reference for that network.

    Attributes
    ----------
    X, y : numpy.ndarray
        Training data.
    kernels : KernelPair
        Infinite-width kernels on ``X``.
    """

    X: np.ndarray
    y: np.ndarray
    kernels: KernelPair
    _eig: tuple[np.ndarray, np.ndarray] = field(repr=False)

    @classmethod
    def build(cls, X: np.ndarray, y: np.ndarray, **kernel_kw: object) -> KernelGDLimit:
        """Kernels from :func:`mlp_kernels` with ``kernel_kw``."""
        k = mlp_kernels(X, **kernel_kw)  # type: ignore[arg-type]
        lam, vec = np.linalg.eigh(k.ntk)
        return cls(np.asarray(X, float), np.asarray(y, float), k, (lam, vec))

    def flow(self, times: np.ndarray, f0: np.ndarray) -> np.ndarray:
        """Training outputs under gradient flow, shape (len(times), p)."""
        lam, vec = self._eig
        p = len(self.y)
        c = vec.T @ (np.asarray(f0) - self.y)
        decay = np.exp(-np.outer(np.asarray(times, float), lam) / p)
        return self.y + (decay * c) @ vec.T

    def steps(self, n_steps: int, lr: float, f0: np.ndarray) -> np.ndarray:
        """Training outputs after k = 0..n_steps GD steps, shape (n_steps + 1, p)."""
        lam, vec = self._eig
        p = len(self.y)
        c = vec.T @ (np.asarray(f0) - self.y)
        k = np.arange(n_steps + 1)[:, None]
        return self.y + ((1 - lr * lam / p) ** k * c) @ vec.T
