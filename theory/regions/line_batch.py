"""Stability of many parametrizations in one engine run: values that are per-problem vectors.

The problems share their ``a``, ``b`` (and ``d``) and differ in their learning-rate exponents
``c`` (the layer-by-layer questions of :mod:`widthlimits.theory.max_lr`: one layer free, the
others frozen).  :class:`BatchOps` is the engine's max-plus arithmetic
(:class:`widthlimits.theory.engine.MaxPlusOps`, exact integers scaled by a common denominator)
on values that are either one integer for every problem or a tuple with one entry per problem
(``-inf`` for identically zero); ``max``, ``min``, ``+``, ``-`` act entry by entry, so every
entry is exactly the exponent of its own problem's run.  When half of the running problems or
more have blown up, the vectors drop their entries (:meth:`BatchOps.compact`): values computed
before keep their length and are cut to the running problems where they are next used
(:meth:`BatchOps.fit`), so the run goes on with the others alone, without repeating a step.
What the engine decides on values:

* ``is_ninf`` (skip an identically zero term): true only if it is zero for every problem; a term
  kept with some ``-inf`` entries contributes nothing to those problems' maxima and sums;
* the saturation gate of entrywise optimizers (``mean_gate``): entry by entry;
* stationarity (``same_state``): every problem still running has an unchanged state (later steps
  then repeat for it); a problem stops running at its first blown-up h, x or f exponent (it is
  unstable), and the normalizer memory of a layer is compared only for the problems that update
  that layer (a frozen layer's normalizer is never read: its update is zero).

The run stops when every running problem is stationary (or at the cap of the default run), so
each problem's verdict is that of its own run
(:func:`~widthlimits.theory.classify.classify`'s; the MSE loss runs as the logistic one, as in
:mod:`widthlimits.theory.regions.cell`).  Used by :func:`widthlimits.theory.regions.line.least_stable_many`
for the end points of the cells.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy

from widthlimits.theory.activations import Activation
from widthlimits.theory.engine import EngineResult, derive, same_structure
from widthlimits.theory.exponents import NEG_INF, is_pos_inf
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.regions.properties import conditions

_R = itertools.repeat


class NoneRunning(Exception):
    """Every problem of the batch has blown up: the run stops (they are all unstable)."""


def _cols(xs: Sequence[Any]) -> list[Any]:
    return [x if type(x) is tuple else _R(x) for x in xs]


class BatchOps:
    """Max-plus arithmetic on per-problem vectors (see the module docstring)."""

    symbolic = True  # the engine's numeric-only shortcuts compare values with 0: skipped

    def __init__(self, columns: dict[sympy.Symbol, tuple[Any, ...]], M: int, n: int,
                 updated: list[tuple[bool, ...]]) -> None:
        self.columns = columns
        self.M = M
        self.n = n
        self.updated = updated  # updated[layer index][problem]: the layer's c is finite
        self.alive = [True] * n
        #: the problem of each entry (positions in the batch's problems): all of them until the
        #: first :meth:`compact`
        self.index = list(range(n))
        self._keep: dict[int, list[int]] = {}  # a vector's earlier length -> the entries kept
        self._fitted: dict[int, tuple[tuple, tuple]] = {}  # id -> (vector, its cut)
        self.ninf = NEG_INF
        self.zero = 0
        self.half = M // 2
        self.one = M

    def conv(self, e: Any) -> Any:
        if isinstance(e, float):
            return NEG_INF if e < 0 else e
        if isinstance(e, sympy.Expr) and not e.is_number:
            sign = -1 if e.could_extract_minus_sign() else 1
            col = self.columns[-e if sign < 0 else e]
            if sign > 0:
                raise ValueError("internal: a batch column enters only as -c")
            return tuple(NEG_INF if is_pos_inf(v) else -int(v * self.M) for v in col)
        v = Fraction(e) * self.M
        if v.denominator != 1:
            raise ValueError(f"internal: constant {e} not a multiple of 1/{self.M}")
        return int(v)

    def out(self, e: Any) -> Any:
        return e

    # -- dropping the entries of blown-up problems
    def compact(self) -> None:
        """Drop the entries of the problems that stopped running; raises :class:`NoneRunning`
        if none is left.  Vectors of an earlier length are cut where they are used
        (:meth:`fit`)."""
        keep = [k for k in range(self.n) if self.alive[k]]
        if not keep:
            raise NoneRunning
        self._keep = {m: [old[k] for k in keep] for m, old in self._keep.items()}
        self._keep[self.n] = keep
        self._fitted = {}
        self.index = [self.index[k] for k in keep]
        self.columns = {s: tuple(col[k] for k in keep) for s, col in self.columns.items()}
        self.updated = [tuple(u[k] for k in keep) for u in self.updated]
        self.n = len(keep)
        self.alive = [True] * self.n
        self._compacted(keep)

    def _compacted(self, keep: list[int]) -> None:
        """Hook: a subclass drops its own per-entry state (``keep``: the entries kept)."""

    def fit(self, x: Any) -> Any:
        """``x`` with one entry per running problem: a vector of an earlier length (computed
        before a :meth:`compact`) cut to the entries kept; anything else as is."""
        if type(x) is not tuple or len(x) == self.n:
            return x
        hit = self._fitted.get(id(x))
        if hit is not None and hit[0] is x:
            return hit[1]
        y = tuple(map(x.__getitem__, self._keep[len(x)]))
        self._fitted[id(x)] = (x, y)
        return y

    def _collapse(self, t: tuple) -> Any:
        return t[0] if t.count(t[0]) == self.n else t

    def mx(self, *xs: Any) -> Any:
        if len(xs) < 2:
            return xs[0] if xs else NEG_INF
        if not any(type(x) is tuple for x in xs):
            return max(xs)
        return self._collapse(tuple(map(max, *_cols(map(self.fit, xs)))))

    def mn(self, *xs: Any) -> Any:
        if len(xs) == 1:
            return xs[0]
        if not any(type(x) is tuple for x in xs):
            return min(xs)
        return self._collapse(tuple(map(min, *_cols(map(self.fit, xs)))))

    def is_ninf(self, e: Any) -> bool:
        if type(e) is tuple:
            return self.fit(e).count(NEG_INF) == self.n
        return e == NEG_INF

    def add(self, *xs: Any) -> Any:
        s: Any = 0
        vec: tuple | None = None
        for x in xs:
            if type(x) is tuple:
                x = self.fit(x)
                vec = x if vec is None else tuple(map(operator.add, vec, x))
            else:
                s = s + x
        if vec is None or s == NEG_INF:
            return s
        return tuple(map(operator.add, vec, _R(s))) if s else vec

    def sub(self, x: Any, y: Any) -> Any:
        if type(x) is not tuple and type(y) is not tuple:
            return NEG_INF if x == NEG_INF else x - y
        return tuple(a if a == NEG_INF else a - b
                     for a, b in zip(*_cols((self.fit(x), self.fit(y))), strict=False))

    def eq(self, x: Any, y: Any) -> bool:
        raise AssertionError("internal: the batch run decides the saturation gate per problem")

    def mean_gate(self, e: Any, q: Any) -> Any:
        """The mean component ``e`` of an entrywise update's input, present iff ``q != 0``."""
        if type(q) is not tuple and type(e) is not tuple:
            return NEG_INF if q == 0 else e
        return tuple(NEG_INF if qq == 0 else ee
                     for ee, qq in zip(*_cols((self.fit(e), self.fit(q))), strict=False))

    def _same(self, x: Any, y: Any, keep: Sequence[bool]) -> bool:
        if type(x) is not tuple and type(y) is not tuple:
            return bool(x == y)
        return all(a == b for a, b, k in zip(*_cols((self.fit(x), self.fit(y))), keep,
                                              strict=False) if k)

    def same_state(self, a: Any, b: Any) -> bool:
        if isinstance(a, list) and a and not isinstance(a[0], dict):  # normalizers, per layer
            return all(self._same(x, y, [al and up for al, up in
                                         zip(self.alive, self.updated[i], strict=True)])
                       for i, (x, y) in enumerate(zip(a, b, strict=True)))
        return same_structure(a, b, lambda x, y: self._same(x, y, self.alive))

    def blown(self, value: Any) -> None:
        """Mark the problems whose h, x or f exponent ``value`` is positive; drop their entries
        when half of the running problems or more have stopped (:meth:`compact`)."""
        if type(value) is tuple:
            for i, v in enumerate(self.fit(value)):
                if v > 0:
                    self.alive[i] = False
        elif value > 0:
            self.alive = [False] * self.n
        if 2 * sum(self.alive) <= self.n:
            self.compact()


