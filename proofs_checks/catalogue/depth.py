"""Depth checks (issue 15): the (n, L) engine of ``widthlimits.theory.depth`` against the
residual simulator ``widthlimits.numerics.residual``.

The bridge :func:`numeric_config` turns a :class:`ResidualModel` (exponents) into numbers at one
(n, L): multiplier ``n^{-a} L^{-a_L}``, init std ``n^{-b} L^{-b_L}``, LR ``eta n^{-c} L^{-c_L}``,
epsilon ``eps0 n^{-d} L^{-d_L}``, weight decay ``lambda0 n^{-wd} L^{-wd_L}`` (the branch multiplier
``L^{-alpha}`` is the simulator's own).  :func:`compare_depth` fits the depth exponent of every
measured quantity over L and sets it beside the engine's e_L.

Checks (each also computes a control prediction, the engine's answer for a contrasting model,
so a check that cannot tell the two apart says so):

* ``tp6-depth-mup``: alpha = 1/2 (TP VI, arXiv 2310.02244, Depth-muP, Adam LR L^{-1/2}): block
  features move L^{-1/2}, each block's update L^{-1}, the output's update L^0.  Control: the
  same network with the LR not scaled in depth (c_L = 0), whose block update is L^{-1/2}.
* ``depth-lr-transfer``: the loss-optimal multiplier of the block LR has slope 0 in L once the
  block LR carries the derived L^{alpha-1} (alpha = 1/2, Adam); the control (LR not scaled)
  has the engine's slope -1/2, so the check tells the two apart.
* ``completep-non-lazy``: alpha = 1 vs 1/2 under Adam with the transferring LR: the nonlinear
  part of each block's update relative to its linearization is Theta(1) at alpha = 1 and
  L^{-1/2} at alpha = 1/2 (CompleteP, arXiv 2505.01618: the relative distance from
  linearization).  The alpha = 1/2 run is the
  negative control: its slope must be the engine's -1/2, distinguishable from 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from widthlimits.numerics.residual import ResidualConfig, RoleScale
from widthlimits.numerics.residual_sweep import DepthSweep, depth_sweep
from widthlimits.proofs_checks.catalogue.base import Check, Context, ControlDesign, Design, Evidence, Outcome
from widthlimits.theory.depth.engine import derive_depth
from widthlimits.theory.depth.model import LayerScaling, ResidualModel
from widthlimits.theory.depth.presets import mup_roles
from widthlimits.theory.depth.scale import is_diverging, is_zero

#: simulator quantity -> engine quantity (same meaning, see the two modules' docstrings)
MEASURED_AS = {
    "x_stream": "x_stream", "f": "f", "dx_stream": "dx_stream", "df": "df",
    "block_features": "block_features", "block_update": "block_update",
    "linearization_ratio": "linearization_ratio",
}
TOL = 0.15


def role_numbers(s: LayerScaling, n: int, L: int, lr: float, eps0: float, wd0: float,
                 weight_decay: str) -> RoleScale:
    def p(e_n: Fraction, e_L: Fraction) -> float:
        return float(n) ** float(e_n) * float(L) ** float(e_L)

    return RoleScale(
        mult=p(-s.a, -s.a_L), std=p(-s.b, -s.b_L), lr=lr * p(-s.c, -s.c_L),
        eps=1e-30 if s.d is None else eps0 * p(-s.d, -s.d_L),
        wd=0.0 if s.wd is None or weight_decay == "none" else wd0 * p(-s.wd, -s.wd_L))


def numeric_config(model: ResidualModel, width: int, depth: int, *, lr: float = 0.02,
                   eps0: float = 1e-8, wd0: float = 0.1, steps: int = 3, dtype: str = "float32",
                   **kw: Any) -> ResidualConfig:
    """The simulator's numbers for ``model`` at (n, L) = (width, depth)."""
    def rn(s: LayerScaling) -> RoleScale:
        return role_numbers(s, width, depth, lr, eps0, wd0, model.weight_decay)

    block = tuple(rn(s) for s in model.block)
    if len(block) == 1:
        block = block + block
    return ResidualConfig(
        width=width, depth=depth, alpha=float(model.alpha), block_layers=len(model.block),
        layernorm=model.layernorm, biases=model.biases, activation=model.activation,
        optimizer=model.optimizer, weight_decay=model.weight_decay, embedding=rn(model.embedding),
        block=block, readout=rn(model.readout), bias=rn(model.bias), norm=rn(model.norm),
        steps=steps, dtype=dtype, **kw)


