"""The engine's sets equal the closed forms' sets: TP4 and TP IVb as exact set identities.

For depth ``L``, an optimizer and a property :math:`P` (``stable``, ``nontrivial``,
``feature_learning``, ``kernel`` for SGD-type optimizers, ``operator`` for entrywise ones) let
:math:`E_P` be the set of gauge-fixed exponents :math:`z = (b_l, c_l)_{l \\le L+1}` (gauge ``sp``:
every :math:`a_l = 0`, :func:`~widthlimits.theory.regions.existence.free_frame`) in the box
:math:`[-4, 4]^{2L+2}` whose limit the engine (:func:`~widthlimits.theory.classify.classify`,
steps ``0..T``) gives property :math:`P`, and :math:`C_P` the set the closed form gives it:

* SGD-type (sgd, momentum): Yang & Hu 2021, *Tensor Programs IV*, arXiv:2011.14522, Thm 3.3
  (stable), Thm 3.4 (nontrivial), Thm 3.6/3.8 (feature learning iff :math:`r = 0`, kernel iff
  :math:`r > 0`), with per-layer rates (:mod:`widthlimits.theory.closed_forms`);
* entrywise (adam, rmsprop, signsgd, :math:`\\epsilon` negligible): Yang & Littwin 2023,
  *Tensor Programs IVb*, arXiv:2308.01814, Thm 2.8.12 (stable), Thm 2.8.15 (nontrivial),
  Thm 2.8.19 (feature learning / operator regime).

Both theorems assume :math:`\\Theta(1)` pre-activations at init, so they speak about the domain
:math:`\\Delta = \\{a_1 + b_1 \\le 0,\\ a_l + b_l \\le 1/2\\ (2 \\le l \\le L)\\}` (outside it
the initialization is degenerate, :func:`~widthlimits.theory.closed_forms.applies`).  The theorem
proved here, for each ``L``, optimizer and property, is

.. math::
    E_P \\cap \\Delta = C_P \\cap \\Delta ,

decided exactly in two steps, each a pair of unsatisfiability proofs in linear real arithmetic
(z3's simplex over the rationals, strict inequalities included; the engine encoded by
:class:`~widthlimits.theory.regions.smt_ops.SmtOps`):

1. *Initialization.*  On :math:`\\Delta`, the engine's stability at init (steps 0 only) equals
   the closed forms' :math:`I = \\{a_1 + b_1 = 0,\\ a_l + b_l = 1/2,\\ a_{L+1} + b_{L+1} \\ge
   1/2\\}`: both :math:`E_{init} \\setminus I` and :math:`I \\setminus E_{init}` are empty.
2. *Training.*  On the slice :math:`I` (free: :math:`b_{L+1} \\ge 1/2` and every
   :math:`c_l`), :math:`E_P \\setminus C_P` and :math:`C_P \\setminus E_P` are empty.

Every property implies stability at init on both sides (:math:`E_P \\subseteq E_{init}`,
:math:`C_P \\subseteq I`), so (1) and (2) give the identity.  For :math:`P \\ne` ``stable``,
step (2) first proves :math:`E_{stable} = C_{stable}` on the slice; then both sets of :math:`P`
lie in the bounding box of the polyhedron :math:`C_{stable}` (exact LPs), and the engine is
encoded on that box (tighter static pruning of maxima).

Each difference :math:`K \\setminus D` (``K``, ``D`` one side each) is decided as many small
problems: for each conjunct :math:`d` of :math:`D` (in the order of the engine's steps) and each
disjunct :math:`g` of :math:`\\lnot d`, :math:`K \\wedge g` is unsatisfiable; the conjuncts
proved so far are added to the later problems (they hold on :math:`K`), which bounds the
earlier steps' exponents and prunes the solver's search.  The slice (``L + 2`` free
coordinates instead of ``2L + 2``) and the per-conjunct cases are what make it feasible: one
formula per difference over the whole space did not finish at depth 3 in 300 s (measured).

If a difference is non-empty the solver's model is a witness: a rational
point, classified by the ordinary engine and evaluated by the closed form as a check
(``Equivalence.witness_check``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import get_activation
from widthlimits.theory.classify import classify
from widthlimits.theory.optimizers import get_optimizer
from widthlimits.theory.regions.cover import BOX
from widthlimits.theory.regions.existence import FormulaLogic, encode, free_frame
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.properties import NumericLogic, conditions, has_property
from widthlimits.theory.regions.smt_ops import compile_formula, z3_module

HALF = Fraction(1, 2)
#: the properties the closed forms speak about
CLOSED_FORM_PROPERTIES = ("stable", "nontrivial", "feature_learning", "kernel", "operator")


def _fraction(v: Any) -> Fraction:
    return Fraction(v.numerator_as_long(), v.denominator_as_long())


def _conjuncts(f: Any) -> list[Any]:
    """The items of a (nested) conjunction."""
    if isinstance(f, tuple) and f[0] == "and":
        return [g for x in f[1] for g in _conjuncts(x)]
    return [f]


def _disjuncts(f: Any) -> list[Any]:
    """Formulas whose disjunction is ``f`` (its top-level ``or`` s, through negations)."""
    if isinstance(f, bool):
        return [f] if f else []
    if f[0] == "or":
        return [g for x in f[1] for g in _disjuncts(x)]
    if f[0] == "not":
        x = f[1]
        if isinstance(x, bool):
            return [] if x else [True]
        if x[0] == "and":
            return [g for y in x[1] for g in _disjuncts(("not", y))]
        if x[0] == "not":
            return _disjuncts(x[1])
    return [f]


class _FractionOps:
    """Plain rational arithmetic with :class:`SmtOps`' ``add``/``sub``/``conv`` interface."""

    def conv(self, x: Any) -> Fraction:
        return Fraction(x)

    def add(self, *xs: Any) -> Fraction:
        return sum((Fraction(x) for x in xs), Fraction(0))

    def sub(self, x: Any, y: Any) -> Fraction:
        return Fraction(x) - Fraction(y)


