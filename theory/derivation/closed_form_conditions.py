"""TP4's and TP IVb's closed forms as conditions in the symbols, and the exact comparison of two
sets of conditions: is the symbolic derivation *equal* to the theorem, as sets?

The closed forms (:mod:`widthlimits.theory.closed_forms`, which evaluates them at a point) are
written here on the family's symbols in the shape of :func:`~.model.symbolic_derivation`'s
output: stability as a conjunction of disjunctions of ``l <= 0``, non-triviality and feature
learning as alternatives (a disjunction of conjunctions of ``l >= 0``) under stability.

* TP4 (Yang & Hu 2021, arXiv 2011.14522), SGD: with
  :math:`r_l = \\min(a_{L+1}+b_{L+1}, 2a_{L+1}+c_{L+1}) + c_l - 1 + 2a_l + \\mathbb I(l=1)` and
  :math:`r = \\min_{l\\le L} r_l`: stable iff the initialization is non-degenerate,
  :math:`a_{L+1}+b_{L+1} \\ge 1/2`, :math:`r \\ge 0`, :math:`2a_{L+1}+c_{L+1} \\ge 1`,
  :math:`a_{L+1}+b_{L+1}+r \\ge 1` (Thm 3.3); nontrivial iff :math:`a_{L+1}+b_{L+1}+r = 1` or
  :math:`2a_{L+1}+c_{L+1} = 1` (Thm 3.4); feature learning iff :math:`r = 0` (Thm 3.6).
* TP IVb (Yang & Littwin 2023, arXiv 2308.01814), entrywise optimizers with negligible
  epsilon: :math:`r_1 = c_1 + a_1`, :math:`r_l = c_l + a_l - 1`: stable iff
  :math:`r_l \\ge 0` for every :math:`l \\le L+1` and :math:`a_{L+1}+b_{L+1}+r \\ge 1`
  (Thm 2.8.12); nontrivial iff :math:`r_{L+1} = 0` or :math:`a_{L+1}+b_{L+1}+r = 1`
  (Thm 2.8.15); feature learning iff :math:`r = 0` (Thm 2.8.19).

Under stability an equality such as :math:`2a_{L+1}+c_{L+1} = 1` is the opposite inequality
:math:`2a_{L+1}+c_{L+1} \\le 1`, which is how the alternatives are written.

:func:`same_conditions` decides equality of two such descriptions exactly with the LP of
:mod:`widthlimits.theory.derivation.symbolic`: two stability systems made of single inequalities
are equal iff each inequality of one follows from the other's; two unions of alternatives (under
the same stability polyhedron) are equal if each piece of either lies inside a piece of the other
-- sufficient; when it does not settle the question (a disjunction in a stability system, or a
piece covered only by several pieces of the other side) :func:`same_sets` decides it exactly in
linear real arithmetic (z3's rational simplex, the solver of
:mod:`widthlimits.theory.regions.equivalence`): the two formulas are equivalent iff their
difference is unsatisfiable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from widthlimits.theory.closed_forms import r_exponents
from widthlimits.theory.derivation.symbolic import (
    LinearSystem,
    ge_zero_alternatives,
    implied,
    le_zero,
    simplify_alternatives,
    simplify_system,
)
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization

Alternatives = tuple[tuple[sympy.Expr, ...], ...]


@dataclass(frozen=True)
class ClosedFormConditions:
    """A closed form's conditions in the symbols (module docstring)."""

    theorem: str
    stability: LinearSystem
    nontrivial: Alternatives
    feature_learning: Alternatives


def closed_form_conditions(p: Parametrization, optimizer: str | Optimizer,
                           symbols: Sequence[sympy.Symbol]) -> ClosedFormConditions:
    """TP4's (SGD-type) or TP IVb's (entrywise) conditions for ``p``, whose exponents are affine
    in ``symbols`` (e.g. :func:`~.model.symbolic_parametrization`), simplified as the symbolic
    derivation's are."""
    opt = get_optimizer(optimizer)
    if p.d is not None:
        raise ValueError("the closed forms here take no d (negligible epsilon)")
    L = p.depth
    a, b, c = (list(map(sympy.sympify, v)) for v in (p.a, p.b, p.c))
    ab = a[L] + b[L]
    half = sympy.Rational(1, 2)
    clauses: list[tuple[sympy.Expr, ...]] = []

    def le0(e: sympy.Expr) -> None:
        clauses.extend(le_zero(e).clauses)

    le0(a[0] + b[0])  # non-degenerate initialization (equalities), TP4 Thm 3.3(1)
    le0(-(a[0] + b[0]))
    for l in range(1, L):
        le0(a[l] + b[l] - half)
        le0(half - a[l] - b[l])
    le0(half - ab)
    rl, readout_r = r_exponents(a, b, c, opt.entrywise, mn=sympy.Min)
    r = sympy.Min(*rl)
    for x in (*rl, readout_r):  # r >= 0 (every r_l), and TP4's 2a + c >= 1 / TP IVb's r_{L+1} >= 0
        le0(-x)
    le0(1 - ab - r)
    nontrivial = ge_zero_alternatives(-readout_r) + ge_zero_alternatives(1 - ab - r)
    theorem = "TP IVb Thm 2.8.12-2.8.19" if opt.entrywise else "TP4 Thm 3.3-3.6"
    stability = simplify_system(clauses, symbols)
    return ClosedFormConditions(
        theorem, stability, simplify_alternatives(nontrivial, stability, symbols),
        simplify_alternatives(ge_zero_alternatives(-r), stability, symbols))


