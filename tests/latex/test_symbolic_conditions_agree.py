"""The symbolic derivation's conditions are the engine's, point by point.

``derive --symbolic`` ends in simplified conditions on the family's symbols: stability (a
conjunction of disjunctions of ``l <= 0``) and, given stability, non-triviality, feature learning
of the last layer and discrete time (each a disjunction of conjunctions of ``l >= 0``).  At random
rational points -- most of them on the breakpoints, multiples of 1/4 and 1/6 -- each condition must
hold exactly when :func:`~widthlimits.theory.classify.classify` says so for the parametrization at
that point, at classify's own horizon (TP4 Thm 3.3 and 3.4's definitions, Yang & Hu 2021; Golikov 2020's
family).  The simplification (dropping implied literals and alternatives) must keep every set.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.classify import classify
from widthlimits.theory.derivation import symbolic_derivation
from widthlimits.theory.parametrization import Parametrization

CASES = [("tp4", 1, "adam"), ("tp4", 2, "sgd"), ("golikov", 1, "sgd"), ("golikov", 2, "sgd"),
         ("golikov", 2, "rmsprop"), ("tp4", 3, "adam"), ("tp4", 4, "sgd"),
         ("tp4-layers", 2, "sgd"), ("tp4-layers", 3, "momentum")]


@functools.cache
def _derivation(i: int):  # type: ignore[no-untyped-def]
    family, L, opt = CASES[i]
    return symbolic_derivation(family, L, opt)


def _value(v, point):  # type: ignore[no-untyped-def]
    if not isinstance(v, sympy.Basic):
        return v
    r = sympy.nsimplify(v.subs(point))
    return Fraction(int(r.p), int(r.q))


coord = st.one_of(st.sampled_from(sorted({Fraction(k, 4) for k in range(-8, 9)}
                                         | {Fraction(k, 6) for k in range(-12, 13)})),
                  st.fractions(min_value=-2, max_value=2, max_denominator=12))


@settings(max_examples=400, deadline=None)
@given(i=st.integers(0, len(CASES) - 1), values=st.lists(coord, min_size=9, max_size=9))
def test_conditions_hold_exactly_where_the_engine_says(i, values) -> None:  # type: ignore[no-untyped-def]
    d = _derivation(i)
    sc, p = d.symbolic, d.parametrization
    point = dict(zip(sc.symbols, values, strict=False))
    num_p = Parametrization(*(tuple(_value(v, point) for v in getattr(p, k)) for k in "abc"))
    # the derivation runs to classify's own horizon (stationary, or 2(L+1)+6 steps)
    num = classify(num_p, d.optimizer.name, d.activation.name, loss="logistic")
    stable = all(any(l.subs(point) <= 0 for l in clause) for clause in sc.stability.clauses)
    assert stable == num.stable, (CASES[i], point, num.violations)
    if not num.stable:
        return

    def holds(alts) -> bool:  # type: ignore[no-untyped-def]
        return any(all(x.subs(point) >= 0 for x in alt) for alt in alts)

    assert holds(sc.nontrivial) == num.nontrivial, (CASES[i], point)
    assert holds(sc.feature_learning) == (d.depth in num.feature_learning_layers), (CASES[i], point)
    assert holds(sc.discrete_time) == num.discrete_time, (CASES[i], point)


def test_no_alternative_carries_a_redundant_literal() -> None:
    """Written as a paper would: within an alternative no literal follows from the others and the
    stability units (e.g. ``q_sigma <= -1`` makes ``q_sigma <= -3/4`` redundant)."""
    from widthlimits.theory.derivation.symbolic import implied

    lengths = []
    for i in range(len(CASES)):
        sc = _derivation(i).symbolic
        units = list(sc.stability.units)
        for alts in (sc.nontrivial, sc.feature_learning, sc.discrete_time):
            for alt in alts:
                lengths.append(len(alt))
                for j, l in enumerate(alt):
                    rest = [-x for k, x in enumerate(alt) if k != j]
                    assert not implied(-l, units + rest), (CASES[i], alt, l)
    assert max(lengths) <= 4  # golikov depth 2 rmsprop had alternatives of 11 literals before


@settings(max_examples=300, deadline=None)
@given(i=st.integers(0, len(CASES) - 1), values=st.lists(coord, min_size=9, max_size=9))
def test_printed_relations_mean_the_conditions(i, values) -> None:  # type: ignore[no-untyped-def]
    """What the document prints (``<=``, ``>=``, or ``=`` where stability already gives the
    opposite inequality) holds at a stable point exactly when the literal ``l >= 0`` does.  (The
    printed inequalities of the alternatives were once reversed.)"""
    from widthlimits.theory.derivation.symbolic import alternative_relationals

    sc = _derivation(i).symbolic
    point = dict(zip(sc.symbols, values, strict=False))
    if not all(any(l.subs(point) <= 0 for l in clause) for clause in sc.stability.clauses):
        return
    for alts in (sc.nontrivial, sc.feature_learning, sc.discrete_time):
        for alt, rels in zip(alts, alternative_relationals(alts, sc.stability), strict=True):
            for l, r in zip(alt, rels, strict=True):
                assert bool(r.subs(point)) == bool(l.subs(point) >= 0), (CASES[i], l, r, point)


def test_tp4_depth1_reads_as_the_theorem() -> None:
    """TP4 Thm 3.4 at L = 1 (Yang & Hu 2021): given stability, nontrivial iff
    2 a_2 + c = 1 or a_2 + b_2 + r = 1; feature learning iff r = 0."""
    text = symbolic_derivation("tp4", 1, "sgd").to_text()
    nontrivial = text.split("Nontrivial (given stability) iff one of:")[1].split("Feature")[0]
    assert "a_2 + c/2 = 1/2" in nontrivial
    fl = text.split("Feature learning (given stability) iff one of:")[1].split("Discrete")[0]
    assert "a_1 + a_2 + c = 0" in fl and ">=" not in fl and "<=" not in fl


def _linear(l: sympy.Expr):  # type: ignore[no-untyped-def]
    """``l`` as (coefficients by symbol, constant), exact."""
    cf = {k: Fraction(int(v.p), int(v.q)) for k, v in sympy.expand(l).as_coefficients_dict().items()}
    return {k: v for k, v in cf.items() if k != 1}, cf.get(sympy.Integer(1), Fraction(0))


def test_per_layer_family_holds_where_the_engine_says_at_stable_points() -> None:
    """``tp4-layers`` (one rate per layer under SGD and momentum): random grid points are stable
    only 5-12% of the time, so the property test above meets few stable ones, and fewer on the
    equalities where non-triviality and feature learning hold.  Here 80 stable and 80 unstable
    points per case, each judged by ``classify``; every stable grid point found is also moved
    along one coordinate onto the hyperplane of a literal of a random alternative (a point of
    that alternative's boundary, judged like the others)."""
    import random

    grid = sorted({Fraction(k, 4) for k in range(-8, 9)} | {Fraction(k, 6) for k in range(-12, 13)})
    for family, L, opt in (("tp4-layers", 2, "sgd"), ("tp4-layers", 3, "momentum")):
        d = symbolic_derivation(family, L, opt)
        sc, p = d.symbolic, d.parametrization
        stab = [[_linear(l) for l in cl] for cl in sc.stability.clauses]
        alts = {k: [[_linear(l) for l in alt] for alt in getattr(sc, k)]
                for k in ("nontrivial", "feature_learning", "discrete_time")}
        rng = random.Random(L)
        seen = {True: 0, False: 0}
        hits = {k: 0 for k in alts}
        snapped: list[dict] = []

        def val(form, point):  # type: ignore[no-untyped-def]
            return sum((v * point[k] for k, v in form[0].items()), form[1])

        for _ in range(20_000):
            if min(seen.values()) >= 80:
                break
            point = snapped.pop() if snapped else {s: rng.choice(grid) for s in sc.symbols}
            stable = all(any(val(f, point) <= 0 for f in cl) for cl in stab)
            if seen[stable] >= 80:
                continue
            seen[stable] += 1
            num_p = Parametrization(*(tuple(_value(v, point) for v in getattr(p, k)) for k in "abc"))
            num = classify(num_p, opt, d.activation.name, loss="logistic")
            assert stable == num.stable, (family, L, opt, point, num.violations)
            if not stable:
                continue
            got = {k: any(all(val(f, point) >= 0 for f in alt) for alt in a) for k, a in alts.items()}
            want = {"nontrivial": num.nontrivial,
                    "feature_learning": L in num.feature_learning_layers,
                    "discrete_time": bool(num.discrete_time)}
            assert got == want, (family, L, opt, point)
            for k in hits:
                hits[k] += got[k]
            form = rng.choice(rng.choice(alts[rng.choice(("nontrivial", "feature_learning"))]))
            sym = rng.choice(sorted(form[0], key=str))
            snapped.append({**point, sym: point[sym] - val(form, point) / form[0][sym]})
        assert seen == {True: 80, False: 80}, seen
        assert min(hits.values()) >= 10, hits  # the alternatives were met, not only their absence