def closed_form_formula(prop: str, a: Sequence[Any], b: Sequence[Any], c: Sequence[Any],
                        entrywise: bool, ops: Any, logic: Any, shift_r: Fraction = Fraction(0)
                        ) -> Any:
    """Property ``prop`` by TP4 (``entrywise=False``) or TP IVb, over exponents ``a, b, c``
    (values of ``ops``: SMT terms or fractions), in ``logic`` (formulas or booleans); the
    theorem's inequalities as in :func:`widthlimits.theory.closed_forms.closed_form`, every
    minimum expanded (:math:`\\min_i x_i \\ge 0 \\iff \\bigwedge_i x_i \\ge 0`, ...).

    ``shift_r`` moves the stability condition :math:`r \\ge 0` to :math:`r \\ge` ``shift_r``
    (a deliberately wrong theorem, to show that the check can fail)."""
    L = len(a) - 1
    lg = logic

    def lin(*xs: Any) -> Any:
        return ops.add(*(ops.conv(x) if isinstance(x, (int, Fraction)) else x for x in xs))

    def neg(x: Any) -> Any:
        return ops.sub(ops.conv(0), x)

    def min_ge0(fs: Sequence[Any]) -> Any:
        return lg.all([lg.nonneg(f) for f in fs])

    def min_eq0(fs: Sequence[Any]) -> Any:
        return lg.all([min_ge0(fs), lg.any([lg.zero(f) for f in fs])])

    def min_gt0(fs: Sequence[Any]) -> Any:
        return lg.all([lg.pos(f) for f in fs])

    ab = lin(a[L], b[L])
    init = [lg.zero(lin(a[0], b[0])), lg.nonneg(lin(ab, -HALF))]
    init += [lg.zero(lin(a[l], b[l], -HALF)) for l in range(1, L)]
    if entrywise:  # TP IVb: r_1 = c_1 + a_1, r_l = c_l + a_l - 1; readout r_{L+1}
        r = [lin(c[l], a[l], 0 if l == 0 else -1) for l in range(L)]
        readout = lin(c[L], a[L], -1)
    else:  # TP4: r_l = min(ab, 2a_{L+1} + c_{L+1}) + c_l - 1 + 2 a_l + [l = 1]
        two_a_c = lin(a[L], a[L], c[L])
        r = [lin(m, c[l], a[l], a[l], 0 if l == 0 else -1) for l in range(L) for m in (ab, two_a_c)]
        readout = lin(two_a_c, -1)
    ab_r = [lin(ab, x, -1) for x in r]  # a_{L+1} + b_{L+1} + r - 1, one form per piece of r
    stable = lg.all(init + [min_ge0([lin(x, -shift_r) for x in r]), lg.nonneg(readout),
                            min_ge0(ab_r)])
    nontrivial = lg.all([stable, lg.any([lg.zero(readout), min_eq0(ab_r)])])
    table: dict[str, Callable[[], Any]] = {
        "stable_at_init": lambda: lg.all(init),
        "stable": lambda: stable,
        "nontrivial": lambda: nontrivial,
        "feature_learning": lambda: lg.all([nontrivial, min_eq0(r)]),
        "kernel": lambda: lg.all([nontrivial, min_gt0(r)]) if not entrywise else False,
        "operator": lambda: lg.all([nontrivial, min_gt0(r)]) if entrywise else False,
    }
    if prop not in table:  # stable_at_init: the initialization conditions alone
        raise ValueError(f"no closed form for property {prop!r}; choose from "
                         f"{', '.join(CLOSED_FORM_PROPERTIES)}")
    return table[prop]()


