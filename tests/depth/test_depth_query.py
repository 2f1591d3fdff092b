"""The depth query: exact sets of alpha and block L-exponents with wanted depth regimes.

Checked three ways: closed forms (the headline, TP VI Claim 7.6 vs CompleteP), pointwise
agreement of the answer with the ordinary engine on random rational points and on the
breakpoints (hypothesis), and every cell's regime equal to the engine's on points inside it.
"""

from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.depth.presets import depth_preset
from widthlimits.theory.depth.query import (
    DepthQueryError,
    depth_cell,
    depth_query,
    has_properties,
    regime_at,
    regime_key,
)
from widthlimits.theory.regions.polyhedra import find_point

ADAM_MUP = depth_preset("depth-mup", "adam")
COMPLETEP = depth_preset("completep", "adamw")


@pytest.mark.parametrize("model", [ADAM_MUP, depth_preset("depth-mup", "sgd"), COMPLETEP],
                         ids=["depth-mup-adam", "depth-mup-sgd", "completep"])
def test_headline_non_lazy_only_at_alpha_one(model):
    """With the transferring LR (tie lr), blocks move Theta(1) exactly at alpha = 1 (CompleteP
    Sec. 4) and are lazy for 1/2 <= alpha < 1 (TP VI Claim 7.6); alpha < 1/2 is not stable."""
    r = depth_query(model, ["alpha"], "non_lazy,stable_depth", tie=["lr"], box=(0, 2))
    assert [p.conditions() for p in r.pieces] == [["alpha == 1"]]
    assert r.pieces[0].witness == (F(1),) and r.pieces[0].checked
    lazy = depth_query(model, ["alpha"], "lazy,stable_depth", tie=["lr"], box=(0, 2))
    assert [sorted(p.conditions()) for p in lazy.pieces] == [["alpha < 1", "alpha >= 1/2"]]
    assert all(p.checked for p in lazy.pieces)


def test_two_dimensional_alpha_and_lr():
    """depth-mup under Adam, alpha and the block LR exponent free: the only non-lazy, stable
    scaling with every block Theta(1/L) is alpha = 1, c_L = 0 (CompleteP's LR L^{alpha-1})."""
    r = depth_query(ADAM_MUP, ["alpha", "c_L"], "non_lazy,block_1_over_L,stable_depth", box=(-2, 2))
    assert [sorted(p.conditions()) for p in r.pieces] == [["alpha == 1", "c_L == 0"]]
    assert r.pieces[0].dimension == 0
    # every block Theta(1/L) and stable: the line c_L = 1 - alpha for alpha in [1/2, 1]
    r2 = depth_query(ADAM_MUP, ["alpha", "c_L"], "block_1_over_L,stable_depth", box=(-2, 2))
    for a in (F(1, 2), F(2, 3), F(1)):
        assert r2.contains((a, 1 - a))
        assert not r2.contains((a, 1 - a + F(1, 7)))
    assert not r2.contains((F(1, 3), F(2, 3)))


def test_empty_answer_names_the_conflict():
    r = depth_query(ADAM_MUP, ["alpha"], "non_lazy,lazy", tie=["lr"], box=(0, 2))
    assert r.empty and set(r.conflicting) == {"non_lazy", "lazy"}


CASES = [
    (ADAM_MUP, ("alpha",), ("lr",), "non_lazy,stable_depth"),
    (ADAM_MUP, ("alpha", "c_L"), (), "block_1_over_L,stable_depth"),
    (COMPLETEP, ("alpha",), ("lr",), "lazy"),
    (COMPLETEP, ("alpha", "c_L"), (), "non_lazy,not-output_theta1"),
    (COMPLETEP, ("alpha", "d_L"), ("lr",), "non_lazy,stable_depth"),
    (COMPLETEP, ("alpha", "wd_L"), ("lr",), "stable_depth"),
    (COMPLETEP, ("alpha", "ln_c_L"), (), "stable_depth,block_1_over_L"),
    (COMPLETEP, ("bias_c_L", "c_L"), (), "output_theta1,stable_depth"),
]
_ANSWERS = {}


def _answer(i):
    if i not in _ANSWERS:
        m, free, tie, want = CASES[i]
        _ANSWERS[i] = depth_query(m, free, want, tie=tie, box=(-2, 2))
    return _ANSWERS[i]


# rationals in [-2, 2], biased toward the breakpoints (multiples of 1/2 and 1/4)
coord = st.one_of(st.sampled_from([F(k, 4) for k in range(-8, 9)]),
                  st.fractions(min_value=-2, max_value=2, max_denominator=60))


