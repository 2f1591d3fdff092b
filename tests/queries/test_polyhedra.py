"""The exact LP against brute force on random 2-D problems, and strict-inequality handling."""

import itertools
import random
from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.regions.lp import lp_max, lp_max_sparse
from widthlimits.theory.regions.polyhedra import (
    Cuts,
    find_point,
    nonempty_with,
    point_with,
    satisfies,
    simplify,
)


def _brute(c, cons):
    """max of c.x over the vertices of a bounded 2-D polygon (pairwise intersections)."""
    best = None
    for (f, _), (g, _) in itertools.combinations(cons, 2):
        det = f[0] * g[1] - f[1] * g[0]
        if det == 0:
            continue
        x = (-f[2] * g[1] + g[2] * f[1]) / det
        y = (-f[0] * g[2] + g[0] * f[2]) / det
        if satisfies((x, y), cons):
            v = c[0] * x + c[1] * y
            best = v if best is None else max(best, v)
    return best


def test_lp_matches_brute_force_on_random_bounded_polygons():
    rng = random.Random(20260)
    box = [((F(1), F(0), F(-5)), "<="), ((F(-1), F(0), F(-5)), "<="),
           ((F(0), F(1), F(-5)), "<="), ((F(0), F(-1), F(-5)), "<=")]
    for _ in range(300):
        cons = box + [((F(rng.randint(-3, 3)), F(rng.randint(-3, 3), 2), F(rng.randint(-6, 6), 2)), "<=")
                      for _ in range(rng.randint(0, 5))]
        c = (F(rng.randint(-3, 3)), F(rng.randint(-3, 3)))
        st, val, x = lp_max(c + (F(0),), cons, 2)
        ref = _brute(c, cons)
        if ref is None:
            assert st == "infeasible"
        else:
            assert st == "optimal" and val == ref and satisfies(x, cons)


def test_unbounded_and_strict():
    cons = [((F(-1), F(0), F(0)), "<=")]  # x >= 0
    assert lp_max((F(1), F(0), F(0)), cons, 2)[0] == "unbounded"
    # x > 0 and x < 0 is empty; x >= 0 and x <= 0 is the line x = 0
    assert find_point([((F(-1), F(0)), "<"), ((F(1), F(0)), "<")], 1) is None
    assert find_point([((F(-1), F(0)), "<="), ((F(1), F(0)), "<=")], 1) == [F(0)]
    s = simplify([((F(-1), F(0), F(0)), "<="), ((F(1), F(0), F(0)), "<="), ((F(0), F(1), F(-1)), "<="),
                  ((F(0), F(1), F(-2)), "<=")], 2)
    assert ((F(1), F(0), F(0)), "==") in s and ((F(0), F(1), F(-1)), "<=") in s and len(s) == 2


def test_simplify_writes_equalities_in_echelon_form():
    """c1 - c5 = 0, c1 + c5 = 1 (with c2 + c1 = 3/2) is the point c1 = c5 = 1/2, c2 = 1: the
    equalities come out solved for one variable each, the inequalities free of pivot variables."""
    d = 3
    cs = [((F(1), F(0), F(-1), F(0)), "=="), ((F(1), F(0), F(1), F(-1)), "=="),
          ((F(1), F(1), F(0), F(-3, 2)), "=="), ((F(1), F(1), F(1), F(-5)), "<=")]
    out = simplify(cs, d)
    assert sorted(out) == sorted([((F(1), F(0), F(0), F(-1, 2)), "=="),
                                  ((F(0), F(1), F(0), F(-1)), "=="),
                                  ((F(0), F(0), F(1), F(-1, 2)), "==")])
    # an inequality in a pivot variable is rewritten in the free ones
    cs2 = [((F(1), F(-1), F(0), F(0)), "=="), ((F(1), F(1), F(0), F(-4)), "<="),
           ((F(0), F(0), F(1), F(0)), "<=")]
    out2 = simplify(cs2, d)
    assert ((F(1), F(-1), F(0), F(0)), "==") in out2
    assert all(f[0] == 0 for f, r in out2 if r != "==")