def predicted(model: ResidualModel) -> dict[str, float]:
    """The engine's e_L of every measured quantity (-inf: zero; inf: diverges)."""
    r = derive_depth(model)
    out = {}
    for q, eq in MEASURED_AS.items():
        s = r.size(eq)
        out[q] = float(s) if is_zero(s) or is_diverging(s) else float(s.L)  # type: ignore[union-attr,arg-type]
    return out


def adam_model(alpha: Fraction, *, block_layers: int = 2, c_L: Fraction | None = None,
               layernorm: str = "plain", activation: str = "gelu") -> ResidualModel:
    """muP in width, branch L^{-alpha}, Adam with block LR L^{-c_L} (default: the transferring
    LR L^{alpha - 1})."""
    emb, hid, out = mup_roles("adam")
    hid = hid.with_(c_L=1 - alpha if c_L is None else c_L)
    return ResidualModel(emb, (hid,) * block_layers, out, alpha=alpha, optimizer="adam",
                         layernorm=layernorm, activation=activation,
                         name=f"adam alpha={alpha}")


def run_sweep(model: ResidualModel, width: int, depths: Sequence[int], seeds: Sequence[int],
              **kw: Any) -> DepthSweep:
    return depth_sweep(lambda L: numeric_config(model, width, L, **kw), depths, seeds)


def compare_depth(model: ResidualModel, sweep: DepthSweep, quantities: Sequence[str] | None = None
                  ) -> list[dict[str, Any]]:
    """Rows: quantity, predicted e_L, fitted slope over L with its CI, agreement (CI meets
    predicted +- TOL)."""
    pred = predicted(model)
    rows = []
    for q in quantities or MEASURED_AS:
        fit = sweep.fit(q)
        p = pred[q]
        ok = None
        if p == float("-inf"):
            ok = bool(fit.all_zero or fit.slope == float("-inf")) or None
        elif fit.slope == fit.slope:  # not NaN
            ok = not (fit.ci_high < p - TOL or fit.ci_low > p + TOL)
        rows.append({"quantity": q, "predicted": p, "slope": fit.slope, "ci_low": fit.ci_low,
                     "ci_high": fit.ci_high, "agree": ok, "fit": fit})
    return rows


def _evidence(name: str, row: dict[str, Any], decisive: bool = True) -> Evidence:
    p = row["predicted"]
    return Evidence(name, f"L^{p:g}", row["slope"], row["ci_low"], row["ci_high"],
                    (p - TOL, p + TOL), decisive=decisive)


def _sizes(ctx: Context) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    seeds = tuple(range(ctx.seeds(4, 8)))
    if ctx.quick:
        return 64, (4, 8, 16, 32), seeds
    return 128, (4, 8, 16, 32, 64), seeds


def _tp6(ctx: Context) -> Outcome:
    n, depths, seeds = _sizes(ctx)
    model = adam_model(Fraction(1, 2), block_layers=1, layernorm="none", activation="tanh")
    control = adam_model(Fraction(1, 2), block_layers=1, layernorm="none", activation="tanh",
                         c_L=Fraction(0))
    sweep = run_sweep(model, n, depths, seeds)
    rows = {r["quantity"]: r for r in compare_depth(model, sweep, ("block_features", "block_update", "df"))}
    ctrl = predicted(control)
    ev = [_evidence("block_features slope in L", rows["block_features"]),
          _evidence("block_update slope in L", rows["block_update"]),
          _evidence("df slope in L", rows["df"])]
    notes = (f"control (same net, Adam LR not scaled in depth) predicts block_update L^"
             f"{ctrl['block_update']:g}, block_features L^{ctrl['block_features']:g}; the "
             f"windows of prediction and control are {abs(ctrl['block_update'] + 1):g} apart",)
    return Outcome(tuple(ev), notes=notes, prediction="block features L^{-1/2}, block update "
                   "L^{-1}, output update L^0")


def _completep(ctx: Context) -> Outcome:
    n, depths, seeds = _sizes(ctx)
    ev = []
    notes = []
    for alpha, label in ((Fraction(1), "alpha = 1"), (Fraction(1, 2), "alpha = 1/2 (negative control)")):
        model = adam_model(alpha)
        sweep = run_sweep(model, n, depths, seeds)
        row = compare_depth(model, sweep, ("linearization_ratio",))[0]
        ev.append(_evidence(f"nonlinear/linear slope in L, {label}", row))
        notes.append(f"{label}: predicted L^{row['predicted']:g}, measured {row['slope']:.3f} "
                     f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]")
    return Outcome(tuple(ev), notes=tuple(notes), prediction="nonlinear/linear ratio L^0 at "
                   "alpha = 1, L^{-1/2} at alpha = 1/2")


