"""Exact width exponents.

A width exponent ``e`` stands for a quantity of size :math:`\\Theta(n^{e})`.  Exponents are exact:

* :class:`fractions.Fraction` for numbers (``int``, ``Fraction`` and strings such as ``"1/2"``
  are accepted; ``float`` is rejected because ``0.333`` is not ``1/3``); strings are read by a
  grammar of this module's own (integer, ``p/q``, ``inf``), never evaluated;
* ``INF`` / ``NEG_INF`` for "identically zero" quantities (zero initialization ``b = inf``, a frozen
  layer ``c = inf``, exactly zero signals ``e = -inf``);
* :mod:`sympy` expressions for symbolic work (passed as sympy objects from Python, never as
  text); then ``max`` becomes :class:`sympy.Max`.

This module does not import sympy: a sympy object can exist only once sympy has been imported by
whoever made it, so the type tests look sympy up in ``sys.modules`` and the symbolic branches
import it when they are reached.  Numeric work (``classify`` of a preset, the command line)
therefore never loads sympy (~0.2 s of start-up).

The arithmetic used by the engine is max-plus ("tropical"): a product multiplies sizes, so its
exponent is the sum; a sum of terms without cancellation has the exponent of the largest term.
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import sympy

#: the exponent of an identically zero quantity; also ``b = inf`` (zero init), ``c = inf`` (frozen)
INF = math.inf
NEG_INF = -math.inf

Exponent = Union[Fraction, float, "sympy.Expr"]  # float only for +-inf  # noqa: UP007


def is_sympy_object(e: Any) -> bool:
    """``isinstance(e, sympy.Basic)`` without importing sympy: if sympy is not loaded, no sympy
    object exists."""
    mod = sys.modules.get("sympy")
    return mod is not None and isinstance(e, mod.Basic)


def is_symbolic(e: Any) -> bool:
    return is_sympy_object(e) and not e.is_number


def as_exponent(value: Any, *, name: str = "exponent") -> Exponent:
    """Canonicalise one exponent; reject floats with a message naming the bad value.

    >>> as_exponent("1/2"), as_exponent(-1), as_exponent("inf")
    (Fraction(1, 2), Fraction(-1, 1), inf)
    """
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be an exact number, got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if math.isinf(value):
            return value
        raise TypeError(
            f"`{name}` must be exact (a fraction such as 1/3), got the float {value!r}"
        )
    if isinstance(value, str):
        return _parse_exponent_text(value.strip(), name)
    if is_sympy_object(value):
        import sympy

        if value in (sympy.oo,):
            return INF
        if value in (-sympy.oo,):
            return NEG_INF
        if value.is_Rational:
            return Fraction(int(value.p), int(value.q))
        if value.is_number:
            raise TypeError(f"`{name}` must be rational, got {value!r}")
        if value.has(sympy.Float):
            raise TypeError(f"`{name}` contains a float: {value!r}")
        return value
    raise TypeError(f"`{name}` must be an int, a fraction string or a sympy expression, got {value!r}")


#: the whole grammar of exponent text: an optional sign, an integer, an optional ``/`` denominator.
#: Nothing else is read (no names, no operators, no evaluation): user text never reaches sympy.
# ASCII digits only: ``\d`` would read Arabic-Indic or fullwidth digits as numbers
_FRACTION = re.compile(r"^([+-]?)([0-9]+)(?:\s*/\s*([0-9]+))?$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
#: digits allowed in a numerator or denominator: exponents are small rationals; a bound keeps
#: every later exact computation (LPs, sympy) small and refuses ``10**10**10``-style input early
MAX_DIGITS = 12


def _parse_exponent_text(text: str, name: str) -> Exponent:
    """Read ``int``, ``p/q``, ``inf`` / ``-inf`` (also ``oo``, ``infinity``); nothing else.

    A grammar of its own, never ``sympify``/``eval``: exponent text may come from a command line
    or a web form, and sympy's parser evaluates Python.

    >>> _parse_exponent_text("-3/4", "c"), _parse_exponent_text("+2", "c")
    (Fraction(-3, 4), Fraction(2, 1))
    """
    low = text.lower()
    if low in ("inf", "+inf", "oo", "+oo", "infinity", "+infinity"):
        return INF
    if low in ("-inf", "-oo", "-infinity"):
        return NEG_INF
    if low in ("nan", "+nan", "-nan"):
        raise ValueError(f"`{name}` is NaN ({text!r}); give an exact number such as 1/2")
    if not text:
        raise ValueError(f"`{name}` is empty")
    m = _FRACTION.match(text)
    if m is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        if _DECIMAL.match(text):
            raise ValueError(
                f"`{name}` must be exact: {shown!r} looks like a decimal; write a fraction such as 1/3"
            )
        raise ValueError(
            f"`{name}`: cannot read {shown!r}; an exponent is an integer, a fraction p/q or inf"
        )
    sign, num, den = m.groups()
    if len(num.lstrip("0")) > MAX_DIGITS or (den is not None and len(den.lstrip("0")) > MAX_DIGITS):
        raise ValueError(f"`{name}`: {text[:20]!r}... has more than {MAX_DIGITS} digits")
    if den is not None and int(den) == 0:
        raise ValueError(f"`{name}`: {text!r} divides by zero")
    value = Fraction(int(num), int(den) if den is not None else 1)
    return -value if sign == "-" else value


def is_neg_inf(e: Exponent) -> bool:
    if isinstance(e, float):
        return e == NEG_INF
    return is_sympy_object(e) and e == -sys.modules["sympy"].oo


def is_pos_inf(e: Exponent) -> bool:
    if isinstance(e, float):
        return e == INF
    return is_sympy_object(e) and e == sys.modules["sympy"].oo


def to_sympy(e: Exponent) -> sympy.Expr:
    """The sympy form of an exponent (imports sympy: asked for symbolic output)."""
    import sympy

    if isinstance(e, float):
        return sympy.oo if e > 0 else -sympy.oo
    if isinstance(e, Fraction):
        return sympy.Rational(e.numerator, e.denominator)
    return sympy.sympify(e)


def from_sympy(e: sympy.Expr) -> Exponent:
    return as_exponent(e) if e.is_number else e


def emax(*args: Exponent) -> Exponent:
    """Exponent of a sum of non-cancelling terms: the max (``-inf`` for an empty sum)."""
    vals = [a for a in args if not is_neg_inf(a)]
    if not vals:
        return NEG_INF
    if any(is_symbolic(v) for v in vals):
        import sympy

        return from_sympy(sympy.Max(*[to_sympy(v) for v in vals]))
    return max(vals)


def emin(*args: Exponent) -> Exponent:
    if any(is_symbolic(v) for v in args):
        import sympy

        return from_sympy(sympy.Min(*[to_sympy(v) for v in args]))
    return min(args)


def eadd(*args: Exponent) -> Exponent:
    """Exponent of a product: the sum; a zero factor (``-inf``) makes the product zero.

    ``+inf`` arguments (from ``b = inf`` etc.) must have been negated to ``-inf`` by the caller.
    """
    total: Exponent = Fraction(0)
    sym = False
    for a in args:
        if is_neg_inf(a):
            return NEG_INF
        if is_pos_inf(a):
            raise ValueError("internal: +inf exponent in a product")
        sym = sym or is_symbolic(a)
        total = total + a  # type: ignore[operator]
    if sym:  # a symbolic term was given, so sympy is loaded; sympify turns no text into code here
        import sympy

        return from_sympy(sympy.sympify(total))
    return total


def eneg(e: Exponent) -> Exponent:
    if isinstance(e, float):
        return -e
    return -e  # type: ignore[operator]


def fmt(e: Exponent | None) -> str | None:
    """Exact string form used in JSON and tables: ``"1/2"``, ``"-1"``, ``"-inf"``, ``"inf"``."""
    if e is None:
        return None
    if isinstance(e, float):
        return "inf" if e > 0 else "-inf"
    if isinstance(e, Fraction | int):
        return str(e)
    import sympy

    return sympy.sstr(e)


def compare(e: Exponent, value: int | Fraction = 0) -> int | None:
    """Sign of ``e - value`` (-1, 0, 1), or ``None`` when symbolic and undecidable."""
    if is_symbolic(e):
        import sympy

        d = sympy.simplify(to_sympy(e) - sympy.Rational(value))
        if d.is_positive:
            return 1
        if d.is_negative:
            return -1
        if d.is_zero:
            return 0
        return None
    if e > value:
        return 1
    if e < value:
        return -1
    return 0
