"""Golikov (2020, arXiv:2003.05884, abstract and Sec. 4): at depth L >= 3 with mean-field
initialization, GD learning rates large enough to move every layer at step 0 blow up later.

The engine (:func:`widthlimits.theory.golikov.depth_row`) raises each layer's GD rate by its
step-0 shortfall ("first-step rates") and derives when the network blows up: at L = 3 the
pre-activation h^1 is Theta(1) after step 1 and grows as n^{1/2} at step 2.  The experiment
measures h^1's width exponent at both steps with those rates.

Design (declared before any run of this check): each slope against the engine's exponent
+- ``TOL``; the headline is h^1 at the engine's blow-up step; its control is "no blow-up"
(slope 0 +- ``TOL``: the step-0-stable behaviour continues), judged on the same measurement.
"""

from __future__ import annotations

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig
from widthlimits.proofs_checks.catalogue.base import (
    Check,
    Context,
    ControlDesign,
    Design,
    Evidence,
    Outcome,
)
from widthlimits.proofs_checks.measure import as_float, local_slope, measure_exponents
from widthlimits.theory.exponents import fmt

PAPER = "Golikov 2020 (arXiv:2003.05884)"
TOL = 0.2
DEPTH = 3


def blowup_design() -> tuple[object, int, dict]:
    """(first-step-rate parametrization, the engine's blow-up step, the engine's exponents)."""
    from widthlimits.theory.golikov import depth_row

    alt = depth_row(DEPTH, "sgd").first_step_rates
    if alt is None or alt.stable or not alt.violations:
        raise RuntimeError("the engine no longer says the first-step rates blow up at L = 3")
    return alt.parametrization, alt.violations[0].step, alt.engine.exponents


def _run(ctx: Context) -> Outcome:
    widths = (256, 512, 1024, 2048) if ctx.quick else (256, 512, 1024, 2048, 4096)
    seeds = ctx.seeds(3, 8)
    p, t_blow, ex = blowup_design()
    data = DataConfig(kind="sphere", n_samples=16, d_in=16, target="sign", seed=12345)
    cfg = SimulationConfig(p, optimizer="sgd", activation="tanh", loss="mse", eta=0.5,
                           steps=t_blow, data=data, dtype="float64", quantities=("h", "df"))
    keys = [("h", 1, t_blow), ("h", 1, t_blow - 1), ("h", DEPTH, t_blow), ("df", None, t_blow)]
    fits = measure_exponents(cfg, widths, seeds, keys, rng=ctx.seed)
    labels = {keys[0]: f"h^1 at step {t_blow} (the engine's blow-up step)",
              keys[1]: f"h^1 at step {t_blow - 1} (before the blow-up)",
              keys[2]: f"h^{DEPTH} at step {t_blow}", keys[3]: f"f_{t_blow} - f_0"}
    ev = []
    for i, key in enumerate(keys):
        f, pred = fits[key], as_float(ex[key])
        ev.append(Evidence(f"slope of RMS {labels[key]}", fmt(ex[key]), f.slope, f.ci_low,
                           f.ci_high, (pred - TOL, pred + TOL), decisive=i < 2,
                           note=f"local slope at the largest widths {local_slope(f):+.2f}; "
                                f"seed means {[round(float(v), 4) for v in f.values.mean(1)]}"))
    return Outcome(
        tuple(ev),
        prediction=f"first-step GD rates c = {[fmt(c) for c in p.c]} (golikov-mf at L = {DEPTH} "
                   f"raised by the step-0 shortfall): h^1 = Theta(1) at step {t_blow - 1}, "
                   f"n^{fmt(ex[keys[0]])} at step {t_blow} (engine)",
        notes=(f"L = {DEPTH}, tanh, MSE, 16 inputs on the sphere (d = 16), labels +-1, eta = 0.5 "
               f"before the width factors, float64; widths {widths}, {seeds} seeds",
               "decisive: h^1 at the blow-up step and the step before; h^L and f are reported "
               "(they sit behind saturating tanh layers)"),
    )


CHECKS = (
    Check(
        id="golikov-first-step-rates-blow-up",
        title="GD rates that move every layer at step 0 blow up later (depth 3, MF init)",
        paper=PAPER, source="abstract and Sec. 4 (no discrete-time MF limit for GD at L >= 3)",
        statement=r"L=3,\ c=c_{MF}+\text{step-0 shortfall}:\ h^1_1=\Theta(1),\ "
                  r"h^1_2=\Theta(n^{1/2})",
        assumptions=("mean-field i.i.d. init (golikov-mf preset)", "full-batch GD, tanh, MSE",
                     "the engine's first-step rates (theory.golikov.depth_row)"),
        run=_run, quick_budget_s=30.0,
        design=Design(tolerance=TOL, control=ControlDesign(
            window=(-TOL, TOL), prediction="no blow-up: h^1 stays Theta(1) (slope 0)",
            reason="the step-0-stable behaviour continues")),
    ),
)
