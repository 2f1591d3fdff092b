"""The cover in independent parts (serial ``map`` or worker processes) gives the same sets as the
one serial cover; progress and time limits of the set-valued commands."""

import json
import random
from fractions import Fraction as F

import pytest

from widthlimits.numerics.executors import make_executor
from widthlimits.proofs_checks.cli import main
from widthlimits.theory.regions.cell import verdict_key
from widthlimits.theory.regions.cover import cover, split_box
from widthlimits.theory.regions.frame import cell_frame
from widthlimits.theory.regions.polyhedra import satisfies
from widthlimits.theory.regions.query import query


def _points(rng, d, n, lo=-4, hi=4):
    # quarter-integers land on cell boundaries (ties of exponents), the rest anywhere
    return [[F(rng.randint(lo * 4, hi * 4), 4) if rng.random() < 0.6 else
             F(rng.randint(lo * 97, hi * 97), 97) for _ in range(d)] for _ in range(n)]


def _verdict_at(cv, z):
    inside = [pc for pc in cv.pieces if satisfies(z, pc.constraints)]
    assert len(inside) == 1, (z, len(inside))  # a partition: exactly one piece
    return verdict_key(inside[0].verdict)


def test_split_box_is_a_partition():
    boxes = split_box(3, F(-4), F(4), 8)
    assert len(boxes) == 8
    rng = random.Random(3)
    for z in _points(rng, 3, 300) + [[F(0)] * 3, [F(4)] * 3, [F(-4), F(0), F(4)]]:
        assert sum(satisfies(z, b) for b in boxes) == 1, z


@pytest.fixture(scope="module")
def frame():
    return cell_frame(2, "sgd", fix={"a": [0, 0, 0], "b": [0, 1, 1]})


def test_parts_through_map_equal_serial(frame):
    serial = cover(frame)
    parts = cover(frame, parts=8, mapper=map)
    assert serial.complete and parts.complete and parts.parts == 8
    # every verdict's union is the same set: the verdict at many exact points agrees
    for z in _points(random.Random(11), 3, 400):
        assert _verdict_at(serial, z) == _verdict_at(parts, z), z
    assert {verdict_key(p.verdict) for p in serial.pieces} == {verdict_key(p.verdict)
                                                               for p in parts.pieces}


def test_query_on_worker_processes_equals_serial():
    fix = {"a": [0, 0, 0], "b": [0, 1, 1]}
    s = query(2, "sgd", "nontrivial,stable", fix=fix, box=(-2, 2))
    with make_executor("process", n_workers=2) as ex:
        p = query(2, "sgd", "nontrivial,stable", fix=fix, box=(-2, 2), parts=8, mapper=ex.map)
    assert p.stats["parts"] == 8 and p.complete and s.complete
    assert s.empty == p.empty and s.named_points == p.named_points
    for z in _points(random.Random(5), 3, 400, -2, 2):
        assert s.contains(z) == p.contains(z), z
    # piece-count independent: a point of every piece of one answer lies in the other
    for a, b in ((s, p), (p, s)):
        for pc in a.pieces:
            assert b.contains(pc.point)
            for v in pc.vertices or ():
                assert b.contains(v) == a.contains(v)


def test_progress_reports_cells_and_coverage(frame):
    calls = []
    cv = cover(frame, box=(-2, 2), progress=lambda c, f, w: calls.append((c, f, w)))
    assert calls and calls[-1] == (cv.cells, 1.0, 0)
    assert all(0 <= f <= 1 for _, f, _ in calls)
    assert [f for _, f, _ in calls] == sorted(f for _, f, _ in calls)


def test_time_limit_gives_incomplete_cover(frame):
    cv = cover(frame, time_limit=1e-9)
    assert not cv.complete and cv.pieces


