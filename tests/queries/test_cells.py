"""Exact cells ("evaluate and collapse"): the cover of a box agrees with the point classifier."""

import itertools
import random
from fractions import Fraction as F

import pytest

from widthlimits.theory.classify import classify
from widthlimits.theory.presets import preset
from widthlimits.theory.regions.cell import verdict_key
from widthlimits.theory.regions.cover import cover
from widthlimits.theory.regions.frame import cell_frame
from widthlimits.theory.regions.properties import has_property
from widthlimits.theory.regions.query import query


def _rand_point(rng, d, lo=-4, hi=4):
    # quarter-integers hit the cells' boundaries (most boundaries have small denominators)
    return [F(rng.randint(lo * 4, hi * 4), 4) if rng.random() < 0.7 else
            F(rng.randint(lo * 60, hi * 60), 60) for _ in range(d)]


@pytest.fixture(scope="module", params=[("sgd", 2), ("adam", 1)])
def mup_cover(request):
    opt, L = request.param
    p = preset("mup", L, opt)
    fr = cell_frame(L, opt, fix={"a": list(p.a), "b": list(p.b)})
    return opt, L, fr, cover(fr)


def test_cover_is_a_partition_and_matches_classify(mup_cover):
    opt, L, fr, cv = mup_cover
    rng = random.Random(1234)
    d = len(fr.variables)
    n = 600 if opt == "sgd" else 400
    for _ in range(n):
        z = _rand_point(rng, d)
        inside = [pc for pc in cv.pieces if _contains(pc.constraints, z)]
        assert len(inside) == 1, (z, len(inside))
        want = verdict_key(classify(fr.parametrization_at(z), opt))
        assert verdict_key(inside[0].verdict) == want, (z, inside[0].verdict, want)


def _contains(cons, z):
    from widthlimits.theory.regions.polyhedra import satisfies
    return satisfies(z, cons)


@pytest.mark.parametrize("want", ["nontrivial", "feature_learning,fl_all", "kernel", "discrete_time"])
def test_query_regions_match_classify(want):
    p = preset("mup", 1, "sgd")
    r = query(1, "sgd", want, fix={"a": list(p.a), "b": list(p.b)})
    rng = random.Random(7)
    ins = outs = 0
    for _ in range(150):
        z = _rand_point(rng, 2)
        cl = classify(r.frame.parametrization_at(z), "sgd")
        ok = all(has_property(cl, w) for w in want.split(","))
        assert r.contains(z) == ok, (z, want)
        ins += ok
        outs += not ok
    # points inside the pieces (their witnesses and vertex averages) are in the set too
    for pc in r.pieces:
        cl = classify(r.frame.parametrization_at(pc.point), "sgd")
        assert all(has_property(cl, w) for w in want.split(","))
    assert outs > 0


def test_named_points_in_regions():
    p = preset("mup", 2, "sgd")
    r = query(2, "sgd", "feature_learning,fl_all", fix={"a": list(p.a), "b": list(p.b)},
              describe=False)
    assert "mup" in r.named_points and "ntp" not in r.named_points
    j = r.to_json()
    assert j["empty"] is False and j["regions"] and "mup" in j["named_points"]
    assert all(isinstance(s, str) for pc in j["regions"] for s in pc["inequalities"] + pc["equalities"])


def test_too_many_free_coordinates_is_refused():
    with pytest.raises(ValueError, match="free coordinates"):
        query(3, "sgd", "nontrivial")


@pytest.mark.parametrize("opt,act,seed", [("sgd", "relu", 0), ("adam", "tanh", 1),
                                          ("rmsprop", "gelu", 2), ("momentum", "linear", 3),
                                          ("signsgd", "tanh", 4), ("sgd", "tanh", 5),
                                          ("sgd", "gelu", 6), ("adam", "relu", 7),
                                          ("rmsprop", "tanh", 8), ("sgd", "linear", 9),
                                          ("adam", "gelu", 10), ("momentum", "tanh", 11)])
