"""Emptiness certified on a larger frame: a frame whose hidden layers share their coordinates
(``shared_hidden``, and Golikov's family at a fixed :math:`q_\\sigma`) is an affine slice of the
frame in which every layer keeps its own coordinates.

If the larger frame has no point with the wanted properties in a box containing the slice's
image, the slice has none: a point of the slice *is* a parametrization of the larger frame, with
the same verdict.  This is exact, and it is only a certificate of emptiness; a witness found in
the larger frame answers the slice's question only if it lies on the slice.

Why it pays: the existence search certifies the box cell by cell, and where a wanted property
fails it keeps only that failure's constraints (:mod:`widthlimits.theory.regions.cell`).  On
the slice these cells came out much smaller than on the full frame.  Measured (GD at Golikov's
mean-field init, ``mf_limit``, tanh, one process): the shared-hidden slice took 19 s and 344 cells
at L = 3 with the box [-4, 4], and in Golikov's exponents (box [-4, 4]) 36 s at L = 3, 78 s at
L = 4 and was undecided after 120 s at L = 5 and 6; the per-layer frame over the box [-4, 6]
that contains the image decided each of them empty in 0.27, 0.71, 1.78 and 4.49 s (12.8 s at
L = 7, 20.5 s at L = 8).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from widthlimits.theory.frames import make_frame
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.golikov_frame import GolikovFrame

#: the larger frame is used up to this many free coordinates (measured to 9, L = 8)
LIFT_MAX_FREE = 10


def lifted(frame: Any, box: tuple[Fraction, Fraction]) -> tuple[CellFrame, tuple[Fraction, Fraction]] | None:
    """The larger frame and a box containing the image of ``frame``'s box in it, or None when
    ``frame`` is not a slice of one (no shared hidden layers, Golikov's family with ``q_sigma``
    free, whose ``b`` would have to be free too) or the larger frame has more than
    :data:`LIFT_MAX_FREE` free coordinates."""
    lo, hi = box
    if isinstance(frame, CellFrame):
        if not frame.shared_hidden or frame.depth < 2:
            return None
        big = CellFrame(frame.base, False)
        return (big, (lo, hi)) if len(big.variables) <= LIFT_MAX_FREE else None
    if not isinstance(frame, GolikovFrame):
        return None
    fixed = dict(frame.fixed)
    if "q_sigma" not in fixed:
        return None
    L, qs = frame.depth, fixed["q_sigma"]
    # c_1 = -q_w, c_l = -(q_v + q_sigma) (hidden), c_{L+1} = -(q_a + 2 q_sigma)
    # (Parametrization.from_golikov): each a fixed value or the image of [lo, hi]
    shift = {"q_w": 0, "q_v": qs, "q_a": 2 * qs}
    layers = {"q_w": [1], "q_v": list(range(2, L + 1)), "q_a": [L + 1]}
    c: list[Any] = [None] * (L + 1)
    ends: list[Fraction] = []
    for k in frame.coordinates[1:]:
        if k in fixed:
            for l in layers[k]:
                c[l - 1] = -(fixed[k] + shift[k])
        elif layers[k]:
            ends += [-(hi + shift[k]), -(lo + shift[k])]
    if not ends:
        return None
    big = CellFrame(make_frame(L, frame.optimizer, gauge="sp",
                               fix={"a": [0] * (L + 1), "b": [0] + [-qs] * L, "c": c}))
    if len(big.variables) > LIFT_MAX_FREE:
        return None
    return big, (min(ends), max(ends))


__all__ = ["LIFT_MAX_FREE", "lifted"]