@settings(max_examples=300, deadline=None)
@given(i=st.integers(0, len(CASES) - 1), z=st.lists(coord, min_size=2, max_size=2))
def test_answer_agrees_with_the_engine_pointwise(i, z):
    m, free, tie, want = CASES[i]
    pt = tuple(z[:len(free)])
    r = _answer(i)
    assert r.contains(pt) == has_properties(regime_at(m, free, pt, tie), r.want)


@settings(max_examples=150, deadline=None)
@given(i=st.integers(0, len(CASES) - 1), z=st.lists(coord, min_size=2, max_size=2),
       w=st.lists(coord, min_size=2, max_size=2))
def test_a_cell_has_one_regime(i, z, w):
    """The regime computed on affine forms at z0 is the engine's at z0, and the same at any
    other point of the cell (here: a point of the segment toward w, if inside the cell)."""
    m, free, tie, _ = CASES[i]
    z0 = tuple(z[:len(free)])
    cell = depth_cell(m, free, z0, tie)
    assert regime_key(cell.regime) == regime_key(regime_at(m, free, z0, tie))
    for t in (F(1, 2), F(1, 10), F(1, 1000)):
        p = tuple(a + t * (b - a) for a, b in zip(z0, w[:len(free)], strict=False))
        if cell.contains(p):
            assert regime_key(regime_at(m, free, p, tie)) == regime_key(cell.regime)
    other = find_point(list(cell.constraints), len(free))
    assert other is not None and regime_key(regime_at(m, free, other, tie)) == regime_key(cell.regime)


def test_every_witness_is_reclassified():
    for i in range(len(CASES)):
        r = _answer(i)
        assert all(p.checked and p.contains(p.witness) for p in r.pieces)


@pytest.mark.parametrize(("free", "tie", "want", "msg"), [
    (["beta"], [], "non_lazy", "unknown free coordinate"),
    (["alpha", "alpha"], [], "non_lazy", "listed twice"),
    (["c_L"], ["lr"], "non_lazy", "cannot be free and tied"),
    (["alpha"], ["nosuch"], "non_lazy", "unknown tie"),
    (["alpha"], [], "nosuch", "unknown depth property"),
    (["alpha"], [], "", "comma-separated"),
    (["d_L"], [], "non_lazy", "epsilon is negligible"),
    (["wd_L"], [], "non_lazy", "no weight decay"),
    (["ln_c_L"], [], "non_lazy", "needs LayerNorm parameters"),
    (["bias_c_L"], [], "non_lazy", "needs a model with biases"),
])
def test_bad_input(free, tie, want, msg):
    with pytest.raises(DepthQueryError, match=msg):
        depth_query(ADAM_MUP, free, want, tie=tie)
    assert issubclass(DepthQueryError, ValueError)


@pytest.mark.parametrize("free", ["ln_c_L", "bias_c_L"])
def test_ln_and_bias_rates_free_cannot_also_be_tied(free):
    with pytest.raises(DepthQueryError, match="cannot be free and tied"):
        depth_query(COMPLETEP, [free], "stable_depth", tie=["lr"])


@pytest.mark.parametrize("alpha", [F(1, 2), F(2, 3), F(3, 4), F(1)])
@pytest.mark.parametrize(("free", "group"), [("ln_c_L", "norm"), ("bias_c_L", "bias")])
def test_ln_and_bias_learning_rates_in_depth(alpha, free, group):
    """CompleteP (Dey et al. 2025, Table 1): the LayerNorm and bias learning rates scale as
    L^{alpha - 1} under AdamW.  With that exponent free, the stable set is exactly
    ``free >= 1 - alpha``: the paper's rate is the largest stable one, and it is the value of the
    engine's own rule (:func:`rules.param_lr_exponent`, every parameter group contributing
    Theta(1/L) to the stream)."""
    from widthlimits.theory.depth.presets import completep
    from widthlimits.theory.depth.rules import param_lr_exponent

    m = completep("adamw", alpha=alpha)
    quantity = {"norm": "dW.norm", "bias": "dW.bias_out"}[group]
    assert param_lr_exponent(m, group, quantity) == 1 - alpha
    r = depth_query(m, [free], "stable_depth", box=(-2, 2))
    assert [sorted(p.conditions()) for p in r.pieces] == [[f"{free} <= 2", f"{free} >= {1 - alpha}"]]
    assert r.contains((1 - alpha,)) and not r.contains((1 - alpha - F(1, 97),))


def test_bad_box():
    with pytest.raises(ValueError, match="lo < hi"):
        depth_query(ADAM_MUP, ["alpha"], box=(1, 1))


