"""Plain-text tables for the CLI (readable in a terminal, stable enough to paste in an issue)."""

from __future__ import annotations

from collections.abc import Sequence

from widthlimits.theory.parametrization import equal_runs


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def layer_runs(labels: Sequence[int], rows: Sequence[Sequence[str]]) -> list[tuple[str, list[str]]]:
    """Consecutive layers whose rows are equal, as one row labelled ``"first-last"`` (a deep
    net's hidden layers usually share one row: at depth 100, three rows instead of 101)."""
    return [(str(labels[i]) if i == j else f"{labels[i]}-{labels[j]}", list(rows[i]))
            for i, j in equal_runs([list(r) for r in rows])]