def _box(x0, x1, y0, y1, rx=("<=", "<="), ry=("<=", "<=")):
    """x0 rel x <= x1, y0 rel y <= y1 as constraints in (x, y)."""
    one, zero = F(1), F(0)
    return [((-one, zero, F(x0)), rx[0]), ((one, zero, -F(x1)), rx[1]),
            ((zero, -one, F(y0)), ry[0]), ((zero, one, -F(y1)), ry[1])]


def test_convex_union_merges_exactly_when_the_union_is_convex():
    from widthlimits.theory.regions.merge import convex_union, merge_convex

    left = _box(0, 1, 0, 1)
    right = _box(1, 2, 0, 1, rx=("<", "<="))  # 1 < x <= 2: disjoint from left
    u = convex_union(left, right, 2)
    assert u is not None
    assert satisfies([F(3, 2), F(1, 2)], u) and satisfies([F(1, 2), F(1, 2)], u)
    assert not satisfies([F(5, 2), F(1, 2)], u)
    # an L shape is not convex; separated boxes are not either
    assert convex_union(left, _box(1, 2, 1, 2, rx=("<", "<="), ry=("<", "<=")), 2) is None
    assert convex_union(left, _box(3, 4, 0, 1), 2) is None
    # an open square and one of its edges (a lower-dimensional piece) merge
    open_sq = _box(0, 1, 0, 1, rx=("<", "<"), ry=("<", "<"))
    edge = [((F(1), F(0), F(0)), "==")] + _box(0, 0, 0, 1, ry=("<", "<"))[2:]
    assert convex_union(open_sq, edge, 2) is not None
    # greedy merging of a 2 x 2 grid of disjoint squares gives one square
    q = [_box(0, 1, 0, 1), _box(1, 2, 0, 1, rx=("<", "<=")),
         _box(0, 1, 1, 2, ry=("<", "<=")), _box(1, 2, 1, 2, rx=("<", "<="), ry=("<", "<="))]
    m = merge_convex(q, 2)
    assert len(m) == 1
    rng = random.Random(0)
    for _ in range(200):
        z = [F(rng.randint(-4, 12), 4), F(rng.randint(-4, 12), 4)]
        assert satisfies(z, m[0]) == any(satisfies(z, p) for p in q)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5), st.lists(st.lists(st.integers(-3, 3), min_size=6, max_size=6),
                                   min_size=0, max_size=8),
       st.lists(st.integers(-2, 2), min_size=5, max_size=5))
def test_sparse_lp_is_the_dense_lp(d, raw, obj):
    # lp_max_sparse (Everett's large LPs) runs the same simplex as lp_max: the same status,
    # value and vertex
    rows = [({i: F(r[i]) for i in range(d) if r[i]}, F(r[5])) for r in raw]
    dense = [(tuple(F(r[i]) for i in range(d)) + (F(-r[5]),), "<=") for r in raw]
    objective = {i: F(obj[i]) for i in range(d)}
    assert lp_max_sparse(objective, rows, d) == lp_max(tuple(F(obj[i]) for i in range(d)) + (F(0),),
                                                       dense, d)