def test_query_cli_workers_and_progress(capsys):
    code = main(["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1", "--want",
                 "feature_learning", "--workers", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["complete"] and not out["empty"] and out["stats"]["parts"] == 8


def test_phase_diagram_cli_time_limit_exit_3(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "p.png"
    code = main(["phase-diagram", "--plane", "golikov", "--depth", "2", "--time-limit", "0.001",
                 "-o", str(png)])
    captured = capsys.readouterr()
    assert code == 3 and "INCOMPLETE" in captured.out
    data = json.loads(png.with_suffix(".json").read_text())
    assert data["complete"] is False and data["pieces"]
    assert "cells certified" in captured.err


@pytest.mark.parametrize("bad", ["0", "65", "-1"])
def test_workers_out_of_range_is_refused(bad, capsys):
    assert main(["query", "--depth", "1", "--fix", "a=0,0", "--fix", "b=0,1", "--workers", bad]) == 2
    assert "workers" in capsys.readouterr().err


@pytest.mark.parametrize("fix, act", [({"a": [0, 0, 0], "b": [0, 1, 1]}, "leaky_relu"),
                                      ({"a": [0, 0, 0], "b": [0, 1 / 2, 1 / 2]}, "tanh")])
def test_the_route_of_the_emptiness_tests_does_not_change_the_cover(monkeypatch, fix, act):
    """Empty parts decided by constraint generation (always) or by one LP on all rows (never):
    the same pieces with the same points and verdicts, piece for piece."""
    import widthlimits.theory.regions.partition as partition_module

    fr = cell_frame(2, "sgd", fix={k: [F(x) for x in v] for k, v in fix.items()})
    covers = []
    for always in (True, False):
        monkeypatch.setattr(partition_module._Route, "use_cuts", lambda self, a=always: a)
        covers.append(cover(fr, act, box=(F(-2), F(2))))
    a, b = covers
    assert a.complete and b.complete and len(a.pieces) == len(b.pieces) > 10
    for p, q in zip(a.pieces, b.pieces, strict=True):
        assert (p.constraints, p.point, verdict_key(p.verdict)) == \
               (q.constraints, q.point, verdict_key(q.verdict))
    assert a.lp_calls != b.lp_calls  # both routes were taken


def test_the_time_limit_bounds_writing_the_pieces_too():
    """Past the time limit the answer's pieces are given as the cover found them (exact, each
    with a point inside) instead of being simplified and merged pairwise, which on a large
    answer took minutes after the cover had stopped (Adam, depth 2, six free coordinates: more
    than 10 minutes after a 300 s limit)."""
    import time

    from widthlimits.theory.classify import classify
    from widthlimits.theory.regions.properties import wanted

    t0 = time.perf_counter()
    r = query(2, "adam", "stable", time_limit=4, max_free=6)
    elapsed = time.perf_counter() - t0
    assert not r.complete and elapsed < 4 + 30  # generous: the bound is the point, not speed
    assert r.stats["pieces_not_simplified"] > 0 and "time limit" in r.notes[-1]
    for pc in r.pieces[:40]:
        assert satisfies(list(pc.point), list(pc.constraints))
        p = r.frame.parametrization_at(pc.point)
        assert wanted(classify(p, "adam"), ["stable"])


def test_the_time_limit_bounds_the_conflict_filter_of_an_empty_answer(monkeypatch):
    """An empty answer's minimal conflicting properties need a second, full cover: it keeps to
    what is left of the time limit, and when none is left the filter is skipped and said so
    (a partial cover could call properties conflicting that are not)."""
    import time

    import widthlimits.theory.regions.query as query_module

    fix = {"a": [0, 0], "b": [0, "1/2"]}
    full = query(1, "sgd", "feature_learning,kernel", fix=fix)
    assert full.empty and full.conflicting_properties == ("feature_learning",)
    slow = query_module.why_not

    def why_not_then_sleep(*args, **kwargs):
        out = slow(*args, **kwargs)
        time.sleep(1.0)  # the time limit passes here
        return out

    monkeypatch.setattr(query_module, "why_not", why_not_then_sleep)
    r = query(1, "sgd", "feature_learning,kernel", fix=fix, time_limit=0.5)
    assert r.empty and r.complete and r.conflicting_properties == ()
    assert "not computed" in r.notes[-1]


def test_writing_the_answer_reports_progress():
    calls = []
    r = query(1, "sgd", "stable", fix={"a": [0, 0], "b": [0, 1]},
              writing=lambda done, total: calls.append((done, total)))
    n = r.stats["answer_pieces_before_merge"]
    assert n > 1 and calls[0] == (0, n) and calls[-1] == (n, n)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_minimal_conflict_is_the_deletion_filter():
    from widthlimits.theory.regions.properties import minimal_conflict

    # a and c never hold together; b holds with anything
    assert minimal_conflict(["a", "b", "c"], lambda ws: not {"a", "c"} <= set(ws)) == ("a", "c")
    # a alone never holds: the filter keeps just it
    assert minimal_conflict(["a", "b"], lambda ws: "a" not in ws) == ("a",)


def test_a_stopped_query_that_found_nothing_does_not_say_empty():
    """JSON ``empty`` is null while undecided: a cover stopped by its time limit before any
    wanted piece has not shown that there is none (the full answer here is empty, 343 cells)."""
    r = query(3, "sgd", "mf_limit", fix={"a": [0] * 4, "b": [0, 1, 1, 1]}, shared_hidden=True,
              box=(-2, 2), time_limit=0.05)
    assert not r.complete and not r.pieces
    out = r.to_json()
    assert out["complete"] is False and out["empty"] is None


def test_pieces_are_simplified_through_the_mapper_as_in_process():
    """With a mapper the answer's pieces are simplified through it (on worker processes in the
    command), one task per piece, giving exactly the pieces simplified in this process."""
    from widthlimits.theory.regions.query import simplify_part

    fix = {"a": [0, 0, 0], "b": [0, 1, 1]}
    calls = []

    def mapper(fn, tasks):
        tasks = list(tasks)
        calls.append((fn, len(tasks)))
        return map(fn, tasks)

    through = query(2, "sgd", "nontrivial,stable", fix=fix, box=(-2, 2), parts=8, mapper=mapper)
    here = query(2, "sgd", "nontrivial,stable", fix=fix, box=(-2, 2), parts=8)
    assert (simplify_part, through.stats["answer_pieces_before_merge"]) in calls
    assert [pc.constraints for pc in through.pieces] == [pc.constraints for pc in here.pieces]
    assert through.stats["pieces_not_simplified"] == 0


def test_a_piece_past_its_deadline_is_given_as_found():
    """A piece whose task starts past the time limit, or is stopped by the worker's hard stop,
    is not simplified (None: the query gives it as the cover found it)."""
    import time

    from widthlimits.proofs_checks.commands._params import _part_with_hard_stop
    from widthlimits.theory.regions.polyhedra import box_constraints
    from widthlimits.theory.regions.query import SimplifyTask, simplify_part

    cons = tuple(box_constraints(2, -1, 1))
    assert simplify_part(SimplifyTask(cons, 2, time.time() - 1)) is None
    assert simplify_part(SimplifyTask(cons, 2, None)) is not None
    late = SimplifyTask(cons, 2, time.time() + 0.1)
    assert _part_with_hard_stop(lambda t: time.sleep(30), late) is None
