"""Frames with TP IVb's gradient exponents d (Adam's epsilon ~ n^{-d}) as coordinates: the whole
gauge-fixed space of an entrywise optimizer, a, b, c and d (TP IVb, arXiv:2308.01814, Def. 2.2.1,
Prop. 2.2.3, Lemma 2.8.11)."""

import random
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.classify import classify
from widthlimits.theory.closed_forms import closed_form, faithful_d
from widthlimits.theory.engine import derive
from widthlimits.theory.frames import make_frame
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.regions.cell import verdict_key
from widthlimits.theory.regions.cover import cover
from widthlimits.theory.regions.existence import exists
from widthlimits.theory.regions.frame import cell_frame
from widthlimits.theory.regions.polyhedra import satisfies
from widthlimits.theory.regions.properties import has_property

ENTRYWISE = ["adam", "rmsprop", "signsgd"]
QUARTERS = st.integers(-6, 6).map(lambda k: F(k, 4))


@st.composite
def abcd(draw):
    L = draw(st.integers(1, 2))
    vec = [tuple(draw(QUARTERS) for _ in range(L + 1)) for _ in range(4)]
    return Parametrization(*vec), draw(st.sampled_from(ENTRYWISE)), \
        [draw(QUARTERS) for _ in range(L + 1)]


@settings(max_examples=120, deadline=None)
@given(abcd())
def test_the_width_symmetry_moves_d_with_a(case):
    # TP IVb Prop. 2.2.3: (a, b, c, d) -> (a + t, b - t, c - t, d + t) per layer leaves f_t
    # unchanged at every width, so the engine's verdict and output exponents are unchanged, and
    # both points are the same point of a frame with d
    p, opt, theta = case
    q = Parametrization(tuple(x + t for x, t in zip(p.a, theta, strict=True)),
                        tuple(x - t for x, t in zip(p.b, theta, strict=True)),
                        tuple(x - t for x, t in zip(p.c, theta, strict=True)),
                        tuple(x + t for x, t in zip(p.d, theta, strict=True)))
    u, v = classify(p, opt), classify(q, opt)
    assert verdict_key(u) == verdict_key(v)
    eu, ev = derive(p, opt, "tanh").exponents, derive(q, opt, "tanh").exponents
    # features and output (not the weights' own exponents, which the symmetry trades with a)
    assert {k: e for k, e in eu.items() if k[0] in ("h", "x", "f")} == \
        {k: e for k, e in ev.items() if k[0] in ("h", "x", "f")}
    fr = make_frame(p.depth, opt, fix={"d": [None] * (p.depth + 1)})
    z = fr.point_of(p)
    assert z is not None and z == fr.point_of(q)
    assert verdict_key(classify(fr.parametrization_at(z), opt)) == verdict_key(u)


def test_frames_have_d_only_when_asked_and_only_for_entrywise_optimizers():
    assert make_frame(2, "adam").variables == tuple(f"{k}{l}" for k in "bc" for l in (1, 2, 3))
    fr = make_frame(2, "adam", fix={"d": [None, 1, None]})
    assert fr.variables[-2:] == ("d1", "d3") and fr.parametrization().d[1] == 1
    # a preset without d (epsilon negligible) is not a point of a frame with d
    assert fr.point_of(Parametrization((0, 0, 0), (0, F(1, 2), F(1, 2)), (1, 1, 1))) is None
    with pytest.raises(ValueError, match="not entrywise"):
        make_frame(2, "sgd", fix={"d": [0, 0, 0]})
    with pytest.raises(ValueError, match="finite"):
        make_frame(1, "adam", fix={"d": ["inf", 0]})


def test_faithful_d_is_tp_ivb_table():
    # TP IVb's abcd tables (Def. 2.4.1, 2.5.1): NTP d = 1/2, 1, 1/2 and muP d = 1, 1, 1
    assert faithful_d((0, F(1, 2), F(1, 2)), (0, 0, 0)) == (F(1, 2), 1, F(1, 2))
    assert faithful_d((0, 0, 1), (0, F(1, 2), 0)) == (1, 1, 1)
    mup = Parametrization((0, 0, 1), (0, F(1, 2), 0), (0, 1, 0), (1, 1, 1))
    assert closed_form(mup, "adam").applies
    low = Parametrization((0, 0, 1), (0, F(1, 2), 0), (0, 1, 0), (1, F(1, 2), 1))
    assert not closed_form(low, "adam").applies  # epsilon dominates layer 2's Q