_rel = st.sampled_from(["<=", "<", "=="])
_con = st.tuples(st.lists(st.integers(-3, 3), min_size=4, max_size=4), _rel)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3), st.lists(_con, min_size=0, max_size=12), st.lists(_con, min_size=1, max_size=6))
def test_constraint_generation_answers_as_the_full_lp(d, base_raw, extras_raw):
    """nonempty_with decides "base and extra have a common point" as find_point on all of them
    does, with strict inequalities and equalities, also when its cuts are shared by calls whose
    base only grows (the cover's use: one set of cuts per cell, the prefix growing)."""
    def con(raw):
        coefs, rel = raw
        return tuple(F(x, 2) for x in coefs[:d]) + (F(coefs[-1], 2),), rel

    base = [con(r) for r in base_raw]
    cuts = Cuts()
    for k, extra in enumerate(con(r) for r in extras_raw):
        grown = base[: len(base) * (k + 1) // len(extras_raw)]  # a base that only tightens
        nonempty, lps = nonempty_with(grown, extra, d, cuts)
        assert nonempty == (find_point(grown + [extra], d) is not None)
        point, _ = point_with(grown, extra, d, Cuts())  # the common point it finds
        assert (point is not None) == nonempty
        assert point is None or satisfies(point, grown + [extra])
        assert lps >= 1 and all(c in grown for c in cuts.cons)


def test_constraint_generation_certifies_emptiness_with_few_rows():
    """x1 <= 0 is implied by x1 <= -1 among many loose constraints: the extra x1 > 0 is found
    empty by LPs on a couple of rows, not all forty."""
    d = 2
    base = [((F(1), F(0), F(1)), "<=")]  # x1 <= -1
    base += [((F(0), F(1), F(-k)), "<=") for k in range(1, 40)]  # x2 <= k, loose
    cuts = Cuts()
    nonempty, lps = nonempty_with(base, ((F(-1), F(0), F(0)), "<"), d, cuts)
    assert not nonempty and len(cuts.cons) <= 2 and lps <= 3


def _plain_merge(pieces, d):
    """merge_convex's greedy scan without its memory of pairs that did not merge."""
    from widthlimits.theory.regions.merge import convex_union

    out = [list(x) for x in pieces]
    while True:
        pair = next(((i, j) for i in range(len(out)) for j in range(i + 1, len(out))
                     if convex_union(out[i], out[j], d) is not None), None)
        if pair is None:
            return out
        i, j = pair
        out[i] = simplify(convex_union(out[i], out[j], d), d)
        del out[j]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=9, max_size=9))
def test_merging_remembers_pairs_without_changing_the_merges(cells):
    """A 3 x 3 grid of half-open unit squares, a random subset kept (a random, often non-convex
    union): merge_convex gives exactly the plain greedy scan's pieces."""
    from widthlimits.theory.regions.merge import merge_convex

    kept = [_box(i, i + 1, j, j + 1, rx=("<", "<="), ry=("<", "<="))
            for k, (i, j) in enumerate(itertools.product(range(3), range(3))) if cells[k]]
    assert merge_convex(kept, 2) == _plain_merge(kept, 2)


def test_merging_says_whether_the_deadline_stopped_it():
    import time

    from widthlimits.theory.regions.merge import merge_convex_until

    q = [_box(0, 1, 0, 1), _box(1, 2, 0, 1, rx=("<", "<="))]
    assert merge_convex_until(q, 2) == (merge_convex_until(q, 2)[0], True)
    assert len(merge_convex_until(q, 2)[0]) == 1
    stopped, finished = merge_convex_until(q, 2, time.perf_counter() - 1)
    assert not finished and stopped == [list(p) for p in q]


def _plain_convex_union(p, q, d):
    """convex_union's envelope test with an LP for every containment (no shortcuts)."""
    from widthlimits.theory.regions.polyhedra import implied, negate

    if find_point([(f, "==" if r == "==" else "<=") for f, r in list(p) + list(q)], d) is None:
        return None
    cands = []
    for f, r in list(p) + list(q):
        alts = [(f, r)] + ([(f, "<=")] if r == "<" else
                           [(f, "<="), (tuple(-x for x in f), "<=")] if r == "==" else [])
        for c in alts:
            if c not in cands:
                cands.append(c)
    env = [c for c in cands if implied(c, p, d) and implied(c, q, d)]
    for c in p:
        if c in env:
            continue
        for alt in negate(c):
            part = env + [alt]
            if find_point(part, d) is not None and not all(implied(k, part, d) for k in q):
                return None
    return env


