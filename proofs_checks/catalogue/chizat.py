r"""Chizat, Colombo, Fernandez-Real, Figalli 2022 (arXiv:2211.16980): infinite-width deep linear nets.

Model (CCFF Sec. 6, eqs. (6.1)-(6.9); a concrete normalization, as
implemented by ``widthlimits.numerics.limits.deep_linear``): :math:`f(x) = \frac1m v^\top M U x`,
:math:`M = m^{-1/2}Z + m^{-1}W`, i.i.d. N(0,1) init, :math:`W(0)=0`, layer-wise gradient flow; the
limit is the same flow on Hilbert spaces of rooted Gaussian paths (chains truncated at P).

Tolerances are declared in each check's Design, fixed before the runs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from widthlimits.numerics.limits import DeepLinearProblem, fit_order
from widthlimits.numerics.limits.deep_linear import (
    LinearState,
)
from widthlimits.proofs_checks.catalogue._util import (
    Series,
    bootstrap_ci,
    order_evidence,
    power_line,
    save_figure,
    single_thread_blas,
)
from widthlimits.proofs_checks.catalogue.base import (
    Check,
    Context,
    ControlDesign,
    Design,
    Evidence,
    Outcome,
    seeds_for,
)

PAPER = "Chizat, Colombo, Fernandez-Real, Figalli 2022 (arXiv:2211.16980)"
ASSUME = ("mu-P deep linear net with one middle square matrix (CCFF Sec. 6)",
          "data: n = 4 points in d = 8, X_ij ~ N(0, 4/d), y ~ N(0, 1); risk (1/2n)|X beta - y|^2",
          "gradient flow integrated by RK4 at finite width and in the limit (same grid)")


@dataclass(frozen=True)
class WidthRuns:
    """Finite-width trajectories against the limit on one grid (CCFF Sec. 6)."""

    widths: tuple[int, ...]
    sup_err: np.ndarray  # (widths, seeds): sup_t |beta_m(t) - beta_inf(t)|
    null_norm: np.ndarray  # (widths, seeds): |P_null(X) beta_m(T)|
    trunc_err: float  # max_t |beta^(P) - beta^(P/2)| of the limit
    limit_null: float  # max_t |P_null(X) beta_inf(t)|
    finals: dict  # width -> list of final LinearState
    limit_final: LinearState
    t_max: float


def _problem(seed: int, t_max: float, dt: float) -> DeepLinearProblem:
    return DeepLinearProblem.random(n=4, d=8, rng=seed % 2**32, t_max=t_max, dt=dt, P=30)


def _null_projector(X: np.ndarray) -> np.ndarray:
    return np.eye(X.shape[1]) - np.linalg.pinv(X) @ X


@functools.lru_cache(maxsize=4)
def width_runs(mode: str, seed: int) -> WidthRuns:
    """Finite widths vs the path-space limit (cached: shared by three checks of one run)."""
    quick = mode == "quick"
    widths = (32, 64, 128, 256, 512) if quick else (64, 128, 256, 512, 1024)
    n_seeds = seeds_for(mode, 6, 8)
    t_max, dt = (4.0, 0.02) if quick else (4.0, 0.01)
    pr = _problem(seed, t_max, dt)
    Pn = _null_projector(pr.X)
    with single_thread_blas():
        _, b_ref, lim = pr.limit()
        _, b_half, _ = pr.limit(P=15)
        errs, nulls, finals = [], [], {}
        for m in widths:
            e_m, n_m, f_m = [], [], []
            for s in range(n_seeds):
                _, b, st = pr.finite(m, np.random.SeedSequence([seed, s, m]))
                e_m.append(np.linalg.norm(b - b_ref, axis=1).max())
                n_m.append(np.linalg.norm(Pn @ b[-1]))
                f_m.append(st)
            errs.append(e_m)
            nulls.append(n_m)
            finals[m] = f_m
    return WidthRuns(widths, np.array(errs), np.array(nulls),
                     float(np.linalg.norm(b_ref - b_half, axis=1).max()),
                     float(np.linalg.norm(b_ref @ Pn.T, axis=1).max()), finals, lim, t_max)


def _width_order(ctx: Context) -> Outcome:
    r = width_runs(ctx.mode, ctx.seed)
    fit = fit_order(np.array(r.widths), r.sup_err, rng=ctx.seed)
    ev = (
        order_evidence("order of RMS_seeds sup_t |beta_m(t) - beta_inf(t)| in m", fit, 0.5,
                       (0.35, 0.65), note="tolerance declared before the run"),
        Evidence("limit truncation max_t |beta^(30) - beta^(15)|", "< 1e-10", r.trunc_err,
                 window=(0.0, 1e-10), note="row 6: the reference itself is converged in P"),
    )
    figs, notes = save_figure(ctx, "width_order.png", [
        Series(r.widths, np.sqrt((r.sup_err ** 2).mean(1)), "RMS over seeds"),
        Series(r.widths, power_line(r.widths, fit.values[0], -0.5), "slope -1/2", "--")],
        title="CCFF: deep linear predictor, finite width vs limit", xlabel="width m",
        ylabel="sup_t |beta_m - beta_inf|", evidence=ev)
    return Outcome(
        evidence=ev, figures=figs,
        prediction="|beta_m - beta_inf| = O(m^{-1/2}) (CLT order; CCFF's quantitative theorem "
                   "bounds it, the order 1/2 is the CLT rate of fluctuations around the limit)",
        notes=notes + (f"widths {r.widths}, {r.sup_err.shape[1]} seeds, t <= {r.t_max}, limit "
                       f"with chain truncation P = 30 (checked against P = 15)",
                       "CI: percentile bootstrap over seeds (numerics.limits.fit_order), 95%"),
    )


def _min_norm(ctx: Context) -> Outcome:
    r = width_runs(ctx.mode, ctx.seed)
    pr = _problem(ctx.seed, 30.0, 0.01)
    with single_thread_blas():
        t, b, _ = pr.limit()
    dist = float(np.linalg.norm(b[-1] - pr.min_norm_interpolator()))
    null_lim = float(np.linalg.norm(b @ _null_projector(pr.X).T, axis=1).max())
    fit = fit_order(np.array(r.widths), r.null_norm, rng=ctx.seed)
    ev = (
        Evidence("|beta_inf(30) - X^+ y|", "0 (< 1e-8)", dist, window=(0.0, 1e-8),
                 note="row 3: the limit converges to the minimum-norm interpolator"),
        Evidence("max_t |P_null(X) beta_inf(t)|", "0 (< 1e-12)", null_lim, window=(0.0, 1e-12),
                 note="row 2: the limit never leaves row(X) (equivariance)"),
        order_evidence("order of RMS |P_null(X) beta_m(T)| in m (finite-width fluctuation)", fit,
                       0.5, (0.35, 0.7), note="row 2 window"),
    )
    figs, notes = save_figure(ctx, "null_space.png", [
        Series(r.widths, np.sqrt((r.null_norm ** 2).mean(1)), "RMS |P_null beta_m(T)|"),
        Series(r.widths, power_line(r.widths, fit.values[0], -0.5), "slope -1/2", "--")],
        title="CCFF: null-space component of the finite-width predictor", xlabel="width m",
        ylabel="|P_null(X) beta_m(T)|", evidence=ev)
    return Outcome(
        evidence=ev, figures=figs,
        prediction="beta_inf(t) in row(X) for all t and beta_inf(t) -> X^+ y; at finite width the "
                   "null-space part is pure fluctuation, O(m^{-1/2})",
        notes=notes + (f"limit integrated to t = 30 (RK4 dt = 0.01, P = 30); finite widths "
                       f"{r.widths} at t = {r.t_max}",),
    )


def _excess_kurtosis(z: np.ndarray) -> float:
    from scipy import stats

    return float(stats.kurtosis(z))


def _weight_law(ctx: Context) -> Outcome:
    from scipy import stats

    r = width_runs(ctx.mode, ctx.seed)
    m = r.widths[-1]
    finals = r.finals[m][: (2 if ctx.quick else 3)]
    gamma = r.limit_final.U.T @ r.limit_final.U
    w, V = np.linalg.eigh(gamma - np.eye(len(gamma)))
    bhat = V[:, np.argmax(np.abs(w))]
    var_pred = float(bhat @ gamma @ bhat)
    # s.U holds u_bar = U / sqrt(m); a neuron's first-layer row is sqrt(m) * u_bar[i, :]
    z = np.sqrt(m) * np.concatenate([s.U @ bhat for s in finals])
    gen = np.random.default_rng(ctx.seed)
    kurt = _excess_kurtosis(z)
    skew = float(stats.skew(z))
    ratio = float(z.var() / var_pred)
    k_ci = bootstrap_ci(z, _excess_kurtosis, rng=gen)
    s_ci = bootstrap_ci(z, stats.skew, rng=gen)
    r_ci = bootstrap_ci(z, lambda a: a.var() / var_pred, rng=gen)
    ev = (
        Evidence(f"excess kurtosis of sqrt(m) U_i . b (m = {m}, {len(finals)} seeds pooled)", "0",
                 kurt, *k_ci, window=(-3 * math.sqrt(24 / m), 3 * math.sqrt(24 / m)),
                 note="row 5: |kurt| <= 3 sqrt(24/m); CI: bootstrap over neurons"),
        Evidence("skewness of sqrt(m) U_i . b", "0", skew, *s_ci,
                 window=(-3 * math.sqrt(6 / m), 3 * math.sqrt(6 / m)),
                 note="row 5: |skew| <= 3 sqrt(6/m)"),
        Evidence("variance of sqrt(m) U_i . b / (b^T Gamma_U^inf(T) b)", "1", ratio, *r_ci,
                 window=(0.9, 1.1),
                 note=f"the limit law N(0, Gamma_U(T)); b = top eigenvector of Gamma_U(T) - I, "
                      f"b^T Gamma b = {var_pred:.3f} (1 at init): tolerance +-0.1 covers the "
                      f"O(m^-1/2) finite-width error of the empirical covariance"),
    )
    q = np.sort(z) / math.sqrt(var_pred)
    th = stats.norm.ppf((np.arange(len(q)) + 0.5) / len(q))
    figs, notes = save_figure(ctx, "weight_law_qq.png", [
        Series(th[::8], q[::8], "standardized projections", "."),
        Series([-4, 4], [-4, 4], "N(0, b^T Gamma_U^inf b)", "--")],
        title=f"CCFF: law of first-layer weights at T = {r.t_max}, m = {m}",
        xlabel="normal quantile", ylabel="sample quantile", logx=False, logy=False,
        evidence=ev)
    return Outcome(
        evidence=ev, figures=figs,
        prediction="a neuron's first-layer row sqrt(m) U_i(t) is asymptotically N(0, Gamma_U(t)), "
                   "Gamma_U(t) = [<u_k(t), u_l(t)>] of the limit (CCFF: the weights stay random "
                   "with a precise law)",
        notes=notes + ("Gaussianity: kurtosis/skewness within the CLT bounds of row 5; the "
                       "covariance is compared with the limit's Gamma_U(T) rather than with the "
                       "exact finite-width identity for Gamma_U (which only tests the code)",),
    )


CHECKS = (
    Check(
        id="ccff-width-order",
        title="Deep linear net: the finite-width predictor converges to the limit at order m^-1/2",
        paper=PAPER, source="abstract (quantitative convergence of the linear predictor); Sec. 6",
        statement=r"\sup_{t\le T}\|\beta_m(t) - \beta_\infty(t)\| = O_P(m^{-1/2})",
        assumptions=ASSUME + ("order 1/2 is the CLT rate; CCFF's bound is not assumed sharp",),
        run=_width_order, quick_budget_s=30.0,
        design=Design(window=(0.35, 0.65)),
    ),
    Check(
        id="ccff-min-norm-bias",
        title="Deep linear limit: implicit bias towards the minimum-l2-norm interpolator",
        paper=PAPER, source="abstract; Thm 2.3",
        statement=r"\beta_\infty(t)\in\mathrm{row}(X)\ \forall t,\quad "
                  r"\beta_\infty(t)\to X^+y,\quad \|P_{\ker X}\beta_m(T)\| = O_P(m^{-1/2})",
        assumptions=ASSUME + ("n < d (under-determined least squares, many interpolators)",),
        run=_min_norm, quick_budget_s=30.0,
        design=Design(
            window=(0.0, 1e-8),
            control=ControlDesign(
                window=(1e-3, 1e6),
                prediction="|beta_inf - X^+ y| >= 1e-3",
                reason="an implicit bias other than minimum norm",
            ),
        ),
    ),
    Check(
        id="ccff-weight-law",
        title="Deep linear net: the trained first-layer weights have the Gaussian law of the limit",
        paper=PAPER, source="abstract (law of the weights along training); Sec. 6",
        statement=r"\sqrt m\,U_{i,:}(t) \Rightarrow \mathcal N(0, \Gamma_U(t)),\ "
                  r"\Gamma_U(t) = [\langle u_k(t), u_l(t)\rangle]_{kl}",
        assumptions=ASSUME + ("neurons pooled over a few seeds; rows of one network are "
                              "exchangeable and asymptotically independent",),
        run=_weight_law, quick_budget_s=30.0,
        design=Design(
            tolerance=3 * math.sqrt(24 / 512),
            full_tolerance=3 * math.sqrt(24 / 1024),
            control=ControlDesign(
                1.2,
                reason="a non-Gaussian law: excess kurtosis of the uniform law, -1.2, or its mirror",
            ),
        ),
    ),
)
