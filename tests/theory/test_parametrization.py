"""Parametrizations: exact inputs, presets as published, symmetries and conversions."""

from fractions import Fraction as F

import pytest
import sympy

from widthlimits.theory import Parametrization, as_exponent, equivalent, parse_layer_list, preset
from widthlimits.theory.exponents import INF

H = F(1, 2)


@pytest.mark.parametrize("text,value", [("1/2", H), ("-1", F(-1)), (" 3/4 ", F(3, 4)), ("inf", INF),
                                        (0, F(0)), (F(1, 3), F(1, 3))])
def test_exact_exponents_are_parsed(text, value):
    assert as_exponent(text) == value


@pytest.mark.parametrize("bad,msg", [(0.333, "float"), ("0.333", "decimal"), ("1e-3", "decimal"),
                                     ("nan", "NaN"), ("", "empty"), ("1/0", "divides by zero"),
                                     (True, "exact number")])
def test_inexact_exponents_are_rejected_with_the_bad_value(bad, msg):
    with pytest.raises((TypeError, ValueError), match=msg):
        as_exponent(bad)


def test_layer_lists_accept_per_layer_or_input_hidden_readout():
    assert parse_layer_list("-1/2,0,1/2", 3, "a") == (-H, 0, 0, H)
    assert parse_layer_list("0,1,2,3", 3, "a") == (0, 1, 2, 3)
    with pytest.raises(ValueError, match="depth 3 needs 4"):
        parse_layer_list("0,0", 3, "a")
    with pytest.raises(ValueError, match=r"in 1\.\.100"):
        parse_layer_list("0,0", 0, "a")
    with pytest.raises(ValueError, match=r"in 1\.\.1000 hidden layers, got 10{20}"):  # bounded
        parse_layer_list("0,0", 10**20, "a")


def test_parametrization_validates_lengths_and_infinities():
    with pytest.raises(ValueError, match="`b` has 2 values"):
        Parametrization((0, 0, 0), (0, 0), (0, 0, 0))
    with pytest.raises(ValueError, match="infinite"):
        Parametrization((0, "inf"), (0, 0), (0, 0))
    p = Parametrization((0, 0), (0, "inf"), (0, "inf"))
    assert p.b[1] == INF and p.c[1] == INF


def test_tp4_table1_presets():
    """TP4 Table 1 (Yang & Hu 2021), depth L = 3."""
    assert preset("sp", 3).a == (0, 0, 0, 0) and preset("sp", 3).b == (0, H, H, H)
    assert preset("sp:1", 3).c == (1,) * 4  # TP4's SP: learning rate ~ 1/n
    assert preset("sp", 3).c == (0,) * 4  # SP as practitioners use it: a constant learning rate
    assert preset("sp:1", 3).name == "sp:1" and preset("sp", 3).name == "sp"
    assert preset("ntp", 3).a == (0, H, H, H) and preset("ntp", 3).b == (0,) * 4
    assert preset("mup", 3).a == (-H, 0, 0, H) and preset("mup", 3).b == (H,) * 4
    assert preset("mup", 3).c == (0,) * 4
    mfp1 = preset("mfp", 1)  # TP4 Table 1 MFP (L = 1): a = (0, 1), b = 0, c = -1
    assert mfp1.a == (0, 1) and mfp1.b == (0, 0) and mfp1.c == (-1, -1)


def test_up_s_interpolates_mup_and_ntp():
    """UP_0 = muP and UP_{1/2} = NTP (TP4 App. G; TP IVb Remark 2.8.25)."""
    for opt in ("sgd", "adam"):
        assert equivalent(preset("up:0", 3, opt), preset("mup", 3, opt), opt)
        assert equivalent(preset("up:1/2", 3, opt), preset("ntp", 3, opt), opt)
    with pytest.raises(ValueError, match=r"\[0, 1/2\]"):
        preset("up:3/4", 2)


