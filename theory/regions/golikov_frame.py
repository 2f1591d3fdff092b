"""Golikov's exponents as the free coordinates of a region question.

Golikov (2020, arXiv:2003.05884, Sec. 4; the paper's public code, github.com/deepmipt/research,
``Infinite_Width_Limits_of_Neural_Classifiers/utils/scale_hyperparams.py``) writes a scaling
relative to the standard parametrization: one exponent :math:`q_\\sigma` for the init std of every
non-input weight (:math:`\\sigma \\propto n^{q_\\sigma}`; the input layer keeps its width-free
std), and learning rates :math:`\\eta_w \\propto n^{\\tilde q_w}` (input),
:math:`\\eta_v \\propto n^{\\tilde q_v + q_\\sigma}` (every hidden layer),
:math:`\\eta_a \\propto n^{\\tilde q_a + 2 q_\\sigma}` (readout).  In abc terms
(:meth:`~widthlimits.theory.parametrization.Parametrization.from_golikov`, the one place of the
map) ``a = 0``, ``b = (0, -q_sigma, ..., -q_sigma)``,
``c = (-q_w, -(q_v + q_sigma), ..., -(q_a + 2 q_sigma))``: affine in the four exponents, so the
region engine's cells, covers, existence search and why-not apply unchanged, and its answers are
printed in his exponents.

His named modes lie in the frame and are marked as named points: ``golikov-mf`` is
(q_sigma, q_w, q_v, q_a) = (-1, 1, 1, 1) under GD and (-1, 0, 0, 1) under RMSProp/Adam (his
"normalized" column), ``golikov-ntk`` and ``golikov-intermediate:q`` likewise.  The map is
one-to-one (``a = 0`` fixes the width symmetry), so a query here is the abc query with
``a = 0``, ``b_1 = 0``, the non-input ``b`` tied and the hidden ``c`` shared, relabelled by that
affine bijection (a test compares the two).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.callable_module import make_callable
from widthlimits.theory.exponents import fmt, is_pos_inf
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, as_exponent, check_depth, equivalent

#: Golikov's exponents, in the order of :meth:`Parametrization.from_golikov`'s readers
GOLIKOV_COORDS = ("q_sigma", "q_w", "q_v", "q_a")

_MEANING = {
    "q_sigma": "init std of every non-input weight ~ n^{q_sigma}",
    "q_w": "input learning rate ~ n^{q_w}",
    "q_v": "hidden learning rate ~ n^{q_v + q_sigma}",
    "q_a": "readout learning rate ~ n^{q_a + 2 q_sigma}",
}


@dataclass(frozen=True)
class GolikovFrame:
    """Free coordinates: Golikov's exponents not fixed in ``fixed`` (``q_v`` only for
    depth >= 2, where there are hidden-to-hidden layers)."""

    depth: int
    optimizer: Optimizer
    fixed: tuple[tuple[str, Fraction], ...] = ()

    #: the gauge of the width symmetry his exponents sit in (a = 0), and the hidden layers share
    gauge = "sp"
    shared_hidden = True
    coords = "golikov"

    @property
    def coordinates(self) -> tuple[str, ...]:
        return _coordinates(self.depth)

    @property
    def variables(self) -> tuple[str, ...]:
        fixed = dict(self.fixed)
        return tuple(k for k in self.coordinates if k not in fixed)

    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]

    def _build(self, free: Sequence[Any]) -> Parametrization:
        vals: dict[str, Any] = dict(self.fixed)
        vals.update(zip(self.variables, free, strict=True))
        return Parametrization.from_golikov(self.depth, vals["q_sigma"], vals["q_a"],
                                            vals["q_w"], vals.get("q_v", 0))

    def parametrization(self) -> Parametrization:
        return self._build(self.symbols())

    def parametrization_at(self, z: Sequence[Fraction]) -> Parametrization:
        return self._build([Fraction(x) for x in z])

    def point_of(self, p: Parametrization) -> list[Fraction] | None:
        """Golikov's free exponents of ``p`` (moved by the width symmetry), or None if ``p`` is
        not in his family or does not match the fixed exponents."""
        if p.depth != self.depth or any(is_pos_inf(v) for v in (*p.b, *p.c)):
            return None
        try:
            q = p.to_golikov(self.optimizer)
        except (ValueError, TypeError):
            return None
        vals = {k: Fraction(0) if v is None else Fraction(v) for k, v in q.items()}
        if any(vals[k] != v for k, v in self.fixed):
            return None
        x = [vals[k] for k in self.variables]
        return x if equivalent(p, self.parametrization_at(x), self.optimizer) else None

    def fixed_values(self) -> dict[str, str]:
        """The fixed exponents by name, exact strings (the answers' JSON ``fixed``)."""
        return {k: fmt(v) for k, v in self.fixed}

    def meanings(self) -> tuple[str, ...]:
        """One line per coordinate of the family: what its exponent scales."""
        return tuple(_MEANING[k] for k in self.coordinates)


def _coordinates(depth: int) -> tuple[str, ...]:
    """His exponents at ``depth``: ``q_v`` scales hidden-to-hidden weights, which exist from
    depth 2."""
    return tuple(k for k in GOLIKOV_COORDS if k != "q_v" or depth >= 2)


def golikov_frame(depth: int, optimizer: str | Optimizer,
                  fix: Mapping[str, Any] | None = None) -> GolikovFrame:
    """Golikov's family at ``depth`` with the exponents in ``fix`` (names from
    :data:`GOLIKOV_COORDS`, one rational each) fixed and the others free."""
    L = check_depth(depth)
    opt = get_optimizer(optimizer)
    names = _coordinates(L)
    fixed = []
    for k, v in (fix or {}).items():
        if k not in names:
            extra = " (q_v exists from depth 2: one hidden layer has no hidden-to-hidden weights)" \
                if k == "q_v" else ""
            raise ValueError(f"Golikov's exponents are {', '.join(names)}; got {k!r}{extra}")
        if isinstance(v, (list, tuple)) or (isinstance(v, str) and "," in v):
            raise ValueError(f"`{k}` is one exponent (one value for every layer it scales), "
                             f"got {str(v)[:30]!r}")
        e = as_exponent(v)
        if not isinstance(e, Fraction):
            raise ValueError(f"`{k}` must be a finite rational number, got {str(v)[:30]!r}")
        fixed.append((k, e))
    order = {k: i for i, k in enumerate(names)}
    return GolikovFrame(L, opt, tuple(sorted(fixed, key=lambda kv: order[kv[0]])))


__all__ = ["GOLIKOV_COORDS", "GolikovFrame", "golikov_frame"]

# the package exports `golikov_frame`, the name of this module too: calling the module calls it
make_callable(__name__, golikov_frame)
