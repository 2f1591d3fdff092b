"""Exact regions of the exponent space: where is a parametrization stable, non-trivial, ...?

Method
------
Every exponent the engine (:mod:`widthlimits.theory.engine`) computes is built from the free
exponents by ``+``, ``max`` and a few ``min``/``-`` (bounded activations, entrywise normalizers).
We run the engine once with *tropical polynomials* as exponents: a value is a set of affine
forms and stands for their maximum, so ``max`` and ``+`` never need a decision (``max`` is a
union, ``+`` a Minkowski sum; forms with the same linear part keep the larger constant).  The
operations that do need one (``min``, subtracting a maximum, testing equality) split the
current polyhedron into finitely many convex pieces (which affine form attains the maximum,
which side of a comparison holds); infeasible pieces are pruned with an exact rational LP
(:mod:`widthlimits.theory.polyhedra`) and the engine is replayed on each feasible piece (a
depth-first search over the engine's decision tree).  On every leaf every exponent is a
tropical polynomial, so each verdict of :func:`widthlimits.theory.classify.classify` becomes a
finite union of polyhedra:

.. math::
    \\max_i p_i(x) \\le 0 \\iff \\forall i\\; p_i(x) \\le 0, \\qquad
    \\max_i p_i(x) = 0 \\iff \\forall i\\; p_i(x) \\le 0 \\;\\wedge\\; \\exists i\\; p_i(x) = 0 .

The result is exact: a union of convex polyhedra with rational coefficients (equalities,
non-strict and strict inequalities).  The horizon is the engine's own step cap,
``2 (L + 1) + 6`` steps; the engine stops earlier only when the exponents are stationary (then
later steps repeat) or after a blow-up (then the verdict is already "unstable"), so the verdicts
coincide with :func:`~widthlimits.theory.classify.classify` (tested on random points).

Status and limits (measured; see the report of issue 3)
--------------------------------------------------------
Exact and fast with one free coordinate (what :mod:`widthlimits.theory.max_lr` uses: a few
ms to a few s per query up to depth 4).  With two or more free coordinates the tropical
polynomials grow quickly: redundant terms are only pruned exactly in one dimension (upper
convex hull of (slope, constant)); in higher dimension this needs a Newton-polytope pruning
(an LP per term) that is not implemented yet, so full-space queries do not finish in useful
time (depth 1 with two free coordinates: about 1 s; three: did not finish in 90 s).
Requests implying stability use the logistic loss internally: on the stable set
:math:`f_t = O(1)`, so the MSE derivative :math:`\\max(1, |f|)` is :math:`\\Theta(1)` as for the
logistic loss and every exponent coincides, while the MSE feedback terms
:math:`k(1 - c)`, :math:`k = 1, 2, \\dots` (a blow-up) disappear from the expressions.

Regions are reported modulo the width symmetry (TP4 Eq. 5; TP IVb Prop. 2.2.3) in a gauge:
``"sp"`` (every ``a_l = 0``; coordinates ``b_l, c_l``) or ``"tp4"`` (every ``b_l = 1/2``;
coordinates ``a_l, c_l``).  A coordinate fixed by the user replaces the gauge for its layer.

Properties (``want``), all as defined in :mod:`widthlimits.theory.classify`:

``stable``, ``unstable``, ``stable_at_init``, ``degenerate_at_init``, ``nontrivial``,
``trivial``, ``moves`` (f_t - f_0 = Theta(1) at some step, stability not required),
``feature_learning`` (the regime: nontrivial and some layer learns features), ``kernel``,
``operator``, ``fl<l>`` (stable and x^l_t - x^l_0 = Theta(1) at some step), ``fl_all`` (stable
and every hidden layer learns features), ``mu<l>`` (stable and layer l updated maximally),
``maximal_update`` (stable and every layer updated maximally), ``discrete_time`` (stable and
f_{t+1} - f_t = Theta(1) in the stationary regime).  Prefix ``not-`` negates a property.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.engine import derive
from widthlimits.theory.exponents import INF, Exponent, as_exponent, fmt, is_pos_inf
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth
from widthlimits.theory.polyhedra import (
    Constraint,
    find_point,
    normalize,
    satisfies,
    simplify,
    vertices_and_rays,
)
from widthlimits.theory.presets import NAMED_POINTS, preset

ZERO = Fraction(0)
HALF = Fraction(1, 2)
GAUGES = ("sp", "tp4")

# ---------------------------------------------------------------------------------- tropical values


class _Trop:
    """A tropical polynomial: ``max_i (lin_i . x + const_i)``; no terms = ``-inf``."""

    __slots__ = ("terms",)

    def __init__(self, terms: dict[tuple[Fraction, ...], Fraction]) -> None:
        self.terms = terms

    def __neg__(self) -> _Trop:
        if len(self.terms) != 1:
            raise ValueError("internal: negating a tropical polynomial with several terms")
        (lin, k), = self.terms.items()
        return _Trop({tuple(-x for x in lin): -k})

    def forms(self) -> list[tuple[Fraction, ...]]:
        return [lin + (k,) for lin, k in self.terms.items()]

    def __repr__(self) -> str:
        return f"_Trop({self.forms()})"


class _Infeasible(Exception):
    """The current branch is empty (pruned)."""


class _Search:
    """Depth-first search over the engine's decision tree, one replay per leaf."""

    def __init__(self, d: int, base: list[Constraint], witness: list[Fraction]) -> None:
        self.d = d
        self.pending: list[tuple[list[int], list[Fraction]]] = [([], witness)]
        self.base = base
        self.lp_calls = 0

    def feasible(self, cons: list[Constraint], hint: list[Fraction] | None) -> list[Fraction] | None:
        if hint is not None and satisfies(hint, cons):
            return hint
        self.lp_calls += 1
        return find_point(cons, self.d)


