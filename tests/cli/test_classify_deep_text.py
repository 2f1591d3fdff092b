"""``widthlimits classify`` at depth 1000 prints a screenful: every set of layers is written by
runs (``1-1000``), violations that differ only by their layer share one line, and ``--json``
still has one entry per layer.  An unstable point's text shows no r of a limit beside the
closed form's."""

import json

import pytest

from widthlimits.proofs_checks.cli import main


def classify_text(argv, capsys):
    assert main(["classify", *argv]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("name", ["mup", "sp", "golikov-default"])
def test_depth_1000_prints_a_few_dozen_lines_none_of_them_long(name, capsys):
    out = classify_text(["--preset", name, "--depth", "1000"], capsys)
    lines = out.splitlines()
    assert len(lines) <= 30
    assert max(len(x) for x in lines) <= 300


def test_deep_mup_writes_its_layers_as_runs_and_binds_features_in_one_line(capsys):
    out = classify_text(["--preset", "mup", "--depth", "1000"], capsys)
    assert "feature learning layers: 1-1000   maximal update layers: 1-1001   r = 0" in out
    binding = [x for x in out.splitlines() if x.startswith("binding: features")]
    assert binding == ["binding: features of layers 1-1000 move Theta(1)"]


def test_deep_json_keeps_one_entry_per_layer(capsys):
    d = json.loads(classify_text(["--preset", "mup", "--depth", "1000", "--json"], capsys))
    assert d["feature_learning_layers"] == list(range(1, 1001))
    assert sum(b.startswith("features of layer ") for b in d["binding"]) == 1000
    d = json.loads(classify_text(["--preset", "sp", "--depth", "1000", "--json"], capsys))
    assert [v["layer"] for v in d["violations"] if v["quantity"] == "h" and v["step"] == 1] \
        == list(range(2, 1001))


@pytest.mark.parametrize("name", ["sp", "golikov-default"])
def test_violations_differing_only_by_layer_are_one_line_with_the_run(name, capsys):
    out = classify_text(["--preset", name, "--depth", "1000"], capsys)
    violations = [x for x in out.splitlines() if x.startswith("violation: ")]
    assert violations[0] == ("violation: h^l_1 = Theta(n^{1/2}) for layers l = 2-1000: violates "
                             "e(h) <= 0 (pre-activation blows up)")
    assert len(violations) == 3  # the hidden layers at step 1, then f_1 and h^1_2


def test_a_shallow_violation_alone_in_its_group_reads_as_before(capsys):
    out = classify_text(["--preset", "sp:1/2", "--depth", "1"], capsys)
    assert "violation: f_1 = Theta(n^{1/2}): violates e(f) <= 0 (output blows up)" in out


def test_an_unstable_point_shows_only_the_closed_forms_r_in_a_failed_condition(capsys):
    """SP at depth 1000: the engine's 'r = 0 by its formula' beside the closed form's 'r = -1
    -- agrees' read as two answers to one question; the agreement is about the regime."""
    out = classify_text(["--preset", "sp", "--depth", "1000"], capsys)
    assert "by its formula" not in out
    closed = [x for x in out.splitlines() if x.startswith("closed form")]
    assert closed == ["closed form (TP4): unstable: fails r >= 0 (it is -1), 2a_1001 + c_1001 >= 1 "
                      "(it is 0), a_1001 + b_1001 + r >= 1 (it is -1/2) -- the engine also finds "
                      "it unstable"]
    assert sum(" r = " in x for x in out.splitlines()) == 0


def test_a_stable_point_still_says_the_closed_form_agrees(capsys):
    out = classify_text(["--preset", "mup", "--depth", "3"], capsys)
    assert "closed form (TP4): feature_learning, r = 0 -- agrees with the engine" in out
