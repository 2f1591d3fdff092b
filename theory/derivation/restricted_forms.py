"""Max-plus normal forms simplified on a polyhedron: the symbolic engine run restricted to the
conditions already established.

A symbolic run (:func:`widthlimits.theory.derivation.symbolic.derive_symbolic`) keeps every
exponent as a max of mins of linear forms, :math:`E=\\max_i\\min_j \\ell_{ij}`.  Their syntactic
normal form only drops a piece that another piece dominates *everywhere* (same coefficients,
smaller constant); the number of pieces then grows with every sum of two maxima, and beyond depth
3 for entrywise optimizers (depth 4 for SGD) it is too large to carry.

Every condition the derivation prints is a statement on the stability set
:math:`S=\\{e(h^l_t), e(x^l_t), e(f_t)\\le 0\\ \\forall l, t\\le T,\\ e(f_{T+1}-f_T)\\le0\\}`:
stability itself, and the non-trivial / feature-learning / discrete-time alternatives intersected
with it.  So an exponent computed at some point of the run only has to be right on a polyhedron
:math:`D \\supseteq S`.  :class:`Domain` is that polyhedron: the single-inequality consequences
(units) of the :math:`e(h), e(x), e(f) \\le 0` recorded so far (each is a necessary condition of
stability, so :math:`S \\subseteq D` at every moment).  On :math:`D`,

* a literal :math:`\\ell_k` of a minimum is dropped when another literal :math:`\\ell_j \\le
  \\ell_k` on all of :math:`D`;
* a minimum (clause) :math:`i` is dropped when another clause :math:`k` is at least as large on
  :math:`D`: every literal of :math:`k` is bounded below on :math:`D` by a literal of :math:`i`;

each decided by an exact LP over :math:`D` (:func:`widthlimits.theory.regions.lp.lp_max`;
rational points of :math:`D` refute most candidate pairs before any LP).  The forms carried are
then equal to the engine's on :math:`D`, hence on :math:`S`, and the printed conditions are the
same sets (tested against the unrestricted run and against TP4 / TP IVb's closed forms).  The
derivation's displayed exponents at later steps are the restricted ones; the document says so.

This is the step a paper takes in words: "assuming the network was stable up to step t".
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import sympy

from widthlimits.theory.derivation.symbolic import (
    Clause,
    Coeffs,
    NormalFormOps,
    distribute,
    form_expr,
    from_normal_form,
    prune_dominated,
    same_normal_forms,
    symbol_id,
)
from widthlimits.theory.regions.linalg import Q
from widthlimits.theory.regions.lp import lp_max

#: box for the sample points only (they refute "l <= l' on D" cheaply; any point of D will do)
_SAMPLE_BOX = Q(8)
_N_SAMPLES = 32
_MISSING = object()


class Domain:
    """A polyhedron :math:`\\{u(x) \\le 0\\}` over the symbols of a symbolic run, with exact
    dominance tests between linear forms on it (see the module docstring)."""

    def __init__(self, symbols: Sequence[sympy.Symbol], seed: int = 0) -> None:
        self.ids = [symbol_id(s) for s in symbols]
        self.pos = {s: i for i, s in enumerate(self.ids)}
        self.units: list[tuple[Coeffs, Q]] = []
        self._max_cache: dict[Coeffs, Q | None] = {}
        self._sample_max: dict[Coeffs, Q | None] = {}
        self._fvals: dict[Coeffs, tuple[float, ...]] = {}
        #: normal forms on the domain as it is now (cleared when it grows)
        self.nf_cache: dict[sympy.Expr, tuple] = {}
        self._rng = random.Random(seed)
        self.samples: list[list[Q]] = []
        self._fs: list[list[float]] = []
        self.lps = 0
        self._resample()

    # -- forms over the fixed symbol order
    def _vec(self, k: Coeffs) -> list[Q]:
        v = [Q(0)] * len(self.ids)
        for s, x in k:
            v[self.pos[s]] = x  # every form is over the run's symbols
        return v

    def _constraints(self, box: bool) -> list[tuple[tuple, str]]:
        d = len(self.ids)
        out = [(tuple(self._vec(k)) + (c,), "<=") for k, c in self.units]
        if box:
            for i in range(d):
                e = [Q(0)] * d
                e[i] = Q(1)
                out.append((tuple(e) + (-_SAMPLE_BOX,), "<="))
                e = [Q(0)] * d
                e[i] = Q(-1)
                out.append((tuple(e) + (-_SAMPLE_BOX,), "<="))
        return out

    def _resample(self) -> None:
        d = len(self.ids)
        cons = self._constraints(box=True)
        pts: list[list[Q]] = []
        for _ in range(_N_SAMPLES):
            obj = tuple(Q(self._rng.randint(-5, 5)) for _ in range(d)) + (Q(0),)
            st, _, x = lp_max(obj, cons, d)
            if st == "optimal" and x is not None:
                pts.append([Q(v) for v in x])
        # points off the faces where many forms tie: midpoints and random convex combinations
        mids = [[(p[i] + q[i]) / 2 for i in range(d)] for p, q in zip(pts, pts[1:], strict=False)]
        for _ in range(len(pts)):
            if len(pts) < 3:
                break
            w = [Q(self._rng.randint(1, 9)) for _ in range(3)]
            tri = self._rng.sample(pts, 3)
            mids.append([sum((wj * t[i] for wj, t in zip(w, tri, strict=True)), Q(0)) / sum(w)
                         for i in range(d)])
        self.samples = pts + mids
        self._fs = [[float(v) for v in p] for p in self.samples]

    # -- the domain grows
    def add(self, k: Coeffs, c: Q) -> bool:
        """Add the unit ``k.x + c <= 0``; False if it is implied already (nothing changes)."""
        if not k:
            return False
        if self.le(k, c):
            return False
        self.units.append((k, c))
        self._max_cache.clear()
        self._sample_max.clear()
        self._fvals.clear()
        self.nf_cache.clear()
        self._resample()
        return True

    # -- tests
    def sup(self, k: Coeffs) -> Q | None:
        """:math:`\\sup_D k\\cdot x` (None: unbounded), exact, cached per direction."""
        if k in self._max_cache:
            return self._max_cache[k]
        d = len(self.ids)
        obj = tuple(self._vec(k)) + (Q(0),)
        self.lps += 1
        st, val, _ = lp_max(obj, self._constraints(box=False), d)
        out = None if st != "optimal" else Q(val)
        self._max_cache[k] = out
        return out

    def values(self, k: Coeffs) -> tuple[float, ...]:
        """``k.x`` at the sample points, in floating point (a pre-filter only), cached."""
        v = self._fvals.get(k)
        if v is None:
            w = [(self.pos[s], float(x)) for s, x in k]
            v = self._fvals[k] = tuple(sum(x * fp[i] for i, x in w) for fp in self._fs)
        return v

    def le(self, k: Coeffs, c: Q) -> bool:
        """Is ``k.x + c <= 0`` on all of D?  Per direction ``k``: the largest value of ``k.x``
        at the sample points (exact) refutes it when ``> -c``; else the exact LP decides.  Both
        are cached per direction, so each question costs a dictionary look-up after the first."""
        if not k:
            return c <= 0
        m = self._max_cache.get(k, _MISSING)
        if m is _MISSING:
            lo = self._sample_max.get(k)
            if lo is None:
                lo = self._sample_max[k] = max(
                    (sum((x * p[self.pos[s]] for s, x in k), Q(0)) for p in self.samples),
                    default=None)
            if lo is not None and lo + c > 0:
                return False
            m = self.sup(k)
        return m is not None and m + c <= 0


def _diff(a: tuple[Coeffs, Q], b: tuple[Coeffs, Q]) -> tuple[Coeffs, Q]:
    """``a - b`` as a linear form."""
    d: dict[int, Q] = dict(a[0])
    for s, v in b[0]:
        d[s] = d.get(s, Q(0)) - v
    return tuple(sorted((s, v) for s, v in d.items() if v != 0)), a[1] - b[1]


#: slack of the floating-point pre-filter (values are small rationals; it only has to be far
#: above rounding, a pair it lets through is decided exactly)
_TOL = 1e-9


def _all_le(u: Sequence[float], v: Sequence[float]) -> bool:
    """``u <= v + tol`` at every sample (the pre-filter; stops at the first violation)."""
    return all(a <= b + _TOL for a, b in zip(u, v, strict=True))


def prune_on(clauses: list[Clause], dom: Domain) -> list[Clause]:
    """The normal form ``clauses`` (a max of mins) with the pieces redundant on ``dom`` dropped
    (module docstring); equal to it on ``dom``.

    Floating-point values at the domain's sample points only rule pairs out (a pair with
    ``l_j > l_k + tol`` at some point of D cannot have ``l_j <= l_k`` on D); every pair that
    is kept as dominated is decided by :meth:`Domain.le`, exactly."""
    if not dom.units or not clauses or any(not c for c in clauses):
        return clauses
    Lit = tuple[Coeffs, Q]

    def vals(l: Lit) -> tuple[float, ...]:
        c = float(l[1])
        return tuple(x + c for x in dom.values(l[0]))

    def below(m: Lit, l: Lit) -> bool:
        """m <= l on D (exact)."""
        return dom.le(*_diff(m, l))

    # 1. literals of each minimum: l is dropped if another literal is <= l on D (ties: the
    #    first stays)
    slim: list[tuple[list[Lit], list[tuple[float, ...]]]] = []
    for cl in clauses:
        lits = list(cl.items())
        V = [vals(l) for l in lits]
        if len(lits) > 1:
            drop = [False] * len(lits)
            for j, l in enumerate(lits):
                for m in range(len(lits)):
                    if m == j or drop[m] or not _all_le(V[m], V[j]):
                        continue
                    if below(lits[m], l) and (m < j or not below(l, lits[m])):
                        drop[j] = True
                        break
            keep = [i for i, d in enumerate(drop) if not d]
            lits, V = [lits[i] for i in keep], [V[i] for i in keep]
        slim.append((lits, V))
    if len(slim) == 1:
        return [dict(slim[0][0])]
    # 2. clauses: i is dropped if another clause k is >= it on D; sufficient, and what is
    #    tested: every literal of k has a literal of i below it on D
    mins = [tuple(map(min, zip(*V, strict=True))) for _, V in slim]
    alive = [True] * len(slim)
    for i, (li, Vi) in enumerate(slim):
        for k, (lk, Vk) in enumerate(slim):
            if k == i or not alive[k] or not _all_le(mins[i], mins[k]):
                continue
            if all(any(_all_le(Vi[a], Vk[b]) and below(li[a], lk[b]) for a in range(len(li)))
                   for b in range(len(lk))):
                alive[i] = False
                break
    return [dict(l) for (l, _), a in zip(slim, alive, strict=True) if a]


def _nf_on(e: sympy.Expr, dom: Domain) -> list[Clause]:
    """The max-of-min normal form of ``e`` on ``dom``: the syntactic normal form of
    :func:`widthlimits.theory.derivation.symbolic._nf_raw`, with :func:`prune_on` after every
    combination (so a sum of two maxima is formed from their pieces that matter on ``dom``)."""
    cache = dom.nf_cache
    got = cache.get(e)
    if got is not None:
        return [dict(c) for c in got]
    out = _nf_on_raw(e, dom)
    cache[e] = tuple(tuple(c.items()) for c in out)
    return out


def _nf_on_raw(e: sympy.Expr, dom: Domain) -> list[Clause]:
    return distribute(e, lambda arg: _nf_on(arg, dom),
                      lambda cls: prune_on(prune_dominated(cls), dom))


class RestrictedNormalFormOps(NormalFormOps):
    """:class:`~widthlimits.theory.derivation.symbolic.NormalFormOps` whose maxima and minima are
    simplified on a :class:`Domain` (module docstring)."""

    def __init__(self, domain: Domain, stationary: bool = False) -> None:
        super().__init__(True)
        self.domain = domain
        if stationary:  # the engine's stationarity test, on forms equal on the domain
            self.same_state = same_normal_forms

    def normalize(self, e: sympy.Expr) -> sympy.Expr:
        return from_normal_form(_to_nf_tuple(_nf_on(e, self.domain)))

    def learn(self, e: object) -> None:
        """``e <= 0`` holds on the stability set: add its unit consequences to the domain."""
        e = sympy.sympify(e)
        if not e.free_symbols:
            return
        for cl in _nf_on(e, self.domain):
            if len(cl) == 1:
                (k, c), = cl.items()
                self.domain.add(k, c)


def _to_nf_tuple(nf: list[Clause]) -> tuple[tuple[sympy.Expr, ...], ...]:
    return tuple(tuple(form_expr(k, c) for k, c in cl.items()) for cl in nf)


__all__ = ["Domain", "RestrictedNormalFormOps", "prune_on"]
