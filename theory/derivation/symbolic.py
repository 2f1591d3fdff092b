"""Symbolic conditions from the engine's piecewise-linear exponents.

With sympy symbols for the exponents, every exponent the engine derives is a max-plus expression:
sums, :class:`sympy.Max` and :class:`sympy.Min` of linear forms.  This module brings such an
expression to the normal form

.. math::
    E = \\max_{i} \\min_{j} \\ell_{ij}, \\qquad \\ell_{ij} \\text{ linear},

(distributing sums and minima over maxima) and turns the statements the classification needs into
linear inequalities:

.. math::
    E \\le 0 \\iff \\bigwedge_i \\bigvee_j \\ell_{ij} \\le 0, \\qquad
    E \\ge 0 \\iff \\bigvee_i \\bigwedge_j \\ell_{ij} \\ge 0 .

Systems of such clauses are simplified exactly: dominated pieces are dropped (two linear forms
that differ by a constant compare the same way everywhere), clauses subsumed by others are
dropped, and linear programs (:func:`widthlimits.theory.regions.lp.lp_max`, exact rational
arithmetic, the region engine's LP)
remove literals and clauses implied by, or inconsistent with, the single-inequality clauses.
Every step is an equivalence, so the simplified system has the same solution set.

References
----------
G. Yang and E. J. Hu, Tensor Programs IV, arXiv:2011.14522 (Sec. 3: the conditions are linear
inequalities in a, b, c).  E. Golikov, arXiv:2003.05884 (the same in his exponents).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sympy

from widthlimits.theory.activations import Activation
from widthlimits.theory.engine import EngineResult, MaxPlusOps, derive, same_structure
from widthlimits.theory.exponents import Exponent
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.regions.linalg import Form, Q
from widthlimits.theory.regions.lp import lp_max
from widthlimits.theory.regions.polyhedra import find_point

#: max over the outer tuple of min over the inner tuple; () is -oo, ((),) is +oo
NormalForm = tuple[tuple[sympy.Expr, ...], ...]

_MAX_PIECES = 20000

# internal representation: a linear form is (coefficients, constant) with coefficients a tuple
# of (symbol id, Q) sorted by id (ids: _SYMBOLS, in order of first use) and a Q constant (Q:
# GMP rationals when gmpy2 is installed, else Fraction; no sympy objects in the hot loops,
# whose cost was sympy's and Fraction's hashing); a clause (a min) maps
# coefficients -> smallest constant; a normal form (a max) is a list of clauses.  Two forms with
# equal coefficients differ by a constant, so they compare the same way everywhere: that is all
# the pruning below uses (exact).
Coeffs = tuple[tuple[int, Q], ...]
Clause = dict[Coeffs, Q]
_SYMBOLS: list[sympy.Symbol] = []
_SYMBOL_ID: dict[sympy.Symbol, int] = {}


def symbol_id(s: sympy.Symbol) -> int:
    """The integer id of a symbol in the linear forms (ids in order of first use)."""
    i = _SYMBOL_ID.get(s)
    if i is None:
        i = _SYMBOL_ID[s] = len(_SYMBOLS)
        _SYMBOLS.append(s)
    return i


def to_q(v: sympy.Rational) -> Q:
    """A sympy rational as the forms' exact rational type."""
    return Q(int(v.p), int(v.q))


def _rational(v: Q) -> sympy.Rational:
    """The inverse of :func:`to_q`."""
    return sympy.Rational(int(v.numerator), int(v.denominator))


def scaled(k: Coeffs, q: Q) -> Coeffs:
    """The coefficients of q times a form (q != 0, so none becomes 0)."""
    return tuple((s, q * v) for s, v in k)


def linear_form(e: sympy.Expr) -> tuple[Coeffs, Q]:
    """A linear sympy expression as (coefficients by symbol id, constant)."""
    d = sympy.expand(e).as_coefficients_dict()
    const = Q(0)
    co: list[tuple[int, Q]] = []
    for k, v in d.items():
        if k == 1:
            const += to_q(v)
        elif isinstance(k, sympy.Symbol) and v.is_Rational:
            co.append((symbol_id(k), to_q(v)))
        else:
            raise ValueError(f"not a max-plus expression: {e}")
    return tuple(sorted(co)), const


def _clause_dominates(big: Clause, small: Clause) -> bool:
    """min(big) >= min(small) everywhere."""
    return all(k in small and c >= small[k] for k, c in big.items())


