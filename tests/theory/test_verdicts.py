"""One verdict type: Regime, Classification (also a derivation's conclusion), its headline, the
closed form's applicability with d, golikov-ntk at depth, sp's meaning, the public API."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from widthlimits.proofs_checks.cli import main
from widthlimits.theory import Regime, as_exponent, classify, derivation, preset
from widthlimits.theory.classify import Classification
from widthlimits.theory.closed_forms import closed_form
from widthlimits.theory.parametrization import Parametrization, equivalent

H = F(1, 2)
THEORY = pathlib.Path(__file__).resolve().parents[2] / "theory"


def test_regime_values_are_the_strings_every_caller_compares_with():
    assert [str(r) for r in Regime] == ["unstable", "trivial", "kernel", "operator",
                                        "feature_learning"]
    assert Regime.KERNEL == "kernel" and json.dumps(Regime.OPERATOR) == '"operator"'
    c = classify(preset("mup", 2, "sgd"))
    assert c.regime is Regime.FEATURE_LEARNING and c.to_json()["regime"] == "feature_learning"


def test_derivation_conclusion_is_the_classification():
    p = preset("golikov-mf", 3, "sgd")
    d = derivation(p, "sgd")
    c = classify(p, "sgd")
    assert isinstance(d.conclusion, Classification)
    assert d.conclusion.to_json() == c.to_json()
    assert d.conclusion.fails_to_move_at == 0 and [g.layer for g in c.degenerate] == [2, 3]


# ------------------------------------------------------------------ closed form with d
ADAM_D0 = Parametrization((-H, 0, H), (H, H, H), (H, 1, H), (0, 0, 0))


def test_closed_form_with_negligible_epsilon_does_not_apply_when_d_is_too_small():
    """The issue's point: with d = 0 Adam's Q is linear in the small gradients (epsilon
    dominates), so TP IVb's scale-invariant closed form does not apply; it used to claim a
    regime and disagree with the engine."""
    cf = closed_form(ADAM_D0, "adam")
    assert not cf.applies and cf.regime is None and "epsilon" in cf.reason
    assert classify(ADAM_D0, "adam").regime == "trivial"
    assert "closed_form" not in classify(ADAM_D0, "adam").to_json()


@pytest.mark.parametrize("opt", ["adam", "rmsprop", "signsgd"])
@pytest.mark.parametrize("L", [1, 2, 3, 5])
def test_closed_form_applies_with_faithful_or_larger_d_and_agrees(opt, L):
    """TP4-form muP with the faithful d = a_l + a_{L+1} + b_{L+1} (readout a_{L+1}), i.e.
    (1/2, 1, ..., 1, 1/2) (TP IVb Lemma 2.8.11), and with every d one larger."""
    mup = preset("mup", L, opt)
    faithful = (H,) + (F(1),) * (L - 1) + (H,)
    for d in (faithful, tuple(x + 1 for x in faithful)):
        p = Parametrization(mup.a, mup.b, mup.c, d)
        cf = closed_form(p, opt)
        got = classify(p, opt)
        assert cf.applies, cf.reason
        assert cf.regime == got.regime == "feature_learning" and cf.r == got.r == 0


def test_closed_form_and_engine_agree_wherever_it_applies_with_random_d():
    """Random stable-at-init points with d around the faithful value: wherever the closed form
    applies it agrees with the engine; below the faithful d it declines."""
    import random

    rng = random.Random(12)
    applied = declined = 0
    for _ in range(400):
        L = rng.randint(1, 4)
        opt = rng.choice(["adam", "rmsprop", "signsgd"])
        a = [F(rng.randint(-2, 2), 2) for _ in range(L + 1)]
        b = [-a[0]] + [H - x for x in a[1:L]] + [rng.choice([H, F(3, 4), F(1)]) - a[L]]
        c = [F(rng.randint(-2, 6), 4) + (0 if l == 0 else 1) - a[l] for l in range(L + 1)]
        ab = a[L] + b[L]
        need = [a[l] + ab for l in range(L)] + [a[L]]
        d = [x + rng.choice([F(-1, 2), 0, 0, F(1, 4)]) for x in need]
        p = Parametrization(tuple(a), tuple(b), tuple(c), tuple(d))
        cf = closed_form(p, opt)
        if not cf.applies:
            assert any(x < y for x, y in zip(d, need, strict=True))
            declined += 1
            continue
        applied += 1
        got = classify(p, opt)
        assert got.regime == cf.regime, (opt, p, got.regime, cf.regime)
        if cf.regime not in ("unstable", "trivial"):
            assert got.r == cf.r
    assert applied > 100 and declined > 50


def test_classify_cli_no_longer_prints_a_disagreement(capsys):
    code = main(["classify", "--a", "-1/2,0,1/2", "--b", "1/2,1/2,1/2", "--c", "1/2,1,1/2",
                 "--d", "0,0,0", "--depth", "2", "--optimizer", "adam"])
    out = capsys.readouterr().out
    assert code == 0 and "DISAGREES" not in out and "does not apply" in out


# ------------------------------------------------------------------ golikov-ntk
@pytest.mark.parametrize("opt,regime", [("sgd", "kernel"), ("momentum", "kernel"),
                                        ("adam", "operator"), ("rmsprop", "operator"),
                                        ("signsgd", "operator")])
@pytest.mark.parametrize("L", [1, 2, 3, 4, 5, 6])
def test_golikov_ntk_is_ntk_at_every_depth(L, opt, regime):
    p = preset("golikov-ntk", L, opt)
    c = classify(p, opt)
    assert c.regime == regime and c.stable and c.nontrivial and c.r == H
    assert equivalent(p, preset("ntp", L, opt), opt)
    assert p.a == (0,) * (L + 1) and p.b == (0,) + (H,) * L  # SP form, standard init


def test_golikov_ntk_depth1_is_golikovs_mode_exactly():
    """Golikov 2020 (arXiv:2003.05884): the NTK mode for one hidden layer, his code's factors:
    GD input 1, output d^-1; normalized input d^-1/2, output d^-1."""
    assert preset("golikov-ntk", 1, "sgd").c == (0, 1)
    assert preset("golikov-ntk", 1, "adam").c == (H, 1)
    sgd = Parametrization.from_golikov(1, -H, 0, 0)
    assert equivalent(sgd, preset("golikov-ntk", 1, "sgd"), "sgd")


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam", "rmsprop", "signsgd"])
@pytest.mark.parametrize("L", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("q", ["1/2", "5/8", "3/4", "7/8", "1"])
def test_golikov_intermediate_is_stable_at_every_depth_and_ends_at_ntk_and_mf(q, L, opt):
    p = preset(f"golikov-intermediate:{q}", L, opt)
    assert classify(p, opt).stable
    if q == "1/2":
        assert equivalent(p, preset("golikov-ntk", L, opt), opt)
    if q == "1":
        assert equivalent(p, preset("golikov-mf", L, opt), opt)
    if L == 1:  # his mode exactly: hidden rates do not exist at depth 1
        assert p.c == ((1 - as_exponent(q), 1) if opt in ("adam", "rmsprop", "signsgd")
                       else (1 - 2 * as_exponent(q), 1))


# ------------------------------------------------------------------ sp and headlines
def test_sp_is_a_constant_learning_rate_and_sp_1_is_tp4s_sp():
    assert preset("sp", 2, "sgd").c == (0, 0, 0) and preset("sp", 2, "adam").c == (0, 0, 0)
    tp4 = classify(preset("sp:1", 3, "sgd"))
    assert (tp4.regime, tp4.r) == ("kernel", H)
    assert classify(preset("sp", 3, "sgd")).headline.startswith(
        "SP (constant learning rate), depth 3, SGD: unstable")
    assert tp4.headline.startswith("SP (learning rate ~ n^{-1}), depth 3, SGD: kernel regime")


@pytest.mark.parametrize("name,opt,L,expected", [
    ("mup", "adam", 3, "muP, depth 3, Adam: feature learning in every layer, discrete-time limit"),
    ("ntp", "sgd", 2, "NTP, depth 2, SGD: kernel regime (features fixed), r = 1/2, "
                      "discrete-time limit"),
    ("golikov-mf", "rmsprop", 4, "golikov-mf, depth 4, RMSProp: feature learning in every layer, "
                                 "the output moves from step 2, discrete-time limit"),
    ("sp:1/2", "sgd", 2, "SP (learning rate ~ n^{-1/2}), depth 2, SGD: unstable: the output "
                         "blows up first, at step 1 (f_1 = Theta(n^{1/2}))"),
])
def test_headline_in_words(name, opt, L, expected):
    assert classify(preset(name, L, opt), opt).headline == expected


def test_unstable_answer_lists_no_feature_learning_layers(capsys):
    p = Parametrization((0, 0, 0), (0, H, H), (0, H, 1), name="golikov code's ntk")  # issue 13
    c = classify(p, "sgd")
    assert c.regime == "unstable" and c.feature_learning_layers == () == c.maximal_update_layers
    v = c.first_blow_up
    assert (v.quantity, v.layer, v.step, v.exponent) == ("f", None, 1, H)
    code = main(["classify", "--a", "0,0,0", "--b", "0,1/2,1/2", "--c", "0,1/2,1", "--depth", "2",
                 "--json"])
    j = json.loads(capsys.readouterr().out)
    assert code == 0 and j["feature_learning_layers"] == [] and j["maximal_update_layers"] == []
    assert j["first_blow_up"]["quantity"] == "f" and j["first_blow_up"]["step"] == 1
    assert j["headline"].startswith("custom parametrization, depth 2, SGD: unstable")
    assert any("unstable" in n for n in j["notes"])
    main(["classify", "--a", "0,0,0", "--b", "0,1/2,1/2", "--c", "0,1/2,1", "--depth", "2"])
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("custom parametrization, depth 2, SGD: unstable")
    assert "feature learning layers: [" not in text and "blows up first: f_1" in text


def test_symbolic_error_names_a_module_that_exists():
    import sympy

    from widthlimits.theory.classify import classify_result
    from widthlimits.theory.engine import derive

    s = sympy.Symbol("c", real=True)
    res = derive(Parametrization((0, H), (0, H), (s, s)), "sgd", steps=1)
    with pytest.raises(ValueError, match="widthlimits.theory.derivation.symbolic_derivation"):
        classify_result(res)
    import widthlimits.theory.derivation as dmod

    assert callable(dmod.symbolic_derivation)


# ------------------------------------------------------------------ public API and layering
def test_import_theory_is_light_and_exports_what_a_notebook_needs():
    code = ("import sys, widthlimits.theory as t; "
            "heavy = [m for m in ('sympy', 'numpy', 'scipy', 'widthlimits.theory.engine', "
            "'widthlimits.theory.derivation.render_latex') if m in sys.modules]; "
            "print(heavy); print(sorted(t.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == "[]"
    for name in ("Parametrization", "preset", "classify", "derive", "Classification", "Regime",
                 "derivation", "symbolic_derivation", "Derivation"):
        assert name in out[1]
    import widthlimits.theory as t

    for name in t.__all__:
        assert getattr(t, name) is not None


def test_classify_and_derivation_are_callable_whatever_the_import_form():
    import widthlimits.theory.classify as cm
    import widthlimits.theory.derivation.render_latex as rl
    from widthlimits.theory import classify as c1
    from widthlimits.theory.classify import classify as c2

    p = preset("ntp", 2, "sgd")
    assert cm(p).regime == c1(p).regime == c2(p).regime == "kernel"
    assert callable(rl.escape_tex)


def test_region_verbs_named_like_their_modules_are_callable_whatever_the_import_order():
    """``query``, ``cover``, ``why_not``, ``golikov_frame``: the package's lazy names and the
    modules Python binds under the same names (once anything imported them) are both callable."""
    code = ("import widthlimits.theory.regions.existence; "  # imports the query module first
            "from widthlimits.theory.regions import query, cover, why_not, golikov_frame; "
            "import widthlimits.theory.regions.query as qm; "
            "print([callable(f) for f in (query, cover, why_not, golikov_frame)], "
            "query(1, 'sgd', 'feature_learning', fix={'a': [0, 0], 'b': [0, 1]}).empty, "
            "golikov_frame(2, 'sgd').variables, qm.QueryResult.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ("[True, True, True, True] False ('q_sigma', 'q_w', 'q_v', 'q_a') "
                   "QueryResult")


def test_no_private_name_is_imported_across_theory_modules():
    bad = []
    for f in THEORY.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("widthlimits"):
                bad += [f"{f.name}: {node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_")]
    assert not bad, bad


# ------------------------------------------------------------------ property test (hypothesis)
@st.composite
def _abcd(draw):
    """Stable-at-init points (TP4 Thm 3.3(1)) with quarter-step exponents and any d."""
    q = st.integers(-4, 4).map(lambda k: F(k, 4))
    L = draw(st.integers(1, 4))
    a = [draw(q) for _ in range(L + 1)]
    b = [-a[0]] + [H - x for x in a[1:L]] + [draw(st.sampled_from([H, F(3, 4), F(1)])) - a[L]]
    c = [draw(q) + (0 if l == 0 else 1) - a[l] for l in range(L + 1)]
    d = [draw(q) + a[l] + (a[L] + b[L] if l < L else 0) for l in range(L + 1)]
    return Parametrization(tuple(a), tuple(b), tuple(c), tuple(d))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_abcd(), st.sampled_from(["adam", "rmsprop", "signsgd"]),
       st.sampled_from(["tanh", "gelu", "relu"]))
def test_closed_form_with_d_applies_exactly_when_epsilon_is_negligible_and_then_agrees(p, opt, act):
    """TP IVb with d (Def. 2.2.1, epsilon = Theta(1)): the closed form applies iff every Q's input
    is Omega(1) at init, d_l >= a_l + a_{L+1} + b_{L+1} and d_{L+1} >= a_{L+1}; where it
    applies, its regime and r are the engine's."""
    L = p.depth
    ab = p.a[L] + p.b[L]
    need = [p.a[l] + ab for l in range(L)] + [p.a[L]]
    cf = closed_form(p, opt)
    assert cf.applies == all(x >= y for x, y in zip(p.d, need, strict=True)), cf.reason
    if cf.applies:
        got = classify(p, opt, act)
        assert got.regime == cf.regime
        if cf.regime not in ("unstable", "trivial"):
            assert got.r == cf.r


