"""The exact LP: maximise an affine function over a rational polyhedron, exactly.

Inputs and outputs are :class:`fractions.Fraction`; inside the LP the arithmetic runs on
``gmpy2.mpq`` (GMP rationals, about 10x faster than ``Fraction`` on these pivots) when gmpy2 is
installed, else on ``Fraction`` -- the same exact values either way
(:mod:`~widthlimits.theory.regions.linalg`).  The constraints are those of
:mod:`~widthlimits.theory.regions.polyhedra`: ``(form, rel)`` with ``form = (k_1, ..., k_d, k_0)``
and ``rel`` one of ``"<="``, ``"<"``, ``"=="``.

The LP is a dictionary simplex (Chvatal, *Linear Programming*, 1983, ch. 2-3) with Bland's rule
(no cycling), free variables pivoted into the basis first, and Chvatal's one-variable
auxiliary problem for Phase I.  The dictionary is sparse with a column index, so a pivot
touches only the rows that mention the entering variable; the pivot sequence (and so the
optimal vertex where the objective has ties) does not depend on that bookkeeping.  Its
answers are cross-checked against :func:`sympy.solvers.simplex.linprog` in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from widthlimits.theory.regions.linalg import Q0, Q1, Form, Q, as_fraction, solve_equalities


class Unbounded(Exception):
    """The LP objective is unbounded above."""


# ------------------------------------------------------------------------ the simplex
Var = tuple[str, int]


class _Dictionary:
    """A simplex dictionary (Chvatal ch. 2): each basic variable ``= k + sum cf_j x_j`` over the
    nonbasic ones, kept sparse, with a column index (nonbasic variable -> the rows that
    mention it) so that a pivot touches only the rows it changes.  Slack variables are
    ``("s", i)``, the LP's free variables ``("y", j)``, Phase I's auxiliary ``("x0", 0)``.  The
    free variables' rows are kept apart (``free``): they never leave the basis."""

    def __init__(self, obj: dict[Var, object]) -> None:
        self.rows: dict[Var, list] = {}  # basic -> [k, {nonbasic: coef}]
        self.cols: dict[Var, set[Var]] = {}  # nonbasic -> basic rows with a non-zero coef
        self.free: set[Var] = set()
        self.obj: list = [Q0, dict(obj)]

    def add_row(self, key: Var, k: object, cf: dict[Var, object]) -> None:
        self.rows[key] = [k, cf]
        for j in cf:
            self.cols.setdefault(j, set()).add(key)

    def pivot(self, leave: Var, enter: Var) -> None:
        """``enter`` becomes basic in place of ``leave`` (whose row mentions ``enter``)."""
        k0, coefs = self.rows.pop(leave)
        for j in coefs:
            self.cols[j].discard(leave)
        a = coefs[enter]
        # enter = (leave - k0 - sum_{j != enter} coefs_j x_j) / a
        new = {leave: Q1 / a}
        for j, v in coefs.items():
            if j != enter:
                new[j] = -v / a
        newk = -k0 / a
        cols = self.cols
        for key in cols.pop(enter, ()):
            row = self.rows[key]
            row[0] = self._subst(row, enter, new, newk, key)
        if enter in self.obj[1]:
            self.obj[0] = self._subst(self.obj, enter, new, newk, None)
        self.add_row(enter, newk, new)

    def _subst(self, row: list, enter: Var, new: dict, newk: object, key: Var | None) -> object:
        """Replace ``enter`` in ``row`` (in place) by its new row; returns the new constant."""
        k, cf = row
        t = cf.pop(enter)
        cols = self.cols
        for j, v in new.items():
            w = cf.get(j, Q0) + t * v
            if w == 0:
                if j in cf:
                    del cf[j]
                    if key is not None:
                        cols[j].discard(key)
            else:
                if key is not None and j not in cf:
                    cols.setdefault(j, set()).add(key)
                cf[j] = w
        return k + t * newk

    def bounded_rows(self) -> list[Var]:
        return [key for key in self.rows if key not in self.free]

    def drop_variable(self, x: Var) -> None:
        """Remove the nonbasic ``x`` (fixed at 0) from every row."""
        for key in self.cols.pop(x, ()):
            del self.rows[key][1][x]
        self.obj[1].pop(x, None)

    def express_objective(self, obj: tuple) -> None:
        """Set the objective ``k + sum v_j x_j`` rewritten in the current nonbasic variables."""
        k, cf = obj
        k2, cf2 = k, {}
        for j, v in cf.items():
            row = self.rows.get(j)
            if row is None:
                cf2[j] = cf2.get(j, Q0) + v
                continue
            rk, rcf = row
            k2 += v * rk
            for jj, vv in rcf.items():
                cf2[jj] = cf2.get(jj, Q0) + v * vv
        self.obj = [k2, {j: v for j, v in cf2.items() if v != 0}]

    def run(self) -> None:
        """The simplex with Bland's rule (no cycling): the entering variable is the smallest
        with a positive objective coefficient, the leaving one the smallest of the tightest
        ratio; raises :class:`Unbounded`."""
        while True:
            enter = min((j for j, v in self.obj[1].items() if v > 0), default=None)
            if enter is None:
                return
            best = None
            for key in self.cols.get(enter, ()):
                if key in self.free:
                    continue
                rk, rcf = self.rows[key]
                a = rcf[enter]
                if a < 0:
                    cand = (rk / -a, key)
                    if best is None or cand < best:
                        best = cand
            if best is None:
                raise Unbounded()
            self.pivot(best[1], enter)


