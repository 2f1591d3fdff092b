"""The free coordinates of a region question: a :class:`~widthlimits.theory.frames.Frame`
(fixed exponents and the gauge of the width symmetry), optionally with hidden layers sharing.

A frame (:func:`widthlimits.theory.frames.make_frame`) leaves free coordinates
:math:`z \\in \\mathbb Q^k`, one per exponent not fixed by the user or by the gauge of the
width symmetry (TP4, Yang & Hu 2021, arXiv:2011.14522, Eq. 5; TP IVb, Yang & Littwin 2023,
arXiv:2308.01814, Prop. 2.2.3).  :class:`CellFrame` adds one option: the hidden layers
``2..L`` share their free ``a``, ``b``, ``c`` (and ``d``) (``shared_hidden``: one ``c_hidden`` for every
hidden layer, as in Golikov's families, Golikov 2020, arXiv:2003.05884, Sec. 4).  The map
:math:`z \\mapsto` parametrization is affine (:meth:`CellFrame.parametrization` in sympy
symbols, :meth:`CellFrame.parametrization_at` at a rational point).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.exponents import fmt
from widthlimits.theory.frames import Frame, make_frame
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization

#: default bound on the number of free coordinates of a full cover
MAX_FREE = 5


@dataclass(frozen=True)
class CellFrame:
    """Free coordinates: those of a :class:`~widthlimits.theory.frames.Frame`, optionally with
    the hidden layers 2..L sharing their free a, b, c, d (``shared_hidden``)."""

    base: Frame
    shared_hidden: bool = False

    #: the coordinates are exponents a, b, c (d) per layer (a :class:`GolikovFrame` has Golikov's)
    coords = "abc"

    @property
    def depth(self) -> int:
        return self.base.depth

    @property
    def optimizer(self) -> Optimizer:
        return self.base.optimizer

    @property
    def gauge(self) -> str:
        return self.base.gauge

    @property
    def variables(self) -> tuple[str, ...]:
        if not self.shared_hidden or self.depth < 2:
            return self.base.variables
        out: list[str] = []
        for v in self.base.variables:
            k, l = v[0], int(v[1:])
            if 2 <= l <= self.depth:
                name = f"{k}_hidden"
                if name not in out:
                    out.append(name)
            else:
                out.append(v)
        return tuple(out)

    def _index(self) -> dict[str, int]:
        """base variable -> index of the frame variable."""
        names = self.variables
        idx = {}
        for v in self.base.variables:
            k, l = v[0], int(v[1:])
            key = f"{k}_hidden" if (self.shared_hidden and self.depth >= 2
                                    and 2 <= l <= self.depth) else v
            idx[v] = names.index(key)
        return idx

    def symbols(self) -> list[sympy.Symbol]:
        return [sympy.Symbol(v) for v in self.variables]

    def fixed_values(self) -> dict[str, str]:
        """The fixed exponents by layer (``"b2": "1/2"``), exact strings (the answers' JSON)."""
        return {f"{k}{l}": fmt(v) for (k, l), v in sorted(self.base.values.items())}

    def parametrization(self) -> Parametrization:
        syms = self.symbols()
        idx = self._index()
        return self._build({v: syms[i] for v, i in idx.items()})

    def parametrization_at(self, z: Sequence[Fraction]) -> Parametrization:
        idx = self._index()
        return self._build({v: Fraction(z[i]) for v, i in idx.items()})

    def _build(self, vals_free: dict[str, Any]) -> Parametrization:
        vals = dict(self.base.values)
        for name, v in vals_free.items():
            vals[(name[0], int(name[1:]))] = v
        n = self.depth + 1
        return Parametrization(tuple(vals[("a", l)] for l in range(1, n + 1)),
                               tuple(vals[("b", l)] for l in range(1, n + 1)),
                               tuple(vals[("c", l)] for l in range(1, n + 1)),
                               tuple(vals[("d", l)] for l in range(1, n + 1))
                               if self.base.with_d else None)

    def point_of(self, p: Parametrization) -> list[Fraction] | None:
        """Coordinates of ``p`` moved by the symmetry into this frame (None if it does not
        match the fixed coordinates or the sharing)."""
        x = self.base.point_of(p)
        if x is None:
            return None
        idx = self._index()
        out: list[Fraction | None] = [None] * len(self.variables)
        for v, xv in zip(self.base.variables, x, strict=True):
            i = idx[v]
            if out[i] is not None and out[i] != xv:
                return None
            out[i] = xv
        return [Fraction(v) for v in out]  # type: ignore[arg-type]


def cell_frame(depth: int, optimizer: str | Optimizer, *, gauge: str = "sp",
               fix: dict[str, Sequence[Any]] | None = None, shared_hidden: bool = False,
               max_free: int = MAX_FREE) -> CellFrame:
    """The free coordinates for a query (fixed lists as in ``classify``: ``L+1`` values each)."""
    return region_frame(depth, optimizer, gauge=gauge, fix=fix, shared_hidden=shared_hidden,
                        max_free=max_free)


def region_frame(depth: int, optimizer: str | Optimizer, *, coords: str = "abc",
                 gauge: str = "sp", fix: dict[str, Any] | None = None,
                 shared_hidden: bool = False, max_free: int | None = MAX_FREE) -> Any:
    """The free coordinates of a region question in the chosen ``coords``: ``"abc"`` (a
    :class:`CellFrame`: ``fix`` holds lists of L+1 exponents per letter) or ``"golikov"`` (a
    :class:`~widthlimits.theory.regions.golikov_frame.GolikovFrame`: ``fix`` holds single values
    of q_sigma, q_w, q_v, q_a; SP form, hidden layers shared).  ``max_free`` None: no bound."""
    if max_free is not None and (isinstance(max_free, bool) or not isinstance(max_free, int)
                                 or max_free < 0):
        raise ValueError(f"`max_free` must be an int >= 0 (or None: no bound), got {max_free!r}")
    if coords == "abc":
        fr: Any = CellFrame(make_frame(depth, optimizer, gauge=gauge, fix=fix), shared_hidden)
        hint = "fix more exponents (e.g. --fix b=... or --fix a=...), share the hidden layers"
    elif coords == "golikov":
        if gauge != "sp":
            raise ValueError("Golikov's exponents are in SP form (a = 0): the gauge is sp")
        from widthlimits.theory.regions.golikov_frame import golikov_frame

        fr = golikov_frame(depth, optimizer, fix)
        hint = "fix some of them (e.g. --fix q_sigma=-1)"
    else:
        raise ValueError(f"unknown coordinates {coords!r}; choose 'abc' or 'golikov'")
    k = len(fr.variables)
    if max_free is not None and k > max_free:
        raise ValueError(f"{k} free coordinates ({', '.join(fr.variables)}) exceed the limit of "
                         f"{max_free}: {hint}, or raise the limit")
    return fr


__all__ = ["MAX_FREE", "CellFrame", "cell_frame", "region_frame"]
