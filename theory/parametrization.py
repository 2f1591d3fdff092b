"""abc / abcd parametrizations of an MLP with L hidden layers, and their symmetries.

Network (TP4 Sec. 3; TP IVb Def. 2.2.1): layers :math:`l = 1` (input, :math:`n \\times d`),
:math:`2 \\le l \\le L` (hidden, :math:`n \\times n`), :math:`L+1` (readout, :math:`1 \\times n`),

.. math::
    W^l = n^{-a_l} w^l, \\qquad w^l_{\\alpha\\beta} \\sim \\mathcal N(0, n^{-2 b_l}), \\qquad
    w^l \\leftarrow w^l - \\eta\\, n^{-c_l}\\, Q^l_t(n^{d_l} g_0, \\dots, n^{d_l} g_t).

``b_l = inf`` is zero initialization, ``c_l = inf`` a frozen layer.  ``d`` is optional: for SGD it
shifts the learning rate (:math:`c \\to c - d`, TP IVb Remark 2.2.4); for entrywise optimizers it
sets the scale of :math:`\\epsilon` (:math:`\\epsilon \\propto n^{-d}`); ``None`` means
:math:`\\epsilon` is negligible and updates are scale invariant.

Symmetry (TP4 Eq. 5; TP IVb Prop. 2.2.3): for any per-layer :math:`\\theta_l`,
:math:`(a, b, c) \\mapsto (a + \\theta, b - \\theta, c - 2\\theta)` for SGD-type updates and
:math:`(a, b, c, d) \\mapsto (a + \\theta, b - \\theta, c - \\theta, d + \\theta)` for entrywise
optimizers leave :math:`f_t` unchanged at every finite width.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.exponents import (
    Exponent,
    as_exponent,
    fmt,
    is_pos_inf,
    is_sympy_object,
)
from widthlimits.theory.optimizers import Optimizer, get_optimizer

Vec = tuple[Exponent, ...]


def _vec(values: Iterable[Any], name: str, *, allow_inf: bool) -> Vec:
    out = []
    for i, v in enumerate(values):
        e = as_exponent(v, name=f"{name}[{i + 1}]")
        if not allow_inf and isinstance(e, float):
            raise ValueError(f"`{name}[{i + 1}]` = {v!r}: infinite values are not allowed for {name}")
        if isinstance(e, float) and e < 0:
            raise ValueError(f"`{name}[{i + 1}]` = {v!r}: -inf is not allowed")
        out.append(e)
    return tuple(out)


@dataclass(frozen=True)
class Parametrization:
    """Exact per-layer exponents ``a, b, c`` (and optional ``d``), one per weight layer.

    ``len(a) == L + 1`` for ``L`` hidden layers.  Values are ``Fraction``, ``inf`` (``b``, ``c``
    only) or sympy expressions; floats are rejected.

    >>> p = Parametrization(a=(0, 0, 0), b=(0, "1/2", "1/2"), c=(1, 1, 1))
    >>> p.depth
    2
    """

    a: Vec
    b: Vec
    c: Vec
    d: Vec | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        a = _vec(self.a, "a", allow_inf=False)
        b = _vec(self.b, "b", allow_inf=True)
        c = _vec(self.c, "c", allow_inf=True)
        d = None if self.d is None else _vec(self.d, "d", allow_inf=False)
        if len(a) < 2:
            raise ValueError(
                f"a parametrization needs at least 2 weight layers (depth L >= 1), got {len(a)}"
            )
        for nm, v in (("b", b), ("c", c)) + ((("d", d),) if d is not None else ()):
            if len(v) != len(a):
                raise ValueError(f"`{nm}` has {len(v)} values but `a` has {len(a)} (L + 1 each)")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "d", d)

    # ------------------------------------------------------------------ basic views
    @property
    def depth(self) -> int:
        """Number of hidden layers L."""
        return len(self.a) - 1

    @property
    def n_layers(self) -> int:
        return len(self.a)

    def d_or_zero(self) -> Vec:
        return self.d if self.d is not None else tuple(Fraction(0) for _ in self.a)

    def replace(self, **changes: Any) -> Parametrization:
        kw = dict(a=self.a, b=self.b, c=self.c, d=self.d, name=self.name)
        kw.update(changes)
        return Parametrization(**kw)

    def is_symbolic(self) -> bool:
        return any(is_sympy_object(v) for v in (*self.a, *self.b, *self.c, *(self.d or ())))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "depth": self.depth,
            "a": [fmt(v) for v in self.a],
            "b": [fmt(v) for v in self.b],
            "c": [fmt(v) for v in self.c],
            "d": None if self.d is None else [fmt(v) for v in self.d],
        }

    def __str__(self) -> str:
        def row(v: Vec) -> str:
            return "(" + ", ".join(str(fmt(x)) for x in v) + ")"

        s = f"a={row(self.a)} b={row(self.b)} c={row(self.c)}"
        if self.d is not None:
            s += f" d={row(self.d)}"
        return (f"{self.name}: " if self.name else "") + s

    # ------------------------------------------------------------------ symmetry
    def shift(self, theta: Sequence[Any] | Any, optimizer: str | Optimizer) -> Parametrization:
        """Apply the width symmetry with per-layer shifts ``theta`` (a scalar applies to all).

        SGD-type: ``(a+t, b-t, c-2t)`` with ``d`` unchanged (for SGD ``n^d`` only rescales the
        gradient, so it enters as ``c - d``, TP IVb Remark 2.2.4; shifting it too would change the
        training); entrywise: ``(a+t, b-t, c-t, d+t)`` (TP IVb Prop. 2.2.3).  Both leave the
        function computed at every step unchanged at every finite width.
        """
        opt = get_optimizer(optimizer)
        th = list(theta) if isinstance(theta, (list, tuple)) else [theta] * self.n_layers
        if len(th) != self.n_layers:
            raise ValueError(f"`theta` needs {self.n_layers} values, got {len(th)}")
        th = [as_exponent(t, name="theta") for t in th]
        k = 1 if opt.entrywise else 2

        def sub(x: Exponent, t: Exponent, m: int) -> Exponent:
            return x if is_pos_inf(x) else x - m * t  # type: ignore[operator]

        a = tuple(x + t for x, t in zip(self.a, th, strict=True))  # type: ignore[operator]
        b = tuple(sub(x, t, 1) for x, t in zip(self.b, th, strict=True))
        c = tuple(sub(x, t, k) for x, t in zip(self.c, th, strict=True))
        d = self.d
        if self.d is not None and opt.entrywise:
            d = tuple(x + t for x, t in zip(self.d, th, strict=True))  # type: ignore[operator]
        return Parametrization(a, b, c, d, name=self.name)

    def canonical(self, optimizer: str | Optimizer, gauge: str = "sp") -> Parametrization:
        """Representative of the symmetry class.

        ``gauge="sp"``: every multiplier exponent ``a_l = 0`` (the "SP form" a PyTorch user
        writes without multipliers, with the signs of ``--b/--c/--d``; see
        :meth:`without_multipliers`, which also handles ``d`` for SGD).
        ``gauge="tp4"``: ``a_l + b_l`` kept and ``b_l = 1/2`` for every layer with finite b
        (TP4's muP form).
        """
        if gauge == "sp":
            return self.shift([-x for x in self.a], optimizer)  # type: ignore[operator]
        if gauge == "tp4":
            th = [Fraction(0) if is_pos_inf(b) else b - Fraction(1, 2) for b in self.b]  # type: ignore[operator]
            return self.shift(th, optimizer)
        raise ValueError(f"unknown gauge {gauge!r}; choose 'sp' or 'tp4'")

    # ------------------------------------------------------------------ conversions
    def without_multipliers(self, optimizer: str | Optimizer) -> Parametrization:
        """The same training dynamics with every multiplier exponent ``a_l = 0``.

        What a PyTorch user writes without multipliers: init std ``n^{-b_l}``, learning rate
        ``n^{-c_l}`` and, for entrywise optimizers, epsilon ``n^{-d_l}``, in the signs of
        ``--b/--c/--d`` (``widthlimits.torch.parametrize(..., multipliers=False)`` and
        ``widthlimits torch-lr --no-multipliers`` use it).  Entrywise optimizers: the symmetry
        ``(a + t, b - t, c - t, d + t)`` with ``t = -a`` (:meth:`canonical`, gauge ``"sp"``).
        SGD-type: ``d`` only shifts the learning rate (TP IVb Remark 2.2.4), so it is folded into
        ``c`` first (``c - d``, ``d`` dropped) and then ``(a + t, b - t, c - 2t)`` applied; the
        update :math:`n^{-2a - c + d}` of the effective weights is unchanged (tested against
        the simulator).
        """
        opt = get_optimizer(optimizer)
        p = self
        if not opt.entrywise and self.d is not None:
            c = tuple(x if is_pos_inf(x) else x - y for x, y in zip(self.c, self.d, strict=True))  # type: ignore[operator]
            p = Parametrization(self.a, self.b, c, None, name=self.name)
        return p.canonical(opt, "sp")

    def to_tp5(self) -> dict[str, list[str | None]]:
        """TP5-style table (Yang et al. 2022, Tables 3/8/9): width exponents of init variance,
        multiplier and learning rate per layer (``n^{-2b}``, ``n^{-a}``, ``n^{-c}``)."""
        return {
            "init_variance": [fmt(-2 * b) if not is_pos_inf(b) else "zero" for b in self.b],  # type: ignore[operator]
            "multiplier": [fmt(-a) for a in self.a],  # type: ignore[operator]
            "learning_rate": [fmt(-c) if not is_pos_inf(c) else "frozen" for c in self.c],  # type: ignore[operator]
        }

    @classmethod
    def from_tp5(
        cls,
        init_variance: Sequence[Any],
        multiplier: Sequence[Any],
        learning_rate: Sequence[Any],
        name: str | None = None,
    ) -> Parametrization:
        """Inverse of :meth:`to_tp5`: exponents of n of init variance, multiplier and LR."""

        def neg(x: Any, half: bool = False) -> Any:
            e = as_exponent(x)
            if isinstance(e, float):
                return e
            return -e / 2 if half else -e

        a = [neg(m) for m in multiplier]
        b = [as_exponent("inf") if str(v) == "zero" else neg(v, half=True) for v in init_variance]
        c = [as_exponent("inf") if str(v) == "frozen" else neg(v) for v in learning_rate]
        return cls(tuple(a), tuple(b), tuple(c), name=name)

    def to_golikov(self, optimizer: str | Optimizer) -> dict[str, str | None]:
        """Golikov's (q_sigma, q~_a, q~_v, q~_w) for a parametrization in his family.

        His convention (arXiv:2003.05884 and the paper's public code, github.com/deepmipt/research,
        Infinite_Width_Limits_of_Neural_Classifiers/utils/scale_hyperparams.py, which scales
        every hyper-parameter relative to SP at a reference width): SP form (a = 0), input std
        independent of n, one exponent ``q_sigma`` for the std of every non-input weight, LRs
        ``eta_w ~ n^{q~_w}`` (input), ``eta_v ~ n^{q~_v + q_sigma}`` (hidden),
        ``eta_a ~ n^{q~_a + 2 q_sigma}`` (readout).  Raises if the parametrization is not in the
        family.
        """
        p = self.canonical(optimizer, "sp")
        if p.b[0] != 0:
            raise ValueError("not in Golikov's family: the input init std must not depend on width")
        qs = {-x for x in p.b[1:]}  # type: ignore[operator]
        if len(qs) != 1:
            raise ValueError("not in Golikov's family: non-input weights need one common std exponent")
        q_sigma = qs.pop()
        hidden = {-x - q_sigma for x in p.c[1:-1]}  # type: ignore[operator]
        if len(hidden) > 1:
            raise ValueError("not in Golikov's family: hidden layers need one common LR exponent")
        return {
            "q_sigma": fmt(q_sigma),
            "q_a": fmt(-p.c[-1] - 2 * q_sigma),  # type: ignore[operator]
            "q_v": fmt(hidden.pop()) if hidden else None,
            "q_w": fmt(-p.c[0]),  # type: ignore[operator]
        }

    @classmethod
    def from_golikov(
        cls, depth: int, q_sigma: Any, q_a: Any, q_w: Any, q_v: Any = 0, name: str | None = None
    ) -> Parametrization:
        """Golikov's family in abc terms: ``a = 0``, ``b = (0, -q_sigma, ...)``,
        ``c = (-q_w, -(q_v + q_sigma), ..., -(q_a + 2 q_sigma))``."""
        L = _check_depth(depth)
        qs, qa, qw, qv = (as_exponent(x) for x in (q_sigma, q_a, q_w, q_v))
        a = (0,) * (L + 1)
        b = (0,) + (-qs,) * L  # type: ignore[operator]
        c = (-qw,) + (-(qv + qs),) * (L - 1) + (-(qa + 2 * qs),)  # type: ignore[operator]
        return cls(a, b, c, name=name)


def equivalent(p: Parametrization, q: Parametrization, optimizer: str | Optimizer) -> bool:
    """True iff ``p`` and ``q`` differ by the width symmetry (same function at every width)."""
    if p.depth != q.depth:
        return False
    cp, cq = p.canonical(optimizer), q.canonical(optimizer)
    opt = get_optimizer(optimizer)
    if not opt.entrywise:
        # SGD: d only shifts the learning rate (TP IVb Remark 2.2.4): compare c - d
        def eff(x: Parametrization) -> tuple[Any, ...]:
            return tuple(
                c if is_pos_inf(c) else c - d for c, d in zip(x.c, x.d_or_zero(), strict=True)  # type: ignore[operator]
            )

        return cp.a == cq.a and cp.b == cq.b and eff(cp) == eff(cq)
    return cp.a == cq.a and cp.b == cq.b and cp.c == cq.c and cp.d == cq.d


#: most hidden layers accepted: classify and derive stay within seconds up to it (depth 1000:
#: about 0.5 s); set-valued commands (query, max-lr) take --time-limit at such depths
MAX_DEPTH = 1000


def _check_depth(depth: Any) -> int:
    """The number of hidden layers ``L``: an int in ``1..MAX_DEPTH``."""
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"`depth` must be an int in 1..{MAX_DEPTH}, got {str(depth)[:30]!r}")
    if not 1 <= depth <= MAX_DEPTH:
        shown = str(depth) if len(str(depth)) <= 24 else str(depth)[:24] + "..."
        raise ValueError(f"`depth` must be an int in 1..{MAX_DEPTH} hidden layers, got {shown}")
    return depth


def parse_layer_list(text: str, depth: int, name: str) -> Vec:
    """Parse a CLI exponent list: ``L+1`` values, or ``input,hidden,readout`` (hidden repeated).

    >>> parse_layer_list("-1/2,0,1/2", 3, "a")
    (Fraction(-1, 2), Fraction(0, 1), Fraction(0, 1), Fraction(1, 2))
    """
    L = _check_depth(depth)
    parts = [p.strip() for p in str(text).split(",")]
    if any(p == "" for p in parts):
        raise ValueError(f"`--{name}` has an empty entry: {text!r}")
    vals = [as_exponent(p, name=f"{name}") for p in parts]
    if len(vals) == L + 1:
        return tuple(vals)
    if len(vals) == 3 and L >= 2:
        inp, hid, out = vals
        return (inp,) + (hid,) * (L - 1) + (out,)
    if len(vals) == 3:  # depth 1: a "hidden" value would be dropped without a word
        raise ValueError(f"`--{name}` has 3 values, but depth 1 has no hidden layer: give 2 "
                         f"(input,readout): {text!r}")
    short = "" if L + 1 == 3 else " or 3 (input,hidden,readout)"
    raise ValueError(
        f"`--{name}` has {len(vals)} values; depth {L} needs {L + 1} (one per weight layer)"
        f"{short}: {text!r}"
    )


check_depth = _check_depth


def equal_runs(keys: Sequence[Any]) -> list[tuple[int, int]]:
    """The maximal runs of consecutive equal ``keys``, as ``(first, last)`` positions: how deep
    answers are written by runs of layers (``[1, 1, 2] -> [(0, 1), (2, 2)]``)."""
    out: list[tuple[int, int]] = []
    for i, k in enumerate(keys):
        if out and keys[out[-1][1]] == k:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def layer_list(layers: Sequence[int]) -> str:
    """Layers in short: ``"1,2"``, ``"2-100"``, ``"1-3,5"`` (runs of three or more as ranges):
    the one way the verdicts write a set of layers at depth."""
    parts: list[str] = []
    for i, j in equal_runs([x - k for k, x in enumerate(layers)]):  # consecutive integers
        parts += ([f"{layers[i]}-{layers[j]}"] if j - i >= 2
                  else [str(x) for x in layers[i:j + 1]])
    return ",".join(parts)
