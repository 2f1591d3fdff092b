"""The quick examples in examples/ run as their docstrings say (the long learning-rate sweeps,
minutes each, are not run here; docs/checks.md and docs/torch.md give their commands)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.timeout(300)
def test_kernel_movement_example_runs(tmp_path):
    """docs/checks.md cites it for up:1/4's readout-gradient crossover: the kernel's movement
    vanishes with width (a negative slope on every step)."""
    p = _run([str(ROOT / "examples" / "coordcheck_kernel_movement.py")], tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    moving = [line.split("|K_t - K_0|/|K_0|")[1] for line in p.stdout.splitlines()
              if "|K_t - K_0|/|K_0|" in line]
    assert len(moving) >= 5  # steps 1..5 at two rates
    assert all(float(m.split("slope ")[1].split()[0]) < 0 for m in moving)


@pytest.mark.timeout(300)
def test_user_mlp_coordcheck_example_runs(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    p = _run([str(ROOT / "examples" / "coordcheck_user_mlp.py"), "--out", str(tmp_path / "cc")],
             tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert (tmp_path / "cc_mup.png").stat().st_size > 0 and (tmp_path / "cc_sp.png").stat().st_size > 0