def _rand(rng, d, lo=-2, hi=2):
    return [F(rng.randint(lo * 4, hi * 4), 4) if rng.random() < 0.7 else
            F(rng.randint(lo * 30, hi * 30), 30) for _ in range(d)]


@pytest.mark.parametrize("opt,act,b", [("adam", "tanh", ["0", "1/2"]), ("rmsprop", "relu", ["0", "1"]),
                                       ("signsgd", "tanh", ["0", "1/2"])])
def test_a_cover_with_free_c_and_d_matches_classify(opt, act, b):
    fr = cell_frame(1, opt, fix={"b": b, "d": [None, None]})
    assert fr.variables == ("c1", "c2", "d1", "d2")
    cv = cover(fr, act, box=(-2, 2))
    assert cv.complete
    rng = random.Random(hash((opt, act)) % 1000)
    for _ in range(250):
        z = _rand(rng, 4)
        inside = [pc for pc in cv.pieces if satisfies(z, pc.constraints)]
        assert len(inside) == 1, z
        got, want = verdict_key(inside[0].verdict), verdict_key(classify(fr.parametrization_at(z), opt, act))
        assert got == want or not (got[1] or want[1]), (z, got, want)
    # d matters: some learning rates change verdict with epsilon's scaling alone
    by_c: dict = {}
    for _ in range(400):
        z = _rand(rng, 4)
        by_c.setdefault(tuple(z[:2]), set()).add(verdict_key(classify(fr.parametrization_at(z), opt, act)))
        z2 = z[:2] + _rand(rng, 2)
        by_c[tuple(z[:2])].add(verdict_key(classify(fr.parametrization_at(z2), opt, act)))
    assert any(len(v) > 1 for v in by_c.values())


QUESTIONS = [(1, "adam", {"b": [0, "1/2"]}, "feature_learning"),  # empty (TP IVb: L = 1, SP init)
             (1, "signsgd", {"b": [0, "1/2"]}, "mf_limit"),
             (1, "adam", {"b": [0, "1/2"], "c": [0, 0]}, "nontrivial,stable"),
             (2, "rmsprop", {"b": [0, "1/2", "1/2"], "d": [0, 0, 0]}, "feature_learning"),
             (2, "adam", {"b": [0, 1, 1]}, "mf_limit")]


@pytest.mark.parametrize("L,opt,fix,want", QUESTIONS)
def test_existence_with_d_agrees_with_classify(L, opt, fix, want):
    fix = {"d": [None] * (L + 1), **fix}
    r = exists(L, opt, want, fix=fix, box=(-2, 2), seeds=False, explain=False)
    assert r.complete and r.empty is not None
    wants = want.split(",")
    if not r.empty:
        c = classify(r.witness_parametrization, opt)
        assert r.witness_parametrization.d is not None
        assert all(has_property(c, w) for w in wants)
    rng = random.Random(L * 7 + len(want))
    hits = sum(all(has_property(classify(r.frame.parametrization_at(z), opt), w) for w in wants)
               for z in (_rand(rng, len(r.frame.variables)) for _ in range(200)))
    if r.empty:
        assert hits == 0


@pytest.mark.parametrize("L", [2, 4, 6])
def test_whole_gauge_fixed_adam_space_has_feature_learning(L):
    # every b, c and d free: muP with its faithful d (TP IVb Table, Lemma 2.8.11) is the witness
    r = exists(L, "adam", "feature_learning,mf_limit", fix={"d": [None] * (L + 1)})
    assert r.empty is False and r.stats["seed"] == "mup"
    p = r.witness_parametrization
    assert p.d == faithful_d(p.a, p.b)
    assert classify(p, "adam").regime.value == "feature_learning"


def test_query_cli_frees_d(capsys):
    assert main(["query", "--exists", "--depth", "2", "--optimizer", "adam", "--want",
                 "feature_learning", "--fix", "d=*,*,*"]) == 0
    out = capsys.readouterr().out
    assert "free: b1, b2, b3, c1, c2, c3, d1, d2, d3" in out and "d1 = 1" in out
    assert main(["query", "--exists", "--depth", "2", "--optimizer", "sgd", "--fix", "d=0,0,0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not entrywise" in err[0]


@pytest.mark.parametrize("want", ["feature_learning", "nontrivial,stable", "mf_limit"])
def test_smt_method_agrees_with_search_with_d(want):
    fix = {"b": [0, "1/2"], "d": [None, None]}
    a = exists(1, "adam", want, fix=fix, box=(-2, 2), seeds=False, explain=False)
    b = exists(1, "adam", want, fix=fix, box=(-2, 2), method="smt", explain=False)
    assert a.empty == b.empty is not None