class _Run:
    """State of one replay: forced choices, accumulated constraints and a witness point."""

    def __init__(self, search: _Search, prefix: list[int], witness: list[Fraction]) -> None:
        self.s = search
        self.prefix = prefix
        self.pos = 0
        self.choices: list[int] = []
        self.tight: dict[tuple[Fraction, ...], tuple[Fraction, str]] = {}
        self.eqs: set[Constraint] = set()
        self.witness = witness
        self._extend(search.base)

    @property
    def cons(self) -> list[Constraint]:
        return [(lin + (k,), rel) for lin, (k, rel) in self.tight.items()] + list(self.eqs)

    def _extend(self, cons: Iterable[Constraint]) -> None:
        _tighten(self.tight, self.eqs, cons)

    def _new(self, c: Constraint) -> bool:
        """Whether ``c`` (normalized) is not already implied by a parallel constraint."""
        if c[1] == "==":
            return c not in self.eqs
        cur = self.tight.get(c[0][:-1])
        return cur is None or _tighter(c[0][-1], c[1], *cur)

    def add(self, new: Iterable[Constraint]) -> None:
        """Add constraints (e.g. stability when the request implies it); prune if empty."""
        extra = []
        for c in new:
            n = normalize(*c)
            if n is True:
                continue
            if n is False:
                raise _Infeasible()
            if self._new(n):  # type: ignore[arg-type]
                extra.append(n)
        if not extra:
            return
        self._extend(extra)  # type: ignore[arg-type]
        w = self.s.feasible(self.cons, self.witness)
        if w is None:
            raise _Infeasible()
        self.witness = w

    def branch(self, alts: list[tuple[list[Constraint], Any]]) -> Any:
        clean: list[tuple[list[Constraint], Any] | None] = []
        for cons, val in alts:
            out = []
            ok = True
            for c in cons:
                n = normalize(*c)
                if n is True:
                    continue
                if n is False:
                    ok = False
                    break
                if self._new(n):  # type: ignore[arg-type]
                    out.append(n)
            clean.append((out, val) if ok else None)  # type: ignore[arg-type]
        if self.pos < len(self.prefix):
            k = self.prefix[self.pos]
            self.pos += 1
            self.choices.append(k)
            alt = clean[k]
            assert alt is not None
            self._extend(alt[0])
            return alt[1]
        self.pos += 1
        feas: list[tuple[int, list[Fraction]]] = []
        for k, alt in enumerate(clean):
            if alt is None:
                continue
            if not alt[0]:
                feas.append((k, self.witness))
                continue
            w = self.s.feasible(self.cons + alt[0], self.witness)
            if w is not None:
                feas.append((k, w))
        if not feas:
            raise _Infeasible()
        k0, w0 = feas[0]
        for k, w in feas[1:]:
            self.s.pending.append((self.choices + [k], w))
        self.choices.append(k0)
        self.prefix = self.choices[:]  # keep pos == len(prefix) in sync
        self._extend(clean[k0][0])  # type: ignore[index]
        self.witness = w0
        return clean[k0][1]  # type: ignore[index]


def _tighter(k: Fraction, rel: str, k0: Fraction, rel0: str) -> bool:
    """Is ``lin + k rel 0`` strictly tighter than ``lin + k0 rel0 0``?"""
    return k > k0 or (k == k0 and rel == "<" and rel0 == "<=")


def _tighten(tight: dict, eqs: set, cons: Iterable[Constraint]) -> None:
    for form, rel in cons:
        if rel == "==":
            eqs.add((form, rel))
            continue
        lin, k = form[:-1], form[-1]
        cur = tight.get(lin)
        if cur is None or _tighter(k, rel, *cur):
            tight[lin] = (k, rel)


def _reduce(cons: Iterable[Constraint]) -> list[Constraint]:
    """Keep only the tightest of parallel inequalities (inputs normalized)."""
    tight: dict = {}
    eqs: set = set()
    _tighten(tight, eqs, cons)
    return [(lin + (k,), rel) for lin, (k, rel) in tight.items()] + sorted(eqs)


def _argmax_split(t: _Trop) -> list[tuple[list[Constraint], tuple[Fraction, ...]]]:
    """Disjoint pieces on which one term attains the max (ties go to the earliest term)."""
    fs = t.forms()
    out = []
    for i, fi in enumerate(fs):
        cons: list[Constraint] = []
        for j, fj in enumerate(fs):
            if j == i:
                continue
            diff = tuple(a - b for a, b in zip(fj, fi, strict=True))  # f_j - f_i
            cons.append((diff, "<" if j < i else "<="))
        out.append((cons, fi))
    return out