def _lp_ineq(c: dict[int, object], A: list[dict[int, object]], b: list[object], n: int
             ) -> tuple[object, list] | None:
    """max c.y s.t. A y <= b, y free (``n`` variables; ``c`` and the rows of ``A`` sparse,
    index -> coefficient).  Returns (value, y) or None if infeasible; raises
    :class:`Unbounded`."""
    D = _Dictionary({("y", j): v for j, v in c.items()})
    for i, (row, bi) in enumerate(zip(A, b, strict=True)):
        D.add_row(("s", i), bi, {("y", j): -v for j, v in row.items()})
    # 1. pivot the free variables into the basis (they never leave): each from the first
    # slack row that mentions it
    for j in range(n):
        yj = ("y", j)
        leave = min((key for key in D.cols.get(yj, ()) if key[0] == "s"), default=None)
        if leave is None:
            if yj in D.obj[1]:  # y_j in no constraint but in the objective
                raise Unbounded()
            continue
        D.pivot(leave, yj)
        D.free.add(yj)
    # now the bounded rows: slack_basic = k + sum coef * slack_nonbasic, all nonbasic >= 0
    if any(D.rows[key][0] < 0 for key in D.bounded_rows()):
        # Phase I: auxiliary x0: maximize -x0 with x0 added to every bounded row
        x0 = ("x0", 0)
        bounded = D.bounded_rows()
        for key in bounded:
            D.rows[key][1][x0] = Q1
        D.cols[x0] = set(bounded)
        saved_obj = (D.obj[0], D.obj[1])
        D.obj = [Q0, {x0: -Q1}]
        leave = min(bounded, key=lambda kk: (D.rows[kk][0], kk))
        D.pivot(leave, x0)
        D.run()
        if D.obj[0] < 0:
            return None
        if x0 in D.rows:  # degenerate: x0 basic at 0; pivot it out
            cf = D.rows[x0][1]
            if cf:
                D.pivot(x0, min(cf))
            else:
                D.rows.pop(x0)
        D.drop_variable(x0)
        D.express_objective(saved_obj)
    elif any(key[0] == "y" for key in D.obj[1]):  # cannot happen after step 1; kept exact
        D.express_objective((D.obj[0], D.obj[1]))
    D.run()
    # read off the solution: nonbasic = 0
    y = [Q0] * n
    for j in range(n):
        row = D.rows.get(("y", j))
        if row is not None:
            y[j] = row[0]
    return D.obj[0], y


