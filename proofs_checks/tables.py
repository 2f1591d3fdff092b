"""Classification tables of the named parametrizations (used by ``widthlimits tables`` and the tour)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from widthlimits.theory.classify import classify
from widthlimits.theory.exponents import fmt
from widthlimits.theory.presets import NAMED_POINTS, preset


def classification_rows(
    depths: Sequence[int], optimizers: Sequence[str], activation: str = "tanh",
    names: Sequence[str] = NAMED_POINTS, rows: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One row per (preset, optimizer, depth): the classification in words and exponents.
    ``rows``: a list the rows are appended to as they are computed (what an interrupted run
    has established); returned."""
    rows = [] if rows is None else rows
    for name in names:
        for opt in optimizers:
            for L in depths:
                try:
                    p = preset(name, L, opt)
                except ValueError as exc:
                    rows.append({"preset": name, "optimizer": opt, "depth": L, "regime": "n/a",
                                 "r": None, "f0": None, "discrete_time": None,
                                 "first_nontrivial_step": None, "reason": str(exc),
                                 "headline": None})
                    continue
                c = classify(p, opt, activation)
                reason = str(c.violations[0]) if c.violations else "; ".join(c.notes[:1])
                rows.append({
                    "preset": name, "optimizer": opt, "depth": L, "regime": str(c.regime),
                    "r": fmt(c.r), "f0": fmt(c.engine.exponents[("f", None, 0)]),
                    "discrete_time": c.discrete_time,
                    "first_nontrivial_step": c.first_nontrivial_step, "reason": reason,
                    "headline": c.headline,
                })
    return rows