def test_a_run_still_moving_at_the_horizon_is_followed_further_in_a_note(monkeypatch):
    """A degenerate initialization whose exponents drift by a fixed amount per step is stable at
    the cap 2(L+1)+6 and blows up later (docs/engine.md: b = (15/4, 7/2), c = (1, -3/2), f at
    step 12).  The verdict stays the horizon's -- the one the region engine certifies -- and the
    note says what the continued run shows."""
    from widthlimits.theory.classify import LOOK_AHEAD, classify_result
    from widthlimits.theory.engine import derive

    p = Parametrization((0, 0), (F(15, 4), F(7, 2)), (F(1), F(-3, 2)))
    c = classify(p, "sgd")
    plain = classify_result(derive(p, "sgd"))
    assert c.regime == plain.regime == Regime.TRIVIAL and c.stable
    assert c.engine.steps == 10 and c.engine.stationary_from is None and LOOK_AHEAD * 10 >= 12
    (note,) = [n for n in c.notes if n.startswith("exponents not stationary")]
    assert "Continued up to step 40: f blows up at step 12 (exponent 1/2)" in note
    # the continued run stops one step after the blow-up, like a default run
    assert derive(p, "sgd", horizon=40).steps == 13
    with pytest.raises(ValueError, match="horizon"):
        derive(p, "sgd", horizon=0)
    # a net deeper than LOOK_AHEAD_MAX_DEPTH is not continued, and the note says so
    import widthlimits.theory.classify as classify_module

    monkeypatch.setattr(classify_module, "LOOK_AHEAD_MAX_DEPTH", 0)
    assert any("not continued past the horizon" in n for n in classify(p, "sgd").notes)
    # a stationary run, or one truncated by `steps`, is not continued
    assert not any("Continued" in n for n in classify(preset("mup", 2, "sgd")).notes)
    assert not any("Continued" in n for n in classify(p, "sgd", steps=5).notes)