@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("table", [3, 8, 9])
def test_tp5_tables_are_the_same_point_as_mup(table, opt):
    """TP5 Tables 3, 8, 9 are one point of the abc space up to the symmetry."""
    assert equivalent(preset(f"mup-table{table}", 4, opt), preset("mup", 4, opt), opt)


def test_mup_and_mfp_are_equivalent_but_not_sp():
    """Everett et al.'s equivalence classes {SP, NTK} and {muP, MFP} (arXiv:2407.05872)."""
    for opt in ("sgd", "adam"):
        assert equivalent(preset("mup", 3, opt), preset("mfp", 3, opt), opt)
        assert not equivalent(preset("mup", 3, opt), preset("sp", 3, opt), opt)


def test_tp_ivb_abcd_mup_reduces_to_tp4_mup():
    """TP IVb abcd muP (a=(0,0,1), b=(0,1/2,0), c=(0,1,0), d=(1,1,1)) with the symmetry
    theta = -1/2 on input and readout equals TP4-form Adam muP with d (TP IVb Def. 2.5.1)."""
    abcd = Parametrization((0, 0, 1), (0, H, 0), (0, 1, 0), (1, 1, 1))
    tp4 = abcd.shift([-H, 0, -H], "adam")
    assert tp4.a == (-H, 0, H) and tp4.b == (H, H, H)
    assert tp4.c == (H, 1, H) and tp4.d == (H, 1, H)
    assert equivalent(abcd, preset("mup", 2, "adam").replace(d=(H, 1, H)), "adam")


def test_sgd_d_is_a_learning_rate_shift():
    """TP IVb Remark 2.2.4: for SGD abcd reduces to abc via c <- c - d."""
    p = Parametrization((0, 0), (0, H), (1, 1), (H, H))
    q = Parametrization((0, 0), (0, H), (H, H))
    assert equivalent(p, q, "sgd")


def test_canonical_forms():
    p = preset("mup", 2, "sgd")
    sp_form = p.canonical("sgd", "sp")
    # TP4 Sec 1.5: SP-shaped muP for SGD: a = 0, b = (0, 1/2, 1), c = (-1, 0, 1)
    assert sp_form.a == (0, 0, 0) and sp_form.b == (0, H, 1) and sp_form.c == (-1, 0, 1)
    assert preset("mfp", 2, "sgd").canonical("sgd", "tp4") == p.canonical("sgd", "tp4")


def test_golikov_conventions_roundtrip():
    mf = preset("golikov-mf", 3, "sgd")
    q = mf.to_golikov("sgd")
    assert q == {"q_sigma": "-1", "q_a": "1", "q_v": "1", "q_w": "1"}
    back = Parametrization.from_golikov(3, -1, 1, 1, 1)
    assert back.a == mf.a and back.b == mf.b and back.c == mf.c
    sym = Parametrization.from_golikov(1, *sympy.symbols("q_sigma q_a q_w"))
    assert sym.is_symbolic()


def test_pytorch_and_tp5_views():
    sp_form = preset("mup", 2, "adam").canonical("adam", "sp")
    # a = 0 gauge, signs of --b/--c (std n^{-b}, lr n^{-c}): b = (0, 1/2, 1), Adam c = (0, 1, 1)
    assert sp_form.a == (0, 0, 0)
    assert sp_form.b == (0, H, 1) and sp_form.c == (0, 1, 1)
    assert not hasattr(sp_form, "to_pytorch")  # one sign convention: the opposite-sign view is gone
    t = preset("mup-table8", 2, "sgd").to_tp5()
    assert t["multiplier"] == ["0", "0", "-1"]
    assert Parametrization.from_tp5(["0", "-1", "0"], ["0", "0", "-1"], ["1", "0", "1"]) == \
        preset("mup-table8", 2, "sgd").replace(name=None)


def test_unknown_preset_and_gd_only_mode():
    with pytest.raises(ValueError, match="unknown preset 'muq'"):
        preset("muq", 2)
    with pytest.raises(ValueError, match="GD only"):
        preset("golikov-sym-default", 2, "adam")
