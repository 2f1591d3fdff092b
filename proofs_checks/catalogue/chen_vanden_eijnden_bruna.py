r"""Chen, Vanden-Eijnden, Bruna 2022 (ICLR, arXiv:2204.10782): feature learning with global convergence.

Model (seed_theorems.md Sec. 3.2): :math:`f(x) = \frac1m\sum_i c_i\sigma(z_i\cdot u(x))` with fixed
:math:`c_i\sim N(0,1)`, trained :math:`z_i` in mean-field time, :math:`L = \frac1{2n}\|r\|^2`, where
:math:`u(x) = x` (shallow net) or :math:`u(x)` = fixed random ReLU features of earlier layers (the
multilayer model whose second-to-last layer is trained).  The tangent kernel of the trained layer
is :math:`H = G\circ A`, :math:`G = UU^\top`, :math:`A_{jk} = \frac1m\sum_i c_i^2\sigma'(z_i\cdot
u_j)\sigma'(z_i\cdot u_k)`; by the Schur product theorem :math:`\lambda_{\min}(H)\ge
\lambda_{\min}(G)\min_j A_{jj}`, whence the certificate
:math:`L(t)\le L(0)\exp(-\frac2n\lambda_{\min}(G)\int_0^t\min_j A_{jj})` (positive when G is
full rank: d >= n for raw inputs, m' >= n for random features).

The gradient flow is integrated here (RK4) by :func:`train`; nothing in ``numerics`` had this model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from widthlimits.numerics.fits import fit_exponent
from widthlimits.proofs_checks.catalogue._util import (
    Series,
    late_rate,
    save_figure,
    single_thread_blas,
)
from widthlimits.proofs_checks.catalogue.base import Check, Context, Evidence, Outcome
from widthlimits.proofs_checks.measure import as_float
from widthlimits.theory.engine import derive
from widthlimits.theory.exponents import fmt
from widthlimits.theory.presets import preset

PAPER = "Chen, Vanden-Eijnden, Bruna 2022 (ICLR; arXiv:2204.10782)"
BIG = 1e6


@dataclass(frozen=True)
class Trajectory:
    """Recorded gradient-flow quantities of the partially trained net."""

    t: np.ndarray
    loss: np.ndarray
    min_a: np.ndarray  # min_j A_jj(t)
    lam_h: np.ndarray  # lambda_min(H(t))
    feature_change: float  # |Phi_T - Phi_0|_F / |Phi_0|_F, Phi = sigma(ZU^T)^T sigma(ZU^T) / m
    dx: float  # rms over neurons and points of sigma(Z_T u) - sigma(Z_0 u) (the engine's dx)


def train(U: np.ndarray, y: np.ndarray, c: np.ndarray, Z: np.ndarray, *, t_max: float, dt: float,
          scale: str = "mf", every: int = 5) -> Trajectory:
    r"""RK4 gradient flow of the trained layer (tanh), mean-field or NTK scaling.

    ``scale="mf"``: :math:`f = \frac1m\sum c_i\sigma(z_i\cdot u)`, :math:`\dot z_i = -m\nabla_{z_i}L`;
    ``scale="ntk"``: :math:`f = \frac1{\sqrt m}\sum c_i\sigma(z_i\cdot u)`, :math:`\dot z_i =
    -\nabla_{z_i}L`.  Both give :math:`\dot f = -\frac1n Hr` with the same O(1) kernel at init.
    """
    m, n = len(c), len(y)
    pref = 1.0 / m if scale == "mf" else 1.0 / np.sqrt(m)
    speed = 1.0 if scale == "mf" else pref

    def vel(Z_):
        s = np.tanh(Z_ @ U.T)  # (m, n)
        r = (pref * (c @ s) - y) / n
        return -speed * ((1 - s * s) * r * c[:, None]) @ U

    def record(Z_):
        s = np.tanh(Z_ @ U.T)
        r = pref * (c @ s) - y
        dp = (1 - s * s) * c[:, None]
        A = dp.T @ dp / m
        H = A * (U @ U.T)
        return float(r @ r / (2 * n)), float(np.diag(A).min()), float(np.linalg.eigvalsh(H)[0]), s

    ts, ls, mas, lhs = [], [], [], []
    s0 = None
    steps = round(t_max / dt)
    for k in range(steps + 1):
        if k % every == 0 or k == steps:
            l_, a_, h_, s = record(Z)
            s0 = s if s0 is None else s0
            ts.append(k * dt)
            ls.append(l_)
            mas.append(a_)
            lhs.append(h_)
        if k == steps:
            break
        k1 = vel(Z)
        k2 = vel(Z + dt / 2 * k1)
        k3 = vel(Z + dt / 2 * k2)
        k4 = vel(Z + dt * k3)
        Z = Z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    phi0, phiT = s0.T @ s0 / m, s.T @ s / m
    fc = float(np.linalg.norm(phiT - phi0) / np.linalg.norm(phi0))
    dx = float(np.sqrt(np.mean((s - s0) ** 2)))
    return Trajectory(np.array(ts), np.array(ls), np.array(mas), np.array(lhs), fc, dx)


def certificate(tr: Trajectory, lam_g: float, n: int) -> np.ndarray:
    """L(0) exp(-(2/n) lam_min(G) int_0^t min_j A_jj) on the recorded grid (trapezoid)."""
    integral = np.concatenate([[0.0], np.cumsum((tr.min_a[1:] + tr.min_a[:-1]) / 2
                                                * np.diff(tr.t))])
    return tr.loss[0] * np.exp(-2.0 / n * lam_g * integral)


def _violation(tr: Trajectory, lam_g: float, n: int) -> float:
    return float(((tr.loss - certificate(tr, lam_g, n)) / tr.loss[0])[1:].max())


def _rate_evidence(tr: Trajectory, n: int, label: str) -> tuple[Evidence, Evidence]:
    late = tr.t >= tr.t[-1] / 2
    rf = late_rate(tr.t[late], tr.loss[late])
    lower = 2.0 / n * float(tr.lam_h[late].min())
    return (Evidence(f"{label}: late loss decay rate / ((2/n) min_t lambda_min(H(t)))", ">= 1",
                     rf.rate / lower, rf.ci_low / lower, rf.ci_high / lower, window=(1.0, BIG),
                     note=f"fitted rate {rf.rate:.4g} on t in [{tr.t[-1] / 2:g}, {tr.t[-1]:g}], "
                          f"instantaneous lower bound {lower:.4g}"),
            Evidence(f"{label}: R^2 of log L linear in t (late half)", ">= 0.95", rf.r2,
                     window=(0.95, 1.0), note="linear (exponential-rate) convergence, row 12/13"))


def _orthonormal_data(gen: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    Q, _ = np.linalg.qr(gen.standard_normal((d, n)))
    return Q.T, gen.standard_normal(n)


def _shallow(ctx: Context) -> Outcome:
    gen = np.random.default_rng(np.random.SeedSequence([ctx.seed, 31]))
    n, d = 10, 20
    X, y = _orthonormal_data(gen, n, d)
    lam_g = float(np.linalg.eigvalsh(X @ X.T)[0])
    widths = (1000, 4000)
    t_max = 60.0
    ev, series, rows = [], [], []
    with single_thread_blas():
        for m in widths:
            g = np.random.default_rng(np.random.SeedSequence([ctx.seed, m]))
            tr = train(X, y, g.standard_normal(m), g.standard_normal((m, d)), t_max=t_max, dt=0.05)
            rate_ev = _rate_evidence(tr, n, f"m={m}")
            ev.insert(0 if m == widths[0] else len(ev), rate_ev[0])
            ev.append(rate_ev[1])
            ev.append(Evidence(f"m={m}: certificate violation max_(t>0) (L - bound)/L(0)", "<= 0",
                               _violation(tr, lam_g, n), window=(-1.0, 1e-6),
                               note="row 12: no violation beyond 1e-6 relative"))
            series += [Series(tr.t, tr.loss, f"L(t), m={m}", "-"),
                       Series(tr.t, certificate(tr, lam_g, n), f"certificate, m={m}", "--")]
            rows.append([m, f"{tr.loss[-1]:.3g}", f"{certificate(tr, lam_g, n)[-1]:.3g}",
                         f"{tr.min_a[-1]:.3g}", f"{tr.lam_h[-1]:.3g}"])
    figs, notes = save_figure(ctx, "loss_certificate.png", series, title="CVEB: d >= n, MF net",
                              xlabel="t (mean-field time)", ylabel="training loss", logx=False)
    return Outcome(
        evidence=tuple(ev), figures=figs,
        prediction="d >= n: lambda_min(XX^T) > 0, so L(t) <= L(0) exp(-(2/n) lambda_min(G) "
                   "int min_j A_jj) and the loss decays at a linear (exponential) rate",
        tables=(("End of training", ["m", "L(T)", "certificate(T)", "min_j A_jj(T)",
                                     "lambda_min H(T)"], rows),),
        notes=notes + (f"n = {n} orthonormal inputs in d = {d} (G = I), y ~ N(0, 1), tanh, c ~ "
                       f"N(0, 1) fixed, z ~ N(0, I_d); RK4 dt = 0.05 to t = {t_max}",
                       "min_j A_jj decays as tanh saturates: the rate is not uniform in time, "
                       "which is why the paper's activation assumptions matter"),
    )


def relu_features(X: np.ndarray, width: int, gen: np.random.Generator) -> np.ndarray:
    """Fixed random ReLU features sqrt(2/m') relu(V x) of unit-norm inputs (earlier layers)."""
    V = gen.standard_normal((width, X.shape[1]))
    return np.sqrt(2.0 / width) * np.maximum(X @ V.T, 0.0)


def _unit_data(gen: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    X = gen.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]


def _multilayer(ctx: Context) -> Outcome:
    gen = np.random.default_rng(np.random.SeedSequence([ctx.seed, 41]))
    n, d = 20, 5
    X, y = _unit_data(gen, n, d)
    lam_raw = float(np.linalg.eigvalsh(X @ X.T)[0])
    ev = [Evidence("lambda_min(G) for raw inputs (d = 5 < n = 20)", "0 (no certificate)",
                   abs(lam_raw), window=(0.0, 1e-10), note="rank(XX^T) <= d")]
    feats, rows = {}, []
    for mp in (10, 40, 160):
        F = relu_features(X, mp, np.random.default_rng(np.random.SeedSequence([ctx.seed, mp])))
        lam = float(np.linalg.eigvalsh(F @ F.T)[0])
        feats[mp] = (F, lam)
        rows.append([mp, f"{lam:.3g}"])
        win = (0.0, 1e-10) if mp < n else (1e-3, BIG)
        ev.append(Evidence(f"lambda_min(G') for random ReLU features of width m' = {mp}",
                           "0" if mp < n else "> 1e-3", abs(lam) if mp < n else lam, window=win,
                           note="row 13: G' full rank once m' >= n"))
    mp = 160
    F, lam_f = feats[mp]
    m = 1000 if ctx.quick else 4000
    t_max = 30.0 if ctx.quick else 60.0
    g = np.random.default_rng(np.random.SeedSequence([ctx.seed, 42]))
    with single_thread_blas():
        tr = train(F, y, g.standard_normal(m), g.standard_normal((m, mp)), t_max=t_max, dt=0.05)
    rate_ev = _rate_evidence(tr, n, f"features m'={mp}, m={m}")
    ev = [rate_ev[0]] + ev + [rate_ev[1], Evidence(
        f"features m'={mp}: certificate violation max_(t>0) (L - bound)/L(0)", "<= 0",
        _violation(tr, lam_f, n), window=(-1.0, 1e-6), note="Schur certificate with G' = FF^T")]
    figs, notes = save_figure(ctx, "multilayer_loss.png", [
        Series(tr.t, tr.loss, "L(t)", "-"),
        Series(tr.t, certificate(tr, lam_f, n), "certificate with G'", "--")],
        title=f"CVEB: second-to-last layer trained (d={d} < n={n}, m'={mp})",
        xlabel="t (mean-field time)", ylabel="training loss", logx=False)
    return Outcome(
        evidence=tuple(ev), figures=figs,
        prediction="with fixed random features of width m' >= n the feature Gram G' is full rank "
                   "and the MF-trained second-to-last layer converges linearly for any input "
                   "dimension d; for raw inputs with d < n the certificate is vacuous",
        tables=(("Feature Gram matrices", ["m'", "lambda_min(G')"], rows),),
        notes=notes + (f"n = {n} unit-norm inputs in d = {d}; features sqrt(2/m') relu(Vx), "
                       f"V ~ N(0, 1); trained layer width m = {m}, tanh, c ~ N(0, 1) fixed; RK4 "
                       f"dt = 0.05 to t = {t_max}",),
    )


def _features(ctx: Context) -> Outcome:
    gen = np.random.default_rng(np.random.SeedSequence([ctx.seed, 51]))
    n, d, mp = 20, 5, 64
    X, y = _unit_data(gen, n, d)
    F = relu_features(X, mp, gen)
    widths = (128, 256, 512, 1024) if ctx.quick else (128, 256, 512, 1024, 2048, 4096)
    seeds = 8 if ctx.quick else 12
    t_max = 5.0
    steps = 3
    expo = {s: derive(preset(p, 1, "sgd"), "sgd", "tanh", steps=steps).get("dx", 1, steps)
            for s, p in (("mf", "mfp"), ("ntk", "ntp"))}
    pred = {s: as_float(e) for s, e in expo.items()}
    vals = {s: np.zeros((len(widths), seeds)) for s in pred}
    kch = {s: np.zeros((len(widths), seeds)) for s in pred}
    losses = {s: [] for s in pred}
    with single_thread_blas():
        for i, m in enumerate(widths):
            for k in range(seeds):
                g = np.random.default_rng(np.random.SeedSequence([ctx.seed, k, m]))
                c, Z = g.standard_normal(m), g.standard_normal((m, mp))
                for s in pred:
                    tr = train(F, y, c, Z, t_max=t_max, dt=0.05, scale=s, every=100)
                    vals[s][i, k] = tr.dx
                    kch[s][i, k] = tr.feature_change
                    if i == len(widths) - 1:
                        losses[s].append(tr.loss[-1] / tr.loss[0])
    ev, extra, series = [], [], []
    for s in ("mf", "ntk"):
        f = fit_exponent(widths, vals[s], rng=ctx.seed % 2**32)
        ev.append(Evidence(f"{s.upper()} scaling: slope in m of rms |x_T - x_0| of the trained "
                           "layer", fmt(expo[s]), f.slope, f.ci_low, f.ci_high,
                           window=(pred[s] - 0.15, pred[s] + 0.15),
                           note=f"engine: dx^1 exponent of preset {'mfp' if s == 'mf' else 'ntp'} "
                                f"(L = 1, SGD); values {np.round(vals[s].mean(1), 4).tolist()}"))
        fk = fit_exponent(widths, kch[s], rng=ctx.seed % 2**32)
        win = (-0.15, 0.15) if s == "mf" else (-1.5, -0.35)
        extra.append(Evidence(
            f"{s.upper()} scaling: slope of the relative feature-kernel change |Phi_T - Phi_0| / "
            "|Phi_0|", "0" if s == "mf" else "< 0 (vanishes)", fk.slope, fk.ci_low, fk.ci_high,
            window=win, decisive=False,
            note=f"values {np.round(kch[s].mean(1), 4).tolist()}; in NTK scaling the first-order "
                 "term cancels over the symmetric readout c, so the kernel moves O(1/m), faster "
                 "than the features' O(m^-1/2)"))
        series.append(Series(widths, vals[s].mean(1), f"rms dx, {s.upper()} scaling"))
        series.append(Series(widths, kch[s].mean(1), f"kernel change, {s.upper()} scaling", "s--"))
    ev += extra
    figs, notes = save_figure(ctx, "feature_change.png", series,
                              title="CVEB: feature movement of the trained layer",
                              xlabel="width m", ylabel="feature / feature-kernel change")
    return Outcome(
        evidence=tuple(ev), figures=figs,
        prediction=f"mean-field scaling learns features (the trained layer's features move "
                   f"Theta(1), engine exponent {fmt(expo['mf'])}); NTK scaling does not (engine "
                   f"exponent {fmt(expo['ntk'])})",
        tables=(("Training loss ratio L(T)/L(0) at the largest width (mean over seeds)",
                 ["scaling", "L(T)/L(0)"],
                 [[s.upper(), f"{np.mean(v):.3g}"] for s, v in losses.items()]),),
        notes=notes + (f"3-layer net: fixed random ReLU features (m' = {mp}) of n = {n} inputs in "
                       f"d = {d}, trained tanh layer of width m, fixed readout c ~ N(0, 1); both "
                       f"scalings trained to t = {t_max} (same O(1) tangent kernel at init)",
                       f"widths {widths}, {seeds} seeds; tolerance +-0.15 on slopes (as the TP4 "
                       "check); CI: BCa bootstrap over seeds (numerics.fits.fit_exponent)",
                       "not tested: the paper's claim that the MF model generalizes better than "
                       "its NTK counterpart (needs a test set and a task; left undone)"),
    )


CHECKS = (
    Check(
        id="cveb-linear-convergence",
        title="Shallow MF net with d >= n: linear convergence, certified by the Schur product bound",
        paper=PAPER, source="abstract, first result (shallow MF nets, d >= n)",
        statement=r"d\ge n:\ L(t)\le L(0)\exp\Big(-\tfrac2n\lambda_{\min}(XX^\top)"
                  r"\int_0^t\min_jA_{jj}(s)\,ds\Big)",
        assumptions=("tanh activation, readout c fixed, first layer trained by gradient flow in "
                     "mean-field time", "orthonormal inputs (generic data with d >= n)",
                     "the certificate is derived from the Schur product theorem "
                     "(seed_theorems.md Sec. 3.2); the paper's exact constant is not checked"),
        run=_shallow, quick_budget_s=30.0,
    ),
    Check(
        id="cveb-second-to-last-layer",
        title="Multilayer model with the second-to-last layer trained: linear rate for any d",
        paper=PAPER, source="abstract, second result (multi-layer model)",
        statement=r"m'\ge n:\ \lambda_{\min}(G')>0,\ "
                  r"L(t)\le L(0)\exp\Big(-\tfrac2n\lambda_{\min}(G')\int_0^t\min_jA_{jj}\Big)",
        assumptions=("earlier layers: fixed random ReLU features of width m'", "d < n",
                     "trained layer tanh in mean-field scaling, readout fixed"),
        run=_multilayer, quick_budget_s=30.0,
    ),
    Check(
        id="cveb-mf-vs-ntk-features",
        title="Partially trained 3-layer net: MF scaling learns features, NTK scaling does not",
        paper=PAPER, source="abstract (experiments: feature learning vs the NTK regime)",
        statement=r"\|x_T - x_0\|_{rms} = \Theta(1)\ \text{(MF)},\quad "
                  r"\Theta(m^{-1/2})\ \text{(NTK)}",
        assumptions=("fixed random first layer; only the second-to-last layer is trained",
                     "same training time in both scalings; the engine's exponent for the L = 1 "
                     "net on the fixed features is the prediction"),
        run=_features, quick_budget_s=30.0,
    ),
)
