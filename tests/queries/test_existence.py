"""Existence questions (theory.regions): agreement with classify on thousands of exact points,
witnesses checked, the one definition of the wanted properties, time limits."""

from __future__ import annotations

import io
import itertools
import json
import random
from fractions import Fraction

import pytest

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.classify import classify
from widthlimits.theory.golikov import is_mf_limit
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import preset
from widthlimits.theory.regions import exists, has_property
from widthlimits.theory.regions.properties import PROPERTIES

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "signsgd")


def _points(rng: random.Random, k: int, n: int, lo: int = -2, hi: int = 2) -> list[list[Fraction]]:
    """Exact points of the box, mostly on the half-integer grid (where cells meet: exponents
    are sums of halves, so ties and boundaries are common), some with thirds."""
    out = []
    for i in range(n):
        den = 3 if i % 5 == 4 else 2
        out.append([Fraction(rng.randint(lo * den, hi * den), den) for _ in range(k)])
    return out


def test_properties_are_classify_definitions():
    """has_property (the region engine's definitions) equals the Classification's own fields on
    2,500 exact points of every optimizer, two activations, depths 1-3."""
    rng = random.Random(12)
    n = 0
    for L, opt, act in itertools.product((1, 2, 3), OPTIMIZERS, ("tanh", "leaky_relu")):
        for b_hidden in (Fraction(1), Fraction(1, 2)):
            for c in _points(rng, L + 1, 40):
                p = Parametrization([0] * (L + 1), [0] + [b_hidden] * L, c)
                cl = classify(p, opt, act)
                n += 1
                assert has_property(cl, "stable") == cl.stable
                assert has_property(cl, "nontrivial") == cl.nontrivial
                assert has_property(cl, "feature_learning") == (cl.regime == "feature_learning")
                assert has_property(cl, "trivial") == (cl.regime == "trivial")
                assert has_property(cl, "kernel") == (cl.regime == "kernel")
                assert has_property(cl, "operator") == (cl.regime == "operator")
                assert has_property(cl, "mf_limit") == bool(is_mf_limit(cl))
                assert has_property(cl, "stable_at_init") == cl.stable_at_init
                assert has_property(cl, "degenerate_at_init") == cl.degenerate_at_init
                assert has_property(cl, "unstable") == (not cl.stable)
                for l in range(1, L + 1):
                    assert has_property(cl, f"fl{l}") == (cl.stable and
                                                           l in cl.feature_learning_layers)
                assert has_property(cl, "discrete_time") == (cl.stable and
                                                              bool(cl.discrete_time))
    assert n >= 2400


QUESTIONS = [
    (L, opt, act, init, want)
    for L in (1, 2)
    for opt in ("sgd", "adam", "rmsprop", "signsgd", "momentum")
    for act, init, want in (("tanh", "mf", "mf_limit"), ("leaky_relu", "mup", "feature_learning"),
                            ("tanh", "mup", "nontrivial,stable"))
]


def _fix(init: str, L: int, opt: str) -> dict:
    if init == "mup":
        p = preset("mup", L, opt)
        return {"a": list(p.a), "b": list(p.b)}
    return {"a": [0] * (L + 1), "b": [0] + [1] * L}


@pytest.mark.parametrize("L,opt,act,init,want", QUESTIONS)
def test_exists_agrees_with_classify(L, opt, act, init, want):
    """30 questions x 200 exact points (6,000): an empty answer has no point with the wanted
    properties by classify; a non-empty one has a witness inside the set by classify."""
    fix = _fix(init, L, opt)
    r = exists(L, opt, want, activation=act, fix=fix, box=(-2, 2), explain=False)
    assert r.complete and r.empty is not None
    wants = want.split(",")
    if not r.empty:
        c = classify(r.witness_parametrization, opt, act)
        assert all(has_property(c, w) for w in wants)
        assert all(Fraction(-2) <= x <= 2 for x in r.witness)
    rng = random.Random(hash((L, opt, act, init, want)) % 10**6)
    hits = 0
    for z in _points(rng, L + 1, 200):
        c = classify(r.frame.parametrization_at(z), opt, act)
        hits += all(has_property(c, w) for w in wants)
    if r.empty:
        assert hits == 0
    # (a non-empty set may have measure zero: no sampled point need hit it)


