"""``widthlimits classify`` refuses in one line (exit 2) what it cannot answer: ``--steps 0``
(nothing after the initialization is computed) and a preset name it does not know, listing
every name it does take."""

import json

import pytest

from widthlimits.proofs_checks.cli import main


def refusal(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["classify", *argv]))
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_steps_0_is_refused_because_no_update_is_computed(capsys):
    err = refusal(["--preset", "mup", "--depth", "3", "--optimizer", "sgd", "--steps", "0"], capsys)
    assert "--steps 0" in err and "initialization only" in err and "--steps >= 1" in err


def test_steps_1_is_answered_and_not_compared_with_the_closed_form(capsys):
    """muP stopped at step 1, before its exponents are stationary: the verdict is for steps 0..1,
    so the closed form (about every step) is printed without agree/disagree."""
    assert main(["classify", "--preset", "mup", "--depth", "2", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    assert "steps computed: 0..1" in out and "not compared" in out and "DISAGREES" not in out
    assert main(["classify", "--preset", "mup", "--depth", "2", "--steps", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["closed_form"]["agrees_with_engine"] is None