class _TropOps:
    """Max-plus arithmetic on tropical polynomials for :func:`derive` (``ops=`` hook)."""

    symbolic = True  # no numeric blow-up detection, no stationarity test, fixed horizon

    def __init__(self, symbols: Sequence[sympy.Symbol], run: _Run) -> None:
        self.syms = list(symbols)
        self.index = {s: i for i, s in enumerate(self.syms)}
        self.d = len(self.syms)
        self.run = run
        self.z = (ZERO,) * self.d
        self.ninf = _Trop({})
        self.zero = self.const(ZERO)
        self.half = self.const(HALF)
        self.one = self.const(Fraction(1))

    def const(self, k: Fraction) -> _Trop:
        return _Trop({self.z: Fraction(k)})

    def conv(self, e: Any) -> _Trop:
        if isinstance(e, _Trop):
            return e
        if isinstance(e, float):
            if e < 0:
                return self.ninf
            raise ValueError("internal: +inf exponent")
        if isinstance(e, (int, Fraction)):
            return self.const(Fraction(e))
        expr = sympy.expand(sympy.sympify(e))
        lin = [ZERO] * self.d
        k = ZERO
        for term, coef in expr.as_coefficients_dict().items():
            q = Fraction(int(sympy.Rational(coef).p), int(sympy.Rational(coef).q))
            if term == 1:
                k += q
            elif term in self.index:
                lin[self.index[term]] += q
            else:
                raise ValueError(f"internal: non-linear exponent {e}")
        return _Trop({tuple(lin): k})

    def out(self, e: Any) -> Any:
        return e

    def is_ninf(self, e: Any) -> bool:
        return isinstance(e, _Trop) and not e.terms

    def mx(self, *xs: _Trop) -> _Trop:
        out: dict[tuple[Fraction, ...], Fraction] = {}
        for x in xs:
            for lin, k in x.terms.items():
                if lin not in out or out[lin] < k:
                    out[lin] = k
        return _Trop(self._prune(out))

    def _prune(self, terms: dict[tuple[Fraction, ...], Fraction]) -> dict:
        """Drop terms that are never the maximum (exact).  With one variable: keep the upper
        convex hull of the points (slope, constant) (the tropical Newton polygon)."""
        if self.d != 1 or len(terms) <= 2:
            return terms
        pts = sorted((lin[0], k) for lin, k in terms.items())
        hull: list[tuple[Fraction, Fraction]] = []
        for pt in pts:
            while len(hull) >= 2:
                (x1, y1), (x2, y2) = hull[-2], hull[-1]
                # drop hull[-1] if it is on or below the segment hull[-2] -> pt
                if (y2 - y1) * (pt[0] - x1) <= (pt[1] - y1) * (x2 - x1):
                    hull.pop()
                else:
                    break
            hull.append(pt)
        return {(x,): y for x, y in hull}

    def add(self, *xs: _Trop) -> _Trop:
        acc: dict[tuple[Fraction, ...], Fraction] = {self.z: ZERO}
        for x in xs:
            if not x.terms:
                return self.ninf
            new: dict[tuple[Fraction, ...], Fraction] = {}
            for l1, k1 in acc.items():
                for l2, k2 in x.terms.items():
                    lin = tuple(a + b for a, b in zip(l1, l2, strict=True))
                    k = k1 + k2
                    if lin not in new or new[lin] < k:
                        new[lin] = k
            acc = self._prune(new)
        return _Trop(acc)

    def _collapse(self, y: _Trop) -> tuple[Fraction, ...]:
        """Branch on which term of y attains its max; return that affine form."""
        if len(y.terms) == 1:
            return y.forms()[0]
        return self.run.branch(_argmax_split(y))

    def sub(self, x: _Trop, y: _Trop) -> _Trop:
        if not x.terms:
            return self.ninf
        f = self._collapse(y)
        lin, k = f[:-1], f[-1]
        return _Trop({tuple(a - b for a, b in zip(l1, lin, strict=True)): k1 - k
                      for l1, k1 in x.terms.items()})

    def mn(self, *xs: _Trop) -> _Trop:
        cur = xs[0]
        for y in xs[1:]:
            cur = self._min2(cur, y)
        return cur

    def _min2(self, x: _Trop, y: _Trop) -> _Trop:
        if not x.terms or not y.terms:
            return self.ninf
        fy = self._collapse(y)
        # x <= fy  (all terms)  -> x ;  else the first term of x exceeding fy -> fy
        fx = x.forms()
        alts: list[tuple[list[Constraint], Any]] = []
        alts.append(([(tuple(a - b for a, b in zip(f, fy, strict=True)), "<=") for f in fx], x))
        for i, fi in enumerate(fx):
            cons: list[Constraint] = [(tuple(a - b for a, b in zip(fj, fy, strict=True)), "<=")
                                      for fj in fx[:i]]
            cons.append((tuple(b - a for a, b in zip(fi, fy, strict=True)), "<"))  # fy < fi
            alts.append((cons, _Trop({fy[:-1]: fy[-1]})))
        return self.run.branch(alts)

    def eq(self, x: _Trop, y: _Trop) -> bool:
        if not x.terms or not y.terms:
            return not x.terms and not y.terms
        fx, fy = self._collapse(x), self._collapse(y)
        diff = tuple(a - b for a, b in zip(fx, fy, strict=True))
        neg = tuple(-a for a in diff)
        return self.run.branch([([(diff, "==")], True), ([(diff, "<")], False), ([(neg, "<")], False)])