@dataclass(frozen=True)
class Check:
    """One emptiness check: ``name`` (e.g. ``"engine \\ closed form"``), the frame's free
    coordinates, the answer (True: empty, proved; False: a witness; None: time limit)."""

    name: str
    variables: tuple[str, ...]
    empty: bool | None
    witness: tuple[Fraction, ...] | None
    seconds: float
    cpu_seconds: float
    cases: int = 0  #: solver calls (one per disjunct of the negated side)
    slowest: float = 0.0  #: seconds of the slowest one


@dataclass(frozen=True)
class Equivalence:
    """Answer of :func:`closed_form_equivalence`: ``equal`` is True (every check proved its
    difference empty), False (``witness``: a point of the difference, in ``a, b, c``) or None
    (time limit)."""

    depth: int
    optimizer: str
    prop: str
    activation: str
    theorem: str
    equal: bool | None
    checks: tuple[Check, ...]
    witness: Any = None
    witness_side: str = ""
    witness_check: dict[str, Any] = field(default_factory=dict)
    #: for properties other than ``stable``: the checks of the stable sets (step 2a)
    lemmas: tuple[Check, ...] = ()
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def _closed_form_bounds(frame: CellFrame, act: Any, box: tuple, extra: Callable[[Any], list[Any]],
                        shift_r: Fraction) -> tuple[tuple[Fraction, Fraction], ...]:
    """The bounding box of the closed form's stable set on ``frame`` (a polyhedron: exact LPs,
    one per coordinate and direction)."""
    z3 = z3_module()
    enc = encode(frame, act, "mse", box, ["stable_at_init"], steps=0)
    p = frame.parametrization()
    conv = [[enc.ops.conv(x) for x in xs] for xs in (p.a, p.b, p.c)]
    cf = closed_form_formula("stable", *conv, frame.optimizer.entrywise, enc.ops, FormulaLogic(),
                             shift_r)
    top, defs = compile_formula(("and", (cf, ("and", tuple(extra(conv))))), enc.ops)
    out = []
    for i in range(len(frame.variables)):
        ends = []
        for sense in ("minimize", "maximize"):
            o = z3.Optimize()
            o.add(*defs, *enc.box, top)
            getattr(o, sense)(enc.ops.atoms[i])
            if o.check() != z3.sat:  # empty: any range will do
                return tuple((Fraction(box[0]), Fraction(box[0])) for _ in frame.variables)
            ends.append(_fraction(o.model().eval(enc.ops.atoms[i])) / enc.ops.D)
        out.append((ends[0], ends[1]))
    return tuple(out)


