"""The phase diagram's pieces drawn by clipping (``closure_polygon``) are exactly the closures
found by simplifying and enumerating vertices (``simplify`` + ``vertices_and_rays``), on random
pieces with strict inequalities and equalities, and on the pieces of real covers; and the
faster ``simplify`` (constraint generation) keeps its answers."""

from fractions import Fraction as F

from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.regions.linalg import rank
from widthlimits.theory.regions.planes import closure_polygon, phase_cover
from widthlimits.theory.regions.polyhedra import (
    box_constraints,
    find_point,
    implied,
    satisfies,
    simplify,
    vertices_and_rays,
)

SQUARE = [(F(-2), F(-2)), (F(2), F(-2)), (F(2), F(2)), (F(-2), F(2))]


def _reference(cons):
    cs = simplify(cons, 2)
    vr = vertices_and_rays(cs, 2)
    return sorted(tuple(v) for v in vr[0]), 2 - rank([f[:-1] for f, r in cs if r == "=="])


def _mine(cons):
    v = closure_polygon(cons, SQUARE)
    return sorted(v), 0 if len(v) == 1 else 1 if len(v) == 2 else 2


_q = st.fractions(min_value=-3, max_value=3, max_denominator=3)
_con = st.tuples(st.tuples(_q, _q, _q), st.sampled_from(["<=", "<", "=="]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_con, min_size=0, max_size=8), st.tuples(_q, _q))
def test_clipping_gives_the_closure_of_any_nonempty_piece(cons, z):
    # shift each constraint so it holds at z: a non-empty piece (z is in it)
    pieces = []
    for (a, b, _k), rel in cons:
        v = a * z[0] + b * z[1]
        k = -v if rel == "==" else -v - (F(1, 2) if rel == "<" else 0)
        pieces.append(((a, b, k), rel))
    full = box_constraints(2, F(-2), F(2)) + pieces
    if find_point(full, 2) is None:
        return
    assert _mine(full) == _reference(full)


def test_a_segment_and_a_point():
    seg = box_constraints(2, F(-2), F(2)) + [((F(1), F(-1), F(0)), "==")]  # x = y
    assert _mine(seg) == ([(F(-2), F(-2)), (F(2), F(2))], 1) == _reference(seg)
    pt = seg + [((F(1), F(0), F(-1)), "==")]  # and x = 1
    assert _mine(pt) == ([(F(1), F(1))], 0) == _reference(pt)
    half_open = box_constraints(2, F(-2), F(2)) + [((F(1), F(0), F(0)), "<")]  # x < 0
    assert _mine(half_open)[0] == [(F(-2), F(-2)), (F(-2), F(2)), (F(0), F(-2)), (F(0), F(2))]


def test_the_pieces_of_deeper_covers_agree():
    for kind, depth, opt in (("golikov", 3, "sgd"), ("tp4", 2, "adam"), ("golikov", 2, "momentum")):
        for pc in phase_cover(kind, depth, opt).pieces:
            assert _mine(pc.constraints) == _reference(pc.constraints), (kind, depth, opt)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.lists(st.tuples(st.lists(_q, min_size=4, max_size=4),
                                             st.sampled_from(["<=", "<", "=="])),
                                   min_size=1, max_size=14),
       st.lists(_q, min_size=4, max_size=4))
def test_simplify_keeps_the_set_and_drops_what_is_implied(d, raw, z):
    cons = []
    for coefs, rel in raw:
        f = coefs[:d]
        v = sum(a * x for a, x in zip(f, z[:d], strict=True))
        cons.append((tuple(f) + (-v - (F(1, 3) if rel == "<" else 0) if rel != "==" else -v,), rel))
    out = simplify(cons, d)
    for c in cons:  # the same set: each side implies the other's constraints
        assert implied(c, out, d)
    for c in out:
        assert implied(c, cons, d)
    for i, c in enumerate(out):  # nothing left is implied by the rest
        assert not implied(c, out[:i] + out[i + 1:], d)
    assert satisfies(z[:d], out)