_half = st.tuples(st.integers(-2, 2), st.integers(-2, 2), st.integers(-4, 4),
                  st.sampled_from(["<=", "<", "=="]))


@settings(max_examples=150, deadline=None)
@given(st.lists(_half, max_size=3), st.lists(_half, max_size=3),
       st.tuples(st.integers(0, 3), st.integers(0, 3)))
def test_convex_union_shortcuts_give_the_plain_envelope_test(extra_p, extra_q, shift):
    """Two pieces (a unit box, the second shifted by up to 3, each cut by random half-planes):
    convex_union, which decides containments by points where it can, equals the envelope test
    with an LP for each containment."""
    from widthlimits.theory.regions.merge import convex_union

    def piece(x0, y0, extra):
        cons = _box(x0, x0 + 1, y0, y0 + 1, rx=("<", "<="))
        return cons + [((F(a), F(b), F(k)), r) for a, b, k, r in extra if (a, b) != (0, 0)]

    p, q = piece(0, 0, extra_p), piece(*shift, extra_q)
    if find_point(p, 2) is None or find_point(q, 2) is None:
        return
    assert convex_union(p, q, 2) == _plain_convex_union(p, q, 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(_half, min_size=1, max_size=5),
       st.tuples(st.integers(-3, 3), st.integers(-3, 3)), st.tuples(st.integers(-3, 3), st.integers(-3, 3)))
def test_segment_interval_is_the_set_of_parameters_on_the_piece(cons_raw, a, b):
    """segment_interval(piece, a, b) is exactly {t in [0, 1] : a + t (b - a) in piece}: checked
    at its ends, just inside and outside them, and on a grid of t."""
    from widthlimits.theory.regions.merge import segment_interval

    piece = [((F(u), F(v), F(k)), r) for u, v, k, r in cons_raw if (u, v) != (0, 0)]
    a, b = [F(x) for x in a], [F(x, 2) for x in b]

    def on(t):
        return 0 <= t <= 1 and satisfies([x + t * (y - x) for x, y in zip(a, b, strict=True)], piece)

    iv = segment_interval(piece, a, b)
    ts = [F(k, 24) for k in range(25)]
    if iv is None:
        assert not any(on(t) for t in ts)
        return
    lo, lo_c, hi, hi_c = iv

    def inside(t):
        return (lo < t or (t == lo and lo_c)) and (t < hi or (t == hi and hi_c))

    eps = F(1, 10**6)
    for t in ts + [lo, hi, lo - eps, lo + eps, hi - eps, hi + eps]:
        if 0 <= t <= 1:
            assert on(t) == inside(t), (t, iv)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=16, max_size=16), st.randoms(use_true_random=False))
def test_merging_resumes_its_scan_as_the_plain_scan_restarts(cells, rnd):
    """A 4 x 4 grid of half-open squares, a random subset in a random order, some cut by a
    diagonal into a triangle and an open edge (pieces of two dimensions): merge_convex, which
    resumes its scan after a merge and skips rows it has finished, gives exactly the plain
    greedy scan's pieces."""
    from widthlimits.theory.regions.merge import merge_convex

    kept = []
    for k, (i, j) in enumerate(itertools.product(range(4), range(4))):
        if not cells[k]:
            continue
        sq = _box(i, i + 1, j, j + 1, rx=("<", "<="), ry=("<", "<="))
        if rnd.random() < 0.3:  # split along y - x = j - i: below, on, above
            diag = (F(-1), F(1), F(i - j))
            kept += [sq + [(diag, "<")], sq + [(diag, "==")],
                     sq + [(tuple(-x for x in diag), "<")]]
        else:
            kept.append(sq)
    kept = [p for p in kept if find_point(p, 2) is not None]
    rnd.shuffle(kept)
    assert merge_convex(kept, 2) == _plain_merge(kept, 2)