def _diff_checks(frame: CellFrame, prop: str, act: Any, box: tuple,
                 extra: Callable[[Any], list[Any]], shift_r: Fraction, steps: int | None,
                 deadline: float | None,
                 bounds: Sequence[tuple[Fraction, Fraction]] | None = None,
                 c_bounds: Sequence[tuple[Fraction, Fraction]] | None = None) -> list[Check]:
    """Both differences of the engine's set and the closed form's on ``frame``.  ``bounds``:
    coordinate ranges containing both sets; ``c_bounds``: ranges containing the closed form's
    set (used for its difference only)."""
    z3 = z3_module()
    encs = {}
    out = []
    for name, rng in (("engine \\ closed form", bounds), ("closed form \\ engine", c_bounds or bounds)):
        if rng not in encs:
            encs[rng] = encode(frame, act, "mse", box, [prop], steps=steps, bounds=rng)
        enc = encs[rng]
        L, lg = frame.depth, FormulaLogic()
        eng = ("and", tuple(cond.holds for cond in conditions(
            prop, enc.exponents, L, enc.steps, frame.optimizer.entrywise, lg)))
        p = frame.parametrization()
        conv = [[enc.ops.conv(x) for x in xs] for xs in (p.a, p.b, p.c)]
        cf = closed_form_formula(prop, *conv, frame.optimizer.entrywise, enc.ops, lg, shift_r)
        keep, drop = (eng, cf) if name.startswith("engine") else (cf, eng)
        side = ("and", tuple(extra(conv)))
        # keep \\ drop = OR over the conjuncts c of drop, and the disjuncts g of (not c), of
        # (keep and g): one small check each.  Conjuncts already proved to hold on keep are
        # added to the later checks (sound: they hold on keep), which prunes the solver's search
        t0, c0 = time.perf_counter(), time.process_time()
        empty: bool | None = True
        witness = None
        cases, slowest = 0, 0.0
        proved: list[Any] = []
        for conj in _conjuncts(drop):
            for g in _disjuncts(("not", conj)):
                t1 = time.perf_counter()
                cases += 1
                top, defs = compile_formula(("and", (keep, side, *proved, g)), enc.ops)
                s = z3.SolverFor("QF_LRA")
                if deadline is not None:
                    s.set("timeout", max(1, int((deadline - time.perf_counter()) * 1000)))
                s.add(*defs, *enc.box, top)
                r = s.check()
                slowest = max(slowest, time.perf_counter() - t1)
                if r == z3.sat:
                    m = s.model()
                    witness = tuple(_fraction(m.eval(enc.ops.atoms[i], model_completion=True))
                                    / enc.ops.D for i in range(len(frame.variables)))
                    empty = False
                    break
                if r != z3.unsat:
                    empty = None
                    break
            if empty is not True:
                break
            proved.append(conj)
        out.append(Check(name, frame.variables, empty, witness,
                         round(time.perf_counter() - t0, 3), round(time.process_time() - c0, 3),
                         cases, round(slowest, 3)))
    return out