def optimal_multiplier(losses: Any, log_grid: Any) -> Any:
    """Per seed: the loss-minimizing LR multiplier on a log grid, refined by a parabola through
    the minimum and its two neighbours (in log LR); a diverged run counts as +inf loss."""
    import numpy as np

    losses = np.where(np.isfinite(losses), losses, np.inf)
    out = np.empty(losses.shape[1])
    for s in range(losses.shape[1]):
        col = losses[:, s]
        k = int(np.argmin(col))
        if k in (0, len(col) - 1) or not np.isfinite(col[k]):
            out[s] = np.nan  # the grid does not bracket the optimum: no measurement
            continue
        x = log_grid[k]
        if 0 < k < len(col) - 1 and np.all(np.isfinite(col[k - 1:k + 2])):
            y0, y1, y2 = col[k - 1:k + 2]
            den = y0 - 2 * y1 + y2
            if den > 0:
                h = log_grid[k + 1] - log_grid[k]
                x = log_grid[k] + 0.5 * h * (y0 - y2) / den
        out[s] = np.exp(x)
    return out


def lr_transfer_sweep(model: ResidualModel, width: int, depths: Sequence[int], seeds: Sequence[int],
                      steps: int = 10, lr: float = 0.02) -> Any:
    """kappa*(L, seed): the optimal multiplier of the block LRs (the embedding's and readout's
    fixed) after ``steps`` Adam steps, on the grid 2^{k/2}, k = -4..16 (widened from -6..6 after
    the first run found the optimum at the top edge, 8, at every depth)."""
    import dataclasses

    import numpy as np

    from widthlimits.numerics.residual import simulate_residual

    log_grid = np.log(2.0) * np.arange(-4, 17) / 2
    out = np.empty((len(depths), len(seeds)))
    for i, L in enumerate(depths):
        base = numeric_config(model, width, L, lr=lr, steps=steps)
        losses = []
        for lg in log_grid:
            blk = tuple(dataclasses.replace(b, lr=b.lr * float(np.exp(lg))) for b in base.block)
            run = simulate_residual(dataclasses.replace(base, block=blk), seeds, measure=False)
            losses.append(run.values["loss"])
        out[i] = optimal_multiplier(np.asarray(losses), log_grid)
    return out


LR_TOL = 0.2  # set before any run: the LR grid's spacing is 2^{1/2}


def _lr_transfer(ctx: Context) -> Outcome:
    from widthlimits.numerics.fits import fit_exponent
    from widthlimits.theory.depth.rules import block_lr_exponent

    n, depths, seeds = _sizes(ctx)
    half = Fraction(1, 2)
    model = adam_model(half)  # block LR L^{alpha - 1} = L^{-1/2}: the derived rule
    control = adam_model(half, c_L=Fraction(0))  # the LR not scaled in depth
    ev, notes = [], []
    for label, m in (("derived LR rule", model), ("control: LR not scaled in depth", control)):
        # the engine's prediction: the optimal extra factor is L^{-(c_L* - c_L)}
        pred = -float(block_lr_exponent(m) - m.block[0].c_L)
        kappa = lr_transfer_sweep(m, n, depths, seeds)
        fit = fit_exponent(depths, kappa, rng=ctx.seed)
        ev.append(Evidence(f"slope in L of the optimal block-LR multiplier, {label}", f"L^{pred:g}",
                           fit.slope, fit.ci_low, fit.ci_high, (pred - LR_TOL, pred + LR_TOL)))
        notes.append(f"{label}: optimal multiplier per depth (seed means) "
                     + ", ".join(f"L={L}: {kappa[i].mean():.3g}" for i, L in enumerate(depths)))
    return Outcome(tuple(ev), notes=tuple(notes), prediction="optimal block LR multiplier L^0 "
                   "under the derived rule, L^{-1/2} under the control (alpha = 1/2, Adam)")


