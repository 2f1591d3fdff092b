"""The engine's max-plus arithmetic as linear real arithmetic: exponents as SMT terms.

Every exponent the engine (:mod:`widthlimits.theory.engine`) computes is built from the free
coordinates :math:`z` by ``+``, ``-``, ``max`` and ``min``: a piecewise-affine function of
:math:`z`.  :class:`SmtOps` runs the unmodified engine once with values that are *affine forms
over atoms*: the free coordinates and one fresh real variable per ``max``/``min`` that cannot be
decided statically, defined by the exact linear constraints

.. math::
    m = \\max_i x_i \\iff \\bigwedge_i m \\ge x_i \\;\\wedge\\; \\bigvee_i m = x_i

(mirrored for ``min``).  A wanted property is a Boolean combination of sign conditions on
exponents (:mod:`widthlimits.theory.regions.properties`); :func:`compile_formula` turns it into
one formula of linear real arithmetic (LRA), which z3's LRA procedure (simplex over exact
rationals, strict inequalities included) decides.  No cell of the box is enumerated.

Polarity (Plaisted & Greenbaum 1986).  Only the side of a definition that the formula can use is
emitted: if the formula needs an atom's value to be *at least* its true value ("small" side:
conditions such as :math:`e \\le 0` get harder as ``e`` grows) the conjunctive half
:math:`m \\ge x_i` of a ``max`` suffices, if *at most* ("large") the disjunctive half
:math:`\bigvee_i m \\le x_i`.  Sides propagate to the arguments by the sign of their
coefficients.  The relaxed formula is equisatisfiable with the exact one over the same
coordinates: from a model of it the true exponents at the same :math:`z` satisfy the property
(each relaxed atom errs only in the direction the formula tolerates), and the true exponents
satisfy the relaxation.  Stability (every exponent ``<= 0``) thus becomes a conjunction of
linear inequalities.

Static pruning keeps the formula small: a ``max`` argument whose difference to another one is
never positive on the box (interval arithmetic over the atoms' ranges, exact rationals) is
dropped, and arguments with the same linear part keep only the largest constant.

Identically zero quantities are ``NEG_INF`` (as in the engine).  The one place where the engine
branches on a value (entrywise optimizers with leaky-ReLU/GELU drop the mean part of a saturated
update) is encoded by a *guard*: a Boolean under which the value exists (``mean_gate``); a
guarded value is :math:`-\\infty` where its guard is false.

Scaling: every constant of the engine is a multiple of ``1/D``; forms are ``D`` times the
exponent, over atoms ``u = D z`` (the coordinates scaled), so their constants are integers.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.exponents import NEG_INF


def z3_module() -> Any:
    import z3  # lazy: a core dependency, but only the region engine needs it

    return z3


class SVal:
    """An exponent on the whole box: ``D e = sum(coef * atom) + k`` (``k`` an integer),
    defined where ``guard`` holds (``None``: everywhere; else a formula of
    :func:`compile_formula`'s input language)."""

    __slots__ = ("lin", "k", "guard", "ops", "_term")

    def __init__(self, lin: tuple[tuple[int, int], ...], k: int, ops: SmtOps,
                 guard: Any = None) -> None:
        self.lin, self.k, self.ops, self.guard = lin, k, ops, guard
        self._term = None

    def __neg__(self) -> SVal:
        if self.guard is not None:
            raise ValueError("internal: negation of a guarded exponent")
        return SVal(tuple((a, -c) for a, c in self.lin), -self.k, self.ops)

    def term(self) -> Any:
        """The z3 arithmetic term (cached)."""
        if self._term is None:
            z3 = z3_module()
            atoms = self.ops.atoms
            parts = [atoms[a] if c == 1 else c * atoms[a] for a, c in self.lin]
            if self.k or not parts:
                parts.append(z3.RealVal(self.k))
            self._term = parts[0] if len(parts) == 1 else z3.Sum(parts)
        return self._term

    def bounds(self) -> tuple[Fraction, Fraction]:
        return self.ops.bounds(self.lin, self.k)

    def __repr__(self) -> str:
        return f"SVal({self.lin} + {self.k}{'' if self.guard is None else ' if guard'})"


def _combine(*lins: tuple[tuple[int, int], ...], sign: Sequence[int] | None = None
             ) -> tuple[tuple[int, int], ...]:
    acc: dict[int, int] = {}
    for i, lin in enumerate(lins):
        s = 1 if sign is None else sign[i]
        for a, c in lin:
            acc[a] = acc.get(a, 0) + s * c
    return tuple(sorted((a, c) for a, c in acc.items() if c))


class SmtOps:
    """Engine arithmetic (the interface of :class:`widthlimits.theory.engine.MaxPlusOps`) over
    SMT terms.  ``defs`` holds the definitions of the fresh atoms."""

    symbolic = True  # the engine's numeric shortcuts (blow-up stop, stationarity) are skipped

    def __init__(self, symbols: Sequence[sympy.Symbol], box: tuple[Fraction, Fraction],
                 D: int, bounds: Sequence[tuple[Fraction, Fraction]] | None = None) -> None:
        z3 = z3_module()
        self.D = D
        self.symbols = list(symbols)
        self.index = {s: i for i, s in enumerate(self.symbols)}
        lo, hi = Fraction(box[0]) * D, Fraction(box[1]) * D
        self.atoms: list[Any] = [z3.Real(str(s)) for s in self.symbols]
        self.lo: list[Fraction] = [lo] * len(self.symbols)
        self.hi: list[Fraction] = [hi] * len(self.symbols)
        if bounds is not None:  # per-coordinate ranges inside the box (tighter static pruning)
            self.lo = [max(lo, Fraction(b[0]) * D) for b in bounds]
            self.hi = [min(hi, Fraction(b[1]) * D) for b in bounds]
        #: definitions of the fresh atoms: index -> ("max" | "min", arguments, guard)
        self.defs: dict[int, tuple[str, tuple[SVal, ...], Any]] = {}
        self.ninf = NEG_INF
        self.zero = SVal((), 0, self)
        self.half = SVal((), D // 2, self)
        self.one = SVal((), D, self)
        self._cache: dict[Any, SVal] = {}
        self.fresh = 0

    # -- interval arithmetic over the box (exact)
    def bounds(self, lin: tuple[tuple[int, int], ...], k: int) -> tuple[Fraction, Fraction]:
        lo = hi = Fraction(k)
        for a, c in lin:
            if c > 0:
                lo += c * self.lo[a]
                hi += c * self.hi[a]
            else:
                lo += c * self.hi[a]
                hi += c * self.lo[a]
        return lo, hi

    def _new_atom(self, lo: Fraction, hi: Fraction) -> int:
        z3 = z3_module()
        i = len(self.atoms)
        self.atoms.append(z3.Real(f"m{self.fresh}"))
        self.fresh += 1
        self.lo.append(lo)
        self.hi.append(hi)
        return i

    # -- the ops interface
    def conv(self, e: Any) -> Any:
        if isinstance(e, float):
            return NEG_INF if e < 0 else e
        if isinstance(e, (int, Fraction)):
            kk = Fraction(e) * self.D
            if kk.denominator != 1:
                raise ValueError(f"internal: constant {e} not a multiple of 1/{self.D}")
            return SVal((), int(kk), self)
        v = self._cache.get(e)
        if v is None:
            lin: dict[int, int] = {}
            k = 0
            for term, coef in sympy.expand(e).as_coefficients_dict().items():
                q = Fraction(int(sympy.Rational(coef).p), int(sympy.Rational(coef).q))
                if term == 1:  # constants are scaled by D, atoms already are (u = D z)
                    if (q * self.D).denominator != 1:
                        raise ValueError(f"internal: constant {coef} not a multiple of 1/{self.D}")
                    k += int(q * self.D)
                elif term in self.index:
                    c = lin.get(self.index[term], 0) + q
                    lin[self.index[term]] = int(c) if c.denominator == 1 else c
                else:
                    raise ValueError(f"internal: exponent {e} is not affine in the coordinates")
            v = self._cache[e] = SVal(tuple(sorted((a, c) for a, c in lin.items() if c)), k, self)
        return v

    def out(self, e: Any) -> Any:
        return e

    def is_ninf(self, e: Any) -> bool:
        return isinstance(e, float) and e == NEG_INF

    def lift(self, x: Any) -> SVal:
        return x if isinstance(x, SVal) else self.conv(x)

    def add(self, *xs: Any) -> Any:
        vals = []
        for x in xs:
            if self.is_ninf(x):
                return NEG_INF
            vals.append(self.lift(x))
        guards = [v.guard for v in vals if v.guard is not None]
        return SVal(_combine(*(v.lin for v in vals)), sum(v.k for v in vals), self,
                    self._and(guards))

    def sub(self, x: Any, y: Any) -> Any:
        if self.is_ninf(x):
            return NEG_INF
        x, y = self.lift(x), self.lift(y)
        guards = [v.guard for v in (x, y) if v.guard is not None]
        return SVal(_combine(x.lin, y.lin, sign=(1, -1)), x.k - y.k, self, self._and(guards))

    def _and(self, guards: list[Any]) -> Any:
        if not guards:
            return None
        return guards[0] if len(guards) == 1 else ("and", tuple(guards))

    def _prune(self, vals: list[SVal], largest: bool) -> list[SVal]:
        """Drop arguments that never attain the max (min): same linear part with a smaller
        constant, or a difference that is never positive on the box.  For ``max`` only an
        argument defined everywhere can dominate (for ``min`` every argument is defined where
        the result is)."""
        by_lin: dict[tuple, SVal] = {}
        rest: list[SVal] = []
        for v in vals:
            if largest and v.guard is not None:
                rest.append(v)
                continue
            old = by_lin.get(v.lin)
            if old is None or (v.k > old.k if largest else v.k < old.k):
                by_lin[v.lin] = v
        cands = list(by_lin.values()) + rest
        keep = []
        for i, x in enumerate(cands):
            dominated = False
            for j, y in enumerate(cands):
                if i == j or (largest and y.guard is not None):
                    continue
                lo, hi = self.bounds(_combine(x.lin, y.lin, sign=(1, -1)), x.k - y.k)
                # x - y <= 0 everywhere (max) / >= 0 (min); at equality the earlier one stays
                if largest and (hi < 0 or (hi == 0 and (j < i or lo < 0))):
                    dominated = True
                elif not largest and (lo > 0 or (lo == 0 and (j < i or hi > 0))):
                    dominated = True
                if dominated:
                    break
            if not dominated:
                keep.append(x)
        return keep

    def _pick(self, xs: Sequence[Any], largest: bool) -> Any:
        """max / min.  max is defined where some argument is (``or`` of guards) and ranges over
        the defined arguments; min is defined where every argument is (``and``)."""
        vals = [self.lift(x) for x in xs if not self.is_ninf(x)]
        if not vals:
            return NEG_INF
        if not largest and len(vals) != len(xs):
            return NEG_INF  # min with an identically zero quantity
        guards = [v.guard for v in vals if v.guard is not None]
        if largest:
            guard = None if len(guards) < len(vals) else ("or", tuple(guards))
        else:
            guard = self._and(guards)
        keep = self._prune(vals, largest)
        if len(keep) == 1:
            v = keep[0]
            if largest or v.guard is guard:
                return v
            return SVal(v.lin, v.k, self, guard)
        bs = [v.bounds() for v in keep]
        if largest:
            lo = max((b[0] for b, v in zip(bs, keep, strict=True) if v.guard is None),
                     default=min(b[0] for b in bs))
            hi = max(b[1] for b in bs)
        else:
            lo, hi = min(b[0] for b in bs), min(b[1] for b in bs)
        m = self._new_atom(lo, hi)
        self.defs[m] = ("max" if largest else "min", tuple(keep), guard)
        return SVal(((m, 1),), 0, self, guard)

    def mx(self, *xs: Any) -> Any:
        return self._pick(xs, True)

    def mn(self, *xs: Any) -> Any:
        return self._pick(xs, False)

    def mean_gate(self, e: Any, q: Any) -> Any:
        """``e`` where ``q != 0`` (the update is not saturated), ``-inf`` where ``q == 0``."""
        if self.is_ninf(e) or self.is_ninf(q):
            return e
        q = self.lift(q)
        lo, hi = q.bounds()
        if not q.lin and q.k == 0:
            return NEG_INF
        if hi < 0 or lo > 0:
            return e
        g = self._and([x for x in (q.guard, ("sign", "!=", SVal(q.lin, q.k, self))) if x])
        e = self.lift(e)
        return SVal(e.lin, e.k, self, g if e.guard is None else ("and", (e.guard, g)))

    def eq(self, x: Any, y: Any) -> bool:
        raise ValueError("internal: the SMT encoding decides no equality while the engine runs "
                         "(the engine uses mean_gate)")


def common_denominator(values: Sequence[Any], symbols: Sequence[sympy.Symbol]) -> int:
    """An even common denominator of every coefficient of the (affine, sympy) exponents."""
    D = 2
    for v in values:
        if isinstance(v, float):
            continue
        if isinstance(v, Fraction):
            D = math.lcm(D, v.denominator)
            continue
        for coef in sympy.expand(sympy.sympify(v)).as_coefficients_dict().values():
            D = math.lcm(D, int(sympy.Rational(coef).q))
    return D


# ------------------------------------------------------------------------------ formulas
#: input language of :func:`compile_formula`: ("sign", op, SVal | -inf) with op one of
#: > >= == != <= <; ("and", items); ("or", items); ("not", item); True / False
_FLIP = {">": "<=", ">=": "<", "==": "!=", "!=": "==", "<=": ">", "<": ">="}
SMALL, LARGE = 1, 2  # the model value must be >= (SMALL) / <= (LARGE) the true value


def compile_formula(f: Any, ops: SmtOps) -> tuple[Any, list[Any]]:
    """``f`` as a z3 formula plus the (polarity-relaxed) definitions it needs."""
    pol: dict[int, int] = {}
    heap: list[int] = []
    z3 = z3_module()

    def mark(e: SVal, side: int) -> None:
        for a, c in e.lin:
            if a >= len(ops.symbols):
                s = side if c > 0 else (3 - side if side != 3 else 3)
                if a not in pol:
                    heapq.heappush(heap, -a)
                pol[a] = pol.get(a, 0) | s

    def sign(op: str, e: Any) -> Any:
        if isinstance(e, float):  # -inf
            return z3.BoolVal(op in ("<", "<=", "!="))
        lo, hi = e.bounds()
        static = {">": (lo > 0, hi <= 0), ">=": (lo >= 0, hi < 0), "<": (hi < 0, lo >= 0),
                  "<=": (hi <= 0, lo > 0), "==": (lo == hi == 0, lo > 0 or hi < 0),
                  "!=": (lo > 0 or hi < 0, lo == hi == 0)}[op]
        if static[0]:
            f = z3.BoolVal(True)
        elif static[1]:
            f = z3.BoolVal(False)
        else:
            mark(e, {">": LARGE, ">=": LARGE, "<": SMALL, "<=": SMALL}.get(op, 3))
            t = e.term()
            f = {">": t > 0, ">=": t >= 0, "<": t < 0, "<=": t <= 0, "==": t == 0,
                 "!=": t != 0}[op]
        if e.guard is None:
            return f
        g = exact(e.guard)
        # an undefined (guarded-off) exponent is -inf
        return z3.Or(z3.Not(g), f) if op in ("<", "<=", "!=") else z3.And(g, f)

    def exact(g: Any) -> Any:
        return nnf(g, True, exact_mode=True)

    def nnf(x: Any, positive: bool, exact_mode: bool = False) -> Any:
        if isinstance(x, bool):
            return z3.BoolVal(x == positive)
        kind = x[0]
        if kind == "not":
            return nnf(x[1], not positive, exact_mode)
        if kind in ("and", "or"):
            parts = [nnf(y, positive, exact_mode) for y in x[1]]
            conj = (kind == "and") == positive
            return z3.And(*parts) if conj else z3.Or(*parts)
        op, e = x[1], x[2]
        op = op if positive else _FLIP[op]
        if exact_mode and not isinstance(e, float):
            mark(e, 3)
        return sign(op, e)

    top = nnf(f, True)
    defs: list[Any] = []
    while heap:
        # arguments (and guards) have smaller indices than their atom: highest first, so every
        # side an atom needs is known when it is reached
        m = -heapq.heappop(heap)
        kind, args, guard = ops.defs[m]
        p = pol[m]
        mt = ops.atoms[m]
        for side in (SMALL, LARGE):
            if not p & side:
                continue
            for v in args:
                mark(v, side)
                if v.guard is not None:
                    exact(v.guard)
            # SMALL: m >= true value; LARGE: m <= true value
            if (kind == "max") == (side == SMALL):  # conjunctive half
                for v in args:
                    rel = mt >= v.term() if side == SMALL else mt <= v.term()
                    defs.append(z3.Implies(exact(v.guard), rel) if kind == "max" and v.guard
                                is not None else rel)
            else:  # disjunctive half
                alts = []
                for v in args:
                    rel = mt <= v.term() if side == LARGE else mt >= v.term()
                    alts.append(z3.And(exact(v.guard), rel) if kind == "max" and v.guard
                                is not None else rel)
                d = z3.Or(*alts)
                defs.append(d if guard is None or kind == "min" else z3.Implies(exact(guard), d))
    return top, defs