# ---------------------------------------------------------------------------------- predicates
# A formula is ("and", [..]) | ("or", [..]) | (kind, _Trop) with kind in le0, lt0, gt0, ge0, eq0.
Formula = tuple


def _atom_dnf(kind: str, t: _Trop) -> list[list[Constraint]]:
    fs = t.forms()
    if kind == "le0":
        return [[(f, "<=") for f in fs]]
    if kind == "lt0":
        return [[(f, "<") for f in fs]]
    if kind == "gt0":
        return [[(f, "<=") for f in fs[:i]] + [(tuple(-x for x in fi), "<")] for i, fi in enumerate(fs)]
    if kind == "ge0":
        return [[(f, "<") for f in fs[:i]] + [(tuple(-x for x in fi), "<=")] for i, fi in enumerate(fs)]
    if kind == "eq0":
        return [[(f, "<=") for f in fs] + [(f, "<") for f in fs[:i]] + [(fi, "==")]
                for i, fi in enumerate(fs)]
    raise ValueError(kind)


_NEG = {"le0": "gt0", "gt0": "le0", "lt0": "ge0", "ge0": "lt0"}


def _negate(f: Formula) -> Formula:
    if f[0] == "and":
        return ("or", [_negate(g) for g in f[1]])
    if f[0] == "or":
        return ("and", [_negate(g) for g in f[1]])
    if f[0] == "eq0":
        return ("or", [("lt0", f[1]), ("gt0", f[1])])
    if f[0] == "true":
        return ("false",)
    if f[0] == "false":
        return ("true",)
    return (_NEG[f[0]], f[1])


def _dnf(f: Formula, feasible: Callable[[list[Constraint]], bool]) -> list[list[Constraint]]:
    """Disjunctive normal form, pruning infeasible conjuncts with ``feasible``."""
    kind = f[0]
    if kind == "true":
        return [[]]
    if kind == "false":
        return []
    if kind == "or":
        out: list[list[Constraint]] = []
        seen: set[frozenset] = set()
        for g in f[1]:
            for conj in _dnf(g, feasible):
                key = frozenset(conj)
                if key not in seen:
                    seen.add(key)
                    out.append(conj)
        return out
    if kind == "and":
        acc: list[list[Constraint]] = [[]]
        # conjunctive children first (they prune the most)
        kids = sorted(f[1], key=lambda g: 0 if g[0] in ("le0", "lt0") else 1)
        for g in kids:
            parts = _dnf(g, feasible)
            nxt: list[list[Constraint]] = []
            seen2: set[frozenset] = set()
            for a in acc:
                for b in parts:
                    conj = _clean(a + b)
                    if conj is None:
                        continue
                    key = frozenset(conj)
                    if key in seen2:
                        continue
                    seen2.add(key)
                    if feasible(conj):
                        nxt.append(conj)
            acc = nxt
            if not acc:
                return []
        return acc
    conjs = []
    for conj in _atom_dnf(kind, f[1]):
        c = _clean(conj)
        if c is not None:
            conjs.append(c)
    return conjs


def _clean(cons: list[Constraint]) -> list[Constraint] | None:
    out: list[Constraint] = []
    seen = set()
    for c in cons:
        n = normalize(*c)
        if n is True:
            continue
        if n is False:
            return None
        if n not in seen:
            seen.add(n)
            out.append(n)  # type: ignore[arg-type]
    return _reduce(out)


def _property(name: str, ex: dict, L: int, T: int, opt: Optimizer) -> Formula:
    """The formula of one property on the engine's exponents (see the module docstring)."""
    if name.startswith("not-"):
        return _negate(_property(name[4:], ex, L, T, opt))

    def all_(kind: str, keys: Iterable[tuple]) -> Formula:
        return ("and", [(kind, ex[k]) for k in keys])

    def any_(kind: str, keys: Iterable[tuple]) -> Formula:
        return ("or", [(kind, ex[k]) for k in keys])

    init_keys = [(q, l, 0) for l in range(1, L + 1) for q in ("h", "x")] + [("f", None, 0)]
    stab_keys = [(q, l, t) for t in range(T + 1) for l in range(1, L + 1) for q in ("h", "x")]
    stab_keys += [("f", None, t) for t in range(T + 1)] + [("df_step", None, T)]
    stable = all_("le0", stab_keys)
    moves = any_("eq0", [("df", None, t) for t in range(1, T + 1)])

    def fl(l: int) -> Formula:
        return any_("eq0", [("dx", l, t) for t in range(1, T + 1)])

    def mu(l: int) -> Formula:
        return any_("eq0", [("dWx", l, t) for t in range(1, T + 1)])

    some_fl: Formula = ("or", [fl(l) for l in range(1, L + 1)])
    if name == "stable":
        return stable
    if name == "unstable":
        return _negate(stable)
    if name == "stable_at_init":
        return all_("le0", init_keys)
    if name == "degenerate_at_init":
        return any_("lt0", [("h", l, 0) for l in range(1, L + 1)])
    if name == "moves":
        return moves
    if name == "nontrivial":
        return ("and", [stable, moves])
    if name == "trivial":
        return ("and", [stable, _negate(moves)])
    if name == "feature_learning":
        return ("and", [stable, moves, some_fl])
    if name in ("kernel", "operator"):
        if (name == "operator") != opt.entrywise:
            return ("false",)
        return ("and", [stable, moves, _negate(some_fl)])
    if name == "fl_all":
        return ("and", [stable] + [fl(l) for l in range(1, L + 1)])
    if name == "maximal_update":
        return ("and", [stable] + [mu(l) for l in range(1, L + 2)])
    if name == "discrete_time":
        return ("and", [stable, ("eq0", ex[("df_step", None, T)])])
    for pre, fn, hi in (("fl", fl, L), ("mu", mu, L + 1)):
        if name.startswith(pre) and name[len(pre):].isdigit():
            l = int(name[len(pre):])
            if not 1 <= l <= hi:
                raise ValueError(f"`want` {name!r}: layer must be in 1..{hi}")
            return ("and", [stable, fn(l)])
    raise ValueError(f"unknown property {name!r} in `want`; choose from {', '.join(PROPERTIES)}, "
                     "fl<l>, mu<l> (or not-<property>)")


