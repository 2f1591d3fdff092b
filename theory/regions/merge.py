"""Merging convex pieces: when the union of two convex rational polyhedra is convex, and the
greedy merge of a list of disjoint pieces into fewer convex ones.

The pieces are constraint lists of :mod:`~widthlimits.theory.regions.polyhedra`.  Two pieces
merge only when their union is verified convex, exactly, by the envelope test of Bemporad,
Fukuda & Torrisi ("Convexity recognition of the union of polyhedra", Computational Geometry 18,
2001; :func:`convex_union`); a segment between two of the union's points that leaves it
(:func:`segment_leaves_union`) and bounding boxes that are apart are cheaper certificates that
it is not.  :func:`merge_convex_until` merges greedily, pairs in the order of the list, until no
pair merges or a deadline passes; the union of the pieces never changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import Any

from widthlimits.theory.regions.linalg import Q0, Q
from widthlimits.theory.regions.polyhedra import (
    ONE,
    ZERO,
    Box,
    Constraint,
    bounding_box,
    evaluate_q,
    find_point,
    implied,
    negate,
    satisfies,
    simplify,
)


def segment_interval(piece: Sequence[Constraint], a: Sequence[Fraction], b: Sequence[Fraction]
                     ) -> tuple[Fraction, bool, Fraction, bool] | None:
    """The parameters ``t`` in ``[0, 1]`` with :math:`a + t (b - a)` in ``piece``: an interval
    ``(lo, lo_closed, hi, hi_closed)`` (each constraint is affine in ``t``, so the set is
    convex), or None if empty.  Exact, no LP."""
    lo, lo_c, hi, hi_c = ZERO, True, ONE, True
    aq = [Q(v) for v in a]
    dq = [Q(y) - x for x, y in zip(aq, b, strict=True)]
    for form, rel in piece:
        alpha = evaluate_q(form, aq)  # the form at t = 0
        beta = sum((k * v for k, v in zip(form, dq, strict=False)), Q0)  # its slope in t
        if beta == 0:
            if (rel == "<=" and alpha > 0) or (rel == "<" and alpha >= 0) or (
                    rel == "==" and alpha != 0):
                return None
            continue
        r = -alpha / beta  # alpha + beta t = 0
        root = Fraction(int(r.numerator), int(r.denominator))
        if rel == "==":
            if root < lo or root > hi or (root == lo and not lo_c) or (root == hi and not hi_c):
                return None
            lo, lo_c, hi, hi_c = root, True, root, True
            continue
        closed = rel == "<="
        if beta > 0:  # t <= root (t < root if strict)
            if root < hi or (root == hi and not closed):
                hi, hi_c = root, closed
        elif root > lo or (root == lo and not closed):  # t >= root
            lo, lo_c = root, closed
    if lo > hi or (lo == hi and not (lo_c and hi_c)):
        return None
    return lo, lo_c, hi, hi_c


def segment_leaves_union(p: Sequence[Constraint], q: Sequence[Constraint],
                         a: Sequence[Fraction], b: Sequence[Fraction]) -> bool:
    """Does the segment from ``a`` (a point of ``p``) to ``b`` (a point of ``q``) leave
    :math:`P \\cup Q`?  Then the union is not convex (a convex set holds the segment between
    any two of its points): an exact certificate of non-convexity, with no LP."""
    ip, iq = segment_interval(p, a, b), segment_interval(q, a, b)
    if ip is None or iq is None or ip[0] != 0 or iq[2] != 1:
        return False  # not points of the pieces: no conclusion
    # [0, 1] is covered iff P's interval reaches Q's (touching at a point one of them holds)
    return ip[2] < iq[0] or (ip[2] == iq[0] and not (ip[3] or iq[1]))


def convex_union(p: Sequence[Constraint], q: Sequence[Constraint], d: int,
                 points: tuple[Sequence[Fraction] | None, Sequence[Fraction] | None] | None = None
                 ) -> list[Constraint] | None:
    """The union of two non-empty convex pieces when it is convex (as a constraint list), else
    None -- exactly.

    Envelope test (Bemporad, Fukuda & Torrisi 2001, "Convexity recognition of the union of
    polyhedra"): the envelope ``E`` keeps the half-spaces among the pieces' constraints (and
    their closures and equality halves) that contain both pieces, so ``P u Q`` is in ``E``; if
    every part ``E n not c`` (``c`` a constraint of ``P``) lies in ``Q``, then ``E = P u Q`` is
    convex.  A merge is made only when this is verified, so merging is sound whatever the
    pieces' shapes; pieces of different dimension (an open face and its boundary) merge when
    the result is convex.
    """
    pt_p, pt_q = points if points is not None else (find_point(list(p), d), find_point(list(q), d))
    if pt_p is not None and pt_q is not None and segment_leaves_union(p, q, pt_p, pt_q):
        return None  # the segment between two of the union's points leaves it: not convex
    if find_point([(f, "==" if r == "==" else "<=") for f, r in list(p) + list(q)], d) is None:
        return None  # closures apart: the union of two separated pieces is not convex
    # candidate half-spaces: each constraint, the closure of a strict one, the two halves of an
    # equality (the pieces are relatively open: an open square and its edge share no constraint,
    # but the edge's half-space x >= 0 contains both)
    cands: list[Constraint] = []
    for f, r in list(p) + list(q):
        alts = [(f, r)]
        if r == "<":
            alts.append((f, "<="))
        elif r == "==":
            alts += [(f, "<="), (tuple(-x for x in f), "<=")]
        for c in alts:
            if c not in cands:
                cands.append(c)
    # "c contains the piece", decided without an LP where possible (the same answers): true
    # for the piece's own constraints, their closures and equality halves; false when a point of
    # the piece violates c
    own_p, own_q = _own_halfspaces(p), _own_halfspaces(q)

    def contains(c: Constraint, piece: Sequence[Constraint], own: set, pt: list | None) -> bool:
        if c in own:
            return True
        if pt is not None and not satisfies(pt, [c]):
            return False
        return implied(c, piece, d)

    env = [c for c in cands if contains(c, p, own_p, pt_p) and contains(c, q, own_q, pt_q)]
    for c in p:  # E \ P must lie in Q (then E = P u Q)
        if c in env:
            continue
        for alt in negate(c):
            part = env + [alt]
            pt = find_point(part, d)
            if pt is None:
                continue
            if not satisfies(pt, q):  # a point of the part outside Q
                return None
            if not all(implied(k, part, d) for k in q):
                return None
    return env


def _own_halfspaces(piece: Sequence[Constraint]) -> set[Constraint]:
    """Constraints that contain ``piece`` by its own form: each of its constraints, the closure
    of a strict one, both halves of an equality."""
    out: set[Constraint] = set()
    for f, r in piece:
        out.add((f, r))
        if r == "<":
            out.add((f, "<="))
        elif r == "==":
            out.update({(f, "<="), (tuple(-x for x in f), "<=")})
    return out


def merge_convex(pieces: Sequence[Sequence[Constraint]], d: int,
                 deadline: float | None = None) -> list[list[Constraint]]:
    """Greedily merge pieces whose union is convex (:func:`convex_union`) until no pair merges.
    The pieces must be disjoint and share one label; the union of the result is the same set.
    At ``deadline`` (a ``time.perf_counter()`` value) it stops with the merges made so far
    (each verified, so the union is the same set, in more pieces): :func:`merge_convex_until`
    also says whether it finished."""
    return merge_convex_until(pieces, d, deadline)[0]


def merge_convex_until(pieces: Sequence[Sequence[Constraint]], d: int,
                       deadline: float | None = None,
                       progress: Callable[[int, int], None] | None = None
                       ) -> tuple[list[list[Constraint]], bool]:
    """:func:`merge_convex` and whether it finished (False: ``deadline`` stopped it).

    The merges, and the result, are those of the plain scan: find the first pair ``(i, j)``
    (in the order of the list) whose union is convex, put the union at ``i``, delete ``j``,
    start again from the first pair.  Nothing is tested twice: :func:`convex_union` is a
    function of the two pieces, so a pair found not to merge stays so while both are unchanged.
    After a merge at row ``i``, the rows before it only meet the new piece, and a row whose
    pairs were all tested is not scanned again (pieces are known by an integer, not by hashing
    their constraints: that hashing once took half of the time).  ``progress(pieces_left,
    pairs_tested)`` after each pair tested (the scan is quadratic in the pieces).  Each piece's
    closure has a bounding box (2d LPs; a union's is the two boxes' hull): pieces whose boxes
    are disjoint have disjoint closures, so their union is not convex, which
    :func:`convex_union` would also find, only slower (the answers are the same)."""
    out = [list(x) for x in pieces]
    ids = list(range(len(out)))  # an integer per piece; a merged piece gets a new one
    next_id = len(out)
    apart: set[tuple[int, int]] = set()
    clean: set[int] = set()  # pieces whose pairs with every later piece are known apart
    def per_piece(store: dict[int, Any], compute: Callable[[Any, int], Any]) -> Callable[[int], Any]:
        """``compute(piece, d)`` of the piece at position k, once per piece (by its integer)."""
        def get(k: int) -> Any:
            if ids[k] not in store:
                store[ids[k]] = compute(out[k], d)
            return store[ids[k]]
        return get

    boxes: dict[int, Box | None] = {}
    point = per_piece({}, find_point)  # a point per piece (one LP)
    box = per_piece(boxes, bounding_box)  # its closure's bounding box (2d LPs)

    tested = 0

    def test(i: int, j: int) -> bool:
        """Merge pieces i < j if their union is convex."""
        nonlocal tested, next_id
        key = (ids[i], ids[j])
        if key in apart:
            return False
        bi, bj = box(i), box(j)
        u = None if _boxes_apart(bi, bj) else convex_union(out[i], out[j], d, (point(i), point(j)))
        tested += 1
        if progress is not None:
            progress(len(out) - (u is not None), tested)
        if u is None:
            apart.add(key)
            return False
        out[i] = simplify(u, d)
        ids[i] = next_id
        boxes[next_id] = _box_hull(bi, bj)
        next_id += 1
        del out[j], ids[j]
        return True

    def pairs(new: int) -> Iterator[tuple[int, int]]:
        """The pairs the plain scan would test, in its order, less those known apart: the
        rows before ``new`` (the last merge's row) only with its piece, then every unfinished
        row from ``new`` on (a row is finished once all its pairs were tested)."""
        for i in range(new):
            yield i, new
        for i in range(new, len(out)):
            if ids[i] in clean:
                continue
            for j in range(i + 1, len(out)):
                yield i, j
            clean.add(ids[i])  # reached only when no pair of the row merged

    new = 0
    while True:
        for i, j in pairs(new):
            if deadline is not None and time.perf_counter() > deadline:
                return out, False
            if test(i, j):
                new = i
                break
        else:
            return out, True


def _boxes_apart(p: Box | None, q: Box | None) -> bool:
    """Are two closed boxes (None sides unbounded; a None box: unknown) disjoint?"""
    if p is None or q is None:
        return False
    return any((ph is not None and ql is not None and ph < ql) or
               (qh is not None and pl is not None and qh < pl)
               for (pl, ph), (ql, qh) in zip(p, q, strict=True))


def _box_hull(p: Box | None, q: Box | None) -> Box | None:
    """The smallest box holding both (None sides unbounded; a None box: unknown)."""
    if p is None or q is None:
        return None
    return [(None if pl is None or ql is None else min(pl, ql),
             None if ph is None or qh is None else max(ph, qh))
            for (pl, ph), (ql, qh) in zip(p, q, strict=True)]


__all__ = ["convex_union", "merge_convex", "merge_convex_until", "segment_interval", "segment_leaves_union"]
