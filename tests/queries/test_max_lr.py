"""Maximal stable learning rates: Everett et al.'s table under their alignment assumption, the
Tensor Programs readout rule answered by the engine, and where the two disagree."""

import json
from fractions import Fraction as F

import pytest

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.classify import classify
from widthlimits.theory.max_lr import EVERETT_TABLE, SUSPECT_CELL, max_lr
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import preset

H = F(1, 2)
NAMES = ("sp", "ntp", "mup", "mfp")


@pytest.mark.parametrize("L", [2, 3])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("name", NAMES)
def test_everett_table_is_reproduced_except_the_suspect_cell(L, opt, name):
    # reference: Everett et al. 2024 Table 1 via the maxP presets (tensor_programs.md Sec. 4.2)
    p = preset(name, L, opt)
    r = max_lr(p.a, p.b, opt, preset_name=name)
    for al, got in (("full", r.everett_full), ("none", r.everett_none)):
        ref = EVERETT_TABLE[(opt, al, name)]
        mine = (got[0], got[1], got[-1])
        assert all(x == got[1] for x in got[1:-1])  # every hidden layer alike
        if (opt, al, name) == SUSPECT_CELL:
            assert mine == (ref[0], ref[1], F(-1, 2)) and ref[2] == H
            assert any("suspect cell" in n for n in r.notes)
        else:
            assert mine == ref, (al, mine, ref)


# TP4 Thm 3.3 (SGD) / TP IVb Thm 2.8.12 (entrywise), solved by hand readout-first
TP_EXPECTED = {
    ("sgd", "sp"): (0, 1, 1), ("sgd", "ntp"): (0, 0, 0), ("sgd", "mup"): (0, 0, 0),
    ("sgd", "mfp"): (-1, -1, -1),
    ("adam", "sp"): (H, F(3, 2), 1), ("adam", "ntp"): (H, 1, H), ("adam", "mup"): (H, 1, H),
    ("adam", "mfp"): (0, H, 0),
}


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
@pytest.mark.parametrize("name", NAMES)
def test_tp_rule_by_the_engine_matches_the_closed_forms(L, opt, name):
    p = preset(name, L, opt)
    r = max_lr(p.a, p.b, opt)
    inp, hid, out = TP_EXPECTED[(opt, name)]
    assert r.c == (inp,) + (hid,) * (L - 1) + (out,)
    assert r.engine_check["stable"]
    # maximal: lowering any single c_l by 1/4 is unstable (engine)
    for l in range(L + 1):
        c = list(r.c)
        c[l] -= F(1, 4)
        assert classify(Parametrization(p.a, p.b, tuple(c)), opt).regime == "unstable"


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_disagreement_between_tp_and_everett_is_reported(opt):
    for name in NAMES:
        p = preset(name, 2, opt)
        r = max_lr(p.a, p.b, opt)
        if name in ("sp", "ntp"):
            assert r.disagreements and "Sec. 4.4" in r.disagreements[-1]
            # Everett's full-alignment answer is unstable for the engine (readout omega = 1/2)
            full = max_lr(p.a, p.b, opt, alignment="full")
            assert full.engine_check["regime"] == "unstable"
        else:
            assert not r.disagreements


def test_cli_json_and_bad_input(capsys):
    assert main(["max-lr", "--preset", "mup", "--depth", "2", "--optimizer", "adam", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["c"] == ["1/2", "1", "1/2"]
    assert main(["max-lr", "--preset", "mfp", "--depth", "1", "--optimizer", "adam", "--alignment", "none",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["c"] == ["0", "-1/2"] and any("suspect" in n for n in out["notes"])
    assert main(["max-lr", "--a", "0,0.5", "--b", "0,0", "--depth", "1"]) == 2
    assert "0.5" in capsys.readouterr().err
    assert main(["max-lr", "--a", "0,0", "--depth", "1"]) == 2
    assert "--b" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["max-lr", "--preset", "mup", "--depth", "1", "--alignment", "partial"])
    assert e.value.code == 2


def test_bad_alignment_in_api():
    with pytest.raises(ValueError, match="alignment"):
        max_lr((0, 0), (0, H), "sgd", alignment="half")


def test_least_c_is_exact_beyond_the_box(monkeypatch):
    # the box only starts the 1-D cover: with a tiny one (least c outside it, e.g. mfp's -1 and
    # sp-Adam's 3/2) the cells at its ends widen it, and the answers are the same
    import widthlimits.theory.max_lr as m

    want = {(name, opt): max_lr(preset(name, 2, opt).a, preset(name, 2, opt).b, opt).c
            for name in ("sp", "mfp") for opt in ("sgd", "adam")}
    monkeypatch.setattr(m, "LEAST_C_BOX", F(1, 8))
    for (name, opt), c in want.items():
        p = preset(name, 2, opt)
        assert max_lr(p.a, p.b, opt).c == c
    # a frozen zero-initialized input layer: f = 0 for every readout learning rate (a cell
    # unbounded below, not an artefact of the box); an exploding init: no c is stable
    r = max_lr((0, H), ("inf", 0), "sgd")
    assert r.c == (None, None) and r.notes == ("readout: c_2 unbounded below: every learning rate is stable",)
    r = max_lr((0, 0), (0, -1), "sgd")
    assert r.notes == ("readout: no stable c_2 (unstable for every learning rate)",)


def test_max_lr_cli_prints_learning_rates_at_the_target_width(capsys):
    code = main(["max-lr", "--preset", "mup", "--optimizer", "adam", "--depth", "2",
                 "--base-width", "256", "--base-lr", "1e-3", "--width", "4096", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    rates = out["learning_rates"]["per_layer"]
    # lr_l = 1e-3 * 16^(-c_l): muP Adam has c = (1/2, 1, 1/2) in the SP gauge
    assert [str(x) for x in out["c"]] == ["1/2", "1", "1/2"]
    assert rates == pytest.approx([1e-3 / 4, 1e-3 / 16, 1e-3 / 4])
    assert main(["max-lr", "--preset", "mup", "--depth", "2", "--width", "4096"]) == 2
