"""Guard: every sub-package under the mapped folders is listed in pyproject (else wheels drop it)."""

import ast
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


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _banned(folder: str, prefixes: tuple[str, ...]) -> list[str]:
    bad = []
    for path in (ROOT / folder).rglob("*.py"):
        for name in _imports(path):
            if any(name == p or name.startswith(p + ".") for p in prefixes):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_theory_layer_imports_no_numeric_stack() -> None:
    """Layering: theory/ imports neither numpy/scipy/matplotlib nor the other two layers."""
    assert not _banned("theory", ("numpy", "scipy", "matplotlib", "widthlimits.numerics",
                                  "widthlimits.proofs_checks"))


def test_numerics_layer_does_not_import_sympy_or_theory() -> None:
    """Layering: numerics/ takes concrete numbers; no sympy, no theory, no proofs_checks."""
    assert not _banned("numerics", ("sympy", "widthlimits.theory", "widthlimits.proofs_checks"))
