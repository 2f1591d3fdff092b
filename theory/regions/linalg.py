"""Exact rational linear algebra: the GMP rational type, Gauss-Jordan elimination, the solutions
of linear equalities, and rank.

No floating point is used.  Inside the computations the arithmetic runs on ``gmpy2.mpq`` (GMP
rationals in C) when gmpy2 is installed, else on :class:`fractions.Fraction` -- the same exact
values either way; :func:`as_fraction` turns a result back into a plain ``Fraction``.

An *affine form* (:data:`Form`) is ``(k_1, ..., k_d, k_0)``, the function
:math:`k \\cdot x + k_0`; a system of them is read as the equalities :math:`k \\cdot x + k_0 = 0`.
Elimination is Gauss-Jordan on exact rationals, so it is exact, with no pivoting for size
(Schrijver, *Theory of Linear and Integer Programming*, 1986, ch. 3); its solution set is
parametrized as :math:`x = x_0 + N y` (:func:`solve_equalities`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

#: an affine form ``(k_1, ..., k_d, k_0)``: the function :math:`k \cdot x + k_0`
Form = tuple[Fraction, ...]

try:  # exact rationals in C (GMP); the results are identical, only faster
    from gmpy2 import mpq as Q
except ImportError:  # pragma: no cover - gmpy2 is a declared dependency
    Q = Fraction
Q0 = Q(0)
Q1 = Q(1)


def as_fraction(v: object) -> Fraction:
    """A ``Fraction`` with plain ``int`` parts (``Fraction(mpq)`` would keep GMP integers)."""
    return Fraction(int(v.numerator), int(v.denominator))  # type: ignore[attr-defined]


def rref(rows: list[list], d: int) -> tuple[list[list], list[int]]:
    """Reduced row echelon form (Gauss-Jordan, pivots left to right, pivot entries 1) of the
    affine rows ``(k_1..k_d, k_0)``, in place; returns the rows (the first ``len(pivots)`` are the
    pivot rows) and the pivot columns."""
    pivots: list[int] = []
    r = 0
    for col in range(d):
        p = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        pv = rows[r][col]
        rows[r] = [v / pv for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                k = rows[i][col]
                rows[i] = [a - k * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(col)
        r += 1
    return rows, pivots


def solve_equalities(eqs: list[Form], d: int) -> tuple[list[Fraction], list[list[Fraction]]] | None:
    """Parametrize {x : eqs} as x = x0 + N y.  Returns (x0, N columns) or None if empty."""
    rows, pivots = rref([[Q(x) for x in e] for e in eqs], d)
    r = len(pivots)
    for i in range(r, len(rows)):
        if rows[i][-1] != 0:  # 0 = const != 0
            return None
    free = [c for c in range(d) if c not in pivots]
    x0 = [Q0] * d
    for i, col in enumerate(pivots):
        x0[col] = -rows[i][-1]  # row: x_col + sum k x_free + k0 = 0
    cols: list[list[Fraction]] = []
    for fcol in free:
        v = [Q0] * d
        v[fcol] = Q1
        for i, col in enumerate(pivots):
            v[col] = -rows[i][fcol]
        cols.append(v)
    return x0, cols


def nullspace_point(rows: list[Form], d: int) -> list[Fraction] | None:
    """The one point of {x : rows} (:func:`solve_equalities`), or None if the set is empty or
    is not a single point."""
    par = solve_equalities(rows, d)
    if par is None:
        return None
    x0, N = par
    if N:
        return None  # not a single point
    return x0


def rank(rows: Sequence[Sequence[Fraction]]) -> int:
    """Rank of a rational matrix (exact Gaussian elimination); e.g. the number of independent
    equalities of a polyhedron, whose dimension is ``d - rank``."""
    m = [list(r) for r in rows]
    k, col = 0, 0
    ncol = len(m[0]) if m else 0
    while k < len(m) and col < ncol:
        piv = next((i for i in range(k, len(m)) if m[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        m[k], m[piv] = m[piv], m[k]
        for i in range(len(m)):
            if i != k and m[i][col] != 0:
                fct = m[i][col] / m[k][col]
                m[i] = [x - fct * y for x, y in zip(m[i], m[k], strict=True)]
        k += 1
        col += 1
    return k


__all__ = ["Form", "Q", "Q0", "Q1", "as_fraction", "nullspace_point", "rank", "rref", "solve_equalities"]
