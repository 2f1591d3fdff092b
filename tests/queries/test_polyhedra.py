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
