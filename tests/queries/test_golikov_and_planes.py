"""Golikov's depth query, the phase-diagram planes, why-not and bad input of `widthlimits query`."""

import json
import random
from fractions import Fraction as F

import pytest

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.classify import classify
from widthlimits.theory.golikov import is_mf_limit
from widthlimits.theory.presets import preset
from widthlimits.theory.regions.cell import verdict_key
from widthlimits.theory.regions.cover import cover
from widthlimits.theory.regions.planes import phase_diagram, plane_frame
from widthlimits.theory.regions.query import query


def _golikov_query(L, opt, box=(-2, 2)):
    p = preset("golikov-mf", L, opt)
    return query(L, opt, "mf_limit", fix={"a": list(p.a), "b": list(p.b)}, shared_hidden=True,
                 box=box)


def test_golikov_depth1_gd_nonempty_and_exact():
    r = _golikov_query(1, "sgd")
    assert not r.empty and "golikov-mf" in r.named_points
    assert r.frame.variables == ("c1", "c2")
    # every piece's witness is an MF limit by the point classifier; points off the set are not
    for pc in r.pieces:
        assert is_mf_limit(classify(r.frame.parametrization_at(pc.point), "sgd"))
    rng = random.Random(3)
    for _ in range(60):
        z = [F(rng.randint(-8, 8), 4) for _ in range(2)]
        assert r.contains(z) == is_mf_limit(classify(r.frame.parametrization_at(z), "sgd"))


def test_golikov_depth2_gd_nonempty():
    r = _golikov_query(2, "sgd")
    assert not r.empty and "golikov-mf" in r.named_points
    assert r.frame.variables == ("c1", "c_hidden", "c3")
    # the answer (docs/queries.md): c1 = -1, c_hidden = 0, 1 <= c3 <= 2 in the box
    for pc in r.pieces:
        assert pc.point[0] == -1 and pc.point[1] == 0 and 1 <= pc.point[2] <= 2
        assert is_mf_limit(classify(r.frame.parametrization_at(pc.point), "sgd"))


def test_golikov_depth3_gd_empty_with_why_not():
    """Golikov 2020 (arXiv:2003.05884), Sec. 4: with mean-field i.i.d. init and GD, no
    learning-rate exponents give the discrete-time MF limit at L = 3 -- an exact cover of the
    box, not a grid search -- and the answer says which conditions conflict."""
    r = _golikov_query(3, "sgd")
    assert r.empty and r.stats["cells"] > 0
    assert r.why_not and all(c.conditions for c in r.why_not)
    # the conflicts are sentences about layers and steps, not only cell facets or solver text
    named = [t for c in r.why_not for t in c.conditions
             if not t.startswith(("the cell around", "the box bounds"))]
    assert named and all(" needs " in t or "cannot" in t or "blow" in t for t in named)
    assert not any(", i.e. " in t or "0 <= -1" in t or "==" in t for c in r.why_not
                   for t in c.conditions)
    assert any("feature learning in layer" in t and " at step " in t for t in named)
    first = r.why_not[0]
    assert ", while " in first.sentence and first.to_json()["sentence"] == first.sentence
    # spot check against the point classifier
    rng = random.Random(5)
    for _ in range(40):
        z = [F(rng.randint(-8, 8), 4) for _ in range(3)]
        assert not is_mf_limit(classify(r.frame.parametrization_at(z), "sgd"))


def test_golikov_depth3_gd_empty_with_per_layer_rates():
    """Not an artefact of one shared hidden rate: with c1, c2, c3, c4 all free it is empty too."""
    p = preset("golikov-mf", 3, "sgd")
    r = query(3, "sgd", "mf_limit", fix={"a": list(p.a), "b": list(p.b)}, box=(-2, 2))
    assert r.frame.variables == ("c1", "c2", "c3", "c4")
    assert r.empty and r.why_not


@pytest.mark.slow
def test_golikov_depth4_gd_empty():
    """The same at L = 4 (about 100 s: 433 cells, 86k exact LPs)."""
    r = _golikov_query(4, "sgd")
    assert r.empty and r.why_not


@pytest.mark.parametrize("L", [1, 2, 3, 4])
def test_golikov_rmsprop_nonempty(L):
    r = _golikov_query(L, "rmsprop")
    assert not r.empty and "golikov-mf" in r.named_points
    # the answer: c_input = 0, every hidden c = 1, readout c >= 1 (golikov-mf's c = (0, 1, 1))
    for pc in r.pieces:
        assert pc.point[0] == 0 and (L == 1 or pc.point[1] == 1) and pc.point[-1] >= 1


