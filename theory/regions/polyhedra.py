"""Exact rational polyhedra: linear constraints, points, emptiness, redundancy, vertices and rays.

Everything is exact rational arithmetic; no floating point is used anywhere.  Inputs and outputs
are :class:`fractions.Fraction`; inside, the arithmetic runs on GMP rationals where it pays
(:mod:`~widthlimits.theory.regions.linalg`) -- the same exact values.

A *constraint* is ``(form, rel)`` where ``form = (k_1, ..., k_d, k_0)`` is the affine function
:math:`k \\cdot x + k_0` and ``rel`` is one of ``"<="``, ``"<"``, ``"=="`` (meaning
:math:`k\\cdot x + k_0 \\le 0`, :math:`< 0`, :math:`= 0`).  A *polyhedron* here is a finite
conjunction of constraints; with strict inequalities it is a relatively open face-like set.

Every question here is answered by the one exact LP, :func:`~widthlimits.theory.regions.lp.lp_max`
(:mod:`~widthlimits.theory.regions.lp`); the linear algebra (echelon form, the solutions of
equalities, rank) is in :mod:`~widthlimits.theory.regions.linalg`, and merging convex pieces
into fewer in :mod:`~widthlimits.theory.regions.merge`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from fractions import Fraction

from widthlimits.theory.regions.linalg import (
    Q0,
    Form,
    Q,
    as_fraction,
    nullspace_point,
    rref,
    solve_equalities,
)
from widthlimits.theory.regions.lp import lp_max

Constraint = tuple[Form, str]
#: a box, ``(lo, hi)`` per coordinate, None for an unbounded side
Box = list[tuple[Fraction | None, Fraction | None]]

ZERO = Fraction(0)
ONE = Fraction(1)
RELS = ("<=", "<", "==")


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
        v = evaluate_q(form, xq)
        if (rel == "<=" and v > 0) or (rel == "<" and v >= 0) or (rel == "==" and v != 0):
            return False
    return True


def evaluate_q(form: Sequence, xq: Sequence) -> object:
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
            v = evaluate_q(cuts.qform(c), pq)
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
            if c[1] == "<=" and j not in loose and evaluate_q(cuts.qform(c), pq) < 0:
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
    rows, pivots = rref([list(f) for f, rel in cs if rel == "=="], d)
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


def vertices_and_rays(constraints: Sequence[Constraint], d: int, limit: int = 20000
                      ) -> tuple[list[list[Fraction]], list[list[Fraction]], list[list[Fraction]]] | None:
    """Vertices, extreme rays and a basis of the lineality space of the *closure*.

    Brute force over subsets of the inequalities (fine for the small, simplified systems
    produced here).  Returns None when more than ``limit`` subsets would be needed.
    """
    eqs = [f for f, r in constraints if r == "=="]
    ineqs = [f for f, r in constraints if r != "=="]
    closed = [(f, "==" if r == "==" else "<=") for f, r in constraints]
    par = solve_equalities(eqs, d)
    if par is None:
        return [], [], []
    x0, N = par
    k = len(N)
    # lineality space: directions v in span(N) with ineq.v = 0 for all ineqs
    hom = [tuple(f[:-1]) + (ZERO,) for f in ineqs] + [tuple(f[:-1]) + (ZERO,) for f in eqs]
    lin_par = solve_equalities(hom, d)
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
        p = nullspace_point(eqs + slice_rows + [ineqs[i] for i in sub], d)
        if p is not None and satisfies(p, closed) and p not in verts:
            verts.append(p)
    rays: list[list[Fraction]] = []
    hom_eq = [tuple(f[:-1]) + (ZERO,) for f in eqs] + [tuple(v) + (ZERO,) for v in lineality]
    cone = [(tuple(f[:-1]) + (ZERO,), "<=") for f in ineqs]
    if need >= 1:
        for sub in itertools.combinations(range(len(ineqs)), need - 1):
            par2 = solve_equalities(hom_eq + [tuple(ineqs[i][:-1]) + (ZERO,) for i in sub], d)
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
        return [[as_fraction(x) for x in v] for v in vs]

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


__all__ = ["ONE", "RELS", "ZERO", "Box", "Constraint", "Cuts", "TightSet", "bounding_box", "box_constraints",
           "evaluate", "evaluate_q", "find_point", "implied", "negate", "nonempty_with", "normalize",
           "point_with", "satisfies", "simplify", "tightest", "vertices_and_rays"]
