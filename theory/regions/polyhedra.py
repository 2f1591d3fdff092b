"""Exact rational polyhedra: linear constraints, an exact LP, redundancy, vertices and rays.

Everything is exact rational arithmetic; no floating point is used anywhere.  Inputs and outputs
are :class:`fractions.Fraction`; inside the LP the arithmetic runs on ``gmpy2.mpq`` (GMP
rationals, about 10x faster than ``Fraction`` on these pivots) when gmpy2 is installed, else on
``Fraction`` -- the same exact values either way.

A *constraint* is ``(form, rel)`` where ``form = (k_1, ..., k_d, k_0)`` is the affine function
:math:`k \\cdot x + k_0` and ``rel`` is one of ``"<="``, ``"<"``, ``"=="`` (meaning
:math:`k\\cdot x + k_0 \\le 0`, :math:`< 0`, :math:`= 0`).  A *polyhedron* here is a finite
conjunction of constraints; with strict inequalities it is a relatively open face-like set.

The LP is a dictionary simplex (Chvatal, *Linear Programming*, 1983, ch. 2-3) with Bland's rule
(no cycling), free variables pivoted into the basis first, and Chvatal's one-variable
auxiliary problem for Phase I.  The dictionary is sparse with a column index, so a pivot
touches only the rows that mention the entering variable; the pivot sequence (and so the
optimal vertex where the objective has ties) does not depend on that bookkeeping.  Its
answers are cross-checked against :func:`sympy.solvers.simplex.linprog` in the tests.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from typing import Any

Form = tuple[Fraction, ...]
Constraint = tuple[Form, str]
#: a box, ``(lo, hi)`` per coordinate, None for an unbounded side
Box = list[tuple[Fraction | None, Fraction | None]]

ZERO = Fraction(0)
ONE = Fraction(1)
try:  # exact rationals in C (GMP); the results are identical, only faster
    from gmpy2 import mpq as Q
except ImportError:  # pragma: no cover - gmpy2 is a declared dependency
    Q = Fraction
Q0 = Q(0)
Q1 = Q(1)


def _fr(v: object) -> Fraction:
    """A ``Fraction`` with plain ``int`` parts (``Fraction(mpq)`` would keep GMP integers)."""
    return Fraction(int(v.numerator), int(v.denominator))  # type: ignore[attr-defined]
RELS = ("<=", "<", "==")


class Unbounded(Exception):
    """The LP objective is unbounded above."""


# ------------------------------------------------------------------------ constraint helpers
def normalize(form: Sequence[Fraction], rel: str) -> Constraint | bool:
    """Canonical form of a constraint (scaled so the first non-zero coefficient is +-1, and
    for equalities +1).  Returns ``True``/``False`` for a constraint without variables."""
    f = tuple(Fraction(x) for x in form)
    lin = f[:-1]
    piv = next((x for x in lin if x != 0), None)
    if piv is None:
        k = f[-1]
        return {"<=": k <= 0, "<": k < 0, "==": k == 0}[rel]
    s = abs(piv) if rel != "==" else piv
    return tuple(x / s for x in f), rel


def evaluate(form: Form, x: Sequence[Fraction]) -> Fraction:
    return sum((k * v for k, v in zip(form, x, strict=False)), form[-1])


def satisfies(x: Sequence[Fraction], constraints: Iterable[Constraint]) -> bool:
    """Does the point ``x`` satisfy every constraint?  Exact (evaluated on GMP rationals, about
    3x faster than on ``Fraction`` s; the same values)."""
    xq = [Q(v) for v in x]
    for form, rel in constraints:
        v = _value_q(form, xq)
        if (rel == "<=" and v > 0) or (rel == "<" and v >= 0) or (rel == "==" and v != 0):
            return False
    return True


def _value_q(form: Sequence, xq: Sequence) -> object:
    """The affine ``form`` at the point ``xq`` (GMP rationals), exactly; ``form``'s entries are
    ``Fraction`` s or GMP rationals."""
    v = Q(form[-1])
    for k, xv in zip(form, xq, strict=False):  # the form's constant is not paired
        if k:
            v += Q(k) * xv
    return v


def negate(c: Constraint) -> list[Constraint]:
    """The complement of one inequality as a list of alternatives (``==`` gives two)."""
    form, rel = c
    neg = tuple(-x for x in form)
    if rel == "<=":
        return [(neg, "<")]
    if rel == "<":
        return [(neg, "<=")]
    return [(form, "<"), (neg, "<")]


# ------------------------------------------------------------------------ linear algebra
def _rref(rows: list[list], d: int) -> tuple[list[list], list[int]]:
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


def _solve_equalities(eqs: list[Form], d: int) -> tuple[list[Fraction], list[list[Fraction]]] | None:
    """Parametrize {x : eqs} as x = x0 + N y.  Returns (x0, N columns) or None if empty."""
    rows, pivots = _rref([[Q(x) for x in e] for e in eqs], d)
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
    return "optimal", _fr(sum((v * y[i] for i, v in c.items()), Q0)), [_fr(v) for v in y]


def lp_max(objective: Form, constraints: Sequence[Constraint], d: int
           ) -> tuple[str, Fraction | None, list[Fraction] | None]:
    """Maximise the affine ``objective`` over the closure of ``constraints`` (strict treated as
    non-strict).  Returns ``(status, value, point)`` with status ``"optimal"``,
    ``"infeasible"`` or ``"unbounded"``."""
    eqs = [tuple(Q(x) for x in f) for f, r in constraints if r == "=="]
    par = _solve_equalities(eqs, d)
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
    return "optimal", _fr(evaluate(tuple(Q(x) for x in objective), xq)), [_fr(v) for v in xq]


def find_point(constraints: Sequence[Constraint], d: int) -> list[Fraction] | None:
    """A point satisfying every constraint (strict ones strictly), or None if there is none.

    Strict inequalities are handled with one extra variable s: maximise s subject to
    ``form + s <= 0`` for the strict ones (and s <= 1); the set is non-empty iff the optimum is
    positive.  The point returned then has slack in every strict inequality.
    """
    strict = [f for f, r in constraints if r == "<"]
    if not strict:
        st, _, x = lp_max((ZERO,) * (d + 1), constraints, d)
        return x if st != "infeasible" else None
    ext: list[Constraint] = []
    for f, r in constraints:
        g = f[:-1] + (ONE if r == "<" else ZERO,) + f[-1:]
        ext.append((g, "<=" if r == "<" else r))
    ext.append(((ZERO,) * d + (ONE, -ONE), "<="))  # s <= 1
    obj = (ZERO,) * d + (ONE, ZERO)
    st, val, x = lp_max(obj, ext, d + 1)
    if st != "optimal" or val is None or val <= 0:
        return None
    pt = x[:d]  # type: ignore[index]
    return pt if satisfies(pt, constraints) else None


class Cuts:
    """The working constraints of :func:`nonempty_with` (``cons``), with the exact GMP forms of
    the constraints it has evaluated (keyed by identity; the cache keeps each constraint alive,
    so an identity is never reused for another one while the cache lives)."""

    def __init__(self) -> None:
        self.cons: list[Constraint] = []
        self._q: dict[int, tuple[Constraint, tuple]] = {}

    def qform(self, c: Constraint) -> tuple:
        hit = self._q.get(id(c))
        if hit is None:
            hit = self._q[id(c)] = (c, tuple(Q(x) for x in c[0]))
        return hit[1]


def nonempty_with(base: Sequence[Constraint], extra: Constraint, d: int,
                  cuts: Cuts) -> tuple[bool, int]:
    """Do ``base`` and ``extra`` have a common point?  Exact, by constraint generation.

    The LPs run on ``cuts.cons + [extra]`` only, where ``cuts.cons`` holds constraints each
    containing ``base`` (a subset of it, or looser forms of its constraints; it is grown in
    place and may be shared by calls whose ``base`` only tightens).  No point there: none in
    ``base`` either, since ``base`` lies inside every member of ``cuts.cons``.  A point there that
    satisfies ``base``: a common point.  Otherwise the constraint of ``base`` it violates most
    joins ``cuts.cons`` and the loop repeats; each round adds a constraint not yet there, so it
    ends.  This is the cutting-plane form of Clarkson's redundancy removal (K. L. Clarkson,
    "More output-sensitive geometric algorithms", FOCS 1994): when ``extra`` is implied away by
    a few of many constraints, the LPs have a few rows instead of all.

    Returns ``(nonempty, lps)``: the answer and the number of LPs solved.  The same answer as
    ``find_point(list(base) + [extra], d) is not None`` (:func:`point_with` also gives the
    common point it found)."""
    p, lps = point_with(base, extra, d, cuts)
    return p is not None, lps


def point_with(base: Sequence[Constraint], extra: Constraint, d: int,
               cuts: Cuts) -> tuple[list[Fraction] | None, int]:
    """:func:`nonempty_with` with the common point of ``base`` and ``extra`` it found (None if
    there is none) and the number of LPs solved."""
    lps = 0
    while True:
        lps += 1
        p = find_point(cuts.cons + [extra], d)
        if p is None:
            return None, lps
        pq = [Q(x) for x in p]
        worst, worst_v = None, Q0
        for c in base:
            v = _value_q(cuts.qform(c), pq)
            rel = c[1]
            if rel == "==":
                v = abs(v)
                bad = v != 0
            else:
                bad = v > 0 or (v == 0 and rel == "<")
            if bad and (worst is None or v > worst_v):
                worst, worst_v = c, v
        if worst is None:
            return p, lps
        cuts.cons.append(worst)


def implied(c: Constraint, constraints: Sequence[Constraint], d: int) -> bool:
    """True iff every point of ``constraints`` satisfies ``c``."""
    for alt in negate(c):
        if find_point(list(constraints) + [alt], d) is not None:
            return False
    return True


def simplify(constraints: Sequence[Constraint], d: int) -> list[Constraint]:
    """Drop duplicates and redundant inequalities; turn implicit equalities into ``==``.

    Assumes the set is non-empty.
    """
    cs: list[Constraint] = []
    seen = set()
    for c in constraints:
        n = normalize(*c)
        if n is True:
            continue
        if n is False:
            return [((ZERO,) * d + (ONE,), "<=")]
        if n not in seen:
            seen.add(n)
            cs.append(n)  # type: ignore[arg-type]
    # implicit equalities: a non-strict inequality that cannot be strict.  Each test is an
    # emptiness test by constraint generation (nonempty_with: the LPs on a few rows; a piece of
    # a deep net's cover has hundreds), all on the same set, so the working rows are shared.
    # A point of the set where an inequality is negative shows it is none: each point found
    # by a test answers the tests of every inequality negative there (most of a cover piece's
    # are, so most tests are not run; the same answers)
    cuts = Cuts()
    loose: set[int] = set()  # inequalities seen negative at a point of the set

    def mark(p: Sequence[Fraction]) -> None:
        pq = [Q(x) for x in p]
        for j, c in enumerate(cs):
            if c[1] == "<=" and j not in loose and _value_q(cuts.qform(c), pq) < 0:
                loose.add(j)

    for i, (f, r) in enumerate(cs):
        if r != "<=" or i in loose:
            continue
        p, _ = point_with(cs, (f, "<"), d, cuts)
        if p is None:
            n = normalize(f, "==")
            cs[i] = n  # type: ignore[assignment,call-overload]
        else:
            mark(p)
    # dedupe again, write the equalities in reduced row echelon form and the inequalities in the
    # remaining (non-pivot) variables, then drop redundant ones
    uniq: list[Constraint] = []
    for c in _echelon(cs, d):
        if c not in uniq:
            uniq.append(c)
    out = list(uniq)
    # redundancy, by the same emptiness tests: the working rows of the test of out[i] must
    # contain out without out[i], so they are rows of out other than out[i] (a dropped row is
    # implied by the rest, so the set of out never changes, but it may be needed to imply others)
    rows: list[Constraint] = []
    q = Cuts()
    i = 0
    while i < len(out):
        c = out[i]
        others = out[:i] + out[i + 1:]
        implied_here = True
        for alt in negate(c):
            cuts = Cuts()
            cuts._q = q._q
            cuts.cons = [r for r in rows if r is not c]
            nonempty, _ = nonempty_with(others, alt, d, cuts)
            rows += [r for r in cuts.cons if not any(r is x for x in rows)]
            if nonempty:
                implied_here = False
                break
        if implied_here:
            out = others
            rows = [r for r in rows if r is not c]
        else:
            i += 1
    return out


def _echelon(cs: Sequence[Constraint], d: int) -> list[Constraint]:
    """Equalities in reduced row echelon form (each solved for its own pivot variable:
    ``x_p + sum_{free j} k_j x_j + k_0 = 0``), inequalities with the pivot variables eliminated
    (equivalent on the affine subspace of the equalities).  ``c1 - c5 = 0, c1 + c5 = 1`` becomes
    ``c1 = 1/2, c5 = 1/2``."""
    rows, pivots = _rref([list(f) for f, rel in cs if rel == "=="], d)
    r = len(pivots)
    out: list[Constraint] = []
    for row in rows[:r]:
        n = normalize(tuple(row), "==")
        if n is not True:
            out.append(n)  # type: ignore[arg-type]
    for f, rel in cs:
        if rel == "==":
            continue
        g = list(f)
        for row, col in zip(rows[:r], pivots, strict=True):
            if g[col] != 0:
                k = g[col]
                g = [a - k * b for a, b in zip(g, row, strict=True)]
        n = normalize(tuple(g), rel)
        if n is True:
            continue
        out.append(n if n is not False else (f, rel))  # type: ignore[arg-type]
    return out


def segment_interval(piece: Sequence[Constraint], a: Sequence[Fraction], b: Sequence[Fraction]
                     ) -> tuple[Fraction, bool, Fraction, bool] | None:
    """The parameters ``t`` in ``[0, 1]`` with :math:`a + t (b - a)` in ``piece``: an interval
    ``(lo, lo_closed, hi, hi_closed)`` (each constraint is affine in ``t``, so the set is
    convex), or None if empty.  Exact, no LP."""
    lo, lo_c, hi, hi_c = ZERO, True, ONE, True
    aq = [Q(v) for v in a]
    dq = [Q(y) - x for x, y in zip(aq, b, strict=True)]
    for form, rel in piece:
        alpha = _value_q(form, aq)  # the form at t = 0
        beta = sum((k * v for k, v in zip(form, dq, strict=False)), Q0)  # its slope in t
        if beta == 0:
            if (rel == "<=" and alpha > 0) or (rel == "<" and alpha >= 0) or (
                    rel == "==" and alpha != 0):
                return None
            continue
        r = -alpha / beta  # alpha + beta t = 0
        root = Fraction(int(r.numerator), int(r.denominator))
        if rel == "==":
            if root < lo or root > hi or (root == lo and not lo_c) or (root == hi and not hi_c):
                return None
            lo, lo_c, hi, hi_c = root, True, root, True
            continue
        closed = rel == "<="
        if beta > 0:  # t <= root (t < root if strict)
            if root < hi or (root == hi and not closed):
                hi, hi_c = root, closed
        elif root > lo or (root == lo and not closed):  # t >= root
            lo, lo_c = root, closed
    if lo > hi or (lo == hi and not (lo_c and hi_c)):
        return None
    return lo, lo_c, hi, hi_c


def segment_leaves_union(p: Sequence[Constraint], q: Sequence[Constraint],
                         a: Sequence[Fraction], b: Sequence[Fraction]) -> bool:
    """Does the segment from ``a`` (a point of ``p``) to ``b`` (a point of ``q``) leave
    :math:`P \\cup Q`?  Then the union is not convex (a convex set holds the segment between
    any two of its points): an exact certificate of non-convexity, with no LP."""
    ip, iq = segment_interval(p, a, b), segment_interval(q, a, b)
    if ip is None or iq is None or ip[0] != 0 or iq[2] != 1:
        return False  # not points of the pieces: no conclusion
    # [0, 1] is covered iff P's interval reaches Q's (touching at a point one of them holds)
    return ip[2] < iq[0] or (ip[2] == iq[0] and not (ip[3] or iq[1]))


def convex_union(p: Sequence[Constraint], q: Sequence[Constraint], d: int,
                 points: tuple[Sequence[Fraction] | None, Sequence[Fraction] | None] | None = None
                 ) -> list[Constraint] | None:
    """The union of two non-empty convex pieces when it is convex (as a constraint list), else
    None -- exactly.

    Envelope test (Bemporad, Fukuda & Torrisi 2001, "Convexity recognition of the union of
    polyhedra"): the envelope ``E`` keeps the half-spaces among the pieces' constraints (and
    their closures and equality halves) that contain both pieces, so ``P u Q`` is in ``E``; if
    every part ``E n not c`` (``c`` a constraint of ``P``) lies in ``Q``, then ``E = P u Q`` is
    convex.  A merge is made only when this is verified, so merging is sound whatever the
    pieces' shapes; pieces of different dimension (an open face and its boundary) merge when
    the result is convex.
    """
    pt_p, pt_q = points if points is not None else (find_point(list(p), d), find_point(list(q), d))
    if pt_p is not None and pt_q is not None and segment_leaves_union(p, q, pt_p, pt_q):
        return None  # the segment between two of the union's points leaves it: not convex
    if find_point([(f, "==" if r == "==" else "<=") for f, r in list(p) + list(q)], d) is None:
        return None  # closures apart: the union of two separated pieces is not convex
    # candidate half-spaces: each constraint, the closure of a strict one, the two halves of an
    # equality (the pieces are relatively open: an open square and its edge share no constraint,
    # but the edge's half-space x >= 0 contains both)
    cands: list[Constraint] = []
    for f, r in list(p) + list(q):
        alts = [(f, r)]
        if r == "<":
            alts.append((f, "<="))
        elif r == "==":
            alts += [(f, "<="), (tuple(-x for x in f), "<=")]
        for c in alts:
            if c not in cands:
                cands.append(c)
    # "c contains the piece", decided without an LP where possible (the same answers): true
    # for the piece's own constraints, their closures and equality halves; false when a point of
    # the piece violates c
    own_p, own_q = _own_halfspaces(p), _own_halfspaces(q)

    def contains(c: Constraint, piece: Sequence[Constraint], own: set, pt: list | None) -> bool:
        if c in own:
            return True
        if pt is not None and not satisfies(pt, [c]):
            return False
        return implied(c, piece, d)

    env = [c for c in cands if contains(c, p, own_p, pt_p) and contains(c, q, own_q, pt_q)]
    for c in p:  # E \ P must lie in Q (then E = P u Q)
        if c in env:
            continue
        for alt in negate(c):
            part = env + [alt]
            pt = find_point(part, d)
            if pt is None:
                continue
            if not satisfies(pt, q):  # a point of the part outside Q
                return None
            if not all(implied(k, part, d) for k in q):
                return None
    return env


def _own_halfspaces(piece: Sequence[Constraint]) -> set[Constraint]:
    """Constraints that contain ``piece`` by its own form: each of its constraints, the closure
    of a strict one, both halves of an equality."""
    out: set[Constraint] = set()
    for f, r in piece:
        out.add((f, r))
        if r == "<":
            out.add((f, "<="))
        elif r == "==":
            out.update({(f, "<="), (tuple(-x for x in f), "<=")})
    return out


def merge_convex(pieces: Sequence[Sequence[Constraint]], d: int,
                 deadline: float | None = None) -> list[list[Constraint]]:
    """Greedily merge pieces whose union is convex (:func:`convex_union`) until no pair merges.
    The pieces must be disjoint and share one label; the union of the result is the same set.
    At ``deadline`` (a ``time.perf_counter()`` value) it stops with the merges made so far
    (each verified, so the union is the same set, in more pieces): :func:`merge_convex_until`
    also says whether it finished."""
    return merge_convex_until(pieces, d, deadline)[0]


def merge_convex_until(pieces: Sequence[Sequence[Constraint]], d: int,
                       deadline: float | None = None,
                       progress: Callable[[int, int], None] | None = None
                       ) -> tuple[list[list[Constraint]], bool]:
    """:func:`merge_convex` and whether it finished (False: ``deadline`` stopped it).

    The merges, and the result, are those of the plain scan: find the first pair ``(i, j)``
    (in the order of the list) whose union is convex, put the union at ``i``, delete ``j``,
    start again from the first pair.  Nothing is tested twice: :func:`convex_union` is a
    function of the two pieces, so a pair found not to merge stays so while both are unchanged.
    After a merge at row ``i``, the rows before it only meet the new piece, and a row whose
    pairs were all tested is not scanned again (pieces are known by an integer, not by hashing
    their constraints: that hashing once took half of the time).  ``progress(pieces_left,
    pairs_tested)`` after each pair tested (the scan is quadratic in the pieces).  Each piece's
    closure has a bounding box (2d LPs; a union's is the two boxes' hull): pieces whose boxes
    are disjoint have disjoint closures, so their union is not convex, which
    :func:`convex_union` would also find, only slower (the answers are the same)."""
    out = [list(x) for x in pieces]
    ids = list(range(len(out)))  # an integer per piece; a merged piece gets a new one
    next_id = len(out)
    apart: set[tuple[int, int]] = set()
    clean: set[int] = set()  # pieces whose pairs with every later piece are known apart
    def per_piece(store: dict[int, Any], compute: Callable[[Any, int], Any]) -> Callable[[int], Any]:
        """``compute(piece, d)`` of the piece at position k, once per piece (by its integer)."""
        def get(k: int) -> Any:
            if ids[k] not in store:
                store[ids[k]] = compute(out[k], d)
            return store[ids[k]]
        return get

    boxes: dict[int, Box | None] = {}
    point = per_piece({}, find_point)  # a point per piece (one LP)
    box = per_piece(boxes, bounding_box)  # its closure's bounding box (2d LPs)

    tested = 0

    def test(i: int, j: int) -> bool:
        """Merge pieces i < j if their union is convex."""
        nonlocal tested, next_id
        key = (ids[i], ids[j])
        if key in apart:
            return False
        bi, bj = box(i), box(j)
        u = None if _boxes_apart(bi, bj) else convex_union(out[i], out[j], d, (point(i), point(j)))
        tested += 1
        if progress is not None:
            progress(len(out) - (u is not None), tested)
        if u is None:
            apart.add(key)
            return False
        out[i] = simplify(u, d)
        ids[i] = next_id
        boxes[next_id] = _box_hull(bi, bj)
        next_id += 1
        del out[j], ids[j]
        return True

    def pairs(new: int) -> Iterator[tuple[int, int]]:
        """The pairs the plain scan would test, in its order, less those known apart: the
        rows before ``new`` (the last merge's row) only with its piece, then every unfinished
        row from ``new`` on (a row is finished once all its pairs were tested)."""
        for i in range(new):
            yield i, new
        for i in range(new, len(out)):
            if ids[i] in clean:
                continue
            for j in range(i + 1, len(out)):
                yield i, j
            clean.add(ids[i])  # reached only when no pair of the row merged

    new = 0
    while True:
        for i, j in pairs(new):
            if deadline is not None and time.perf_counter() > deadline:
                return out, False
            if test(i, j):
                new = i
                break
        else:
            return out, True


def bounding_box(cs: Sequence[Constraint], d: int) -> Box | None:
    """The bounding box of the closure of ``cs``, ``(lo, hi)`` per coordinate (None for an
    unbounded side), by 2d exact LPs; None if the set is empty."""
    out: Box = []
    for i in range(d):
        ends: list[Fraction | None] = []
        for sign in (-1, 1):
            obj = tuple(Fraction(sign) if j == i else ZERO for j in range(d)) + (ZERO,)
            st, val, _ = lp_max(obj, cs, d)
            if st == "infeasible":
                return None
            ends.append(None if val is None else sign * val)
        out.append((ends[0], ends[1]))
    return out


def _boxes_apart(p: Box | None, q: Box | None) -> bool:
    """Are two closed boxes (None sides unbounded; a None box: unknown) disjoint?"""
    if p is None or q is None:
        return False
    return any((ph is not None and ql is not None and ph < ql) or
               (qh is not None and pl is not None and qh < pl)
               for (pl, ph), (ql, qh) in zip(p, q, strict=True))


def _box_hull(p: Box | None, q: Box | None) -> Box | None:
    """The smallest box holding both (None sides unbounded; a None box: unknown)."""
    if p is None or q is None:
        return None
    return [(None if pl is None or ql is None else min(pl, ql),
             None if ph is None or qh is None else max(ph, qh))
            for (pl, ph), (ql, qh) in zip(p, q, strict=True)]


def _nullspace_point(rows: list[Form], d: int) -> list[Fraction] | None:
    par = _solve_equalities(rows, d)
    if par is None:
        return None
    x0, N = par
    if N:
        return None  # not a single point
    return x0


def vertices_and_rays(constraints: Sequence[Constraint], d: int, limit: int = 20000
                      ) -> tuple[list[list[Fraction]], list[list[Fraction]], list[list[Fraction]]] | None:
    """Vertices, extreme rays and a basis of the lineality space of the *closure*.

    Brute force over subsets of the inequalities (fine for the small, simplified systems
    produced here).  Returns None when more than ``limit`` subsets would be needed.
    """
    eqs = [f for f, r in constraints if r == "=="]
    ineqs = [f for f, r in constraints if r != "=="]
    closed = [(f, "==" if r == "==" else "<=") for f, r in constraints]
    par = _solve_equalities(eqs, d)
    if par is None:
        return [], [], []
    x0, N = par
    k = len(N)
    # lineality space: directions v in span(N) with ineq.v = 0 for all ineqs
    hom = [tuple(f[:-1]) + (ZERO,) for f in ineqs] + [tuple(f[:-1]) + (ZERO,) for f in eqs]
    lin_par = _solve_equalities(hom, d)
    lineality = lin_par[1] if lin_par else []
    ld = len(lineality)
    # work modulo lineality: add constraints lineality . x = lineality . x0 (orthogonal slice)
    slice_rows: list[Form] = [tuple(v) + (-sum((a * b for a, b in zip(v, x0, strict=True)), ZERO),)
                              for v in lineality]
    need = k - ld  # tight inequalities per vertex
    from math import comb

    if comb(len(ineqs), max(need, 0)) > limit or comb(len(ineqs), max(need - 1, 0)) > limit:
        return None
    verts: list[list[Fraction]] = []
    for sub in itertools.combinations(range(len(ineqs)), need):
        p = _nullspace_point(eqs + slice_rows + [ineqs[i] for i in sub], d)
        if p is not None and satisfies(p, closed) and p not in verts:
            verts.append(p)
    rays: list[list[Fraction]] = []
    hom_eq = [tuple(f[:-1]) + (ZERO,) for f in eqs] + [tuple(v) + (ZERO,) for v in lineality]
    cone = [(tuple(f[:-1]) + (ZERO,), "<=") for f in ineqs]
    if need >= 1:
        for sub in itertools.combinations(range(len(ineqs)), need - 1):
            par2 = _solve_equalities(hom_eq + [tuple(ineqs[i][:-1]) + (ZERO,) for i in sub], d)
            if par2 is None or len(par2[1]) != 1:
                continue
            v = par2[1][0]
            for s in (v, [-x for x in v]):
                if any(s) and satisfies(s, cone):
                    g = max(abs(x) for x in s)
                    s = [x / g for x in s]
                    if s not in rays:
                        rays.append(s)
    def fr(vs: list) -> list[list[Fraction]]:
        return [[_fr(x) for x in v] for v in vs]

    return fr(verts), fr(rays), fr(lineality)


def box_constraints(d: int, lo: Fraction, hi: Fraction) -> list[Constraint]:
    """The box :math:`[lo, hi]^d` as ``2 d`` constraints."""
    out: list[Constraint] = []
    for i in range(d):
        e = [ZERO] * (d + 1)
        e[i] = ONE
        out.append((tuple(e[:-1]) + (-hi,), "<="))  # z_i - hi <= 0
        out.append((tuple(-x for x in e[:-1]) + (lo,), "<="))  # lo - z_i <= 0
    return out


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


class TightSet:
    """Constraints with, among inequalities of the same (normalized) linear part, only the
    tightest kept; incremental (``add``) with a one-off extension (``with_``)."""

    def __init__(self, cons: Sequence[Constraint] = ()) -> None:
        self.best: dict[tuple[Fraction, ...], Constraint] = {}
        self.eqs: list[Constraint] = []
        for c in cons:
            self.add(c)

    def _beats(self, c: Constraint) -> bool:
        """``c`` is tighter than the kept inequality with its linear part (or there is none)."""
        f, r = c
        old = self.best.get(f[:-1])
        return old is None or f[-1] > old[0][-1] or (f[-1] == old[0][-1] and r == "<")

    def add(self, c: Constraint) -> None:
        if c[1] == "==":
            if c not in self.eqs:
                self.eqs.append(c)
        elif self._beats(c):
            self.best[c[0][:-1]] = c

    def constraints(self) -> list[Constraint]:
        return self.eqs + list(self.best.values())

    def with_(self, c: Constraint) -> list[Constraint]:
        """The tightest list of the constraints added so far and ``c`` (not added)."""
        if c[1] == "==":
            return self.eqs + ([] if c in self.eqs else [c]) + list(self.best.values())
        if self._beats(c):
            b = dict(self.best)
            b[c[0][:-1]] = c
            return self.eqs + list(b.values())
        return self.constraints()


def tightest(cons: Sequence[Constraint]) -> list[Constraint]:
    """Among inequalities with the same (normalized) linear part keep the tightest one."""
    return TightSet(cons).constraints()
