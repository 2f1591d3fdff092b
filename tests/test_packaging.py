"""Guard: every sub-package under the mapped folders is listed in pyproject (else wheels drop it)."""

import ast
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _owner(folder: pathlib.Path, mapping: dict[str, str]) -> tuple[str, str]:
    """The most specific package-dir entry containing ``folder`` (a folder mapped in its own
    right, e.g. proofs_checks/widthlimits.torch, belongs to its own mapping)."""
    best = max((d for d in mapping.values() if folder.is_relative_to(ROOT / d)),
               key=lambda d: len(pathlib.Path(d).parts))
    return next(p for p, d in mapping.items() if d == best), best


def test_all_subpackages_listed() -> None:
    cfg = _setuptools()
    mapping = cfg["package-dir"]
    found = set()
    for d in mapping.values():
        for init in (ROOT / d).rglob("__init__.py"):
            pkg, own = _owner(init.parent, mapping)
            found.add(".".join((pkg, *init.parent.relative_to(ROOT / own).parts)))
    assert found <= set(cfg["packages"]), sorted(found - set(cfg["packages"]))


def test_no_module_has_two_import_names() -> None:
    """A folder mapped inside another mapped folder must not be reachable through the outer
    package: some folder on the way has a name that is no identifier (a dot in it)."""
    mapping = _setuptools()["package-dir"]
    for pkg, d in mapping.items():
        for outer_pkg, outer in mapping.items():
            if outer != d and (ROOT / d).is_relative_to(ROOT / outer):
                parts = (ROOT / d).relative_to(ROOT / outer).parts
                assert not all(p.isidentifier() for p in parts), \
                    f"{d} is importable as {pkg} and as {outer_pkg}.{'.'.join(parts)}"


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
    assert not _banned("theory", ("numpy", "scipy", "matplotlib", "torch", "widthlimits.numerics",
                                  "widthlimits.proofs_checks", "widthlimits.torch"))


def test_numerics_layer_does_not_import_sympy_or_theory() -> None:
    """Layering: numerics/ takes concrete numbers; no sympy, no theory, no proofs_checks."""
    assert not _banned("numerics", ("sympy", "widthlimits.theory", "widthlimits.proofs_checks",
                                    "widthlimits.torch"))


def test_bridge_numbers_need_no_torch() -> None:
    """``widthlimits torch-lr`` prints the bridge's numbers without torch installed."""
    path = ROOT / "numerics" / "torch_bridge" / "scaling.py"
    assert not {n for n in _imports(path) if n == "torch" or n.startswith("torch.")}