def test_why_not_names_conditions_in_words():
    p = preset("golikov-mf", 1, "sgd")
    r = query(1, "sgd", "mf_limit,kernel", fix={"a": list(p.a), "b": list(p.b)})
    assert r.empty
    assert set(r.conflicting_properties) == {"mf_limit", "kernel"}
    j = r.to_json()
    assert j["empty"] is True and j["regions"] == [] and j["why_not"]


def test_golikov_plane_modes():
    d = phase_diagram("golikov", 1, "sgd")
    named = {n["name"]: n for n in d["named_points"]}
    assert named["golikov-mf"]["point"] == ["-1", "1"]
    assert named["golikov-mf"]["label"].startswith("feature_learning")
    assert named["golikov-ntk"]["point"] == ["-1/2", "0"]
    assert named["golikov-ntk"]["label"].startswith("kernel")
    assert named["golikov-sym-default"]["label"] == "unstable"
    regimes = {p["regime"] for p in d["pieces"]}
    assert regimes == {"unstable", "trivial", "kernel", "feature_learning"}
    # the non-trivial limits live on a 1-D set (segments and points), not on open regions
    assert all(p["dimension"] < 2 for p in d["pieces"] if p["regime"] in ("kernel", "feature_learning"))


@pytest.mark.parametrize("kind", ["golikov", "tp4"])
def test_plane_cover_matches_classify(kind):
    fr = plane_frame(kind, 1, "sgd")
    cv = cover(fr, box=(-2, 2))
    rng = random.Random(11)
    from widthlimits.theory.regions.polyhedra import satisfies
    for _ in range(150):
        z = [F(rng.randint(-8, 8), 4) if rng.random() < 0.8 else F(rng.randint(-60, 60), 30)
             for _ in range(2)]
        inside = [pc for pc in cv.pieces if satisfies(z, pc.constraints)]
        assert len(inside) == 1
        assert verdict_key(inside[0].verdict) == verdict_key(classify(fr.parametrization_at(z), "sgd"))


def test_phase_diagram_cli_writes_png_and_json(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "g.png"
    assert main(["phase-diagram", "--plane", "tp4", "-o", str(out)]) == 0
    assert out.stat().st_size > 1000
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["plane"] == "tp4" and any(n["name"] == "mup" for n in data["named_points"])


def test_query_cli_json(capsys):
    assert main(["query", "--depth", "1", "--init", "golikov-mf", "--want", "mf_limit", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["empty"] is False and "golikov-mf" in j["named_points"]
    assert all({"equalities", "inequalities", "vertices"} <= set(pc) for pc in j["regions"])


def test_query_cli_star_leaves_a_layer_free(capsys):
    """`--fix c=*,0,*`: muP's init and hidden rate fixed, input and readout rates free."""
    assert main(["query", "--depth", "2", "--init", "mup", "--fix", "c=*,0,*", "--want",
                 "feature_learning", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["variables"] == ["c1", "c3"] and j["empty"] is False
    assert main(["query", "--depth", "2", "--init", "mup", "--fix", "c=*,x,*"]) == 2


@pytest.mark.parametrize("argv", [
    ["query", "--depth", "1", "--want", "nonsense"],
    ["query", "--depth", "0"],
    ["query", "--depth", "3"],  # too many free coordinates
    ["query", "--depth", "1", "--fix", "q=0,0,0"],
    ["query", "--depth", "1", "--fix", "b=0,0.5,1"],
    ["query", "--depth", "1", "--box", "1"],
    ["phase-diagram", "--plane", "tp4", "-o", "x.txt"],
])
def test_bad_input_one_line_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_why_not_states_impossible_conditions_in_words():
    """SP's initialization admits no feature learning: on some cells a wanted condition is
    constant-false; it reads as what cannot happen there, not as solver text ("0 <= -1")."""
    r = query(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [0, "1/2"]})
    texts = [t for c in r.why_not for t in c.conditions]
    assert r.empty and texts
    assert not any("0 <= -1" in t or "i.e." in t or "==" in t for t in texts)
    assert any("whatever the free coordinates" in t for t in texts)
    assert all(t.startswith(("the ", "feature learning", "a ", "layer ", "discrete"))
               for t in texts)
