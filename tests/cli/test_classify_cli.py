"""The ``widthlimits classify`` command: answers, JSON schema, and bad input (one line, exit 2)."""

import json
import subprocess
import sys

import pytest

from widthlimits.proofs_checks.cli import main


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_mup_learns_features_and_ntp_is_kernel(capsys):
    code, out, _ = run(["classify", "--preset", "mup", "--depth", "3", "--optimizer", "sgd"], capsys)
    assert code == 0 and "regime: feature_learning" in out
    code, out, _ = run(["classify", "--preset", "ntp", "--depth", "3", "--optimizer", "sgd"], capsys)
    assert code == 0 and "regime: kernel" in out


def test_json_schema(capsys):
    code, out, _ = run(["classify", "--a", "-1/2,0,1/2", "--b", "1/2,1/2,1/2", "--c", "0,0,0",
                        "--depth", "3", "--json"], capsys)
    d = json.loads(out)
    for key in ("regime", "stable", "stable_at_init", "degenerate_at_init", "nontrivial",
                "feature_learning_layers", "r", "violations", "exponents"):
        assert key in d
    assert d["regime"] == "feature_learning" and d["r"] == "0"
    assert d["feature_learning_layers"] == [1, 2, 3]
    row = next(x for x in d["exponents"] if x["name"] == "f" and x["step"] == 0)
    assert row["exponent"] == "-1/2"


def test_unstable_json_names_the_violation(capsys):
    code, out, _ = run(["classify", "--preset", "sp:1/2", "--depth", "2", "--json"], capsys)
    d = json.loads(out)
    assert d["regime"] == "unstable" and d["r"] is not None
    assert any(v["quantity"] == "f" and v["exponent"] == "1/2" for v in d["violations"])


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--a", "0.333,0,0", "--b", "0,0,0", "--c", "0,0,0", "--depth", "2"], "0.333"),
        (["--a", "0,0", "--b", "0,0,0", "--c", "0,0,0", "--depth", "3"], "--a"),
        (["--preset", "mup", "--depth", "0"], "depth"),
        (["--preset", "mup", "--depth", "2", "--optimizer", "adamw"], "adamw"),
        (["--preset", "muq", "--depth", "2"], "muq"),
        (["--a", "nan,0,0", "--b", "0,0,0", "--c", "0,0,0", "--depth", "2"], "NaN"),
        (["--preset", "mup", "--a", "0,0,0", "--depth", "2"], "not both"),
        (["--a", "0,0,0", "--depth", "2"], "--b"),
        (["--preset", "up:2", "--depth", "2"], "up"),
        (["--preset", "mup", "--depth", "two"], "two"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        code = main(["classify", *argv])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_console_script_has_no_traceback_on_bad_input():
    proc = subprocess.run([sys.executable, "-m", "widthlimits.proofs_checks", "classify", "--a",
                           "0.5,0,0", "--b", "0,0,0", "--c", "0,0,0", "--depth", "2"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "0.5" in proc.stderr


def test_tables_command_lists_every_named_point(capsys):
    code, out, _ = run(["tables", "--depths", "1,3", "--optimizers", "sgd,adam", "--json"], capsys)
    rows = json.loads(out)
    assert code == 0
    got = {(r["preset"], r["optimizer"], r["depth"]): r["regime"] for r in rows}
    assert got[("mup", "adam", 3)] == "feature_learning"
    assert got[("golikov-mf", "sgd", 3)] == "trivial"
    assert got[("golikov-sym-default", "adam", 1)] == "n/a"


def test_a_truncated_run_is_not_compared_with_the_closed_form(capsys):
    """--steps 1 stops muP before its exponents are stationary (from step 2): the engine's
    verdict is for steps 0..1 only, so the closed form (about every step) is printed without an
    agree/disagree verdict."""
    assert main(["classify", "--preset", "mup", "--depth", "2", "--steps", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["closed_form"]["agrees_with_engine"] is None
    assert main(["classify", "--preset", "mup", "--depth", "2", "--steps", "1"]) == 0
    text = capsys.readouterr().out
    assert "not compared" in text and "DISAGREES" not in text
    assert main(["classify", "--preset", "mup", "--depth", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["closed_form"]["agrees_with_engine"] is True