def test_golikov_gd_depth3_mf_limit_is_empty_with_reasons():
    r = exists(3, "sgd", "mf_limit", fix={"a": [0] * 4, "b": [0, 1, 1, 1]}, box=(-2, 2))
    assert r.empty is True and r.complete and r.witness is None
    assert r.why_not and all(isinstance(t, str) for t in r.why_not)
    assert "<table>" in r._repr_html_()


def test_rmsprop_depth4_mf_limit_has_a_witness():
    r = exists(4, "rmsprop", "mf_limit", fix={"a": [0] * 5, "b": [0, 1, 1, 1, 1]})
    assert r.empty is False and r.witness_check["wanted"]
    assert "witness" in r._repr_html_()


@pytest.mark.parametrize("L,opt,want", [(1, "sgd", "feature_learning"), (1, "adam", "mf_limit"),
                                        (1, "sgd", "not-stable")])
def test_smt_method_agrees_with_search(L, opt, want):
    kw = {"fix": {"a": [0] * (L + 1), "b": [0] + [1] * L}, "box": (-2, 2), "explain": False}
    a = exists(L, opt, want, method="search", **kw)
    b = exists(L, opt, want, method="smt", **kw)
    assert a.empty == b.empty


def test_unknown_property_and_method_are_errors():
    with pytest.raises(ValueError, match="unknown property"):
        exists(1, "sgd", "shiny")
    with pytest.raises(ValueError, match="unknown method"):
        exists(1, "sgd", "stable", method="guess")
    assert "mf_limit" in PROPERTIES


def test_time_limit_exit_3_and_incomplete_flag(capsys):
    args = ["query", "--exists", "--depth", "4", "--optimizer", "sgd", "--want", "mf_limit",
            "--fix", "a=0,0,0,0,0", "--fix", "b=0,1,1,1,1", "--activation", "leaky_relu",
            "--time-limit", "0.5", "--json"]
    code = main(args)
    out = json.loads(capsys.readouterr().out)
    assert code == 3
    assert out["complete"] is False and out["empty"] is None


def test_cover_time_limit_exit_3(capsys):
    args = ["query", "--depth", "3", "--optimizer", "sgd", "--want", "nontrivial,stable",
            "--fix", "a=0,0,0,0", "--fix", "b=0,1,1,1", "--activation", "leaky_relu",
            "--time-limit", "0.5", "--json"]
    code = main(args)
    out = json.loads(capsys.readouterr().out)
    assert code == 3 and out["complete"] is False


def test_exists_cli_witness(capsys):
    code = main(["query", "--exists", "--depth", "2", "--optimizer", "adam", "--want",
                 "feature_learning", "--fix", "a=0,0,0", "--fix", "b=0,1,1"])
    assert code == 0
    assert "NON-EMPTY; witness" in capsys.readouterr().out


def test_query_result_html_table():
    from widthlimits.theory.regions.query import query

    r = query(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [0, 1]})
    h = r._repr_html_()
    assert "<table>" in h and "feature_learning" in h


@pytest.mark.parametrize("L,opt,act,want", [(3, "sgd", "tanh", "mf_limit"),
                                            (2, "sgd", "leaky_relu", "feature_learning"),
                                            (3, "rmsprop", "tanh", "mf_limit"),
                                            (2, "adam", "tanh", "nontrivial,stable")])
def test_both_visiting_orders_give_the_same_answer(L, opt, act, want):
    fix = {"a": [0] * (L + 1), "b": [0] + [1] * L}
    got = [exists(L, opt, want, activation=act, fix=fix, box=(-2, 2), seeds=False, explain=False,
                  order=order) for order in ("depth", "breadth")]
    assert got[0].empty == got[1].empty is not None
    for r in got:
        if not r.empty:
            c = classify(r.witness_parametrization, opt, act)
            assert all(has_property(c, w) for w in want.split(","))
    with pytest.raises(ValueError, match="order"):
        exists(1, "sgd", "stable", order="random")


