"""Guard: every sub-package under the mapped folders is listed in pyproject (else wheels drop it)."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_all_subpackages_listed() -> None:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join((pkg, *init.parent.relative_to(ROOT / d).parts))
        for pkg, d in cfg["package-dir"].items()
        for init in (ROOT / d).rglob("__init__.py")
    }
    assert found <= set(cfg["packages"]), sorted(found - set(cfg["packages"]))


def test_theory_layer_imports_no_numeric_stack() -> None:
    """Layering: theory/ imports neither numpy/scipy nor the other two layers."""
    for path in (ROOT / "theory").rglob("*.py"):
        text = path.read_text()
        for banned in ("import numpy", "from numpy", "import scipy", "from scipy",
                       "widthlimits.numerics", "widthlimits.proofs_checks"):
            assert banned not in text, f"{path.name} imports {banned!r}"


def test_numerics_layer_does_not_import_sympy_or_theory() -> None:
    for path in (ROOT / "numerics").rglob("*.py"):
        text = path.read_text()
        for banned in ("import sympy", "from sympy", "widthlimits.theory",
                       "widthlimits.proofs_checks"):
            assert banned not in text, f"{path.name} imports {banned!r}"
