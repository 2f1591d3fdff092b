"""Region questions in Golikov's own exponents (q_sigma, q_w, q_v, q_a; Golikov 2020,
arXiv:2003.05884, Sec. 4): his modes are where his table puts them, the answers agree with
classify point by point, and a query in his exponents is the abc query relabelled by the affine
bijection of Parametrization.from_golikov."""

from __future__ import annotations

import itertools
import json
import random
from fractions import Fraction

import pytest

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.classify import classify
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import preset
from widthlimits.theory.regions import wanted
from widthlimits.theory.regions.existence import exists
from widthlimits.theory.regions.golikov_frame import GolikovFrame, golikov_frame
from widthlimits.theory.regions.query import query

F = Fraction


def _grid_points(rng: random.Random, k: int, n: int, lo: int, hi: int) -> list[list[Fraction]]:
    """Exact points, mostly on the quarter grid where the pieces meet, some with thirds."""
    out = []
    for i in range(n):
        den = 3 if i % 4 == 3 else 4 if i % 2 else 2
        out.append([F(rng.randint(lo * den, hi * den), den) for _ in range(k)])
    return out


@pytest.mark.parametrize(("name", "opt", "expected"), [
    # his table (golikov.md of the background; the paper's scale_hyperparams.py), GD column:
    # mean field: non-input std d^-1/2 relative to SP, LRs d, 1, d^-1
    ("golikov-mf", "sgd", (-1, 1, 1, 1)),
    # normalized column: LRs 1, d^-1, d^-1
    ("golikov-mf", "rmsprop", (-1, 0, 0, 1)),
    # intermediate q = 3/4: std d^-q, GD LRs d^(2q-1) (input), d^-1 (readout); the hidden rate at
    # depth 2 is the preset's extension (theory/presets.py: c = 2 - 2q, so q_v = q - 1/2)
    ("golikov-intermediate:3/4", "sgd", (F(-3, 4), F(1, 2), F(1, 4), F(1, 2))),
])
def test_his_modes_sit_at_his_exponents(name, opt, expected):
    fr = golikov_frame(2, opt)
    assert fr.variables == ("q_sigma", "q_w", "q_v", "q_a")
    x = fr.point_of(preset(name, 2, opt))
    assert x == [F(v) for v in expected]
    # and back: the point is the preset up to the width symmetry
    assert fr.point_of(fr.parametrization_at(x)) == x


def test_parametrizations_outside_his_family_have_no_point():
    fr = golikov_frame(2, "sgd")
    # input std that scales with width
    assert fr.point_of(Parametrization((0, 0, 0), (F(1, 2), 1, 1), (0, 0, 0))) is None
    # two hidden layers with different learning-rate exponents... depth 3 needs two hidden
    fr3 = golikov_frame(3, "sgd")
    assert fr3.point_of(Parametrization((0,) * 4, (0, 1, 1, 1), (0, 0, 1, 0))) is None
    # a frozen layer
    assert fr.point_of(Parametrization((0,) * 3, (0, 1, 1), (0, "inf", 0))) is None
    # fixed q_sigma that does not match
    assert golikov_frame(2, "sgd", {"q_sigma": 0}).point_of(preset("golikov-mf", 2, "sgd")) is None


@pytest.mark.parametrize("bad", [{"q_v": 1}, {"q_x": 0}, {"q_sigma": "inf"}, {"q_sigma": [0, 1]},
                                 {"q_sigma": "0.5"}, {"q_a": "1,2"}])
def test_bad_fixes_are_refused(bad):
    with pytest.raises(ValueError):
        golikov_frame(1, "sgd", bad)