def test_a_single_degenerate_layer_that_is_never_lifted_is_named_in_the_singular():
    one = classify(Parametrization((0, 0, 0), (0, 1, H), (0, as_exponent("inf"), 1)), "sgd")
    assert one.headline.endswith("; degenerate layer 2 is never lifted")
    assert "degenerate at init: h^l_0 -> 0 for layer 2" in one.notes
    inf = as_exponent("inf")
    two = classify(Parametrization((0, 0, 0, 0), (0, 1, 1, H), (0, inf, inf, 1)), "sgd")
    assert two.headline.endswith("; degenerate layers 2,3 are never lifted")


def test_with_no_step_computed_the_time_scale_is_not_assessed():
    """steps=0 computes the initialization only: f_{t+1} - f_t says nothing about a limit's time
    scale there (the table's df_0 is -inf), and the headline claims nothing about training."""
    c = classify(preset("mup", 3, "sgd"), "sgd", steps=0)
    assert c.discrete_time is None and c.time_rescaling is None
    assert c.to_json()["discrete_time"] is None
    assert "does not move" not in c.headline and "no step computed" in c.headline
    assert c.stable_at_init and c.first_blow_up is None  # what max_lr.init_blow_up reads
    assert classify(preset("mup", 3, "sgd"), "sgd").discrete_time is True