CHECKS = (
    Check(
        id="tp6-depth-mup", title="Depth-muP: block and output updates in L (Adam)",
        paper="Yang, Yu, Zhu, Hayou 2023, TP VI (arXiv:2310.02244)",
        source="Table 1 and Sec. 3.1 (Depth-muP LRs: SGD eta, Adam eta L^{-1/2}), Claim 7.6",
        statement=r"\alpha=\tfrac12,\ \eta\propto L^{-1/2}:\quad \Delta z_{\rm block}=\Theta(L^{-1/2}),\ "
                  r"L^{-1/2}\Delta\,\mathrm{branch}=\Theta(L^{-1}),\ \Delta f=\Theta(1)",
        assumptions=("width first, then depth", "O(1) Adam steps, fixed batch",
                     "muP in width", "one weight layer per block, no LayerNorm"),
        design=Design(tolerance=TOL, control=ControlDesign(
            reason="the order +- 1/4 of block_features' L-slope (the engine's prediction)")),
        run=_tp6, quick_budget_s=120.0, full_budget_s=900.0),
    Check(
        id="completep-non-lazy", title="CompleteP: blocks are non-lazy only at alpha = 1",
        paper="Dey et al. 2025, CompleteP (arXiv:2505.01618)",
        source="lazy learning within blocks: relative distance from linearization "
               "(Figure 6 per the reference code)",
        statement=r"\|\Delta_{\rm block}-\Delta^{\rm lin}_{\rm block}\|/\|\Delta^{\rm lin}_{\rm block}\|"
                  r"=\Theta(L^{\alpha-1})\ \text{under Adam with}\ \eta\propto L^{\alpha-1}",
        assumptions=("width first, then depth", "O(1) Adam steps, fixed batch", "muP in width",
                     "pre-LN, two weight layers per block, GELU"),
        design=Design(window=(-TOL, TOL), control=ControlDesign(
            window=(-0.5 - TOL, -0.5 + TOL), prediction="lazy blocks at alpha = 1 too: L^{-1/2}",
            reason="the neighbouring regime (TP VI's lazy blocks, Claim 7.6)")),
        run=_completep, quick_budget_s=180.0, full_budget_s=1200.0),
    Check(
        id="depth-lr-transfer", title="Depth-wise LR transfer: the optimal LR's slope in L",
        paper="Yang, Yu, Zhu, Hayou 2023, TP VI (arXiv:2310.02244); Dey et al. 2025, CompleteP "
              "(arXiv:2505.01618)",
        source="TP VI Table 1, Sec. 3.1 (Adam, eta L^{-1/2} at alpha = 1/2); CompleteP Table 1 "
               "(eta L^{alpha-1})",
        statement=r"\eta^*_{\rm block}(L)\propto L^{0}\ \text{once the block LR carries the derived}\ "
                  r"L^{\alpha-1};\quad \propto L^{\alpha-1}\ \text{without it}",
        assumptions=("alpha = 1/2, Adam, pre-LN, two layers per block, GELU", "10 full-batch steps "
                     "on 8 inputs", "grid of LR multipliers 2^{k/2}, parabola refinement"),
        design=Design(window=(-LR_TOL, LR_TOL), control=ControlDesign(
            window=(-0.5 - LR_TOL, -0.5 + LR_TOL), prediction="the optimal LR still drifts as L^{-1/2}",
            reason="the rule without its depth factor")),
        run=_lr_transfer, quick_budget_s=180.0, full_budget_s=1200.0),
)


# ---------------------------------------------------------------------------- docs/depth.md
#: the sweeps behind docs/depth.md: (label, model builder, optimizer base LR)
def doc_models() -> list[tuple[str, ResidualModel, float]]:
    from widthlimits.theory.depth.presets import depth_preset

    return [
        ("depth-mup preset, Adam (1 layer/block, no LN, ReLU)", depth_preset("depth-mup", "adam"), 0.02),
        ("depth-mup preset, SGD (1 layer/block, no LN, ReLU)", depth_preset("depth-mup", "sgd"), 0.05),
        ("alpha = 1/2, Adam (pre-LN, 2 layers/block, GELU)", adam_model(Fraction(1, 2)), 0.02),
        ("alpha = 1, Adam (pre-LN, 2 layers/block, GELU)", adam_model(Fraction(1)), 0.02),
        ("completep preset (AdamW, LN gain+bias, biases, eps, decay)",
         depth_preset("completep", "adamw"), 0.02),
    ]


