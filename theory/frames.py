"""Frames: which exponents are free coordinates once some are fixed and the symmetry is gauged.

A parametrization is a point ``(a_l, b_l, c_l)_{l=1..L+1}`` of exponent space, and the width
symmetry (TP4 Eq. 5; TP IVb Prop. 2.2.3) moves it along one line per layer without changing the
limit: :math:`(a_l, b_l, c_l) \\mapsto (a_l + \\theta, b_l - \\theta, c_l - k\\theta)` with
:math:`k = 2` for SGD-like and :math:`k = 1` for entrywise optimizers (Adam, signSGD, ...).
Entrywise optimizers may also carry TP IVb's gradient exponents :math:`d_l` (the update reads
:math:`Q(n^{d_l} g)`: Adam's :math:`\\epsilon` relative to :math:`n^{-d_l}`, Def. 2.2.1), which move as
:math:`d_l \\mapsto d_l + \\theta` (Prop. 2.2.3); a frame has them as coordinates (fixed or free)
when ``fix`` names ``d``, and none otherwise (:math:`\\epsilon` negligible).  A
*frame* fixes some exponents (the user's) and, for every layer whose symmetry is not already
fixed by them, one gauge coordinate: ``"sp"`` (``a_l = 0``) or ``"tp4"`` (``b_l = 1/2``; a layer
with ``b_l = inf``, zero init, always uses ``a_l = 0``).  The remaining exponents are the free
coordinates :math:`z \\in \\mathbb Q^k` (``Frame.variables``, e.g. ``("b2", "c3")``); every
parametrization matching the fixed values is moved by the symmetry to exactly one ``z``
(:meth:`Frame.point_of`).

The exact regions of :mod:`widthlimits.theory.regions` and the maximal learning rates of
:mod:`widthlimits.theory.max_lr` are computed in these coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.exponents import Exponent, as_exponent, is_pos_inf
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth
from widthlimits.theory.regions.polyhedra import Constraint

ZERO = Fraction(0)
HALF = Fraction(1, 2)
GAUGES = ("sp", "tp4")


@dataclass(frozen=True)
class Frame:
    """Which exponents are free coordinates and which are fixed (by the user or the gauge).

    Attributes
    ----------
    depth, optimizer, gauge
        As given.
    values : dict
        ``("a"|"b"|"c"|"d", layer) -> Fraction | inf`` for fixed coordinates.
    with_d : bool
        The parametrizations carry ``d`` (entrywise optimizers only; TP IVb Def. 2.2.1).
    variables : tuple of str
        Names of the free coordinates (``"b2"``, ``"c3"``, ...), in order.
    gauge_layers : tuple of int
        Layers whose symmetry is fixed by the gauge (the others by a user-fixed coordinate).
    """

    depth: int
    optimizer: Optimizer
    gauge: str
    values: dict[tuple[str, int], Exponent]
    variables: tuple[str, ...]
    gauge_layers: tuple[int, ...]
    with_d: bool = False

    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]

    def parametrization(self) -> Parametrization:
        syms = {v: sympy.Symbol(v) for v in self.variables}
        n = self.depth + 1

        def get(k: str, l: int) -> Any:
            return self.values[(k, l)] if (k, l) in self.values else syms[f"{k}{l}"]

        return Parametrization(tuple(get("a", l) for l in range(1, n + 1)),
                               tuple(get("b", l) for l in range(1, n + 1)),
                               tuple(get("c", l) for l in range(1, n + 1)),
                               tuple(get("d", l) for l in range(1, n + 1)) if self.with_d else None)

    def point_of(self, p: Parametrization) -> list[Fraction] | None:
        """Coordinates of ``p`` (moved by the symmetry into this frame), or None if ``p`` does
        not match the fixed coordinates."""
        k = 1 if self.optimizer.entrywise else 2
        if self.with_d != (p.d is not None):
            return None  # epsilon negligible (no d) is not a point of a frame with d, and back
        coords: dict[str, Exponent] = {}
        for l in range(1, self.depth + 2):
            a, b, c = p.a[l - 1], p.b[l - 1], p.c[l - 1]
            fa, fb = self.values.get(("a", l)), self.values.get(("b", l))
            if l in self.gauge_layers:
                target = ("a", ZERO) if self.gauge == "sp" or is_pos_inf(b) else ("b", HALF)
            elif fa is not None:
                target = ("a", fa)
            else:
                target = ("b", fb)
            if target[0] == "a":
                th = target[1] - a  # a + th = target
            else:
                if is_pos_inf(b):
                    return None
                th = b - target[1]  # b - th = target
            na, nb = a + th, (b if is_pos_inf(b) else b - th)
            nc = c if is_pos_inf(c) else c - k * th
            moved = [("a", na), ("b", nb), ("c", nc)]
            if p.d is not None:
                moved.append(("d", p.d[l - 1] + th))  # TP IVb Prop. 2.2.3
            for key, v in moved:
                fixed = self.values.get((key, l))
                if fixed is not None:
                    if fixed != v:
                        return None
                else:
                    coords[f"{key}{l}"] = v
        out = []
        for v in self.variables:
            x = coords[v]
            if is_pos_inf(x):
                return None
            out.append(Fraction(x))
        return out

    def parametrization_at(self, x: Sequence[Fraction]) -> Parametrization:
        vals = dict(self.values)
        for name, v in zip(self.variables, x, strict=True):
            vals[(name[0], int(name[1:]))] = v
        n = self.depth + 1
        return Parametrization(tuple(vals[("a", l)] for l in range(1, n + 1)),
                               tuple(vals[("b", l)] for l in range(1, n + 1)),
                               tuple(vals[("c", l)] for l in range(1, n + 1)),
                               tuple(vals[("d", l)] for l in range(1, n + 1)) if self.with_d
                               else None)


def make_frame(depth: int, optimizer: str | Optimizer, *, gauge: str = "sp",
               fix: dict[str, Sequence[Any]] | None = None) -> Frame:
    """Free coordinates for ``depth`` given fixed exponent lists (``fix={"b": [...]}``; an entry
    ``None`` or ``"*"`` leaves that layer's exponent free, e.g. ``fix={"c": [None, 1, 1]}``).

    ``fix={"d": [...]}`` (entrywise optimizers) gives the parametrizations TP IVb's gradient
    exponents ``d``, each fixed or free (``fix={"d": [None] * (L + 1)}``: all free); without it
    there is no ``d`` (epsilon negligible)."""
    L = check_depth(depth)
    opt = get_optimizer(optimizer)
    values: dict[tuple[str, int], Any] = {}
    fix = dict(fix or {})
    if "d" in fix and not opt.entrywise:
        raise ValueError(f"`fix` d: {opt.name} is not entrywise; its gradient exponent d only "
                         "shifts the learning rate (c - d, TP IVb Remark 2.2.4): fix c instead")
    for key, vals in fix.items():
        if key not in ("a", "b", "c", "d"):
            raise ValueError(f"`fix` key {key!r}: choose a, b, c or d")
        if len(vals) != L + 1:
            raise ValueError(f"`fix` {key}: {len(vals)} values but depth {L} needs {L + 1}")
        for l, v in enumerate(vals, start=1):
            if v is None or (isinstance(v, str) and v.strip() == "*"):
                continue
            values[(key, l)] = v
    return _frame(L, opt, gauge, values, with_d="d" in fix)


def _frame(L: int, optimizer: str | Optimizer, gauge: str, chosen: dict[tuple[str, int], Any],
           with_d: bool = False) -> Frame:
    """The frame for depth ``L`` with the coordinates ``chosen`` (``(key, layer) -> value``) fixed."""
    opt = get_optimizer(optimizer)
    if gauge not in GAUGES:
        raise ValueError(f"unknown gauge {gauge!r}; choose 'sp' or 'tp4'")
    values: dict[tuple[str, int], Exponent] = {}
    for (key, l), v in chosen.items():
        e = as_exponent(v, name=f"{key}{l}")
        if not isinstance(e, Fraction) and not (key in "bc" and is_pos_inf(e)):
            raise ValueError(f"`{key}{l}` = {v!r}: must be a finite exact number"
                             + (" or inf" if key in "bc" else ""))
        values[(key, l)] = e
    gauge_layers = []
    for l in range(1, L + 2):
        has_a, has_b = ("a", l) in values, ("b", l) in values
        b_inf = has_b and is_pos_inf(values[("b", l)])
        if gauge == "sp" or b_inf:
            if not has_a:
                values[("a", l)] = ZERO
                gauge_layers.append(l)
        elif not has_b:
            values[("b", l)] = HALF
            gauge_layers.append(l)
    keys = ("a", "b", "c", "d") if with_d else ("a", "b", "c")
    variables = tuple(f"{k}{l}" for k in keys for l in range(1, L + 2) if (k, l) not in values)
    return Frame(L, opt, gauge, values, variables, tuple(gauge_layers), with_d)


def oriented(c: Constraint) -> tuple[tuple, str]:
    """``(form, rel)`` with an inequality whose first variable has a negative coefficient turned
    around (``c1 >= 1``, not ``-c1 <= -1``): the form and ``<=``, ``<``, ``>=``, ``>`` or ``==``."""
    form, rel = c
    lead = next((k for k in form[:-1] if k != 0), 0)
    if rel != "==" and lead < 0:
        return tuple(-k for k in form), {"<=": ">=", "<": ">"}[rel]
    return tuple(form), rel


def constraint_text(c: Constraint, names: Sequence[str]) -> str:
    """``(form, rel)`` as ``"b2 + c3 <= 1/2"`` (variables left, constant right; turned around
    as :func:`oriented` says)."""
    form, rel = oriented(c)
    parts = []
    for k, n in zip(form[:-1], names, strict=True):
        if k == 0:
            continue
        s = "-" if k < 0 else "+"
        mag = abs(k)
        parts.append(f"{s} {'' if mag == 1 else str(mag) + '*'}{n}")
    lhs = " ".join(parts).lstrip("+ ").strip()
    if lhs.startswith("- "):
        lhs = "-" + lhs[2:]
    return f"{lhs or '0'} {rel} {-form[-1]}"


__all__ = ["GAUGES", "Frame", "constraint_text", "make_frame", "oriented"]