def closed_form_equivalence(depth: int, optimizer: str, prop: str, *,
                            activation: str = "tanh", box: tuple[Any, Any] = (-BOX, BOX),
                            shift_r: Any = 0, time_limit: float | None = None) -> Equivalence:
    """Decide :math:`E_P \\cap \\Delta = C_P \\cap \\Delta` (module docstring) for ``prop``.

    Examples
    --------
    >>> closed_form_equivalence(1, "sgd", "feature_learning").equal
    True
    """
    t0, c0 = time.perf_counter(), time.process_time()
    opt = get_optimizer(optimizer)
    if prop not in CLOSED_FORM_PROPERTIES or (prop == "kernel" and opt.entrywise) or (
            prop == "operator" and not opt.entrywise):
        raise ValueError(f"no closed form for {prop!r} with {opt.name}")
    act = get_activation(activation)
    lo, hi = Fraction(box[0]), Fraction(box[1])
    if not lo <= 0 < HALF <= hi:
        raise ValueError(f"the box [{lo}, {hi}] must contain 0 and 1/2 (the init slice)")
    shift = Fraction(shift_r)
    deadline = None if time_limit is None else t0 + time_limit
    L = depth
    # (1) initialization, on the whole gauge-fixed space restricted to the non-degenerate domain
    full = free_frame(L, opt)
    lg = FormulaLogic()

    def domain(conv: list[list[Any]]) -> list[Any]:
        a, b = conv[0], conv[1]
        ops_ = a[0].ops
        dom = [lg.not_(lg.pos(ops_.add(a[0], b[0])))]
        dom += [lg.not_(lg.pos(ops_.add(a[l], b[l], ops_.conv(-HALF)))) for l in range(1, L)]
        return dom

    checks = _diff_checks(full, "stable_at_init", act, (lo, hi), domain, Fraction(0), 0, deadline)
    frames = [full, full]
    lemmas: list[Check] = []
    # (2) training, on the init slice: b_1 = 0, b_l = 1/2, b_{L+1} >= 1/2 (a = 0 by the gauge)
    if all(ch.empty for ch in checks):
        fixed_b: list[Any] = [Fraction(0)] + [HALF] * (L - 1) + [None]
        sl = free_frame(L, opt, fix={"b": fixed_b})

        def readout_init(conv: list[list[Any]]) -> list[Any]:
            ops_ = conv[0][0].ops
            return [lg.nonneg(ops_.add(conv[0][L], conv[1][L], ops_.conv(-HALF)))]

        # (2a) stability; the closed form's stable set is a polyhedron, and its bounding box
        # contains the closed form's side of every difference
        cbox = _closed_form_bounds(sl, act, (lo, hi), readout_init, shift)
        stable = _diff_checks(sl, "stable", act, (lo, hi), readout_init, shift, None, deadline,
                              None, cbox)
        if prop == "stable":
            checks += stable
        else:
            # (2b) if the stable sets are equal (2a), both sets of P lie in the closed form's
            # stable set, hence in its bounding box; otherwise the whole slice is searched
            lemma = all(ch.empty for ch in stable)
            checks += _diff_checks(sl, prop, act, (lo, hi), readout_init, shift, None, deadline,
                                   cbox if lemma else None, cbox)
            lemmas = stable
        frames += [sl, sl]
    equal = (True if all(ch.empty for ch in checks) else
             False if any(ch.empty is False for ch in checks) else None)
    witness, side, wcheck = None, "", {}
    bad = next((i for i, ch in enumerate(checks) if ch.empty is False), None)
    if bad is not None:
        ch = checks[bad]
        witness = frames[bad].parametrization_at(ch.witness)
        side = ch.name
        cl = classify(witness, opt, act)
        want = "stable_at_init" if bad < 2 else prop
        engine_says = has_property(cl, want)
        p = witness
        cf = closed_form_formula(want, p.a, p.b, p.c, opt.entrywise,
                                 _FractionOps(), NumericLogic(), shift if bad >= 2 else 0)
        wcheck = {"regime": str(cl.regime), "engine": engine_says, "closed_form": bool(cf)}
    return Equivalence(L, opt.name, prop, act.name, "TP IVb" if opt.entrywise else "TP4", equal,
                       tuple(checks), witness, side, wcheck, tuple(lemmas),
                       round(time.perf_counter() - t0, 3), round(time.process_time() - c0, 3))


__all__ = ["CLOSED_FORM_PROPERTIES", "Check", "Equivalence", "closed_form_equivalence",
           "closed_form_formula"]
