"""Why not: for an empty answer, conditions that cannot hold together, as sentences about layers
and steps.

On each cell of the cover (:mod:`widthlimits.theory.regions.cell`) every exponent is one affine
form of the free coordinates, so each wanted condition is one linear constraint there: "the
activations of layer 2 stay bounded at step 3" is :math:`e(x^2_3) \\le 0`, "feature learning in
layer 2 at step 1" is :math:`e(x^2_1 - x^2_0) = 0` (under stability, :math:`\\Theta(1)`; the
definitions are those of :mod:`widthlimits.theory.regions.properties`: TP4, Yang & Hu 2021,
arXiv:2011.14522, Sec. 3; TP IVb, Yang & Littwin 2023, arXiv:2308.01814, Sec. 2.8; Golikov 2020,
arXiv:2003.05884, Sec. 4).  A property that asks for something at *some* step (the output moves,
a layer's features move) takes, on each cell, the first step whose constraint is feasible with
the others.  The conjunction with the cell's own sides and the box is infeasible (the answer is
empty); a minimal infeasible subset is found by the deletion filter (Chinneck & Dravnieks, ORSA
J. Computing 3(2), 1991) with the exact LP, and each of its members is written as a sentence:

* "feature learning in layer 2 at step 1 needs c_hidden = -1/2";
* "layer 3's features cannot move at any step 1..14 on this cell, whatever the free coordinates"
  (the exponent there is a constant below 0, or the change is identically zero);
* "the cell around (2, 2, 2) lies where c1 <= 0" (a side of the cell) and "the box bounds
  c1 <= 2".

The emptiness itself is certified by the cover; a why-not explains one cell at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import get_activation
from widthlimits.theory.callable_module import make_callable
from widthlimits.theory.frames import constraint_text
from widthlimits.theory.regions.cell import WHY_NOT_CELLS, CellEngine
from widthlimits.theory.regions.cover import Cover
from widthlimits.theory.regions.polyhedra import Constraint, box_constraints, find_point, normalize

ZERO = Fraction(0)
ONE = Fraction(1)


@dataclass(frozen=True)
class Conflict:
    """A minimal set of conditions that cannot hold together on one cell (deletion filter).

    ``conditions`` are sentences, one per condition; :attr:`sentence` joins them."""

    conditions: tuple[str, ...]
    cell_point: tuple[str, ...]

    @property
    def sentence(self) -> str:
        """The conflict in one sentence: "A needs X, while B needs Y"."""
        cs = list(self.conditions)
        if len(cs) == 1:
            return cs[0]
        if len(cs) == 2:
            return f"{cs[0]}, while {cs[1]}"
        return "; ".join(cs[:-1]) + f"; and {cs[-1]}: these cannot hold together"

    def to_json(self) -> dict[str, Any]:
        return {"conditions": list(self.conditions), "sentence": self.sentence,
                "cell_point": list(self.cell_point)}


@dataclass(frozen=True)
class Wanted:
    """One wanted condition on one exponent: ``event`` (words) holds iff ``exponent rel 0``.

    ``impossible`` is the sentence used when the condition cannot hold on a cell whatever the
    free coordinates."""

    event: str
    exponent: Any
    rel: str
    impossible: str


def _subject(q: str, l: int | None) -> str:
    return {"h": f"the pre-activations of layer {l}", "x": f"the activations of layer {l}",
            "f": "the output"}[q]


def want_conditions(want: Sequence[str], ex: dict, L: int, T: int
                    ) -> tuple[list[Wanted], list[list[Wanted]]]:
    """Conjunctive conditions and existential groups (one member must hold: "at some step")
    that the wanted properties impose on the exponents ``ex`` of one cell."""
    conj: list[Wanted] = []
    groups: list[list[Wanted]] = []
    need_stable = any(w in ("stable", "nontrivial", "trivial", "feature_learning", "kernel", "operator",
                            "fl_all", "maximal_update", "discrete_time", "mf_limit")
                      or (w[:2] in ("fl", "mu") and w[2:].isdigit()) for w in want)
    if need_stable:
        for t in range(T + 1):
            for l in range(1, L + 1):
                for q in ("h", "x"):
                    conj.append(Wanted(f"{_subject(q, l)} stay bounded at step {t}", ex[(q, l, t)], "<=",
                                       f"{_subject(q, l)} blow up at step {t} on this cell, whatever "
                                       "the free coordinates"))
            conj.append(Wanted(f"the output stays bounded at step {t}", ex[("f", None, t)], "<=",
                               f"the output blows up at step {t} on this cell, whatever the free "
                               "coordinates"))
        conj.append(Wanted(f"the per-step output change stays bounded (step {T})",
                           ex[("df_step", None, T)], "<=",
                           "the per-step output change blows up on this cell, whatever the free "
                           "coordinates"))

    def some_step(q: str, l: int | None, event: str, cannot: str) -> list[Wanted]:
        return [Wanted(f"{event} at step {t}", ex[(q, l, t)], "==",
                       f"{cannot} at any step 1..{T} on this cell, whatever the free coordinates")
                for t in range(1, T + 1)]

    for w in want:
        if w in ("nontrivial", "moves", "mf_limit", "feature_learning", "kernel", "operator"):
            groups.append(some_step("df", None, "a non-trivial output change",
                                    "the output cannot move Theta(1)"))
        if w in ("fl_all", "mf_limit"):
            for l in range(1, L + 1):
                groups.append(some_step("dx", l, f"feature learning in layer {l}",
                                        f"layer {l}'s features cannot move Theta(1)"))
        if w in ("discrete_time", "mf_limit"):
            conj.append(Wanted(f"discrete time (a Theta(1) per-step output change at step {T})",
                               ex[("df_step", None, T)], "==",
                               "the per-step output change cannot be Theta(1) on this cell, "
                               "whatever the free coordinates"))
        if w == "maximal_update":
            for l in range(1, L + 2):
                groups.append(some_step("dWx", l, f"a maximal update of layer {l}",
                                        f"layer {l} cannot be updated maximally"))
        for pre, q, event, cannot in (
                ("fl", "dx", "feature learning in layer {l}", "layer {l}'s features cannot move Theta(1)"),
                ("mu", "dWx", "a maximal update of layer {l}", "layer {l} cannot be updated maximally")):
            if w.startswith(pre) and w[2:].isdigit():
                l = int(w[2:])
                groups.append(some_step(q, l, event.format(l=l), cannot.format(l=l)))
    return conj, groups


def as_constraint(e: Any, rel: str) -> Constraint | bool:
    """``e rel 0`` with ``e`` an affine value (or ``-inf``, identically zero): a normalized
    constraint, or True/False when it does not depend on the free coordinates."""
    if isinstance(e, float):
        return rel == "<="  # -inf <= 0 holds, -inf == 0 does not
    return normalize(e.f, rel)


def _needs(c: Constraint, names: Sequence[str]) -> str:
    return constraint_text(c, names).replace(" == ", " = ")


def why_not(cv: Cover, want: Sequence[str], max_cells: int = WHY_NOT_CELLS) -> tuple[Conflict, ...]:
    """For an empty answer: on each cell (where every exponent is affine) the wanted conditions
    conflict; a minimal conflicting subset is found by the deletion filter with the exact LP.
    Returns the distinct conflicts found, fewest cell and box sides first (at most three)."""
    fr = cv.frame
    names = fr.variables
    d = len(names)
    L, T = fr.depth, cv.horizon
    B = box_constraints(d, *cv.box)
    false = ((ZERO,) * d + (ONE,), "<=")
    seen_cells: set = set()
    found: dict[tuple[str, ...], Conflict] = {}
    eng = CellEngine(fr, get_activation(cv.activation), cv.loss, T)
    for runs, cell in enumerate(cv.cell_list):
        if len(seen_cells) >= max_cells or runs >= 4 * max_cells:
            break
        # the first cells of a cover keep their forms; the others are recomputed at their point
        exponents, engine_constraints = (cell.forms if cell.forms is not None
                                         else eng.forms(cell.point))
        key = frozenset(engine_constraints)
        if key in seen_cells:
            continue
        seen_cells.add(key)
        where = ", ".join(str(x) for x in cell.point)
        conj, groups = want_conditions(want, exponents, L, T)
        labelled: list[tuple[str, Constraint]] = []  # (sentence, constraint)
        bad = False
        for w in conj:
            c = as_constraint(w.exponent, w.rel)
            if c is False:
                labelled = [(w.impossible, false)]
                bad = True
                break
            if c is not True and all(c != x for _, x in labelled):
                labelled.append((f"{w.event} needs {_needs(c, names)}", c))  # type: ignore[arg-type]
        choices: list[tuple[str, Constraint] | None] = []
        for g in groups if not bad else ():
            opts: list[tuple[str, Constraint] | None] = []
            for w in g:
                c = as_constraint(w.exponent, w.rel)
                if c is True:
                    opts = [None]
                    break
                if c is not False and all(c != o[1] for o in opts if o):
                    opts.append((f"{w.event} needs {_needs(c, names)}", c))  # type: ignore[arg-type]
            if not opts:
                labelled = [(g[0].impossible, false)]
                bad = True
                break
            pick = opts[0]
            if len(opts) > 1:
                # several steps could do: the first one feasible with the rest of the cell
                base = [c for _, c in labelled] + list(engine_constraints) + B
                pick = next((o for o in opts if o and find_point(base + [o[1]], d) is not None),
                            opts[0])
            choices.append(pick)
        if not bad:
            labelled += [c for c in choices if c is not None]
        cellc = [(f"the cell around ({where}) lies where {_needs(c, names)}", c)
                 for c in engine_constraints]
        cellc += [(f"the box bounds {_needs(c, names)}", c) for c in B]
        allc = cellc + labelled
        if find_point([c for _, c in allc], d) is not None:
            continue  # the simple choice of steps is feasible here; skip (conservative)
        keep = list(allc)
        i = 0
        while i < len(keep):
            trial = keep[:i] + keep[i + 1:]
            if find_point([c for _, c in trial], d) is None:
                keep = trial
            else:
                i += 1
        k = tuple(t for t, _ in keep)
        if k not in found:
            found[k] = Conflict(k, tuple(str(x) for x in cell.point))
    out = sorted(found.values(),
                 key=lambda c: (sum(t.startswith(("the cell", "the box")) for t in c.conditions),
                                len(c.conditions)))
    return tuple(out[:3])


__all__ = ["Conflict", "Wanted", "as_constraint", "want_conditions", "why_not"]

# the package exports `why_not`, the name of this module too: calling the module calls it
make_callable(__name__, why_not)
