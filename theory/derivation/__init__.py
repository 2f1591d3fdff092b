"""Derivations: the engine's power-counting argument as data (:mod:`.model`) and its renderers
(:mod:`.render_latex`, :mod:`.render_text`, :mod:`.latex_compile` for PDF).

The model's public names are re-exported here, so ``from widthlimits.theory.derivation import
derivation`` is the import a user writes.
"""

from widthlimits.theory.callable_module import make_callable
from widthlimits.theory.classify import Classification, DegenerateLayer
from widthlimits.theory.derivation.model import (
    COMBINE,
    PHASES,
    RULE_NAMES,
    Condition,
    Derivation,
    Input,
    Line,
    StepBlock,
    SymbolicConditions,
    derivation,
    symbolic_derivation,
    symbolic_parametrization,
)

__all__ = [
    "COMBINE",
    "PHASES",
    "RULE_NAMES",
    "Classification",
    "Condition",
    "DegenerateLayer",
    "Derivation",
    "Input",
    "Line",
    "StepBlock",
    "SymbolicConditions",
    "derivation",
    "symbolic_derivation",
    "symbolic_parametrization",
]

make_callable(__name__, derivation)