def test_random_frames_match_classify(opt, act, seed):
    """Soundness of the cells' certificates (directional provenance, stationarity stop) beyond
    the presets: a random depth-2 initialization (multipliers in quarters, stable at init) with
    every learning rate free; every piece's verdict equals the point classifier's at random
    points."""
    rng = random.Random(seed)
    q = [F(k, 4) for k in range(-2, 5)]
    L = 2
    a = [rng.choice(q) for _ in range(L + 1)]
    # stable at init in TP form: Theta(1) pre-activations, readout a + b in {1/2, 3/4, 1}
    b = [-a[0]] + [F(1, 2) - x for x in a[1:L]] + [rng.choice([F(1, 2), F(3, 4), F(1)]) - a[L]]
    fr = cell_frame(L, opt, fix={"a": a, "b": b})
    assert fr.variables == ("c1", "c2", "c3")
    cv = cover(fr, act, box=(-3, 3))
    assert len({verdict_key(pc.verdict) for pc in cv.pieces}) >= 3  # not a vacuous single-verdict box
    for _ in range(300):
        z = _rand_point(rng, 3, -3, 3)
        inside = [pc for pc in cv.pieces if _contains(pc.constraints, z)]
        assert len(inside) == 1, (z, len(inside))
        got = verdict_key(inside[0].verdict)
        want = verdict_key(classify(fr.parametrization_at(z), opt, act))
        # unstable verdicts may differ in the per-layer lists the classifier fills regardless of
        # stability (module docstring); everything else must be equal
        assert got == want or not (got[1] or want[1]), (a, b, z, got, want)


def test_kept_forms_are_the_recomputed_ones(mup_cover):
    """The first cells of a cover keep the affine forms why-not reads; they are exactly what
    CellEngine.forms recomputes at the cell's point, and later cells keep none."""
    from widthlimits.theory.activations import get_activation
    from widthlimits.theory.regions.cell import WHY_NOT_CELLS, CellEngine
    opt, L, fr, _ = mup_cover
    eng = CellEngine(fr, get_activation("tanh"), "mse")
    rng = random.Random(7)
    cells = [eng.cell(_rand_point(rng, len(fr.variables))) for _ in range(WHY_NOT_CELLS + 3)]
    for c in cells[:WHY_NOT_CELLS]:
        assert c.forms is not None
        ex, cons = eng.forms(c.point)
        assert set(ex) == set(c.forms[0]) and set(cons) == set(c.forms[1])
        assert all(ex[k].f == c.forms[0][k].f if hasattr(ex[k], "f") else ex[k] == c.forms[0][k]
                   for k in ex)
    assert all(c.forms is None for c in cells[WHY_NOT_CELLS:])


def test_merging_reports_its_progress():
    """The merge of one verdict's pieces (a quadratic scan) reports (pieces left, pieces
    before, pairs tested) after each pair: the counts only go down and up, and end at the
    answer's pieces of that verdict."""
    calls: list[tuple[int, int, int]] = []
    r = query(1, "sgd", "stable", fix={"a": [0, 0], "b": [0, 1]},
              merging=lambda *a: calls.append(a))
    assert r.stats["answer_pieces_before_merge"] > len(r.pieces) and calls
    groups: list[list[tuple[int, int, int]]] = []
    for call in calls:  # one merge per verdict: its pair count starts again at 1
        if call[2] == 1:
            groups.append([])
        groups[-1].append(call)
    for seq in groups:
        assert len({before for _, before, _ in seq}) == 1
        assert [t for _, _, t in seq] == list(range(1, len(seq) + 1))
        assert all(left <= before for left, before, _ in seq)
        assert all(a[0] >= b[0] for a, b in itertools.pairwise(seq))
    silent = query(1, "sgd", "stable", fix={"a": [0, 0], "b": [0, 1]})
    assert [p.constraints for p in silent.pieces] == [p.constraints for p in r.pieces]


def test_feature_learning_layers_are_written_as_runs_at_depth():
    from widthlimits.theory.classify import classify
    from widthlimits.theory.parametrization import layer_list
    from widthlimits.theory.presets import preset
    from widthlimits.theory.regions.cell import verdict_label

    assert layer_list((1, 2)) == "1,2"
    assert layer_list((1, 2, 3, 5, 7, 8, 9, 10)) == "1-3,5,7-10"
    assert layer_list(()) == ""
    c = classify(preset("mup", 30, "sgd"), "sgd")
    assert verdict_label(c) == "feature_learning (FL layers 1-30; MU layers 1-31), discrete-time"
    g = classify(preset("golikov-mf", 100, "sgd"), "sgd")  # the notes and headline too
    assert "degenerate at init: h^l_0 -> 0 for layers 2-100" in g.notes
    assert "degenerate layers 2-100 are never lifted" in g.headline