def prune_dominated(clauses: list[Clause]) -> list[Clause]:
    """Drop every clause dominated by another (:func:`_clause_dominates`), keeping the first of
    equal ones.

    ``big`` dominates ``small`` only if big's forms are a subset of small's.  Each kept clause is
    filed under its form that is rarest among the input clauses, so the clauses that may dominate
    ``small`` are among those filed under small's own forms; each clause's set of forms is a bit
    mask, so most of them are rejected by one integer operation.  Clauses are visited by size, so
    a later clause can dominate an earlier one only with the same forms."""
    if any(not c for c in clauses):
        return [{}]  # +oo
    freq: Counter[Coeffs] = Counter(k for c in clauses for k in c)
    bit: dict[Coeffs, int] = {}
    kept: list[tuple[int, Clause] | None] = []
    filed: dict[Coeffs, list[int]] = {}
    same_forms: dict[int, list[int]] = {}
    for c in sorted(clauses, key=len):
        m = 0
        for k in c:
            b = bit.get(k)
            if b is None:
                b = bit[k] = 1 << len(bit)
            m |= b
        if any((e := kept[i]) is not None and not (e[0] & ~m) and _clause_dominates(e[1], c)
               for k in c for i in filed.get(k, ())):
            continue
        for i in same_forms.get(m, ()):
            e = kept[i]
            if e is not None and _clause_dominates(c, e[1]):
                kept[i] = None
        same_forms.setdefault(m, []).append(len(kept))
        filed.setdefault(min(c, key=freq.__getitem__), []).append(len(kept))
        kept.append((m, c))
    out = [e[1] for e in kept if e is not None]
    if len(out) > _MAX_PIECES:
        raise ValueError(f"symbolic exponent too large to normalise ({len(out)} pieces)")
    return out


def min_merge(a: Clause, b: Clause) -> Clause:
    """``min(min(a), min(b))`` as one clause (per form, the smaller constant)."""
    out = dict(a)
    for k, c in b.items():
        if k not in out or c < out[k]:
            out[k] = c
    return out


def add_clauses(a: Clause, b: Clause) -> Clause:
    """``min(a) + min(b)`` as one clause: every sum of a form of each."""
    out: Clause = {}
    for ka, ca in a.items():
        for kb, cb in b.items():
            d: dict[int, Q] = dict(ka)
            for s, v in kb:
                d[s] = d.get(s, 0) + v
            k = tuple(sorted((s, v) for s, v in d.items() if v != 0))
            c = ca + cb
            if k not in out or c < out[k]:
                out[k] = c
    return out


def normal_clauses(e: sympy.Expr) -> list[Clause]:
    """The max-of-min normal form of ``e`` as clauses (a clause maps forms to constants)."""
    return [dict(c) for c in _nf_cached(e)]


@functools.lru_cache(maxsize=200_000)
def _nf_cached(e: sympy.Expr) -> tuple[tuple[tuple[Coeffs, Q], ...], ...]:
    return tuple(tuple(c.items()) for c in _nf_raw(e))


def _nf_raw(e: sympy.Expr) -> list[Clause]:
    return distribute(e, normal_clauses, prune_dominated)


def distribute(e: sympy.Expr, sub: Callable[[sympy.Expr], list[Clause]],
               tidy: Callable[[list[Clause]], list[Clause]]) -> list[Clause]:
    """One level of the normal form: ``e``'s max, min, sum or rational multiple distributed
    over its arguments' normal forms ``sub(arg)``, each combination passed through ``tidy``
    (dropping dominated clauses).  The syntactic normal form is ``sub = normal_clauses``,
    ``tidy = prune_dominated``; :mod:`widthlimits.theory.derivation.restricted_forms` passes its
    own, which also drop what is dominated on a polyhedron."""
    if e == -sympy.oo:
        return []
    if e == sympy.oo:
        return [{}]
    if isinstance(e, sympy.Max):
        parts: list[Clause] = []
        for arg in e.args:
            parts.extend(sub(arg))
        return tidy(parts)
    if isinstance(e, sympy.Min):
        acc: list[Clause] = [{}]
        for arg in e.args:
            nf = sub(arg)
            acc = tidy([min_merge(a, b) for a in acc for b in nf])
        return acc
    if isinstance(e, sympy.Add) and e.has(sympy.Max, sympy.Min, sympy.oo):
        acc = [{(): Q(0)}]
        for arg in e.args:
            nf = sub(arg)
            if not nf:
                return []
            acc = tidy([add_clauses(a, b) for a in acc for b in nf])
        return acc
    if isinstance(e, sympy.Mul) and e.has(sympy.Max, sympy.Min):
        coeff, rest = e.as_coeff_Mul()
        if not coeff.is_Rational or isinstance(rest, sympy.Mul):
            raise ValueError(f"not a max-plus expression: {e}")
        inner = sub(rest)
        q = to_q(coeff)
        if q > 0:
            return tidy([{scaled(k, q): q * c for k, c in cl.items()} for cl in inner])
        # coeff * max_i min_j l_ij = min_i max_j (q l_ij) with q = coeff < 0, distributed as in
        # the Min branch (without sympy's Max/Min constructors, whose simplification was the cost)
        acc = [{}]
        for cl in inner:
            acc = tidy([min_merge(a, {scaled(k, q): q * c}) for a in acc for k, c in cl.items()])
        return acc
    k, c = linear_form(e)
    return [{k: c}]