def write_depth_report(outdir: str, width: int = 128, depths: Sequence[int] = (4, 8, 16, 32, 64),
                       seeds: Sequence[int] = tuple(range(6)), joint_widths: Sequence[int] = (64, 128, 256),
                       joint_depths: Sequence[int] = (4, 8, 16, 32)) -> str:
    """Run the sweeps, write one plot per quantity into ``outdir`` and return the markdown."""
    import os
    import time

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    os.makedirs(outdir, exist_ok=True)
    lines = [f"Width n = {width}, depths L = {', '.join(map(str, depths))}, {len(seeds)} seeds, "
             "3 full-batch steps on 8 inputs, float32; slope = least-squares fit of log(seed mean) "
             "on log L, 95% BCa bootstrap CI over seeds (`fit_exponent`).  agree: the CI meets "
             f"predicted +- {TOL}.", ""]
    curves: dict[str, list[tuple[str, np.ndarray, float, float]]] = {q: [] for q in MEASURED_AS}
    for label, model, lr in doc_models():
        t0 = time.time()
        sweep = run_sweep(model, width, depths, seeds, lr=lr)
        secs = time.time() - t0
        rows = compare_depth(model, sweep)
        div = f", diverged: {sweep.diverged}" if sweep.diverged else ""
        lines += [f"**{label}** ({secs:.1f} s{div})", "",
                  "| quantity | predicted e_L | measured slope | 95% CI | agree |",
                  "|---|---|---|---|---|"]
        for r in rows:
            if r["predicted"] == float("-inf"):  # identically zero in exact arithmetic
                mean = float(np.nanmean(sweep.values[r["quantity"]]))
                lines.append(f"| {r['quantity']} | zero (-inf) | float32 rounding only: mean "
                             f"{mean:.1e} | | n/a |")
                continue
            lines.append(f"| {r['quantity']} | {r['predicted']:g} | {r['slope']:.3f} | "
                         f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}] | "
                         f"{'yes' if r['agree'] else 'no' if r['agree'] is False else 'n/a'} |")
            curves[r["quantity"]].append((label, np.nanmean(sweep.values[r["quantity"]], axis=1),
                                          r["predicted"], r["slope"]))
        lines.append("")
    for q, cs in curves.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        L = np.asarray(depths, dtype=float)
        for i, (label, mean, pred, slope) in enumerate(cs):
            if not np.all(np.isfinite(mean)) or np.any(mean <= 0) or pred == float("-inf"):
                continue  # (identically zero in exact arithmetic: only rounding to plot)
            color = f"C{i}"
            short = label.split(" (")[0]
            ax.loglog(L, mean, "o-", color=color, label=f"{short}: {slope:.2f} (pred {pred:g})")
            if np.isfinite(pred):
                g = np.exp(np.mean(np.log(mean)) - pred * np.mean(np.log(L)))
                ax.loglog(L, g * L ** pred, "--", color=color, alpha=0.6)
        ax.set_xlabel("depth L (blocks)")
        ax.set_ylabel(f"RMS {q}")
        ax.set_title(f"{q} vs depth, n = {width}; dashed: predicted slope", fontsize=10)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, f"depth_{q}.png"), dpi=100)
        plt.close(fig)
    # joint (n, L) sweep: alpha = 1 Adam; depth slope per width and width slope per depth
    model = adam_model(Fraction(1))
    sweeps = {n: run_sweep(model, n, joint_depths, seeds[:4]) for n in joint_widths}
    r = derive_depth(model)
    lines += ["**Joint (n, L) sweep**, alpha = 1 Adam (pre-LN, 2 layers/block, GELU), 4 seeds: "
              "fitted depth slope at each width and width slope at each depth.", "",
              "| quantity | predicted (e_n, e_L) | e_L fit at n = " + ", ".join(map(str, joint_widths))
              + " | e_n fit at L = " + ", ".join(map(str, joint_depths)) + " |", "|---|---|---|---|"]
    from widthlimits.numerics.fits import fit_exponent

    for q in ("block_features", "block_update", "df", "linearization_ratio"):
        s = r.size(MEASURED_AS[q])
        dl = ", ".join(f"{sweeps[n].fit(q).slope:.2f}" for n in joint_widths)
        dn = []
        for j in range(len(joint_depths)):
            vals = np.stack([sweeps[n].values[q][j] for n in joint_widths])
            dn.append(f"{fit_exponent(joint_widths, vals, rng=0).slope:.2f}")
        lines.append(f"| {q} | ({s.n}, {s.L}) | {dl} | {', '.join(dn)} |")  # type: ignore[union-attr]
    return "\n".join(lines)


if __name__ == "__main__":  # python -m widthlimits.proofs_checks.catalogue.depth docs/depth_figures
    import sys

    print(write_depth_report(sys.argv[1] if len(sys.argv) > 1 else "depth_figures"))
