"""Symbolic layer: exact width exponents, parametrizations, the power-counting engine and the
classification of infinite-width limits.  Imports no numeric stack; sympy only for symbolic
exponents (numbers are exact ``Fraction``s).

What a notebook needs is importable from here::

    from widthlimits.theory import preset, classify, derivation, Regime
    c = classify(preset("mup", 3, "adam"), "adam")
    c.regime is Regime.FEATURE_LEARNING, c.headline

``import widthlimits.theory`` itself imports nothing heavy: every name below is loaded from its
module on first use (PEP 562 ``__getattr__``), so the command line starts fast and sympy, the
engine and the LaTeX renderers are imported only when a command needs them.

``classify`` and ``derivation`` are also the modules that define these functions; the modules
are callable (:mod:`widthlimits.theory.callable_module`), so ``classify(p, "adam")`` works whichever
import form brought the name in, and ``from widthlimits.theory.classify import Classification``
keeps working.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # parametrizations and named points
    "Parametrization": "widthlimits.theory.parametrization",
    "equivalent": "widthlimits.theory.parametrization",
    "parse_layer_list": "widthlimits.theory.parametrization",
    "preset": "widthlimits.theory.presets",
    "PRESETS": "widthlimits.theory.presets",
    "NAMED_POINTS": "widthlimits.theory.presets",
    # exact exponents
    "INF": "widthlimits.theory.exponents",
    "NEG_INF": "widthlimits.theory.exponents",
    "as_exponent": "widthlimits.theory.exponents",
    "fmt": "widthlimits.theory.exponents",
    # optimizers and activations
    "ACTIVATIONS": "widthlimits.theory.activations",
    "Activation": "widthlimits.theory.activations",
    "get_activation": "widthlimits.theory.activations",
    "OPTIMIZERS": "widthlimits.theory.optimizers",
    "Optimizer": "widthlimits.theory.optimizers",
    "get_optimizer": "widthlimits.theory.optimizers",
    # the engine and the verdict
    "derive": "widthlimits.theory.engine",
    "EngineResult": "widthlimits.theory.engine",
    "Regime": "widthlimits.theory.regime",
    "classify": "widthlimits.theory",  # the callable module widthlimits.theory.classify
    "Classification": "widthlimits.theory.classify",
    "Violation": "widthlimits.theory.classify",
    "closed_form": "widthlimits.theory.closed_forms",
    "ClosedFormResult": "widthlimits.theory.closed_forms",
    # derivations
    "derivation": "widthlimits.theory",  # the callable package widthlimits.theory.derivation
    "symbolic_derivation": "widthlimits.theory.derivation.model",
    "Derivation": "widthlimits.theory.derivation.model",
    # Golikov's depth statement
    "depth_table": "widthlimits.theory.golikov",
    # exact regions: which exponents have a property (widthlimits.theory.regions)
    "query": "widthlimits.theory.regions.query",
    "QueryResult": "widthlimits.theory.regions.query",
    "exists": "widthlimits.theory.regions.existence",
    "phase_diagram": "widthlimits.theory.regions.planes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if module == __name__:  # a callable submodule: importing it binds it here
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
