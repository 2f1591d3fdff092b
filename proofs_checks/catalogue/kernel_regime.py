r"""Kernel regime at finite width (Jacot, Gabriel, Hongler 2018, arXiv:1806.07572; Lee et al.
2019, arXiv:1902.06720): the empirical NTK and NNGP of finite nets against the analytic kernels of
``numerics.limits``, and the NTK's drift during training under NTK parametrization and muP.

At initialization the empirical kernels are averages over ``n`` neurons, so their relative error
against the infinite-width kernels is a CLT fluctuation, :math:`O(n^{-1/2})` (Jacot et al. Thm 1
gives the limit; the order is the CLT's).  During training under NTK parametrization the kernel
stays within :math:`O(n^{-1/2})` of its initial value (Lee et al. 2019, Thm 2.1; Dyer & Gur-Ari
2020 give :math:`O(1/n)` for its rate of change), while under muP it moves :math:`\Theta(1)`
(Yang & Hu 2021, TP4, the feature-learning limit).
"""

from __future__ import annotations

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig, make_data
from widthlimits.numerics.limits import FiniteMLP, fit_order, mlp_kernels
from widthlimits.proofs_checks.catalogue._util import (
    Series,
    order_evidence,
    power_line,
    save_figure,
)
from widthlimits.proofs_checks.catalogue.base import (
    Check,
    Context,
    Design,
    Evidence,
    Outcome,
)
from widthlimits.proofs_checks.measure import local_slope, measure_exponents
from widthlimits.theory.presets import preset

PAPER = "Jacot, Gabriel, Hongler 2018 (arXiv:1806.07572); Lee et al. 2019 (arXiv:1902.06720)"