def _units_only(s: LinearSystem) -> bool:
    return all(len(cl) == 1 for cl in s.clauses)


def same_stability(s1: LinearSystem, s2: LinearSystem) -> bool | None:
    """Equal as sets (both made of single inequalities: each follows from the other's);
    ``None`` when a system has a disjunction (not decided here)."""
    if s1.is_false or s2.is_false:
        return s1.is_false and s2.is_false
    if not (_units_only(s1) and _units_only(s2)):
        return None
    u1, u2 = list(s1.units), list(s2.units)
    return all(implied(x, u2) for x in u1) and all(implied(x, u1) for x in u2)


def _inside(alt: Sequence[sympy.Expr], other: Sequence[sympy.Expr],
            units: list[sympy.Expr]) -> bool:
    """``units <= 0`` and ``alt >= 0`` imply ``other >= 0``."""
    cons = units + [-x for x in alt]
    return all(implied(-y, cons) for y in other)


def same_alternatives(a1: Alternatives, a2: Alternatives, stability: LinearSystem) -> bool | None:
    """Equal unions under ``stability`` (single inequalities): True if each piece of either
    lies inside a piece of the other, ``None`` otherwise (not decided)."""
    if not _units_only(stability):
        return None
    units = list(stability.units)
    if all(any(_inside(p, q, units) for q in a2) for p in a1) and \
            all(any(_inside(q, p, units) for p in a1) for q in a2):
        return True
    return None


def _z3_linear(e: sympy.Expr, var: dict) -> object:
    """A linear sympy expression as a z3 real term (exact rational coefficients)."""
    import z3

    out = z3.RealVal(0)
    for k, v in sympy.expand(e).as_coefficients_dict().items():
        q = z3.Q(int(v.p), int(v.q))
        if k == 1:
            out = out + q
        else:
            if k not in var:
                var[k] = z3.Real(str(k))
            out = out + q * var[k]
    return out


def _z3_system(s: LinearSystem, var: dict) -> object:
    import z3

    return z3.And(*[z3.Or(*[_z3_linear(l, var) <= 0 for l in cl]) for cl in s.clauses])


def _z3_alternatives(alts: Alternatives, var: dict) -> object:
    import z3

    return z3.Or(*[z3.And(*[_z3_linear(l, var) >= 0 for l in alt]) for alt in alts])


def _equivalent(f: object, g: object) -> bool:
    import z3

    solver = z3.Solver()
    solver.add(z3.Xor(f, g))  # type: ignore[arg-type]
    res = solver.check()
    if res == z3.unknown:  # pragma: no cover - LRA is decidable; a guard against a solver fault
        raise RuntimeError(f"z3 could not decide an equivalence: {solver.reason_unknown()}")
    return res == z3.unsat


def same_sets(s1: LinearSystem, s2: LinearSystem, alts1: Alternatives | None = None,
              alts2: Alternatives | None = None) -> bool:
    """Exactly: is ``{s1}`` equal to ``{s2}`` (without alternatives), or ``{s1 and alts1}`` to
    ``{s2 and alts2}`` (with)?  Decided in linear real arithmetic (module docstring)."""
    var: dict = {}
    f, g = _z3_system(s1, var), _z3_system(s2, var)
    if alts1 is not None and alts2 is not None:
        import z3

        f = z3.And(f, _z3_alternatives(alts1, var))
        g = z3.And(g, _z3_alternatives(alts2, var))
    return _equivalent(f, g)


def difference_witness(inside: LinearSystem, outside: LinearSystem
                       ) -> dict[sympy.Symbol, Fraction] | None:
    """A rational point satisfying ``inside`` and not ``outside`` (exact, z3), or None when
    ``inside`` is contained in ``outside``.  Symbols absent from both systems are left out."""
    import z3

    var: dict = {}
    solver = z3.Solver()
    solver.add(_z3_system(inside, var), z3.Not(_z3_system(outside, var)))  # type: ignore[arg-type]
    if solver.check() != z3.sat:
        return None
    m = solver.model()
    out: dict[sympy.Symbol, Fraction] = {}
    for sym, v in var.items():
        val = m.eval(v, model_completion=True)
        out[sym] = Fraction(val.numerator_as_long(), val.denominator_as_long())
    return out


def same_conditions(derived: object, closed: ClosedFormConditions) -> dict[str, bool | None]:
    """Per condition (stability, nontrivial, feature learning): is the derivation's set the
    closed form's?  ``derived`` is a :class:`~.model.SymbolicConditions`.  Decided by LP where
    that suffices, else exactly by :func:`same_sets`; never ``None`` for the stability set, and
    the alternatives are compared only when the stability sets are equal (``None`` otherwise)."""
    st = same_stability(derived.stability, closed.stability)  # type: ignore[attr-defined]
    if st is None:
        st = same_sets(derived.stability, closed.stability)  # type: ignore[attr-defined]
    out: dict[str, bool | None] = {"stability": st}
    for name, mine, theirs in (("nontrivial", derived.nontrivial, closed.nontrivial),  # type: ignore[attr-defined]
                               ("feature learning", derived.feature_learning,  # type: ignore[attr-defined]
                                closed.feature_learning)):
        if not st:
            out[name] = None
            continue
        v = same_alternatives(mine, theirs, closed.stability)
        out[name] = v if v is not None else same_sets(closed.stability, closed.stability,
                                                      mine, theirs)
    return out