def test_cli_headline(capsys):
    code = main(["query", "--preset", "completep", "--optimizer", "adam", "--tie", "lr",
                 "--box", "0,2", "--want", "non_lazy,stable_depth"])
    out = capsys.readouterr().out
    assert code == 0
    assert "[1] dim 0: alpha == 1" in out and "re-classified by the depth engine: holds" in out


def test_cli_json_and_errors(capsys):
    import json

    code = main(["query", "--preset", "depth-mup", "--optimizer", "adam", "--free", "alpha,c_L",
                 "--box", "-1,2", "--want", "non_lazy,block_1_over_L", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["regions"][0]["witness"] == {"alpha": "1", "c_L": "0"}
    for argv in (["query", "--preset", "depth-mup", "--fix", "a=0,0,0"],
                 ["query", "--free", "alpha", "--depth", "2"],
                 ["query"],
                 ["query", "--preset", "completep", "--optimizer", "sgd"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err


def test_cli_free_ln_rate_activation_and_loss(capsys):
    import json

    code = main(["query", "--preset", "completep", "--optimizer", "adam", "--free", "alpha,ln_c_L",
                 "--want", "stable_depth,block_1_over_L", "--box", "0,2", "--activation", "tanh",
                 "--loss", "logistic", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["activation"] == "tanh" and d["loss"]["name"] == "logistic"
    assert [sorted(r["conditions"]) for r in d["regions"]] == [
        ["alpha == 1", "ln_c_L <= 2", "ln_c_L >= 0"]]
    code = main(["query", "--preset", "completep", "--optimizer", "adam", "--free", "alpha"])
    out = capsys.readouterr().out
    assert code == 0 and "completep, adamw, gelu, mse loss" in out  # the model's own activation
    assert main(["query", "--preset", "completep", "--optimizer", "adam", "--free", "ln_c_L",
                 "--tie", "lr"]) == 2
    assert "cannot be free and tied" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["depth-mup", "completep"])
def test_the_answer_does_not_depend_on_the_activation(name):
    """Block inputs are Theta(1) (LayerNorm, or the Theta(1) embedding without it), so phi of
    them is Theta(1) for every activation: the sets over (alpha, c_L) are the same for all six
    (the depth engine's phi rule, theory/depth/engine.py)."""
    from widthlimits.theory.activations import ACTIVATIONS

    base = depth_preset(name, "adam")
    for want in ("stable_depth", "non_lazy", "output_theta1"):
        answers = {tuple(tuple(sorted(p.conditions())) for p in
                         depth_query(base.with_(activation=a), ["alpha", "c_L"], want,
                                     box=(-2, 2)).pieces) for a in ACTIVATIONS}
        assert len(answers) == 1, (want, answers)


def test_the_time_limit_gives_exact_pieces_and_says_the_answer_is_incomplete():
    """Six free coordinates (minutes to cover): at a 2 s limit the query stops, says it is
    incomplete, and every piece it gives is exact: its witness (the cover's point) has the
    wanted property by the ordinary engine, and so have random points inside it."""
    import random
    import time

    t = time.perf_counter()
    r = depth_query(COMPLETEP, ["alpha", "c_L", "d_L", "wd_L", "ln_c_L", "bias_c_L"], "non_lazy",
                    time_limit=2)
    assert time.perf_counter() - t < 2 + 3  # the writing stage keeps to the limit too
    assert not r.complete and r.to_json()["complete"] is False
    assert r.pieces and all(p.checked for p in r.pieces)
    rng = random.Random(3)
    free = r.free
    for p in rng.sample(r.pieces, min(10, len(r.pieces))):
        z = find_point(list(p.constraints), len(free))
        assert has_properties(regime_at(COMPLETEP, free, z), ["non_lazy"])
    full = depth_query(COMPLETEP, ["alpha", "c_L"], "non_lazy", time_limit=60)
    assert full.complete and full.stats["merge_stopped"] is False


def test_the_progress_of_the_cover_is_reported():
    seen = []
    r = depth_query(COMPLETEP, ["alpha", "c_L", "d_L"], "non_lazy",
                    progress=lambda cells, covered, pending: seen.append((cells, covered)))
    assert r.complete and seen and seen[-1][1] == 1.0 and seen[-1][0] == r.stats["cells"]


def test_cli_time_limit_exits_3_with_what_is_established(capsys):
    code = main(["query", "--preset", "completep", "--optimizer", "adam", "--free",
                 "alpha,c_L,d_L,wd_L,ln_c_L,bias_c_L", "--time-limit", "2"])
    out = capsys.readouterr().out
    assert code == 3 and out.startswith("INCOMPLETE: the time limit (2.0 s) stopped the cover")
    assert main(["query", "--preset", "completep", "--time-limit", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