def empirical_nngp(net: FiniteMLP, X: np.ndarray) -> np.ndarray:
    r"""The finite net's NNGP: :math:`\sigma_w^2\,\phi(g^L)\cdot\phi(g^L)'/n + \sigma_b^2`, the
    output covariance over the readout's draw (the model of ``numerics.limits.kernels``)."""
    from widthlimits.numerics.activations import get_activation

    phi = get_activation(net.activation).phi
    sw, sb = np.sqrt(net.weight_var), np.sqrt(net.bias_var)
    a = np.asarray(X, dtype=float)
    for w, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
        a = phi(sw / np.sqrt(w.shape[1]) * a @ w.T + sb * b)
    return net.weight_var * (a @ a.T) / a.shape[1] + net.bias_var


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _kernels(ctx: Context) -> Outcome:
    depth = 2
    widths = (64, 128, 256, 512) if ctx.quick else (64, 128, 256, 512, 1024, 2048)
    seeds = ctx.seeds(8, 16)
    data = DataConfig(kind="sphere", n_samples=8, d_in=16, target="teacher", seed=21)
    X, _ = make_data(data)
    inf = mlp_kernels(X, depth=depth, activation="relu")
    errs = {"NTK": np.zeros((len(widths), seeds)), "NNGP": np.zeros((len(widths), seeds))}
    for i, n in enumerate(widths):
        for s in range(seeds):
            net = FiniteMLP.init(X.shape[1], n, depth, activation="relu",
                                 rng=np.random.SeedSequence([ctx.seed, s, n]))
            errs["NTK"][i, s] = _rel(net.empirical_ntk(X), inf.ntk)
            errs["NNGP"][i, s] = _rel(empirical_nngp(net, X), inf.nngp)
    fits = {k: fit_order(np.array(widths), v, rng=ctx.seed % 2**32) for k, v in errs.items()}
    ev = [order_evidence("order in n of |Theta_n - Theta_inf|_F / |Theta_inf|_F at init "
                         "(empirical NTK, relu, 2 hidden layers)", fits["NTK"], 0.5,
                         (0.35, 0.65), note="CLT order"),
          order_evidence("order in n of |Sigma_n - Sigma_inf|_F / |Sigma_inf|_F at init "
                         "(empirical NNGP)", fits["NNGP"], 0.5, (0.35, 0.65), note="CLT order")]
    # drift of the tangent kernel during training: NTP frozen, muP moving (the simulator)
    T = 3
    dwidths = (256, 512, 1024, 2048) if ctx.quick else (256, 512, 1024, 2048, 4096)
    dseeds = ctx.seeds(4, 8)
    drift = {}
    for name in ("ntp", "mup"):
        cfg = SimulationConfig(preset(name, depth, "sgd"), optimizer="sgd", activation="tanh",
                               loss="mse", eta=0.5, steps=T, data=data, dtype="float64",
                               quantities=("tangent_kernel_change",))
        key = ("tangent_kernel_change", None, T)
        drift[name] = measure_exponents(cfg, dwidths, dseeds, [key], rng=ctx.seed)[key]
    f = drift["ntp"]
    vals = np.round(np.nanmean(f.values, 1), 5).tolist()
    ev.append(Evidence("NTP: slope in n of the relative tangent-kernel change after 3 SGD steps",
                       "< 0 (frozen in the limit)", f.slope, f.ci_low, f.ci_high,
                       window=(-1.25, -0.25),
                       note=f"the window covers n^-1/2 (Lee et al. 2019) and n^-1 (Dyer & "
                            f"Gur-Ari 2020); values {vals}; local slope {local_slope(f):+.2f}"))
    ev.append(Evidence("NTP: same slope against -1/2", "-1/2", f.slope, f.ci_low, f.ci_high,
                       window=(-0.75, -0.25), decisive=False))
    f = drift["mup"]
    ev.append(Evidence("muP: slope in n of the relative tangent-kernel change after 3 SGD steps",
                       "0 (the kernel moves, Theta(1))", f.slope, f.ci_low, f.ci_high,
                       window=(-0.25, 0.25),
                       note=f"values {np.round(np.nanmean(f.values, 1), 5).tolist()}; local "
                            f"slope {local_slope(f):+.2f}"))
    figs, notes = save_figure(ctx, "kernels.png", [
        Series(widths, fits["NTK"].values, "empirical NTK"),
        Series(widths, fits["NNGP"].values, "empirical NNGP"),
        Series(widths, power_line(widths, fits["NTK"].values[0], -0.5), "n^-1/2", "--")],
        title="Finite-width kernels at init against the analytic limits", xlabel="width n",
        ylabel="RMS relative Frobenius error", evidence=ev)
    return Outcome(
        evidence=tuple(ev), figures=figs,
        prediction="at init the empirical NTK and NNGP approach the analytic kernels "
                   "(numerics.limits.mlp_kernels) at the CLT order n^{-1/2}; during training the "
                   "NTK-parametrized net's kernel is frozen in the limit, the muP net's moves",
        notes=notes + (f"init kernels: relu MLP, {depth} hidden layers in NTK parametrization "
                       f"(numerics.limits.FiniteMLP), 8 points on the sphere (d = 16); widths "
                       f"{widths}, {seeds} seeds; CI: bootstrap over seeds (fit_order)",
                       f"drift: the simulator's tangent_kernel_change (all layers), ntp and mup "
                       f"presets, tanh, MSE, SGD eta = 0.5, {T} steps; widths {dwidths}, "
                       f"{dseeds} seeds",
                       "the NTP drift window was declared as golikov-limit-models' (it covers "
                       "both exponents in the literature); -1/2 is a non-decisive row"),
    )


CHECKS = (
    Check(
        id="ntk-empirical",
        title="Empirical NTK and NNGP converge to the analytic kernels at n^-1/2; the NTK is "
              "frozen under NTP and moves under muP",
        paper=PAPER, source="Jacot et al. Thm 1-2; Lee et al. 2019 Thm 2.1",
        statement=r"\|\Theta_n - \Theta_\infty\|/\|\Theta_\infty\| = O_P(n^{-1/2}),\ "
                  r"\|\Theta_n(t) - \Theta_n(0)\| \to 0\ (\mathrm{NTP}),\ \Theta(1)\ "
                  r"(\mu\mathrm{P})",
        assumptions=("relu MLP in NTK parametrization at init, inputs on the sphere",
                     "drift: tanh, SGD, a fixed number of steps"),
        run=_kernels, quick_budget_s=30.0,
        design=Design(window=(0.35, 0.65)),
    ),
)