PROPERTIES = ("stable", "unstable", "stable_at_init", "degenerate_at_init", "moves", "nontrivial",
              "trivial", "feature_learning", "kernel", "operator", "fl_all", "maximal_update",
              "discrete_time")

#: properties whose formula starts with "stable and ..." (the search prunes unstable branches)
_IMPLY_STABLE = {"stable", "nontrivial", "trivial", "feature_learning", "kernel", "operator",
                 "fl_all", "maximal_update", "discrete_time"}


def _implies_stable(name: str) -> bool:
    return name in _IMPLY_STABLE or (name[:2] in ("fl", "mu") and name[2:].isdigit())


def parse_want(want: str | Sequence[str]) -> tuple[str, ...]:
    """``"nontrivial,fl_all"`` -> ``("nontrivial", "fl_all")`` (validated)."""
    items = [w.strip() for w in (want.split(",") if isinstance(want, str) else want)]
    if not items or any(not w for w in items):
        raise ValueError(f"`want` has an empty entry: {want!r}")
    for w in items:
        base = w[4:] if w.startswith("not-") else w
        ok = base in PROPERTIES or (base[:2] in ("fl", "mu") and base[2:].isdigit())
        if not ok:
            raise ValueError(f"unknown property {w!r} in `want`; choose from {', '.join(PROPERTIES)}, "
                             "fl<l>, mu<l> (or not-<property>)")
    return tuple(items)


# ---------------------------------------------------------------------------------- the frame
@dataclass(frozen=True)
class Frame:
    """Which exponents are free coordinates and which are fixed (by the user or the gauge).

    Attributes
    ----------
    depth, optimizer, gauge
        As given.
    values : dict
        ``("a"|"b"|"c", layer) -> Fraction | inf`` for fixed coordinates.
    variables : tuple of str
        Names of the free coordinates (``"b2"``, ``"c3"``, ...), in order.
    gauge_layers : tuple of int
        Layers whose symmetry is fixed by the gauge (the others by a user-fixed coordinate).
    """

    depth: int
    optimizer: Optimizer
    gauge: str
    values: dict[tuple[str, int], Exponent]
    variables: tuple[str, ...]
    gauge_layers: tuple[int, ...]

    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]

    def parametrization(self) -> Parametrization:
        syms = {v: sympy.Symbol(v) for v in self.variables}
        n = self.depth + 1

        def get(k: str, l: int) -> Any:
            return self.values[(k, l)] if (k, l) in self.values else syms[f"{k}{l}"]

        return Parametrization(tuple(get("a", l) for l in range(1, n + 1)),
                               tuple(get("b", l) for l in range(1, n + 1)),
                               tuple(get("c", l) for l in range(1, n + 1)))

    def point_of(self, p: Parametrization) -> list[Fraction] | None:
        """Coordinates of ``p`` (moved by the symmetry into this frame), or None if ``p`` does
        not match the fixed coordinates."""
        k = 1 if self.optimizer.entrywise else 2
        coords: dict[str, Exponent] = {}
        for l in range(1, self.depth + 2):
            a, b, c = p.a[l - 1], p.b[l - 1], p.c[l - 1]
            fa, fb = self.values.get(("a", l)), self.values.get(("b", l))
            if l in self.gauge_layers:
                target = ("a", ZERO) if self.gauge == "sp" or is_pos_inf(b) else ("b", HALF)
            elif fa is not None:
                target = ("a", fa)
            else:
                target = ("b", fb)
            if target[0] == "a":
                th = target[1] - a  # a + th = target
            else:
                if is_pos_inf(b):
                    return None
                th = b - target[1]  # b - th = target
            na, nb = a + th, (b if is_pos_inf(b) else b - th)
            nc = c if is_pos_inf(c) else c - k * th
            for key, v in (("a", na), ("b", nb), ("c", nc)):
                fixed = self.values.get((key, l))
                if fixed is not None:
                    if fixed != v:
                        return None
                else:
                    coords[f"{key}{l}"] = v
        out = []
        for v in self.variables:
            x = coords[v]
            if is_pos_inf(x):
                return None
            out.append(Fraction(x))
        return out

    def parametrization_at(self, x: Sequence[Fraction]) -> Parametrization:
        vals = dict(self.values)
        for name, v in zip(self.variables, x, strict=True):
            vals[(name[0], int(name[1:]))] = v
        n = self.depth + 1
        return Parametrization(tuple(vals[("a", l)] for l in range(1, n + 1)),
                               tuple(vals[("b", l)] for l in range(1, n + 1)),
                               tuple(vals[("c", l)] for l in range(1, n + 1)))


