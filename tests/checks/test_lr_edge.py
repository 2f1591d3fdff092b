"""max-lr-edge's verdict logic on synthetic edges: an edge moving with the engine's exponent is
confirmed with its control refuted; one moving with a neighbouring exponent is refuted."""

import numpy as np
import pytest

from widthlimits.proofs_checks.catalogue.base import Verdict, judge
from widthlimits.proofs_checks.catalogue.lr_edge import CHECKS, edge_evidence, edge_shift

WIDTHS = (128, 256, 512, 1024, 2048)


def edges(slope: float, seeds: int = 8, noise: float = 1 / 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.log2(np.array(WIDTHS) / 128)
    return -1.0 + slope * x[:, None] + rng.normal(0, noise, (len(WIDTHS), seeds))


def verdict(slope: float, delta=1, **kw):
    ev = edge_evidence(WIDTHS, edges(slope, **kw), delta, "synthetic", 1)
    return judge(CHECKS[0].design, [ev])


def test_sp_sgd_edge_at_the_engines_rate_is_confirmed_and_its_control_refuted():
    v, why, control = verdict(-1.0)
    assert v is Verdict.CONFIRMED and control.verdict is Verdict.REFUTED, why


@pytest.mark.parametrize("slope", [-0.5, -1.5, 0.0])
def test_an_edge_moving_at_a_neighbouring_rate_is_refuted(slope):
    v, why, _ = verdict(slope)
    assert v is Verdict.REFUTED, why


def test_noisy_edges_cannot_confirm():
    v, why, _ = verdict(-1.0, seeds=3, noise=1.5)
    assert v is not Verdict.CONFIRMED, why


def test_missing_edges_are_left_out_of_the_fit_not_filled_in():
    e = edges(-1.0)
    e[0, :4] = np.nan
    ev = edge_evidence(WIDTHS, e, 1, "synthetic", 1)
    assert "4 of 40 seed edges not bracketed" in ev.note and abs(ev.measured + 1) < 0.05


@pytest.mark.parametrize("name,opt,delta", [("mup", "sgd", "0"), ("sp", "sgd", "1"),
                                            ("mup", "adam", "0"), ("sp", "adam", "3/2")])
def test_the_predicted_shift_comes_from_the_engine(name, opt, delta):
    assert str(edge_shift(name, opt)) == delta
