"""The stability-edge search: a bracket whose low end trains and whose high end does not, found
to the asked resolution; edges outside the grid are missing, never guessed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.simulator import simulate
from widthlimits.numerics.stability_edge import stability_edge, unstable_runs
from widthlimits.numerics.validation import InvalidInput

MUP = {"a": ["-1/2", 0, "1/2"], "b": ["1/2"] * 3, "c": [0, 0, 0]}


def threshold_run(edges: dict[int, float], calls: list):
    """A synthetic experiment: seed s trains (loss 1 -> 0.1) below 2^edges[s] and blows up
    (loss -> inf) at or above it."""
    def run(cfg, n, seeds):
        calls.append(tuple(seeds))
        # the search's rates are 2^(multiples of its resolution, >= 1/64); log2 of the float
        # 2^x can miss x by an ulp, which would move an edge drawn exactly on a grid point
        s = round(float(np.log2(cfg.eta[0])) * 2**20) / 2**20
        out = np.empty((len(seeds), 3))
        for i, sd in enumerate(seeds):
            out[i] = [1.0, 0.5, np.inf if s >= edges[sd] else 0.1]
        return out
    return run


def test_unstable_means_not_finite_or_worse_than_at_the_start():
    loss = np.array([[1.0, 5.0, 0.9],      # a spike that recovers: stable
                     [1.0, 0.5, 1.1],      # ends above its start: unstable
                     [1.0, np.nan, np.nan],  # diverged
                     [1.0, 0.2, 0.1]])
    assert unstable_runs(loss).tolist() == [False, True, True, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-3.9, 3.9), min_size=1, max_size=6),
       st.sampled_from([1 / 4, 1 / 16, 1 / 64]))
def test_the_edge_is_found_to_the_resolution(edges, res):
    truth = dict(enumerate(edges))
    e = stability_edge(SimulationConfig(MUP), 16, list(truth), np.arange(-4, 5),
                       resolution=res, run=threshold_run(truth, []))
    assert all(r == "" for r in e.reason)
    assert np.all(e.high - e.low <= res)
    assert np.all((e.low < np.array(edges)) & (np.array(edges) <= e.high))
    assert np.allclose(e.log2_edge, (e.low + e.high) / 2)


def test_seeds_with_one_bracket_share_their_simulations():
    calls: list = []
    e = stability_edge(SimulationConfig(MUP), 16, 4, [0, 1, 2],
                       resolution=1 / 8, run=threshold_run({0: 1.3, 1: 1.3, 2: 1.3, 3: 1.3}, calls))
    assert np.allclose(e.log2_edge, 1.3, atol=1 / 16)
    # the scan's three points (0, 1, 2), then three halvings of [1, 2]: one simulation each
    assert all(len(c) == 4 for c in calls) and e.simulations == len(calls) == 3 + 3


def test_edges_outside_the_grid_are_missing():
    e = stability_edge(SimulationConfig(MUP), 16, 3, [0, 1, 2],
                       run=threshold_run({0: -1.0, 1: 1.5, 2: 9.0}, []))
    assert np.isnan(e.log2_edge[0]) and "first point" in e.reason[0]
    assert np.isfinite(e.log2_edge[1]) and e.reason[1] == ""
    assert np.isnan(e.log2_edge[2]) and "last point" in e.reason[2]


@pytest.mark.parametrize("kw", [{"grid": [1.0]}, {"grid": [2.0, 1.0]},
                                {"grid": [0.0, float("nan")]}, {"resolution": 0.0}])
def test_bad_input_is_refused(kw):
    args = {"grid": [0.0, 1.0], **kw}
    with pytest.raises(InvalidInput):
        stability_edge(SimulationConfig(MUP), 16, 1, args.pop("grid"), **args)


def test_the_simulator_agrees_with_the_bracket_it_produced():
    cfg = SimulationConfig(MUP, steps=5, dtype="float64", quantities=("f",))
    e = stability_edge(cfg, 32, (0, 1), np.arange(-2, 9), resolution=1 / 8)
    assert np.isfinite(e.log2_edge).all()
    for i, s in enumerate(e.seeds):
        lo = simulate(SimulationConfig(MUP, steps=5, dtype="float64", quantities=("f",),
                                       eta=2.0 ** e.low[i]), 32, seeds=(s,)).loss
        hi = simulate(SimulationConfig(MUP, steps=5, dtype="float64", quantities=("f",),
                                       eta=2.0 ** e.high[i]), 32, seeds=(s,)).loss
        assert not unstable_runs(lo)[0] and unstable_runs(hi)[0]