def test_init_blow_up_still_reads_a_steps_0_classification():
    from widthlimits.theory.max_lr import init_blow_up

    assert init_blow_up((0, 0), (0, H), "sgd") is None
    v = init_blow_up((0, 0), (-1, 0), "sgd")
    assert v is not None and (v.quantity, v.layer, v.step) == ("h", 1, 0)


def test_violations_that_differ_only_by_layer_are_written_as_one_line_with_the_run():
    from widthlimits.theory.classify import violation_lines

    c = classify(preset("sp", 6, "sgd"), "sgd")
    assert len([v for v in c.violations if v.quantity == "h" and v.step == 1]) == 5
    lines = violation_lines(c.violations)
    assert lines[0] == ("h^l_1 = Theta(n^{1/2}) for layers l = 2-6: violates e(h) <= 0 "
                        "(pre-activation blows up)")
    assert lines[1:] == [str(v) for v in c.violations if not (v.quantity == "h" and v.step == 1)]


def test_binding_by_runs_writes_the_feature_lines_as_one_and_binding_keeps_one_per_layer():
    c = classify(preset("mup", 5, "sgd"), "sgd")
    assert [b for b in c.binding if b.startswith("features")] == [
        f"features of layer {l} move Theta(1)" for l in range(1, 6)]
    assert c.binding_by_runs[-1] == "features of layers 1-5 move Theta(1)"
    assert c.binding_by_runs[:-1] == tuple(b for b in c.binding if not b.startswith("features"))
    one = classify(preset("mup", 1, "sgd"), "sgd")
    assert one.binding_by_runs == one.binding  # a single layer: "features of layer 1"
