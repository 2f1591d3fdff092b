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


def test_an_unknown_preset_lists_every_name_classify_takes(capsys):
    from widthlimits.theory.depth.presets import DEPTH_PRESETS
    from widthlimits.theory.presets import PRESETS

    err = refusal(["--preset", "nosuch", "--depth", "2"], capsys)
    listed = err.split("choose one of ", 1)[1]
    for name in (*PRESETS, *DEPTH_PRESETS, "sp:<c>", "up:<s>", "golikov-intermediate:<q>",
                 "completep:<alpha>"):
        assert name in listed, name
    from widthlimits.theory.presets import PARAMETRIZED

    assert all(f"{key}:<" in listed for key in PARAMETRIZED)  # a new parametrized preset too


@pytest.mark.parametrize("name", ["depth-mup", "completep", "completep:1/2", "sp:1", "up:1/4",
                                  "golikov-intermediate:3/4"])
def test_every_listed_form_is_accepted(name, capsys):
    assert main(["classify", "--preset", name, "--depth", "2", "--optimizer", "adam"]) == 0
    capsys.readouterr()