def form_expr(k: Coeffs, c: Q) -> sympy.Expr:
    """The linear form as a sympy expression."""
    return sympy.Add(*[_rational(v) * _SYMBOLS[s] for s, v in k], _rational(c))


def normal_form(e: object) -> NormalForm:
    """Max-of-min normal form of a max-plus expression (see the module docstring).

    >>> x, y = sympy.symbols("x y", real=True)
    >>> normal_form(sympy.Max(x, y + 1) + sympy.Min(0, y))
    ((x, x + y), (y + 1, 2*y + 1))
    """
    nf = normal_clauses(sympy.sympify(e))
    out = [tuple(sorted((form_expr(k, c) for k, c in cl.items()), key=sympy.default_sort_key))
           for cl in nf]
    return tuple(sorted(out, key=lambda cl: [sympy.default_sort_key(x) for x in cl]))


def from_normal_form(nf: NormalForm) -> sympy.Expr:
    """Back to a sympy expression, built without sympy's own (slow) Max/Min evaluation."""
    if nf == ():
        return -sympy.oo
    mins = [(sympy.Min(*c, evaluate=False) if len(c) > 1 else c[0]) if c else sympy.oo for c in nf]
    return sympy.Max(*mins, evaluate=False) if len(mins) > 1 else mins[0]


def simplify_exponent(e: object) -> sympy.Expr:
    """An equivalent, usually much shorter, max-plus expression (exact)."""
    return from_normal_form(normal_form(e))


