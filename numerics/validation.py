"""Input validation shared by the public entry points of ``widthlimits.numerics``.

One validator per kind of argument (STYLE.md Sec. 8, lesson 7): messages quote the parameter in
backticks, list the allowed values and echo the bad value.  ``ValueError`` for a bad value,
``TypeError`` for a bad type; never ``assert``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` (bools and floats rejected), optionally ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int, got {value!r} ({type(value).__name__})")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {v!r}")
    return v


def check_float(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_min: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``float(value)`` for a real number (int, float, Fraction, numpy scalar)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"`{name}` must be finite, got {value!r}")
    if minimum is not None and (v <= minimum if strict_min else v < minimum):
        op = ">" if strict_min else ">="
        raise ValueError(f"`{name}` must be {op} {minimum}, got {value!r}")
    if maximum is not None and v > maximum:
        raise ValueError(f"`{name}` must be <= {maximum}, got {value!r}")
    return v


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` lower-cased if it is one of ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a str, one of {', '.join(choices)}; got {value!r}")
    v = value.strip().lower().replace("-", "_")
    if v not in choices:
        raise ValueError(f"unknown `{name}` {value!r}; choose one of {', '.join(choices)}")
    return v


def check_widths(widths: Any, name: str = "widths", *, minimum_count: int = 1) -> tuple[int, ...]:
    """A strictly increasing sequence of ints >= 1."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Iterable):
        raise TypeError(f"`{name}` must be a sequence of ints, got {widths!r}")
    out = tuple(check_int(w, f"{name}[{i}]", minimum=1) for i, w in enumerate(widths))
    if len(out) < minimum_count:
        raise ValueError(f"`{name}` needs at least {minimum_count} values, got {list(out)!r}")
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise ValueError(f"`{name}` must be strictly increasing, got {list(out)!r}")
    return out


def check_seeds(seeds: Any, name: str = "seeds") -> tuple[int, ...]:
    """An int ``k`` means seeds ``0..k-1``; otherwise a sequence of distinct ints >= 0."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        k = check_int(seeds, name, minimum=1)
        return tuple(range(k))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"`{name}` must be an int or a sequence of ints, got {seeds!r}")
    out = tuple(check_int(s, f"{name}[{i}]", minimum=0) for i, s in enumerate(seeds))
    if not out:
        raise ValueError(f"`{name}` must not be empty, got {seeds!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"`{name}` must be distinct, got {list(out)!r}")
    return out


def exponent_to_float(value: Any, name: str) -> float:
    """Convert an exponent (int, Fraction, float, numpy scalar, ``"1/2"``, ``"inf"``) to float.

    Anything whose ``float()`` works is accepted (e.g. ``fractions.Fraction`` or an exact sympy
    number), so the symbolic layer's objects can be passed without importing it.
    """
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be a number, got {value!r}")
    if isinstance(value, str):
        s = value.strip().lower()
        if s in ("inf", "+inf", "oo", "infinity"):
            return math.inf
        if s in ("-inf", "-oo", "-infinity"):
            return -math.inf
        try:
            return float(Fraction(s))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"`{name}` = {value!r} is not a number") from None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` = {value!r} ({type(value).__name__}) does not convert with float()"
        ) from None
    if math.isnan(v):
        raise ValueError(f"`{name}` must not be NaN, got {value!r}")
    return v


def check_per_layer(value: Any, name: str, n_layers: int, *, minimum: float = 0.0) -> tuple[float, ...]:
    """A positive constant, or one per weight layer (``n_layers`` of them)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        vals = tuple(
            check_float(v, f"{name}[{i}]", minimum=minimum, strict_min=True)
            for i, v in enumerate(value)
        )
        if len(vals) != n_layers:
            raise ValueError(
                f"`{name}` has {len(vals)} values but the network has {n_layers} weight layers"
            )
        return vals
    v = check_float(value, name, minimum=minimum, strict_min=True)
    return (v,) * n_layers


def check_dtype(value: Any) -> np.dtype:
    """float32 (default) or float64."""
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"`dtype` must be 'float32' or 'float64', got {value!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"`dtype` must be 'float32' or 'float64', got {value!r}")
    return dt
