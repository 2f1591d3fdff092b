"""Start-up stays light (issue 13): the command line's entry module and ``--help`` import no
sympy, numpy or scipy; the theory layer imports no numpy or scipy; numerics' validators import
no numpy.  Each check runs in a fresh interpreter (``sys.modules`` of this one is shared)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sympy", "numpy", "scipy", "scipy.stats", "matplotlib", "joblib", "tqdm")


def loaded_after(code: str) -> set[str]:
    probe = (f"{code}\nimport sys, json\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_cli_module_imports_nothing_heavy() -> None:
    assert loaded_after("import widthlimits.proofs_checks.cli") == set()


def test_help_imports_nothing_heavy() -> None:
    code = ("import contextlib, io\nfrom widthlimits.proofs_checks.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    assert loaded_after(code) == set()


@pytest.mark.parametrize("command", ["classify", "coordcheck", "convergence", "tour", "query"])
def test_subcommand_help_imports_no_numpy(command: str) -> None:
    code = ("import contextlib, io\nfrom widthlimits.proofs_checks.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main([{command!r}, '--help'])\n    except SystemExit:\n        pass")
    assert not loaded_after(code) & {"numpy", "scipy", "matplotlib"}


def test_theory_imports_no_numeric_stack() -> None:
    assert not loaded_after("import widthlimits.theory") & {"numpy", "scipy", "matplotlib"}


def test_numerics_validation_and_package_import_no_numpy() -> None:
    assert loaded_after("import widthlimits.numerics.validation") == set()
    assert loaded_after("import widthlimits.numerics") == set()


@pytest.mark.parametrize("argv", [
    ["classify", "--preset", "mup", "--depth", "3"],
    ["classify", "--preset", "golikov-ntk", "--depth", "2", "--json"],
    ["classify", "--preset", "up:1/2", "--depth", "2", "--optimizer", "adam", "--steps", "4"],
    ["classify", "--a", "-1/2,1/2", "--b", "1/2,inf", "--c", "0,0", "--depth", "1"],
    ["classify", "--preset", "depth-mup", "--depth", "4", "--json"],
])
def test_classify_imports_nothing_heavy(argv: list[str]) -> None:
    """Exact exponents are Fractions: the numeric classify path needs neither sympy (imported
    only for symbolic exponents, theory/exponents.py) nor the numeric stack."""
    code = ("import contextlib, io\nfrom widthlimits.proofs_checks.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main({argv!r}) == 0")
    assert loaded_after(code) == set()


def test_python_classify_of_a_preset_imports_no_sympy() -> None:
    code = ("from widthlimits.theory import classify, preset\n"
            "c = classify(preset('mup', 3, 'adam'), 'adam')\n"
            "assert c.headline and c.to_json() and c._repr_html_()")
    assert loaded_after(code) == set()


def test_symbolic_exponents_still_load_sympy_where_asked() -> None:
    code = ("import sympy\nfrom widthlimits.theory.exponents import as_exponent, emax, fmt, is_symbolic\n"
            "x = sympy.Symbol('x')\nassert is_symbolic(as_exponent(x))\n"
            "assert fmt(emax(x, as_exponent('1/2'))) == 'Max(1/2, x)'\n"
            "assert as_exponent(sympy.Rational(1, 3)) == as_exponent('1/3')")
    assert "sympy" in loaded_after(code)


def test_cli_choices_match_the_theory_registries() -> None:
    from widthlimits.proofs_checks.commands._params import ACTIVATION_NAMES, OPTIMIZER_NAMES
    from widthlimits.theory.activations import ACTIVATIONS
    from widthlimits.theory.optimizers import OPTIMIZERS

    assert tuple(sorted(OPTIMIZERS)) == OPTIMIZER_NAMES
    assert tuple(sorted(ACTIVATIONS)) == ACTIVATION_NAMES