def make_frame(depth: int, optimizer: str | Optimizer, *, gauge: str = "sp",
               fix: dict[str, Sequence[Any]] | None = None) -> Frame:
    """Free coordinates for ``depth`` given fixed exponent lists (``fix={"b": [...]}``)."""
    L = check_depth(depth)
    values: dict[tuple[str, int], Any] = {}
    for key, vals in dict(fix or {}).items():
        if key not in ("a", "b", "c"):
            raise ValueError(f"`fix` key {key!r}: choose a, b or c")
        if len(vals) != L + 1:
            raise ValueError(f"`fix` {key}: {len(vals)} values but depth {L} needs {L + 1}")
        for l, v in enumerate(vals, start=1):
            values[(key, l)] = v
    return _frame(L, optimizer, gauge, values)


def _frame(L: int, optimizer: str | Optimizer, gauge: str, chosen: dict[tuple[str, int], Any]) -> Frame:
    opt = get_optimizer(optimizer)
    if gauge not in GAUGES:
        raise ValueError(f"unknown gauge {gauge!r}; choose 'sp' or 'tp4'")
    values: dict[tuple[str, int], Exponent] = {}
    for (key, l), v in chosen.items():
        e = as_exponent(v, name=f"{key}{l}")
        if not isinstance(e, Fraction) and not (key in "bc" and is_pos_inf(e)):
            raise ValueError(f"`{key}{l}` = {v!r}: must be a finite exact number"
                             + (" or inf" if key in "bc" else ""))
        values[(key, l)] = e
    gauge_layers = []
    for l in range(1, L + 2):
        has_a, has_b = ("a", l) in values, ("b", l) in values
        b_inf = has_b and is_pos_inf(values[("b", l)])
        if gauge == "sp" or b_inf:
            if not has_a:
                values[("a", l)] = ZERO
                gauge_layers.append(l)
        elif not has_b:
            values[("b", l)] = HALF
            gauge_layers.append(l)
    variables = tuple(f"{k}{l}" for k in ("a", "b", "c") for l in range(1, L + 2)
                      if (k, l) not in values)
    return Frame(L, opt, gauge, values, variables, tuple(gauge_layers))


# ---------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Piece:
    """One convex polyhedron of a region, in the frame's free coordinates.

    ``constraints`` are ``(form, rel)`` with ``form = (k_1..k_d, k_0)`` meaning
    ``k.x + k_0 rel 0``.  ``vertices``/``rays``/``lines`` describe the closure (None if too
    many to enumerate).
    """

    constraints: tuple[Constraint, ...]
    witness: tuple[Fraction, ...]
    variables: tuple[str, ...]
    vertices: tuple[tuple[Fraction, ...], ...] | None = None
    rays: tuple[tuple[Fraction, ...], ...] | None = None
    lines: tuple[tuple[Fraction, ...], ...] | None = None

    def contains(self, x: Sequence[Fraction]) -> bool:
        return satisfies(x, self.constraints)

    def text(self, c: Constraint) -> str:
        return constraint_text(c, self.variables)

    def to_json(self) -> dict[str, Any]:
        def pt(v: Sequence[Fraction]) -> dict[str, str]:
            return {n: str(x) for n, x in zip(self.variables, v, strict=True)}

        return {
            "equalities": [self.text(c) for c in self.constraints if c[1] == "=="],
            "inequalities": [self.text(c) for c in self.constraints if c[1] != "=="],
            "vertices": None if self.vertices is None else [pt(v) for v in self.vertices],
            "rays": None if self.rays is None else [pt(v) for v in self.rays],
            "lines": None if self.lines is None else [pt(v) for v in self.lines],
            "interior_point": pt(self.witness),
        }


def constraint_text(c: Constraint, names: Sequence[str]) -> str:
    """``(form, rel)`` as ``"b2 + c3 <= 1/2"`` (variables left, constant right)."""
    form, rel = c
    parts = []
    for k, n in zip(form[:-1], names, strict=True):
        if k == 0:
            continue
        s = "-" if k < 0 else "+"
        mag = abs(k)
        parts.append(f"{s} {'' if mag == 1 else str(mag) + '*'}{n}")
    lhs = " ".join(parts).lstrip("+ ").strip()
    if lhs.startswith("- "):
        lhs = "-" + lhs[2:]
    return f"{lhs or '0'} {rel} {-form[-1]}"