@pytest.mark.parametrize(("L", "opt", "act", "init"), [
    (2, "sgd", "tanh", "mup"), (3, "sgd", "leaky_relu", "golikov-mf"),
    (2, "adam", "relu", "mup"), (4, "rmsprop", "tanh", "golikov-mf")])
def test_named_points_are_judged_as_their_cells_judge_them(L, opt, act, init):
    """The seeds of an existence question are judged by ``classify`` at the named points (the
    cell's affine run cost 13 s at depth 200); the verdicts are the cells' (same properties)."""
    from widthlimits.theory.regions.existence import free_frame
    from widthlimits.theory.regions.properties import parse_want, wanted
    from widthlimits.theory.regions.query import named_points_in, named_points_of, verdict_at

    p = preset(init, L, opt)
    frame = free_frame(L, opt, fix={"a": list(p.a), "b": list(p.b)})
    points = named_points_of(frame, [n for n in ("mup", "sp", "ntp", "mfp", "golikov-mf",
                                                  "golikov-ntk", "golikov-default")])
    assert points
    for want in ("nontrivial", "feature_learning", "mf_limit", "stable", "kernel"):
        wants = parse_want(want, L)
        by_cell = [n for n, x in points if wanted(verdict_at(frame, x, act), wants)]
        by_classify = named_points_in(frame, wants, act)
        assert [n for n in by_classify if n in dict(points)] == by_cell, want


def test_named_points_stop_at_the_deadline():
    import time

    from widthlimits.theory.regions.existence import free_frame
    from widthlimits.theory.regions.query import named_points_in

    frame = free_frame(2, "sgd", fix={"a": [0, 0, 0], "b": [0, "1/2", "1/2"]})
    assert named_points_in(frame, ("stable",), deadline=time.perf_counter() - 1) == []
    assert named_points_in(frame, ("stable",))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # see time_limit
@pytest.mark.parametrize("extra", [[], ["--exists"]])
def test_time_limit_interrupts_a_cover_inside_its_first_cell(monkeypatch, capsys, extra):
    """At depth 120 one exact cell takes seconds; the cover stops only between cells, so the
    command interrupts it GRACE_SECONDS past the limit (0 here): exit 3, nothing claimed.
    (No named point has the wanted property here, so the search starts at once.)"""
    import widthlimits.proofs_checks.commands._params as params

    monkeypatch.setattr(params, "GRACE_SECONDS", 0.0)
    code = main(["query", "--depth", "120", "--init", "golikov-mf", "--shared-hidden", "--want",
                 "mf_limit", "--time-limit", "0.2", "--json", *extra])
    out = json.loads(capsys.readouterr().out)
    assert code == 3 and out["complete"] is False and out["empty"] is None


def test_a_property_with_its_negation_is_empty_at_once():
    """``stable,not-stable``: empty by the wanted properties alone (it covered the box cell by
    cell before, 283 cells and 1% of the volume in 88 s), and the reason names the pair."""
    from widthlimits.theory.regions.query import query

    r = exists(2, "sgd", "stable,not-stable")
    assert r.empty is True and r.complete and r.stats["cells"] == 0
    assert "stable and not-stable" in r.why_not[0]
    q = query(1, "sgd", "nontrivial,not-nontrivial", fix={"a": [0, 0], "b": [0, 1]})
    assert q.empty and q.complete and q.conflicting_properties == ("nontrivial", "not-nontrivial")
    # not a contradiction: each alone, and a property with another's negation, are looked at
    assert exists(1, "sgd", "stable,not-nontrivial", fix={"a": [0, 0], "b": [0, 1]}).empty is False