class VecLogic:
    """Sign conditions on per-problem values: a bool, or a tuple of bools (one per running
    problem of ``ops``: vectors of an earlier length are cut by :meth:`BatchOps.fit`)."""

    def __init__(self, ops: BatchOps) -> None:
        self.n = ops.n
        self.fit = ops.fit

    def pos(self, e: Any) -> Any:
        return tuple(v > 0 for v in self.fit(e)) if type(e) is tuple else e > 0

    def not_(self, x: Any) -> Any:
        return tuple(not v for v in x) if type(x) is tuple else not x

    def all(self, xs: Sequence[Any]) -> Any:
        out = [True] * self.n
        for x in xs:
            for i, v in enumerate(x if type(x) is tuple else _R(x, self.n)):
                out[i] = out[i] and v
        return tuple(out)

    def any(self, xs: Sequence[Any]) -> Any:
        raise AssertionError("internal: only stability is decided in a batch")

    zero = neg = nonneg = any


def columns_of(base: Parametrization, cs: Sequence[Sequence[Any]]
               ) -> tuple[dict[sympy.Symbol, tuple[Any, ...]], list[Any], list[tuple[bool, ...]]]:
    """The batch's learning-rate exponents: per layer the value every problem shares, or a
    symbol ``c_batch_l`` standing for the column of the problems' values (``columns``); and
    per layer which problems update it (finite ``c``)."""
    columns: dict[sympy.Symbol, tuple] = {}
    batch_c: list[Any] = []
    for i in range(base.n_layers):
        col = tuple(c[i] for c in cs)
        if all(v == col[0] for v in col):
            batch_c.append(col[0])
        else:
            s = sympy.Symbol(f"c_batch_{i + 1}")
            columns[s] = col
            batch_c.append(s)
    updated = [tuple(not is_pos_inf(c[i]) for c in cs) for i in range(base.n_layers)]
    return columns, batch_c, updated


