"""Executable docs: doctests of the numeric modules, and every public symbol documented."""

from __future__ import annotations

import doctest
import importlib

import pytest

import widthlimits.numerics as wn

MODULES = ["numeric_parametrization", "data", "simulator", "fits", "verdicts", "store",
           "coordcheck"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    mod = importlib.import_module(f"widthlimits.numerics.{name}")
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0


@pytest.mark.parametrize("name", wn.__all__)
def test_public_symbol_documented(name: str) -> None:
    obj = getattr(wn, name)
    if callable(obj):
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
