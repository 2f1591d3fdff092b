"""What a piece still moving at the horizon does at later steps, certified on the whole piece.

A stable verdict over steps ``0..T`` whose exponents still move at step T
(:attr:`~widthlimits.theory.classify.Classification.all_steps` False) says nothing about later
steps, where Tensor Programs' stability (every fixed number of steps) may fail.  ``classify``
continues one point's run to ``LOOK_AHEAD * T`` steps for a note; :func:`continue_piece` does the
same for a whole piece, exactly: it asks the region engine whether some point of the piece is
stable over steps ``0..K`` (the existence search of :mod:`~widthlimits.theory.regions.cover`
with the horizon ``K``, stopping at the first such point).  If the search covers the piece
without one, every point of the piece blows up by step K: the piece is unstable, certified cell
by cell as any unstable verdict.  Otherwise a point is given, with whether its run is stationary
by step K (stable at every step there) or still moving (the staircase of later blow-ups goes on
below the piece's scale, docs/queries.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation
from widthlimits.theory.regions.cover import cover_within
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.polyhedra import Constraint

#: seconds one piece's continuation may take in a query, and all of them together (a cover at
#: four times the horizon: 0.01-0.5 s per piece at depth 1-3, about a minute at depth 8-20);
#: past them the fate is "not decided" (``Later.blows_up`` None)
CONTINUE_SECONDS = 10.0
CONTINUE_TOTAL_SECONDS = 60.0


@dataclass(frozen=True)
class Later:
    """The fate of a moving piece up to step ``steps``.

    ``blows_up``: True -- every point of the piece is unstable by step ``steps`` (an exact
    cover of the piece at that horizon found no stable point); False -- ``point`` is stable over
    steps ``0..steps``, and ``stationary`` says whether its exponents repeat from some step on
    (then it is stable at every step) or still move at ``steps``; None -- not decided within the
    time given."""

    steps: int
    blows_up: bool | None
    point: tuple[Fraction, ...] | None = None
    stationary: bool | None = None
    cells: int = 0

    def to_json(self, names: Sequence[str]) -> dict[str, Any]:
        return {"steps": self.steps, "blows_up": self.blows_up,
                "point": None if self.point is None else
                {n: str(x) for n, x in zip(names, self.point, strict=True)},
                "stationary": self.stationary, "cells": self.cells}

    def text(self) -> str:
        """A phrase for the piece's line: ``continued to step 40: ...``."""
        head = f"continued to step {self.steps}: "
        if self.blows_up is None:
            return head + "not decided in the time left"
        if self.blows_up:
            return head + "every point blows up"
        pt = "(" + ", ".join(str(x) for x in self.point or ()) + ")"
        if self.stationary:
            return head + f"some points are stable at every step, e.g. {pt}"
        return head + f"some points are still stable and moving, e.g. {pt}"


def continue_piece(frame: CellFrame, activation: str | Activation, loss: str,
                   box: tuple[Fraction, Fraction], constraints: Sequence[Constraint], steps: int,
                   time_limit: float | None = None) -> Later:
    """:class:`Later` of the piece ``constraints`` (inside ``box``) up to step ``steps``: the
    first-witness search for a point stable over ``0..steps`` (module docstring)."""
    cv = cover_within(frame, activation, loss, box, constraints, steps=steps, want=("stable",),
                      first_witness=True, time_limit=time_limit)
    hit = next((pc for pc in cv.pieces if not pc.partial and pc.verdict.stable), None)
    if hit is not None:
        return Later(steps, False, tuple(hit.point), hit.verdict.all_steps, cv.cells)
    return Later(steps, True if cv.complete else None, cells=cv.cells)


__all__ = ["CONTINUE_SECONDS", "CONTINUE_TOTAL_SECONDS", "Later", "continue_piece"]