# ------------------------------------------------------------------------------ linear systems
def _canon(l: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    """Scale a linear form by a positive number so the first non-zero coefficient is +-1."""
    l = sympy.expand(l)
    for s in symbols:
        k = l.coeff(s)
        if k != 0:
            return sympy.expand(l / abs(k))
    return l


@dataclass(frozen=True)
class LinearSystem:
    """A conjunction of clauses; each clause is a disjunction of ``l <= 0`` literals.

    Attributes
    ----------
    clauses : tuple of tuple of sympy.Expr
        ``((l11, l12), (l21,))`` means :math:`(\\ell_{11}\\le0 \\lor \\ell_{12}\\le0) \\land
        \\ell_{21}\\le 0`.  An empty system is ``True``; ``((),)`` is ``False``.
    """

    clauses: tuple[tuple[sympy.Expr, ...], ...]

    @property
    def is_false(self) -> bool:
        return any(len(c) == 0 for c in self.clauses)

    @property
    def units(self) -> tuple[sympy.Expr, ...]:
        return tuple(c[0] for c in self.clauses if len(c) == 1)

    def relationals(self) -> tuple[tuple[sympy.Rel, ...], ...]:
        """Each literal as a readable relational (symbols on the left, positive leading term)."""
        return tuple(tuple(nice_le(x) for x in c) for c in self.clauses)


def nice_le(l: sympy.Expr) -> sympy.Rel:
    """``l <= 0`` written with the variables on the left and a positive leading coefficient."""
    l = sympy.expand(l)
    const = l.as_independent(*l.free_symbols, as_Add=True)[0] if l.free_symbols else l
    var = sympy.expand(l - const)
    if var == 0:
        return sympy.Le(const, 0, evaluate=False)
    first = sorted(var.free_symbols, key=str)[0]
    if var.coeff(first) < 0:
        return sympy.Ge(-var, const, evaluate=False)
    return sympy.Le(var, -const, evaluate=False)


def alternative_relationals(alts: Sequence[Sequence[sympy.Expr]], system: LinearSystem
                            ) -> tuple[tuple[sympy.Rel, ...], ...]:
    """The literals ``l >= 0`` of alternatives, readable, given ``system``: where the system's
    unit clauses already imply ``l <= 0`` the literal is the equality ``l = 0`` (e.g. stability
    gives ``2 a + c >= 1`` and the alternative ``2 a + c <= 1`` is ``2 a + c = 1``, as TP4 writes
    it), else ``l >= 0`` (:func:`nice_ge`)."""
    units = list(system.units)
    out = []
    for alt in alts:
        row = []
        for l in alt:
            r = nice_ge(l)
            if implied(l, units):
                r = sympy.Eq(r.lhs, r.rhs, evaluate=False)
            row.append(r)
        out.append(tuple(row))
    return tuple(out)


def nice_ge(l: sympy.Expr) -> sympy.Rel:
    """``l >= 0`` in the same readable form: it is ``-l <= 0``.

    >>> a, c = sympy.symbols("a_2 c")
    >>> nice_ge(sympy.Rational(1, 2) - a - c / 2)
    a_2 + c/2 <= 1/2
    """
    return nice_le(-l)


def le_zero(e: object) -> LinearSystem:
    """``E <= 0`` as a conjunction of disjunctions of linear inequalities."""
    nf = normal_form(e)
    return LinearSystem(tuple(tuple(c) for c in nf))


def ge_zero_alternatives(e: object) -> tuple[tuple[sympy.Expr, ...], ...]:
    """``E >= 0`` as a disjunction of conjunctions: alternatives ``(l1, l2)`` meaning
    :math:`\\ell_1 \\ge 0 \\land \\ell_2 \\ge 0`."""
    return tuple(tuple(c) for c in normal_form(e))


@functools.lru_cache(maxsize=100_000)
def _lin_cached(e: sympy.Expr) -> tuple[dict[int, Q], Q]:
    k, c = linear_form(e)
    return dict(k), c


def _forms(exprs: Sequence[sympy.Expr]) -> tuple[list[Form], int]:
    """Linear sympy expressions as affine forms (:mod:`widthlimits.theory.regions.linalg`)
    over the symbols they use."""
    lins = [_lin_cached(e) for e in exprs]
    ids = sorted({s for k, _ in lins for s in k})
    return [tuple(k.get(s, Q(0)) for s in ids) + (c,) for k, c in lins], len(ids)


def _lp_max(obj: sympy.Expr, units: Sequence[sympy.Expr]) -> sympy.Expr | None:
    """max of obj subject to every unit <= 0; None if unbounded; -oo if infeasible.

    The region engine's exact LP (:func:`widthlimits.theory.regions.lp.lp_max`, GMP
    rationals): one exact LP for every set-valued answer."""
    if not obj.free_symbols:
        return obj
    cons = [u for u in units if u.free_symbols]
    forms, d = _forms([obj, *cons])
    st, val, _ = lp_max(forms[0], [(f, "<=") for f in forms[1:]], d)
    if st == "unbounded":
        return None
    if st == "infeasible":
        return -sympy.oo
    return _rational(val)  # type: ignore[arg-type]


def implied(l: sympy.Expr, units: Sequence[sympy.Expr]) -> bool:
    """``units <= 0`` implies ``l <= 0``."""
    m = _lp_max(l, units)
    return m is not None and m <= 0


def consistent(extra: Sequence[sympy.Expr], units: Sequence[sympy.Expr]) -> bool:
    """Is ``{units <= 0, extra <= 0}`` feasible?"""
    cons = [u for u in (*units, *extra) if u.free_symbols]
    consts = [u for u in (*units, *extra) if not u.free_symbols]
    if any(c > 0 for c in consts):
        return False
    return _feasible(cons) if cons else True


def _feasible(cons: Sequence[sympy.Expr]) -> bool:
    forms, d = _forms(cons)
    return find_point([(f, "<=") for f in forms], d) is not None


def simplify_system(clauses: Iterable[Sequence[sympy.Expr]],
                    symbols: Sequence[sympy.Symbol]) -> LinearSystem:
    """Exact simplification of a conjunction of disjunctive clauses (see module docstring)."""
    work: list[tuple[sympy.Expr, ...]] = []
    seen: set[frozenset] = set()
    for c in clauses:
        lits: list[sympy.Expr] = []
        true_clause = False
        for l in c:
            l = _canon(l, symbols)
            if not l.free_symbols:
                if l <= 0:
                    true_clause = True
                    break
                continue  # false literal
            if l not in lits:
                lits.append(l)
        if true_clause:
            continue
        key = frozenset(lits)
        if key in seen:
            continue
        seen.add(key)
        work.append(tuple(lits))
    if any(len(c) == 0 for c in work):
        return LinearSystem(((),))
    changed = True
    while changed:
        changed = False
        units = [c[0] for c in work if len(c) == 1]
        new: list[tuple[sympy.Expr, ...]] = []
        for c in work:
            if len(c) == 1:
                new.append(c)
                continue
            if any(implied(l, units) for l in c):
                changed = True
                continue
            kept = [l for l in c if consistent([l], units)]
            # a literal whose half-space lies inside another literal's adds nothing to the
            # disjunction (q <= -1 or q <= -3/4 is q <= -3/4); the remaining ones are compared
            for l in list(kept):
                if any(m is not l and implied(m, units + [l]) for m in kept):
                    kept.remove(l)
            if len(kept) != len(c):
                changed = True
            if not kept:
                return LinearSystem(((),))
            new.append(tuple(kept))
        # clause subsumption: a clause whose literals are a subset of another's makes it redundant
        sets = [frozenset(c) for c in new]
        work = [c for i, c in enumerate(new)
                if not any(j != i and sets[j] < sets[i] for j in range(len(new)))]
    # drop units implied by the other units
    units = [c[0] for c in work if len(c) == 1]
    keep_units: list[sympy.Expr] = []
    for i, u in enumerate(units):
        others = keep_units + units[i + 1:]
        if not implied(u, others):
            keep_units.append(u)
    rest = [c for c in work if len(c) > 1]
    out = [(u,) for u in keep_units] + rest
    return LinearSystem(tuple(sorted(out, key=lambda c: (len(c), [sympy.default_sort_key(x) for x in c]))))


def simplify_alternatives(alts: Iterable[Sequence[sympy.Expr]], system: LinearSystem,
                          symbols: Sequence[sympy.Symbol]) -> tuple[tuple[sympy.Expr, ...], ...]:
    """Simplify a disjunction of conjunctions ``l >= 0`` under the constraints ``system``.

    Alternatives inconsistent with the system's unit clauses are dropped, literals implied by
    them or by the alternative's other literals are dropped, and an alternative that implies
    another one (under the units) is dropped.
    """
    units = list(system.units)
    out: list[tuple[sympy.Expr, ...]] = []
    for alt in alts:
        lits = []
        for l in alt:
            l = _canon(l, symbols)
            if not l.free_symbols:
                if l >= 0:
                    continue
                lits = None
                break
            if implied(-l, units):
                continue
            lits.append(l)
        if lits is None:
            continue
        if not consistent([-x for x in lits], units):
            continue
        if not lits:
            return ((),)  # always true under the system
        # drop a literal implied by the alternative's other literals (and the units): the
        # conjunction is the same set, written shorter (e.g. q <= -1 makes q <= -3/4 redundant)
        kept: list[sympy.Expr] = []
        for i, l in enumerate(lits):
            others = [-x for x in kept + lits[i + 1:]]
            if not implied(-l, units + others):
                kept.append(l)
        t = tuple(kept)
        if t not in out:
            out.append(t)
    # drop an alternative that implies another one (a or b == b when a => b)
    def implies(a: tuple[sympy.Expr, ...], b: tuple[sympy.Expr, ...]) -> bool:
        cons = units + [-x for x in a]
        return all(implied(-y, cons) for y in b)

    res: list[tuple[sympy.Expr, ...]] = []
    for a in out:
        if any(implies(a, b) for b in res):
            continue
        res = [b for b in res if not implies(b, a)]
        res.append(a)
    return tuple(res)


# ------------------------------------------------------------------------------ engine run
class NormalFormOps(MaxPlusOps):
    """The engine's max-plus arithmetic with every max/min kept in normal form.

    Same values as :class:`widthlimits.theory.engine.MaxPlusOps` in symbolic mode (each result is an
    exactly equal expression); sympy's own ``Max`` evaluation compares arguments pairwise with
    ``factor_terms`` and becomes very slow on the nested expressions of depth >= 2.
    """

    def normalize(self, e: sympy.Expr) -> sympy.Expr:
        """The normal form every max and min is kept in (subclasses simplify further)."""
        return simplify_exponent(e)

    def mx(self, *xs: Exponent) -> Exponent:
        if not xs:
            return self.ninf
        vals = [sympy.sympify(x) for x in xs]
        if all(not v.free_symbols for v in vals):
            return max(vals)
        return self.normalize(sympy.Max(*vals, evaluate=False))

    def mn(self, *xs: Exponent) -> Exponent:
        vals = [sympy.sympify(x) for x in xs]
        if all(not v.free_symbols for v in vals):
            return min(vals)
        return self.normalize(sympy.Min(*vals, evaluate=False))


def same_normal_forms(a: object, b: object) -> bool:
    """The engine's stationarity test on symbolic states (``same_state``): equal normal forms
    leaf by leaf.  If the step-t update leaves the accumulated update blocks and the normalizers
    unchanged, every later step repeats step t (induction over steps), exactly as in the numeric
    case, so :func:`~widthlimits.theory.engine.derive` stops there."""
    return same_structure(a, b, lambda x, y: bool(normal_form(x) == normal_form(y)))


class _StationaryNormalFormOps(NormalFormOps):
    """:class:`NormalFormOps` with the engine's stationarity test (:func:`same_normal_forms`)."""

    def same_state(self, a: object, b: object) -> bool:
        return same_normal_forms(a, b)


def parametrization_symbols(p: Parametrization) -> tuple[sympy.Symbol, ...]:
    """The sympy symbols among ``p``'s exponents, sorted by name."""
    return tuple(sorted(set().union(*[sympy.sympify(v).free_symbols
                                      for v in (*p.a, *p.b, *p.c, *(p.d or ()))
                                      if isinstance(v, sympy.Basic)]), key=str))


def derive_symbolic(parametrization: Parametrization, optimizer: str | Optimizer = "sgd",
                    activation: str | Activation = "tanh", *, loss: str = "logistic",
                    steps: int | None = None,
                    on_step: Callable[[int], None] | None = None,
                    restrict: bool = False) -> EngineResult:
    """:func:`widthlimits.theory.engine.derive` for symbolic exponents, with max/min in normal form.

    The engine's rules, driver and trace are used unchanged (``derive(ops=...)``); only the
    representation of the symbolic maxima differs (see :class:`NormalFormOps`).  With ``steps``
    the run covers steps 0..steps; without, it stops at the first stationary step (normal forms
    compared), at most ``2 (L + 1) + 6``.  ``tests/latex`` checks that the exponents agree with
    :func:`~widthlimits.theory.engine.derive` at depth 1.  ``on_step(t)`` is called when the
    run starts step ``t`` (progress of a long derivation).

    ``restrict=True``: every maximum and minimum is simplified on the polyhedron of the
    stability conditions recorded before it
    (:mod:`widthlimits.theory.derivation.restricted_forms`); the exponents are then equal to the
    unrestricted ones on the stability set (not off it), which is all the derivation's
    conditions read, and the run is orders of magnitude faster beyond depth 2.
    """
    if not parametrization.is_symbolic():
        raise ValueError("derive_symbolic needs sympy symbols in the parametrization")
    learn: Callable[[object], None] | None = None
    if restrict:
        from widthlimits.theory.derivation.restricted_forms import (
            Domain,
            RestrictedNormalFormOps,
        )

        rops = RestrictedNormalFormOps(Domain(parametrization_symbols(parametrization)),
                                       stationary=steps is None)
        ops: NormalFormOps = rops
        learn = rops.learn
    else:
        ops = NormalFormOps(True) if steps is not None else _StationaryNormalFormOps(True)
    seen = [-1]

    def record(q: str, layer: int | None, t: int, value: object) -> None:
        if on_step is not None and t > seen[0]:
            seen[0] = t
            on_step(t)
        if learn is not None and q in ("h", "x", "f"):
            learn(value)  # a necessary condition of stability: e <= 0

    return derive(parametrization, optimizer, activation, loss=loss, steps=steps, trace=True,
                  ops=ops, on_record=record if (on_step is not None or learn is not None)
                  else None)
