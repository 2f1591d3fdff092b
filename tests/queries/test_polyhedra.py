"""The exact LP against brute force on random 2-D problems, and strict-inequality handling."""

import itertools
import random
from fractions import Fraction as F

from widthlimits.theory.polyhedra import find_point, lp_max, satisfies, simplify


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
