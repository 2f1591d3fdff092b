"""The docstring examples of widthlimits.theory and widthlimits.numerics run (doctest), one test
per module, imported by their installed names."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import widthlimits.numerics
import widthlimits.theory


def _modules() -> list[str]:
    out = []
    for pkg in (widthlimits.theory, widthlimits.numerics):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            out.append(info.name)
    return sorted(out)


MODULES = _modules()


def test_the_theory_modules_are_all_collected() -> None:
    names = {m.rsplit(".", 1)[-1] for m in MODULES if m.startswith("widthlimits.theory.")}
    assert {"engine", "classify", "exponents", "derivation", "parametrization"} <= names


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(mod, name)
    for t in tests:
        runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} doctest examples failed in {name}"
