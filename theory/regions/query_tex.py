"""A query's answer in LaTeX, as a paper would print it: one line per convex piece (its
equalities and inequalities in the free exponents), with the verdict on it.

The pieces are those of :func:`widthlimits.theory.regions.query.query`, exactly (rational
coefficients, strict and non-strict inequalities kept apart); nothing is re-derived here.  The
text says what the set is relative to: the box of the free coordinates, the fixed exponents,
the horizon of steps the verdicts are over, and which pieces hold only over those steps
(:attr:`~widthlimits.theory.regions.query.RegionPiece.all_steps`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

from widthlimits.theory.derivation.render_latex import exp_tex
from widthlimits.theory.frames import oriented
from widthlimits.theory.regions.cell import verdict_label
from widthlimits.theory.regions.polyhedra import Constraint

if TYPE_CHECKING:
    from widthlimits.theory.regions.query import QueryResult

_GREEK = {"sigma": r"\sigma", "alpha": r"\alpha", "eta": r"\eta"}
_REL = {"==": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">"}


def variable_tex(name: str) -> str:
    """A coordinate's name in LaTeX: ``b2`` -> ``b_{2}``, ``q_sigma`` -> ``q_{\\sigma}``,
    ``c_L`` -> ``c_{L}``, ``alpha`` -> ``\\alpha``."""
    if name in _GREEK:
        return _GREEK[name]
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    head, sep, tail = name.partition("_")
    if sep:
        sub = _GREEK.get(tail, tail.replace("_", r"\_"))
        return f"{head}_{{{sub}}}"
    return name


def constraint_tex(c: Constraint, names: Sequence[str]) -> str:
    """``(form, rel)`` as ``b_{2} + 5 c_{1} \\le \\tfrac{1}{2}``: variables on the left,
    the constant on the right; an inequality whose first coefficient is negative is turned
    around (``c_{1} \\ge 1``, not ``-c_{1} \\le -1``)."""
    form, rel = oriented(c)
    terms = []
    for k, n in zip(form[:-1], names, strict=True):
        k = Fraction(k)
        if k == 0:
            continue
        mag = "" if abs(k) == 1 else exp_tex(abs(k)) + " "
        terms.append(("-" if k < 0 else "+", mag + variable_tex(n)))
    lhs = " ".join(f"{s} {t}" for s, t in terms)
    lhs = lhs[2:] if lhs.startswith("+ ") else "-" + lhs[2:] if lhs.startswith("- ") else lhs
    return f"{lhs or '0'} {_REL[rel]} {exp_tex(-Fraction(form[-1]))}"


def query_latex(r: QueryResult, *, document: bool = False) -> str:
    """The answer ``r`` as LaTeX: a snippet (an ``enumerate`` of the pieces, each its conditions
    and verdict) or, with ``document``, a whole article."""
    fr = r.frame
    names = list(fr.variables)
    lo, hi = r.box
    horizon = r.stats.get("horizon_steps")
    fixed = ", ".join(f"{k} = {v}" for k, v in fr.fixed_values().items()) or "none"
    want = ", ".join(w.replace("_", r"\_") for w in r.want)
    free = ", ".join(f"${variable_tex(n)}$" for n in names) or "none"
    head = [
        f"% widthlimits query: depth {fr.depth}, {fr.optimizer.name}, want {', '.join(r.want)}",
        f"% free: {', '.join(names) or 'none'} in [{lo}, {hi}]; fixed: {fixed}",
        f"% verdicts over steps 0..{horizon} (the engine's horizon at depth {fr.depth})",
        f"Depth $L = {fr.depth}$, {fr.optimizer.name}; free exponents {free}, each in "
        f"$[{exp_tex(lo)}, {exp_tex(hi)}]$; wanted: \\texttt{{{want}}}."]
    if not r.complete:
        head.append(r"\textbf{Incomplete:} the time limit stopped the computation; the pieces "
                    "below are those found so far.")
    body: list[str] = []
    if r.empty:
        body.append("The set is empty." if r.complete else "No piece was found.")
        body += [rf"\emph{{Why not:}} {c.sentence}." for c in r.why_not]
    else:
        body.append(f"The set is the union of {len(r.pieces)} disjoint convex "
                    f"piece{'s' if len(r.pieces) != 1 else ''}:")
        body.append(r"\begin{enumerate}")
        for p in r.pieces:
            conds = r",\ ".join(constraint_tex(c, names) for c in p.constraints) or r"\text{all}"
            label = verdict_label(p.verdict).replace("_", " ")
            later = ("" if p.all_steps else
                     f" (over steps $0,\\dots,{horizon}$ only: the exponents still move there"
                     + ("" if p.later is None else "; " + p.later.text()) + ")")
            body.append(f"\\item ${conds}$ \\quad --- {label}{later}.")
        body.append(r"\end{enumerate}")
        moving = sum(not p.all_steps for p in r.pieces)
        if moving:
            body.append(f"A piece marked ``over steps $0,\\dots,{horizon}$ only'' may blow up at a "
                        f"later step ({moving} of {len(r.pieces)}).")
    text = "\n".join(head + [""] + body) + "\n"
    if not document:
        return text
    return ("\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + text
            + "\\end{document}\n")


__all__ = ["constraint_tex", "query_latex", "variable_tex"]
