"""Concrete (float) abc/abcd exponents, converted from any parametrization-like object.

The numeric layer never imports ``widthlimits.theory`` (layering rule).  It accepts *any* object
with attributes ``a, b, c`` (one value per weight layer, ``L + 1`` of them for ``L`` hidden
layers) and optionally ``d`` (same length, or ``None``), or a mapping with those keys.  Values
convert with ``float()``: ``fractions.Fraction``, ints, floats, strings such as ``"1/2"`` or
``"inf"``.  ``b_l = inf`` is zero initialization, ``c_l = inf`` a frozen layer.

Conventions (TP4 Sec. 3; TP IVb Def. 2.2.1):

.. math::
    W^l = n^{-a_l} w^l, \\qquad w^l_{\\alpha\\beta} \\sim \\mathcal N(0, n^{-2 b_l}).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from widthlimits.numerics.validation import exponent_to_float

Floats = tuple[float, ...]


@dataclass(frozen=True)
class NumericParametrization:
    """Per-layer width exponents as floats.

    Attributes
    ----------
    a, b, c : tuple of float
        Multiplier, initialization and learning-rate exponents, one per weight layer
        (``L + 1``).  ``b`` and ``c`` may be ``inf``.
    d : tuple of float or None
        Gradient-prefactor exponent (TP IVb); ``None`` means ``d = 0`` for SGD-type optimizers
        and a negligible epsilon (scale-invariant update) for entrywise ones.
    name : str or None
        Optional label (not part of equality).

    References
    ----------
    G. Yang, E. Hu, "Feature Learning in Infinite-Width Neural Networks", ICML 2021 (TP4), Sec. 3.
    G. Yang, E. Littwin, "Tensor Programs IVb: Adaptive Optimization in the Infinite-Width
    Limit", arXiv:2308.01814, Def. 2.2.1.
    """

    a: Floats
    b: Floats
    c: Floats
    d: Floats | None = None
    name: str | None = None

    @property
    def depth(self) -> int:
        """Number of hidden layers ``L``."""
        return len(self.a) - 1

    @property
    def n_layers(self) -> int:
        """Number of weight layers ``L + 1``."""
        return len(self.a)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (``inf`` written as the string ``"inf"``)."""

        def enc(v: Floats | None) -> list[Any] | None:
            return None if v is None else [("inf" if math.isinf(x) else x) for x in v]

        return {"a": enc(self.a), "b": enc(self.b), "c": enc(self.c), "d": enc(self.d),
                "name": self.name}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericParametrization:
        return as_numeric_parametrization(data)


def _vector(values: Any, name: str, *, allow_inf: bool) -> Floats:
    if values is None or isinstance(values, (str, bytes)):
        raise TypeError(f"`{name}` must be a sequence of exponents, got {values!r}")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"`{name}` must be a sequence of exponents, got {values!r}") from None
    out = []
    for i, v in enumerate(items):
        x = exponent_to_float(v, f"{name}[{i + 1}]")
        if math.isinf(x) and (x < 0 or not allow_inf):
            raise ValueError(f"`{name}[{i + 1}]` = {v!r}: infinite values are not allowed here")
        out.append(x)
    return tuple(out)


def as_numeric_parametrization(param: Any, depth: int | None = None) -> NumericParametrization:
    """Convert a parametrization-like object to :class:`NumericParametrization`.

    Parameters
    ----------
    param : object or mapping
        Anything with attributes (or keys) ``a, b, c`` and optionally ``d``.
    depth : int, optional
        If given, the number of hidden layers the caller expects; a mismatch raises.

    Returns
    -------
    NumericParametrization

    Raises
    ------
    TypeError
        If ``param`` has no ``a, b, c`` or a value does not convert with ``float()``.
    ValueError
        On length mismatches, NaN, ``-inf``, or an infinite ``a`` or ``d``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> p = as_numeric_parametrization({"a": [F(-1, 2), 0, F(1, 2)], "b": [F(1, 2)] * 3,
    ...                                 "c": [0, 0, 0]})
    >>> p.a, p.depth
    ((-0.5, 0.0, 0.5), 2)
    """
    if isinstance(param, NumericParametrization):
        p = param
    else:
        if isinstance(param, Mapping):
            get = param.get
            missing = [k for k in ("a", "b", "c") if k not in param]
        else:
            def get(k: str, default: Any = None) -> Any:
                return getattr(param, k, default)

            missing = [k for k in ("a", "b", "c") if not hasattr(param, k)]
        if missing:
            raise TypeError(
                f"`param` must have attributes a, b, c (and optionally d); {param!r} lacks "
                f"{', '.join(missing)}"
            )
        a = _vector(get("a"), "a", allow_inf=False)
        b = _vector(get("b"), "b", allow_inf=True)
        c = _vector(get("c"), "c", allow_inf=True)
        draw = get("d", None)
        d = None if draw is None else _vector(draw, "d", allow_inf=False)
        name = get("name", None)
        p = NumericParametrization(a, b, c, d, name if isinstance(name, str) else None)
    if len(p.a) < 2:
        raise ValueError(f"a parametrization needs at least 2 weight layers, got a={p.a!r}")
    for nm, v in (("b", p.b), ("c", p.c)) + ((("d", p.d),) if p.d is not None else ()):
        if len(v) != len(p.a):
            raise ValueError(f"`{nm}` has {len(v)} values but `a` has {len(p.a)} (L + 1 each)")
    if depth is not None and depth != p.depth:
        raise ValueError(
            f"`depth` = {depth!r} but the parametrization has {p.n_layers} weight layers "
            f"(depth {p.depth})"
        )
    return p