def run_batch(base: Parametrization, batch_c: Sequence[Any], ops: BatchOps,
              optimizer: Optimizer, activation: Activation, loss: str) -> EngineResult:
    """One engine run of the batch (``base``'s a, b, d with the learning-rate exponents
    ``batch_c`` of :func:`columns_of`) on ``ops``, every h, x, f exponent handed to
    ``ops.blown`` (which raises :class:`NoneRunning` when every problem has blown up).  The
    MSE loss runs as the logistic one, as in :mod:`widthlimits.theory.regions.cell`."""
    eff = "logistic" if loss == "mse" else loss

    def on_record(q: str, layer: int | None, t: int, value: Any) -> None:
        if q in ("h", "x", "f"):
            ops.blown(value)

    return derive(Parametrization(base.a, base.b, tuple(batch_c), base.d), optimizer, activation,
                  loss=eff, trace=False, ops=ops, on_record=on_record)


def stable_at_points(problems: Sequence[Parametrization], optimizer: Optimizer,
                     activation: Activation, loss: str) -> list[bool]:
    """Exact stability of each parametrization (equal ``a``, ``b``, ``d``; any ``c``) by one
    batched engine run (see the module docstring)."""
    first = problems[0]
    if any(p.a != first.a or p.b != first.b or p.d != first.d for p in problems):
        raise ValueError("internal: a batch shares a, b and d")
    return stable_at_cs(first, [p.c for p in problems], optimizer, activation, loss)


def stable_at_cs(base: Parametrization, cs: Sequence[Sequence[Any]], optimizer: Optimizer,
                 activation: Activation, loss: str) -> list[bool]:
    """:func:`stable_at_points` for the parametrizations ``base`` with each ``c`` of ``cs``
    (exact exponents or ``inf``; no parametrization is built per problem)."""
    n = len(cs)
    D = 2
    for v in (*base.a, *base.b, *(base.d or ()), *(x for c in cs for x in c)):
        if isinstance(v, Fraction):
            D = math.lcm(D, v.denominator)
    columns, batch_c, updated = columns_of(base, cs)
    ops = BatchOps(columns, D, n, updated)
    out = [False] * n
    try:
        res = run_batch(base, batch_c, ops, optimizer, activation, loss)
    except NoneRunning:
        return out
    lg = VecLogic(ops)
    holds = lg.all([c.holds for c in conditions("stable", res.exponents, res.depth, res.steps,
                                                optimizer.entrywise, lg)])
    for i, h, al in zip(ops.index, holds, ops.alive, strict=True):
        out[i] = bool(h) and al
    return out


__all__ = ["BatchOps", "NoneRunning", "VecLogic", "columns_of", "run_batch", "stable_at_cs",
           "stable_at_points"]