@pytest.mark.parametrize(("L", "opt", "want"), [
    (1, "sgd", "nontrivial,stable"),
    (1, "adam", "feature_learning"),
    (2, "rmsprop", "nontrivial,stable"),
    (2, "sgd", "mf_limit"),
])
def test_answer_agrees_with_classify_at_exact_points(L, opt, want):
    """Membership of the answer (his exponents, q_sigma free) equals classify's verdict at 300
    exact points per case, many on the quarter grid where the pieces meet."""
    box = (-2, 2)
    fix = {} if L == 1 else {"q_sigma": -1}
    r = query(L, opt, want, coords="golikov", fix=fix, box=box)
    assert r.complete
    fr = r.frame
    assert isinstance(fr, GolikovFrame)
    rng = random.Random(7 + L)
    pts = _grid_points(rng, len(fr.variables), 300, *box)
    # and the answer's own witnesses, which lie on its lower-dimensional pieces
    pts += [list(pc.point) for pc in r.pieces]
    inside = 0
    for z in pts:
        c = classify(fr.parametrization_at(z), opt, "tanh")
        assert r.contains(z) == wanted(c, r.want), (z, c.regime)
        inside += r.contains(z)
    assert inside >= len(r.pieces)


def test_query_is_the_abc_query_relabelled():
    """At depth 2 with his mean-field init (q_sigma = -1: a = 0, b = (0, 1, 1)) his exponents
    map to the shared-hidden abc frame by c = (-q_w, 1 - q_v, 2 - q_a): the two answers are
    one set (membership compared at 600 exact points, images inside the abc box)."""
    gol = query(2, "sgd", "nontrivial,stable", coords="golikov", fix={"q_sigma": -1}, box=(-2, 2))
    abc = query(2, "sgd", "nontrivial,stable", fix={"a": [0, 0, 0], "b": [0, 1, 1]},
                shared_hidden=True, box=(-2, 4))
    assert abc.frame.variables == ("c1", "c_hidden", "c3")
    rng = random.Random(3)
    pts = _grid_points(rng, 3, 600, -2, 2) + [list(pc.point) for pc in gol.pieces]
    hits = 0
    for qw, qv, qa in pts:
        c = [-qw, 1 - qv, 2 - qa]
        assert gol.contains([qw, qv, qa]) == abc.contains(c), (qw, qv, qa)
        hits += gol.contains([qw, qv, qa])
    assert hits > 0


def test_existence_in_his_exponents():
    """At his mean-field init (q_sigma = -1) RMSProp has a mean-field limit at depth 3 and GD at
    depth 2; each witness is checked by classify."""
    r = exists(3, "rmsprop", "mf_limit", coords="golikov", fix={"q_sigma": -1})
    assert r.empty is False and r.complete
    assert r.witness_check["regime"] == "feature_learning"
    assert wanted(classify(r.witness_parametrization, "rmsprop", "tanh"), r.want)
    g = exists(2, "sgd", "mf_limit", coords="golikov", fix={"q_sigma": -1})
    assert g.empty is False
    assert wanted(classify(g.witness_parametrization, "sgd", "tanh"), g.want)


