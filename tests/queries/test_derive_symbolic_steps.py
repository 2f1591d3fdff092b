"""`derive --symbolic` honours `--steps` (it computed steps 0..2 whatever was asked; issue 12)."""

from __future__ import annotations

from widthlimits.proofs_checks.cli import main


def test_symbolic_derive_uses_the_steps_asked_for(capsys):
    assert main(["derive", "--symbolic", "--depth", "1", "--optimizer", "sgd", "--steps", "3",
                 "--format", "txt"]) == 0
    out = capsys.readouterr().out
    assert "Steps 0..3 computed" in out
    assert main(["derive", "--symbolic", "--depth", "1", "--optimizer", "sgd", "--steps", "-1",
                 "--format", "txt"]) == 2