def test_a_parallel_part_is_stopped_inside_its_cell_in_its_worker():
    """With --workers the parent cannot be interrupted (its executor's manager thread hangs), so
    each part runs under the time limit in its own worker: a part still inside a cell GRACE
    seconds past its deadline returns an empty, incomplete cover of its sub-box.  Here the
    part's work is a sleep far past its deadline, run the way a worker runs it."""
    import time

    from widthlimits.proofs_checks.commands._params import GRACE_SECONDS, _part_with_hard_stop
    from widthlimits.theory.regions.cover import CoverTask
    from widthlimits.theory.regions.existence import free_frame

    frame = free_frame(2, "sgd", fix={"a": [0, 0, 0], "b": [0, "1/2", "1/2"]})
    task = CoverTask(frame, "tanh", "mse", (-4, 4), (), None, None, False, time.time() + 0.1)
    t0 = time.monotonic()
    out = _part_with_hard_stop(lambda t: time.sleep(30), task)
    assert time.monotonic() - t0 < GRACE_SECONDS + 5
    assert out.complete is False and out.pieces == () and out.cells == 0
    assert out.horizon == 2 * 3 + 6  # the frame's horizon, as a finished part reports it
    # without a deadline the part runs as it is
    assert _part_with_hard_stop(lambda t: "done", CoverTask(
        frame, "tanh", "mse", (-4, 4), (), None, None, False, None)) == "done"


def test_query_with_workers_stops_at_its_time_limit(capsys):
    """End to end with two worker processes at depth 120 (one exact cell takes seconds): the
    parts run under the hard stop in their workers (the wrapper pickles and runs there) and the
    answer is incomplete (exit 3, "complete": false, "empty": null).  How long it takes is
    measured in docs/queries.md, not asserted here."""
    code = main(["query", "--depth", "120", "--init", "golikov-mf", "--shared-hidden", "--want",
                 "feature_learning", "--workers", "2", "--time-limit", "0.3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3 and out["complete"] is False and out["empty"] is None


def test_a_killed_worker_is_one_line_not_a_traceback(monkeypatch, capsys):
    """A worker killed by the operating system (usually for memory) ends the command with one
    line and exit code 1."""
    import contextlib
    from concurrent.futures.process import BrokenProcessPool

    import widthlimits.proofs_checks.commands.query as query_cmd
    from widthlimits.proofs_checks.cli import EXIT_WORKER_KILLED

    def killed(fn, tasks):
        raise BrokenProcessPool("A worker process managed by the executor was unexpectedly "
                                "terminated")

    @contextlib.contextmanager
    def mapper(workers):
        yield 8, killed

    monkeypatch.setattr(query_cmd, "cover_mapper", mapper)
    code = main(["query", "--depth", "2", "--want", "stable", "--init", "mup", "--workers", "2"])
    err = capsys.readouterr().err
    assert code == EXIT_WORKER_KILLED == 1
    assert err.count("\n") == 1 and "worker process was killed" in err and "Traceback" not in err


def test_an_interrupted_cover_says_how_far_it_had_come(capsys):
    """A serial cover interrupted inside a cell after thousands of cells (GD mean-field
    leaky_relu `mf_limit` at L = 3: 7,952 cells, 18% of the box in 2,100 s) once said "before any
    piece was certified": false.  The message now says what the cover had reached, and that its
    pieces are not kept."""
    from widthlimits.proofs_checks.commands._params import CoverProgress, stopped_inside_a_cell

    progress = CoverProgress("query --exists", stream=io.StringIO())
    progress(7952, 0.18, 13)
    assert stopped_inside_a_cell("query --exists", 2100, True, progress) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["cells_certified"] == 7952 and out["complete"] is False and out["empty"] is None
    assert "after 7952 cells" in out["note"] and "18%" in out["note"]
    assert "before any piece" not in out["note"]
    stopped_inside_a_cell("query", 5, False, CoverProgress("query", stream=io.StringIO()))
    assert "before any piece was certified" in capsys.readouterr().out


def test_a_cover_abandons_a_long_cell_itself():
    """No signal is involved (the Python API): a cell still in the engine CELL_GRACE_SECONDS past
    the limit is abandoned by the cover itself (the first cell of Golikov's plane at depth 200
    takes over 14 s), and the cover is an ordinary incomplete one with nothing claimed."""
    import time

    from widthlimits.theory.regions.cover import CELL_GRACE_SECONDS, cover
    from widthlimits.theory.regions.planes import plane_frame

    t0 = time.monotonic()
    cv = cover(plane_frame("golikov", 200, "sgd"), "tanh", "mse", box=(-2, 2), time_limit=0.2)
    assert time.monotonic() - t0 < CELL_GRACE_SECONDS + 6
    assert cv.complete is False and cv.cells == 0 and cv.pieces == ()
