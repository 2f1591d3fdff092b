"""Which answer pieces hold at every step, and which only over the horizon's steps 0..T.

A stable verdict whose exponents still move at the engine's last step T holds for steps 0..T
only (Tensor Programs' stability is for every fixed number of steps); on the degenerate part of
the space such pieces are a staircase of later blow-ups cut at T.  Every piece says which it is
(``RegionPiece.all_steps``), checked here against ``classify`` at points of the pieces.
"""

import itertools
import subprocess
import sys
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from widthlimits.theory.classify import classify
from widthlimits.theory.regions.cell import CellEngine
from widthlimits.theory.regions.existence import exists
from widthlimits.theory.regions.planes import phase_cover, phase_diagram_data
from widthlimits.theory.regions.query import query


def _points(piece, k=6):
    """The piece's point and points between it and its vertices (inside the piece)."""
    yield piece.point
    for v in itertools.islice(piece.vertices or (), k):
        for t in (F(1, 2), F(1, 5)):
            z = tuple(p + t * (w - p) for p, w in zip(piece.point, v, strict=True))
            if piece.contains(z):
                yield z


@pytest.fixture(scope="module")
def degenerate_depth1():
    # a = 0, every b and c free: the degenerate part of the depth-1 space, horizon T = 10
    return query(1, "sgd", "stable", fix={"a": [0, 0]}, later=True)


def test_each_piece_says_whether_its_verdict_holds_at_every_step(degenerate_depth1):
    r = degenerate_depth1
    moving = [p for p in r.pieces if not p.all_steps]
    assert moving and len(moving) < len(r.pieces)  # both kinds occur: not a vacuous check
    for piece in r.pieces:
        for z in _points(piece):
            c = classify(r.frame.parametrization_at(z), "sgd")
            assert c.stable
            assert c.all_steps == piece.all_steps, (z, piece.verdict.regime)
    assert r.stats["pieces_moving_at_horizon"] == len(moving)
    assert any("still moving" in n for n in r.notes)


def test_the_moving_pieces_blow_up_after_the_horizon(degenerate_depth1):
    # continued past T = 10 (classify's look-ahead), every one of them is unstable: they are
    # the horizon's truncation, not stable limits; one says "feature learning"
    r = degenerate_depth1
    moving = [p for p in r.pieces if not p.all_steps]
    assert any(p.verdict.regime == "feature_learning" for p in moving)
    for piece in moving:
        c = classify(r.frame.parametrization_at(piece.point), "sgd")
        note = next(n for n in c.notes if "not stationary" in n)
        assert "blows up at step" in note and "is unstable" in note, note


def test_a_lower_dimensional_piece_is_stationary_on_its_hull():
    # Golikov's mean-field point of his depth-2 plane is a cell of dimension 0 whose forms
    # differ off the point: the cell's own run never sees a repeat, the run on the point does
    cv = phase_cover("golikov", 2, "sgd")
    mf = next(p for p in cv.pieces if p.point == (F(-1), F(1)))
    assert mf.verdict.regime == "feature_learning" and not mf.verdict.all_steps
    eng = CellEngine(cv.frame, mf.verdict.engine.activation, "mse", cv.horizon)
    hull = [((F(1), F(0), F(1)), "=="), ((F(0), F(1), F(-1)), "==")]  # q_sigma = -1, q~ = 1
    assert eng.stationary_on(hull, mf.point)
    assert not eng.stationary_on([], mf.point)  # no hull: the cell's own verdict
    assert classify(cv.frame.parametrization_at(mf.point), "sgd").all_steps
    data = phase_diagram_data(cv, "golikov")
    assert data["stats"]["pieces_moving_at_horizon"] == 0
    assert all(p["all_steps"] for p in data["pieces"])


def test_golikov_depth3_plane_marks_its_staircase():
    cv = phase_cover("golikov", 3, "sgd")
    data = phase_diagram_data(cv, "golikov")
    moving = [p for p in data["pieces"] if not p["all_steps"]]
    assert moving and data["stats"]["pieces_moving_at_horizon"] == len(moving)
    for p in moving:
        z = tuple(F(x) for x in p["point"])
        c = classify(cv.frame.parametrization_at(z), "sgd")
        assert c.stable and not c.all_steps
    for p in data["pieces"]:
        if p["all_steps"]:
            z = tuple(F(x) for x in p["point"])
            assert classify(cv.frame.parametrization_at(z), "sgd").all_steps


def test_a_witness_says_when_its_verdict_is_the_horizons():
    e = exists(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [F(7, 2), 4], "c": [None, 1]},
               box=(-2, 0))
    assert e.empty is False
    assert e.witness_check["all_steps"] is False
    assert "blows up at step 11" in e.witness_check["horizon_note"]
    e = exists(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [0, 1]})
    assert e.witness_check["all_steps"] is True and e.witness_check["horizon_note"] is None


def test_query_text_marks_the_moving_piece():
    out = subprocess.run(
        [sys.executable, "-m", "widthlimits.proofs_checks", "query", "--depth", "1", "--want",
         "feature_learning", "--fix", "a=0,0"], capture_output=True, text=True, check=True).stdout
    rows = [ln for ln in out.splitlines() if ln.lstrip().startswith("[")]
    assert len(rows) == 5
    assert sum("over steps 0..10 only, still moving" in ln for ln in rows) == 1
    assert "note: 1 of 5 pieces are stable over steps 0..10" in out
    assert "continued to step" not in out and "--later continues them" in out
    later = subprocess.run(
        [sys.executable, "-m", "widthlimits.proofs_checks", "query", "--depth", "1", "--want",
         "feature_learning", "--fix", "a=0,0", "--later"], capture_output=True, text=True,
        check=True).stdout
    assert "continued to step 40: every point blows up" in later


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fractions(min_value=-4, max_value=4, max_denominator=12), min_size=4,
                max_size=4))
def test_all_steps_is_never_claimed_where_the_run_still_moves(degenerate_depth1, z):
    # soundness at random points: a piece that claims every step must hold them at each of its
    # points (the converse need not hold: a piece not shown stationary may have some points
    # that are)
    r = degenerate_depth1
    inside = [p for p in r.pieces if p.contains(z)]
    assert len(inside) <= 1
    if inside and inside[0].all_steps:
        assert classify(r.frame.parametrization_at(z), "sgd").all_steps, z


def test_continued_to_four_horizons_each_moving_piece_is_certified_or_shows_a_point(
        degenerate_depth1):
    # the piece's fate up to step 40 (classify's look-ahead): either every point blows up (an
    # exact cover of the piece at that horizon) or a point still stable there is given
    r = degenerate_depth1
    moving = [p for p in r.pieces if not p.all_steps]
    fates = [p.later.blows_up for p in moving]
    assert True in fates and False in fates  # both occur here: 9 and 5 of 14
    for piece in moving:
        assert piece.later.steps == 40
        if piece.later.blows_up:
            for z in _points(piece):
                c = classify(r.frame.parametrization_at(z), "sgd")
                note = next(n for n in c.notes if "not stationary" in n)
                assert "blows up at step" in note, (z, note)
        else:
            z = piece.later.point
            assert piece.contains(z)
            c = classify(r.frame.parametrization_at(z), "sgd")
            note = next(n for n in c.notes if "not stationary" in n)
            assert ("still stable and still moving" in note) == (not piece.later.stationary), note
    assert all(p.later is None for p in r.pieces if p.all_steps)