# ------------------------------------------------------------------------ public LP
def _solve_sparse(c: dict[int, object], A: list[dict[int, object]], b: list[object], k: int
                  ) -> tuple[str, list | None]:
    """max c.y s.t. A y <= b (sparse rows, ``k`` free variables): ``(status, y)``, y None
    unless optimal."""
    keepA, keepb = [], []
    for row, bi in zip(A, b, strict=True):
        if row:
            keepA.append(row)
            keepb.append(bi)
        elif bi < 0:  # 0 <= b < 0
            return "infeasible", None
    try:
        res = _lp_ineq(c, keepA, keepb, k)
    except Unbounded:
        # still need a feasibility verdict: solve with zero objective
        return ("infeasible" if _lp_ineq({}, keepA, keepb, k) is None else "unbounded"), None
    if res is None:
        return "infeasible", None
    return "optimal", res[1]


def lp_max_sparse(objective: dict[int, Fraction], rows: Sequence[tuple[dict[int, Fraction], Fraction]],
                  d: int) -> tuple[str, Fraction | None, list[Fraction] | None]:
    """:func:`lp_max` for large sparse problems without equalities: maximise
    ``sum objective[i] x_i`` subject to ``sum row[i] x_i <= bound`` for each ``(row, bound)``
    (``d`` variables, dicts index -> coefficient).  The same simplex, so the same vertex as
    :func:`lp_max` on the dense forms."""
    A = [{i: Q(v) for i, v in row.items() if v} for row, _ in rows]
    b = [Q(bound) for _, bound in rows]
    c = {i: Q(v) for i, v in objective.items() if v}
    status, y = _solve_sparse(c, A, b, d)
    if y is None:
        return status, None, None
    return "optimal", as_fraction(sum((v * y[i] for i, v in c.items()), Q0)), [as_fraction(v) for v in y]


def lp_max(objective: Form, constraints: Sequence[tuple[Form, str]], d: int
           ) -> tuple[str, Fraction | None, list[Fraction] | None]:
    """Maximise the affine ``objective`` over the closure of ``constraints`` (strict treated as
    non-strict).  Returns ``(status, value, point)`` with status ``"optimal"``,
    ``"infeasible"`` or ``"unbounded"``."""
    eqs = [tuple(Q(x) for x in f) for f, r in constraints if r == "=="]
    par = solve_equalities(eqs, d)
    if par is None:
        return "infeasible", None, None
    x0, N = par
    k = len(N)
    A: list[dict[int, object]] = []
    b: list[object] = []
    if not eqs:  # x = y: no change of variables
        for f, _r in constraints:
            A.append({i: Q(v) for i, v in enumerate(f[:-1]) if v})
            b.append(-Q(f[-1]))
        c = {i: Q(v) for i, v in enumerate(objective[:-1]) if v}
    else:
        # N transposed, sparse: coordinate i -> [(j, N[j][i])]
        Nt: list[list[tuple[int, object]]] = [[] for _ in range(d)]
        for j, col in enumerate(N):
            for i, v in enumerate(col):
                if v:
                    Nt[i].append((j, v))

        def through_n(f: Sequence) -> dict[int, object]:
            """f.N, sparse: the linear part of f in the coordinates y of x = x0 + N y."""
            out: dict[int, object] = {}
            for i, fi in enumerate(f[:d]):
                if fi:
                    fq = Q(fi)
                    for j, v in Nt[i]:
                        out[j] = out.get(j, Q0) + fq * v
            return {j: v for j, v in out.items() if v}

        for f, r in constraints:
            if r == "==":
                continue
            # f.(x0 + N y) + f0 <= 0  ->  (f.N) y <= -(f.x0 + f0)
            A.append(through_n(f))
            b.append(-sum((Q(f[i]) * x0[i] for i in range(d) if f[i]), Q(f[-1])))
        c = through_n(objective)
    status, y = _solve_sparse(c, A, b, k)
    if y is None:
        return status, None, None
    if not eqs:
        xq = list(y)
    else:
        xq = [x0[i] + sum((N[j][i] * y[j] for j in range(k)), Q0) for i in range(d)]
    objq = tuple(Q(x) for x in objective)
    value = sum((a * v for a, v in zip(objq, xq, strict=False)), objq[-1])  # the objective at xq
    return "optimal", as_fraction(value), [as_fraction(v) for v in xq]


__all__ = ["Unbounded", "lp_max", "lp_max_sparse"]