@dataclass(frozen=True)
class Region:
    """An exact region: the union of ``pieces`` (convex polyhedra), in ``frame`` coordinates.

    Attributes
    ----------
    want : tuple of str
        The properties required (conjunction).
    pieces : tuple of Piece
        Convex polyhedra whose union is the region (may overlap only on lower-dim sets).
    leaves : int
        Leaves of the engine's decision tree explored (cells of the exponent space).
    lp_calls : int
        Exact LPs solved.
    named_points : tuple of str
        Presets (theory.presets.NAMED_POINTS) inside the region, after moving them into the frame.
    """

    frame: Frame
    want: tuple[str, ...]
    activation: str
    loss: str
    pieces: tuple[Piece, ...]
    leaves: int
    lp_calls: int
    named_points: tuple[str, ...] = ()
    horizon: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.pieces

    def contains(self, x: Sequence[Fraction]) -> bool:
        return any(p.contains(x) for p in self.pieces)

    def to_json(self) -> dict[str, Any]:
        fr = self.frame
        return {
            "schema": "widthlimits.query/1",
            "depth": fr.depth,
            "optimizer": fr.optimizer.name,
            "activation": self.activation,
            "loss": self.loss,
            "gauge": fr.gauge,
            "want": list(self.want),
            "fixed": {f"{k}{l}": fmt(v) for (k, l), v in sorted(fr.values.items())},
            "variables": list(fr.variables),
            "empty": self.empty,
            "regions": [p.to_json() for p in self.pieces],
            "named_points": list(self.named_points),
            "cells_explored": self.leaves,
            "lp_calls": self.lp_calls,
            "horizon_steps": self.horizon,
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------- the search
def _search(frame: Frame, want: tuple[str, ...], activation: Activation, loss: str,
            first_only: bool = False) -> tuple[list[tuple[list[Constraint], list[Fraction]]], int, int, int]:
    L = frame.depth
    d = len(frame.variables)
    T = 2 * (L + 1) + 6
    p = frame.parametrization()
    syms = frame.symbols()
    base: list[Constraint] = []
    search = _Search(d, base, [ZERO] * d)
    prune_stable = any(_implies_stable(w) for w in want)
    pieces: list[tuple[list[Constraint], list[Fraction]]] = []
    leaves = 0
    while search.pending:
        prefix, witness = search.pending.pop()
        run = _Run(search, prefix, witness)
        ops = _TropOps(syms, run)

        def on_record(q: str, layer: int | None, t: int, value: Any, run: _Run = run) -> None:
            if prune_stable and q in ("h", "x", "f"):
                run.add([(f, "<=") for f in value.forms()])

        # on the stable set f_t <= 0, so the MSE derivative max(1, |f|) is Theta(1) exactly as for
        # the logistic loss: same exponents, and no feedback terms k (1 - c) for every k
        eff_loss = "logistic" if prune_stable else loss
        try:
            res = derive(p, frame.optimizer, activation, loss=eff_loss, steps=T, trace=False,
                         ops=ops, on_record=on_record if prune_stable else None)
        except _Infeasible:
            continue
        leaves += 1
        formula = ("and", [_property(w, res.exponents, L, T, frame.optimizer) for w in want])
        cache: dict[frozenset, list[Fraction] | None] = {}

        def feasible(conj: list[Constraint], run: _Run = run, cache: dict = cache) -> bool:
            key = frozenset(conj)
            if key not in cache:
                cache[key] = search.feasible(run.cons + conj, run.witness)
            return cache[key] is not None

        for conj in _dnf(formula, feasible):
            pt = cache.get(frozenset(conj))
            if pt is None:
                pt = search.feasible(run.cons + conj, run.witness)
            if pt is None:
                continue
            pieces.append((run.cons + conj, pt))
            if first_only:
                return pieces, leaves, search.lp_calls, T
    return pieces, leaves, search.lp_calls, T


def region(
    depth: int,
    optimizer: str | Optimizer = "sgd",
    want: str | Sequence[str] = "nontrivial",
    *,
    activation: str | Activation = "tanh",
    loss: str = "mse",
    gauge: str = "sp",
    fix: dict[str, Sequence[Any]] | None = None,
    simplify_pieces: bool = True,
    describe: bool = True,
) -> Region:
    """The exact set of exponent vectors with every property in ``want``.

    Parameters
    ----------
    depth : int
        Number of hidden layers L.
    want : str or sequence of str
        Comma-separated properties (conjunction); see the module docstring.
    gauge : {"sp", "tp4"}
        Symmetry gauge: ``a_l = 0`` or ``b_l = 1/2`` (layers with a user-fixed ``a``/``b`` keep
        it instead).
    fix : dict, optional
        ``{"a"|"b"|"c": L+1 exact values}``; ``inf`` allowed for b (zero init) and c (frozen).
    simplify_pieces, describe : bool
        Remove redundant inequalities / compute vertices and rays of every piece.

    Returns
    -------
    Region
        Union of convex rational polyhedra in the free coordinates (``region.frame.variables``).

    Notes
    -----
    Exact: see the module docstring.  Verdicts are those of
    :func:`widthlimits.theory.classify.classify` (the engine's definitions, TP4 Sec. 3, TP IVb
    Sec. 2.8, Golikov 2020).

    Examples
    --------
    >>> r = region(1, "sgd", "nontrivial", fix={"b": [0, "1/2", "1/2"]})
    >>> r.empty, "sp" in r.named_points
    (False, True)
    """
    frame = make_frame(depth, optimizer, gauge=gauge, fix=fix)
    wants = parse_want(want)
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    raw, leaves, lps, T = _search(frame, wants, act, loss)
    d = len(frame.variables)
    seen: set[frozenset] = set()
    pieces: list[Piece] = []
    for cons, pt in raw:
        cs = simplify(cons, d) if simplify_pieces else _clean(cons) or []
        key = frozenset(cs)
        if key in seen:
            continue
        seen.add(key)
        verts = rays = lines = None
        if describe:
            vr = vertices_and_rays(cs, d)
            if vr is not None:
                verts, rays, lines = (tuple(tuple(v) for v in x) for x in vr)
        pieces.append(Piece(tuple(cs), tuple(pt), frame.variables, verts, rays, lines))
    named = []
    for name in NAMED_POINTS:
        try:
            pp = preset(name, frame.depth, frame.optimizer)
        except ValueError:
            continue
        x = frame.point_of(pp)
        if x is not None and any(pc.contains(x) for pc in pieces):
            named.append(name)
    notes = (f"verdicts over steps 0..{T} (the engine's horizon for depth {frame.depth})",)
    return Region(frame, wants, act.name, loss, tuple(pieces), leaves, lps, tuple(named), T, notes)


def is_empty(depth: int, optimizer: str | Optimizer, want: str | Sequence[str], *,
             activation: str | Activation = "tanh", loss: str = "mse", gauge: str = "sp",
             fix: dict[str, Sequence[Any]] | None = None) -> tuple[bool, list[Fraction] | None, Frame]:
    """Emptiness test that stops at the first point found (returns it)."""
    frame = make_frame(depth, optimizer, gauge=gauge, fix=fix)
    raw, _, _, _ = _search(frame, parse_want(want), get_activation(activation), loss, first_only=True)
    return (not raw), (raw[0][1] if raw else None), frame


# ---------------------------------------------------------------------------------- why not
@dataclass(frozen=True)
class WhyNot:
    """A minimal set of conditions that cannot hold together (deletion filter, exact).

    Attributes
    ----------
    conditions : tuple of str
        The conflicting conditions: fixed exponents (``"b2 = 1"``) and properties.
    relaxations : tuple of (str, dict)
        For each condition: dropping it makes the request feasible; a witness parametrization
        and its classification summary.
    """

    conditions: tuple[str, ...]
    relaxations: tuple[tuple[str, dict[str, Any]], ...]

    def to_json(self) -> dict[str, Any]:
        return {"conflict": list(self.conditions),
                "without": [{"dropped": c, **w} for c, w in self.relaxations]}


def _expand_want(w: str) -> list[str]:
    return {"nontrivial": ["stable", "moves"],
            "feature_learning": ["stable", "moves", "feature_learning"],
            "discrete_time": ["stable", "discrete_time"]}.get(w, [w])


def why_not(depth: int, optimizer: str | Optimizer, want: str | Sequence[str], *,
            activation: str | Activation = "tanh", loss: str = "mse", gauge: str = "sp",
            fix: dict[str, Sequence[Any]] | None = None) -> WhyNot | None:
    """For an empty request, a minimal conflicting subset of its conditions (None if feasible).

    Conditions are the individual fixed exponents and the wanted properties (``nontrivial`` is
    split into ``stable`` and ``moves``).  The deletion filter (Chinneck & Dravnieks 1991) drops
    a condition whenever the rest is still infeasible; what remains is minimal: dropping any one
    condition makes the request feasible, and a witness for that is reported.
    """
    from widthlimits.theory.classify import classify

    L = check_depth(depth)
    wants: list[str] = []
    for w in parse_want(want):
        for x in _expand_want(w):
            if x not in wants:
                wants.append(x)
    fixes: list[tuple[str, int, Any]] = []
    for key, vals in (fix or {}).items():
        for l, v in enumerate(vals, start=1):
            fixes.append((key, l, v))
    conds: list[tuple[str, Any]] = [("fix", f) for f in fixes] + [("want", w) for w in wants]

    def test(sub: list[tuple[str, Any]]) -> tuple[bool, list[Fraction] | None, Frame]:
        ws = [c[1] for c in sub if c[0] == "want"] or ["stable_at_init", "not-stable_at_init"]
        chosen = {(c[1][0], c[1][1]): c[1][2] for c in sub if c[0] == "fix"}
        fr = _frame(L, optimizer, gauge, chosen)
        raw, _, _, _ = _search(fr, tuple(ws), get_activation(activation), loss, first_only=True)
        return (not raw), (raw[0][1] if raw else None), fr

    empty, _, _ = test(conds)
    if not empty:
        return None
    keep = list(conds)
    i = 0
    while i < len(keep):
        trial = keep[:i] + keep[i + 1:]
        if test(trial)[0]:
            keep = trial
        else:
            i += 1
    relax = []
    for i, c in enumerate(keep):
        e, pt, fr = test(keep[:i] + keep[i + 1:])
        info: dict[str, Any] = {}
        if pt is not None:
            p = fr.parametrization_at(pt)
            cl = classify(p, fr.optimizer, activation, loss=loss)
            info = {"witness": p.as_dict(), "regime": cl.regime,
                    "feature_learning_layers": list(cl.feature_learning_layers),
                    "violations": [str(v) for v in cl.violations]}
        relax.append((_cond_text(c), info))
    return WhyNot(tuple(_cond_text(c) for c in keep), tuple(relax))


def _cond_text(c: tuple[str, Any]) -> str:
    if c[0] == "fix":
        k, l, v = c[1]
        return f"{k}{l} = {fmt(v) if not isinstance(v, str) else v}"
    return {"stable": "stable (h, x, f = O(1) at every step)",
            "moves": "f_t - f_0 = Theta(1) at some step",
            "fl_all": "feature learning in every hidden layer",
            "feature_learning": "feature learning in some layer (regime)"}.get(c[1], c[1])


__all__ = ["Frame", "Piece", "Region", "WhyNot", "PROPERTIES", "constraint_text", "is_empty",
           "make_frame", "parse_want", "region", "why_not", "INF"]

