"""mup-lr-transfer's verdict logic on synthetic loss curves: the argmin + parabola refinement,
the slope fit and the declared design must refute a drifting optimum and confirm a fixed one."""

import numpy as np
import pytest

from widthlimits.proofs_checks.catalogue.base import Verdict, judge
from widthlimits.proofs_checks.catalogue.lr_transfer import (
    CHECKS,
    LR_TOL,
    LRSweep,
    slope_evidence,
    sp_bound,
)

WIDTHS = (128, 256, 512, 1024, 2048)
GRID = np.arange(-24, 9) / 2  # log2 eta


def synthetic_sweep(slope: float, seeds: int = 8, noise: float = 0.05, seed: int = 0) -> LRSweep:
    """Parabolic loss curves in log2 eta with the optimum at 2^(slope * log2(n / 128)) plus
    per-seed jitter of the optimum; rates four octaves above it diverge (inf)."""
    rng = np.random.default_rng(seed)
    losses = np.empty((len(WIDTHS), len(GRID), seeds))
    for i, n in enumerate(WIDTHS):
        centre = slope * np.log2(n / 128) + rng.normal(0, noise, seeds)
        d = GRID[:, None] - centre[None, :]
        losses[i] = np.where(d < 4, 0.01 + 0.02 * d**2, np.inf)
    return LRSweep("sgd", "mup", WIDTHS, GRID, losses)


def headline(slope: float, **kw):
    ev, _ = slope_evidence(synthetic_sweep(slope, **kw), (-LR_TOL, LR_TOL), "0", "synthetic", 1)
    return ev


def test_parabola_refinement_recovers_an_off_grid_optimum():
    losses = np.broadcast_to(0.01 + 0.02 * (GRID[None, :, None] - 0.3) ** 2,
                             (len(WIDTHS), len(GRID), 2))
    assert np.allclose(np.log2(LRSweep("sgd", "mup", WIDTHS, GRID, losses).optima()), 0.3)


@pytest.mark.parametrize("slope", [-1.0, -0.5, 0.5])
def test_a_drifting_optimum_is_refuted(slope):
    design = CHECKS[0].design
    v, why, _ = judge(design, [headline(slope)])
    assert v is Verdict.REFUTED, why


def test_a_fixed_optimum_is_confirmed_and_its_control_refuted():
    ev = headline(0.0)
    v, why, control = judge(CHECKS[0].design, [ev])
    assert v is Verdict.CONFIRMED and control.verdict is Verdict.REFUTED, why
    assert abs(ev.measured) < 0.05


def test_noisy_optima_make_the_design_too_weak():
    ev = headline(0.0, seeds=3, noise=2.0)
    v, why, _ = judge(CHECKS[0].design, [ev])
    assert v is not Verdict.CONFIRMED, why


def test_unbracketed_optima_are_missing_not_guessed():
    sw = synthetic_sweep(0.0, noise=0.0)
    edge = LRSweep("sgd", "mup", WIDTHS, GRID[:25], sw.losses[:, :25])  # grid ends at 2^0
    assert np.isnan(edge.optima()).all()


def test_sp_bounds_come_from_the_engine():
    assert sp_bound("sgd") == 1 and str(sp_bound("adam")) == "3/2"


def test_the_stopping_rule_never_cuts_before_the_argmin():
    from widthlimits.proofs_checks.catalogue.lr_transfer import past_the_optimum

    sw = synthetic_sweep(0.0, noise=0.3, seed=2)
    for i in range(len(WIDTHS)):
        row = sw.losses[i]
        k_stop = next((k for k in range(len(GRID)) if past_the_optimum(row[:k + 1])), None)
        assert k_stop is not None and k_stop > np.argmin(row.mean(1))
    diverged = np.full((3, 2), np.inf)
    assert past_the_optimum(diverged) and not past_the_optimum(np.ones((2, 2)))


def test_drawn_curve_leaves_a_gap_where_every_seed_diverged_without_warning():
    """A grid point with no trained seed (inf, or loss >= DRAW_CAP) is a counted gap (NaN), not
    numpy's 'Mean of empty slice'; other points average only their trained seeds."""
    import warnings

    from widthlimits.proofs_checks.catalogue.lr_transfer import DRAW_CAP, drawn_mean_loss

    losses = np.array([[0.5, 1.5], [0.2, np.inf], [np.inf, np.inf], [DRAW_CAP, 50.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, gone = drawn_mean_loss(losses)
    assert mean[0] == pytest.approx(1.0) and mean[1] == pytest.approx(0.2)
    assert np.isnan(mean[2]) and np.isnan(mean[3])
    assert gone == 2