def test_cli_prints_his_exponents_and_json_names_the_coordinates(capsys):
    code = main(["query", "--depth", "1", "--coords", "golikov", "--want", "nontrivial,stable",
                 "--box=-2,2", "--json"])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    assert d["coords"] == "golikov"
    assert d["variables"] == ["q_sigma", "q_w", "q_a"]
    assert d["fixed"] == {}
    assert {"golikov-mf", "golikov-ntk"} <= set(d["named_points"])
    # every condition is written in his exponents
    names = {"q_sigma", "q_w", "q_a"}
    for reg in d["regions"]:
        for cond in reg["equalities"] + reg["inequalities"]:
            tokens = {t for t in cond.replace("*", " ").replace("+", " ").replace("-", " ")
                      .replace("=", " ").replace("<", " ").replace(">", " ").split()
                      if t[0].isalpha()}
            assert tokens <= names, cond
    code = main(["query", "--depth", "3", "--coords", "golikov", "--fix", "q_sigma=-1",
                 "--optimizer", "rmsprop", "--want", "mf_limit", "--exists", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["empty"] is False
    assert d["fixed"] == {"q_sigma": "-1"}
    assert set(d["witness"]) == {"q_w", "q_v", "q_a"}


@pytest.mark.parametrize(("L", "opt"), list(itertools.product((1, 2), ("sgd", "adam"))))
def test_symbolic_map_is_from_golikov(L, opt):
    """The frame's symbolic parametrization is from_golikov's, the one place of the map."""
    fr = golikov_frame(L, opt)
    p = fr.parametrization()
    z = [F(k - 1, 3) for k in range(len(fr.variables))]
    vals = dict(zip(fr.variables, z, strict=True))
    q = Parametrization.from_golikov(L, vals["q_sigma"], vals["q_a"], vals["q_w"],
                                     vals.get("q_v", 0))
    subs = dict(zip(fr.symbols(), z, strict=True))
    assert tuple(F(str(v.subs(subs))) if hasattr(v, "subs") else F(v) for v in p.c) == q.c
    assert fr.parametrization_at(z) == q


# -- emptiness certified on the larger frame (theory/regions/lift.py)

@pytest.mark.parametrize(("L", "fix"), [(2, {"q_sigma": -1}), (3, {"q_sigma": F(-3, 4)}),
                                        (3, {"q_sigma": -1, "q_w": 1}), (4, {"q_sigma": -1})])
def test_the_larger_frame_contains_the_slice(L, fix):
    """Every point of the slice's box is a point of the larger frame's box with the same
    parametrization (so the larger frame's empty answer certifies the slice's)."""
    from widthlimits.theory.regions.lift import lifted

    fr = golikov_frame(L, "sgd", fix)
    big, (lo, hi) = lifted(fr, (F(-2), F(3)))
    rng = random.Random(L)
    for z in _grid_points(rng, len(fr.variables), 200, -2, 3):
        p = fr.parametrization_at(z)
        x = big.point_of(p)
        assert x is not None and all(lo <= v <= hi for v in x), (z, x)
        assert big.parametrization_at(x) == p


def test_no_larger_frame_when_q_sigma_is_free_or_nothing_is_shared():
    from widthlimits.theory.regions.frame import region_frame
    from widthlimits.theory.regions.lift import lifted

    box = (F(-2), F(2))
    assert lifted(golikov_frame(3, "sgd"), box) is None  # b would have to be free too
    assert lifted(region_frame(3, "sgd", fix={"a": [0] * 4, "b": [0, 1, 1, 1]}), box) is None
    assert lifted(region_frame(1, "sgd", fix={"a": [0] * 2, "b": [0, 1]}, shared_hidden=True),
                  box) is None


@pytest.mark.parametrize(("coords", "L", "opt", "want", "fix"), [
    # empty: certified on the larger frame (this frame alone: about 25 s)
    ("golikov", 3, "sgd", "mf_limit", {"q_sigma": -1}),
    # non-empty: the larger frame's first witness is on the slice, or off it (Adam: then the
    # slice itself is searched)
    ("golikov", 3, "rmsprop", "mf_limit", {"q_sigma": -1}),
    ("abc", 3, "sgd", "nontrivial,stable", {"a": [0] * 4, "b": [0, 1, 1, 1]}),
    ("abc", 3, "adam", "feature_learning", {"a": [0] * 4, "b": [0, 1, 1, 1]}),
    # depth 2: one hidden-to-hidden layer, the larger frame is the slice itself
    ("golikov", 2, "adam", "kernel", {"q_sigma": F(-1, 2)}),
])
def test_lifting_gives_the_same_answer(coords, L, opt, want, fix):
    kw = dict(coords=coords, fix=fix, box=(-2, 2), seeds=False,
              shared_hidden=coords == "abc")
    with_lift = exists(L, opt, want, **kw)
    alone = exists(L, opt, want, lift=False, **kw)
    assert with_lift.complete and alone.complete
    assert with_lift.empty == alone.empty
    assert "lifted_to" in with_lift.stats
    if with_lift.empty:
        assert with_lift.why_not[0].startswith("(certified on the larger frame")
    else:
        assert wanted(classify(with_lift.witness_parametrization, opt, "tanh"), with_lift.want)
        assert with_lift.frame.point_of(with_lift.witness_parametrization) == list(
            with_lift.witness)
        if (coords, opt) == ("abc", "adam"):
            assert with_lift.stats["lifted_to"]["witness_off_this_frame"]

