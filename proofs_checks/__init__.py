"""Where the two halves meet: the ``widthlimits`` command, the coord check against the engine,
the theorem catalogue with verdicts and reports, cross-validation, and the headline tour.

Names are imported on first use (PEP 562), so ``widthlimits.proofs_checks.cli`` starts without
sympy or numpy."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["coordcheck_against_engine", "run_tour"]

_WHERE = {"coordcheck_against_engine": "widthlimits.proofs_checks.coordcheck",
          "run_tour": "widthlimits.proofs_checks.tour"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'widthlimits.proofs_checks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
