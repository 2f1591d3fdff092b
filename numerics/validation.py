"""Input validation shared by the public entry points of ``widthlimits.numerics``.

One validator per kind of argument, shared by the Python API and the ``widthlimits`` command
(which prints the same text on one line and exits 2): messages quote the parameter in backticks,
list the allowed values or the bound and echo the bad value (shortened when huge).
:class:`InvalidInput` (a ``ValueError``) for a bad value, ``TypeError`` for a bad type; never
``assert``.

Bounds: widths at most :data:`MAX_WIDTH`, seeds at most :data:`MAX_SEEDS`, steps at most
:data:`MAX_STEPS`; the memory a sweep will need is estimated before it starts
(:func:`check_memory`) and refused above what the machine (or ``RLIMIT_AS``) allows.
"""

from __future__ import annotations

import math
import numbers
import os
import pathlib
import tempfile
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

#: largest width a sweep accepts (the memory estimate usually refuses far below it)
MAX_WIDTH = 1 << 22
#: most weight seeds per width
MAX_SEEDS = 4096
#: most training steps of a simulation
MAX_STEPS = 1000
#: most digits of an integer echoed in a message
_SHOWN_DIGITS = 24


class InvalidInput(ValueError):
    """A bad argument value; its text is the one-line message the command line prints."""


def shown(value: Any) -> str:
    """``repr`` of a value for an error message, shortened when huge (a 10^6-digit integer)."""
    text = repr(value)
    return text if len(text) <= _SHOWN_DIGITS + 6 else text[:_SHOWN_DIGITS] + f"... ({len(text)} chars)"


def check_int(value: Any, name: str, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` (bools and floats rejected), optionally within
    ``[minimum, maximum]`` (the bound is named in the message)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int, got {shown(value)} ({type(value).__name__})")
    v = int(value)
    if minimum is not None and v < minimum:
        if maximum is not None:
            raise InvalidInput(f"`{name}` must be an int in {minimum}..{maximum}, got {shown(v)}")
        raise InvalidInput(f"`{name}` must be an int >= {minimum}, got {shown(v)}")
    if maximum is not None and v > maximum:
        lo = f"{minimum}.." if minimum is not None else "<= "
        raise InvalidInput(f"`{name}` must be an int in {lo}{maximum}, got {shown(v)}")
    return v


def parse_int(text: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer from command-line text (``"12"``), then :func:`check_int`; an int passes as is."""
    if isinstance(text, str):
        t = text.strip()
        if not t.lstrip("+-").isdigit() or not t.isascii():
            raise InvalidInput(f"`{name}` must be an integer, got {shown(text)}")
        if len(t) > 4300:  # int() refuses longer text; any such number is out of every bound
            raise InvalidInput(f"`{name}` must be an int in {minimum}..{maximum}, got a "
                               f"{len(t)}-digit number")
        text = int(t)
    return check_int(text, name, minimum=minimum, maximum=maximum)


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
        raise InvalidInput(f"`{name}` must be finite, got {shown(value)}")
    if minimum is not None and (v <= minimum if strict_min else v < minimum):
        op = ">" if strict_min else ">="
        raise InvalidInput(f"`{name}` must be {op} {minimum}, got {shown(value)}")
    if maximum is not None and v > maximum:
        raise InvalidInput(f"`{name}` must be <= {maximum}, got {shown(value)}")
    return v


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` lower-cased if it is one of ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a str, one of {', '.join(choices)}; got {value!r}")
    v = value.strip().lower().replace("-", "_")
    if v not in choices:
        raise InvalidInput(f"unknown `{name}` {shown(value)}; choose one of {', '.join(choices)}")
    return v


def check_widths(widths: Any, name: str = "widths", *, minimum_count: int = 1) -> tuple[int, ...]:
    """A strictly increasing sequence of ints in ``1..MAX_WIDTH``."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Iterable):
        raise TypeError(f"`{name}` must be a sequence of ints, got {shown(widths)}")
    out = tuple(check_int(w, f"{name}[{i}]", minimum=1, maximum=MAX_WIDTH)
                for i, w in enumerate(widths))
    if len(out) < minimum_count:
        raise InvalidInput(f"`{name}` needs at least {minimum_count} values, got {list(out)!r}")
    if any(b <= a for a, b in zip(out, out[1:], strict=False)):
        raise InvalidInput(f"`{name}` must be strictly increasing, got {list(out)!r}")
    return out


def parse_widths(text: str, name: str = "widths") -> tuple[int, ...]:
    """Command-line widths: ``LO:HI`` (LO doubled up to HI, which is LO times a power of two)
    or a comma list ``256,512``;
    then :func:`check_widths`."""
    if not isinstance(text, str):
        raise TypeError(f"`{name}` must be text such as 256:4096, got {shown(text)}")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise InvalidInput(f"`{name}` must be LO:HI (powers of two) or a comma list of ints, "
                               f"got {shown(text)}")
        lo, hi = (parse_int(x, name, minimum=1, maximum=MAX_WIDTH) for x in parts)
        if hi <= lo:
            raise InvalidInput(f"`{name}` LO:HI needs HI > LO, got {shown(text)}")
        if hi % lo or (hi // lo) & (hi // lo - 1):
            raise InvalidInput(f"`{name}` LO:HI doubles LO up to HI, so HI must be LO times a power "
                               f"of two, got {shown(text)}")
        ws, w = [], lo
        while w <= hi:
            ws.append(w)
            w *= 2
        return check_widths(ws, name)
    return check_widths([parse_int(x, f"{name}[{i}]", minimum=1, maximum=MAX_WIDTH)
                         for i, x in enumerate(text.split(","))], name)


def check_seeds(seeds: Any, name: str = "seeds") -> tuple[int, ...]:
    """An int ``k`` means seeds ``0..k-1`` (``k <= MAX_SEEDS``); otherwise a sequence of distinct
    ints >= 0."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        k = check_int(seeds, name, minimum=1, maximum=MAX_SEEDS)
        return tuple(range(k))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise TypeError(f"`{name}` must be an int or a sequence of ints, got {shown(seeds)}")
    out = tuple(check_int(s, f"{name}[{i}]", minimum=0, maximum=2**63 - 1)
                for i, s in enumerate(seeds))
    if not out:
        raise InvalidInput(f"`{name}` must not be empty, got {shown(seeds)}")
    if len(out) > MAX_SEEDS:
        raise InvalidInput(f"`{name}` has {len(out)} seeds; at most {MAX_SEEDS}")
    if len(set(out)) != len(out):
        raise InvalidInput(f"`{name}` must be distinct, got {shown(list(out))}")
    return out


def check_steps(steps: Any, name: str = "steps", *, minimum: int = 0) -> int:
    """Training steps: an int in ``minimum..MAX_STEPS``."""
    return check_int(steps, name, minimum=minimum, maximum=MAX_STEPS)


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
            raise InvalidInput(f"`{name}` = {shown(value)} is not a number") from None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` = {value!r} ({type(value).__name__}) does not convert with float()"
        ) from None
    if math.isnan(v):
        raise InvalidInput(f"`{name}` must not be NaN, got {value!r}")
    return v


def check_per_layer(value: Any, name: str, n_layers: int, *, minimum: float = 0.0) -> tuple[float, ...]:
    """A positive constant, or one per weight layer (``n_layers`` of them)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        vals = tuple(
            check_float(v, f"{name}[{i}]", minimum=minimum, strict_min=True)
            for i, v in enumerate(value)
        )
        if len(vals) != n_layers:
            raise InvalidInput(
                f"`{name}` has {len(vals)} values but the network has {n_layers} weight layers"
            )
        return vals
    v = check_float(value, name, minimum=minimum, strict_min=True)
    return (v,) * n_layers


def check_dtype(value: Any) -> Any:
    """float32 (default) or float64, as a ``numpy.dtype``."""
    import numpy as np

    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"`dtype` must be 'float32' or 'float64', got {value!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InvalidInput(f"`dtype` must be 'float32' or 'float64', got {value!r}")
    return dt


# ---------------------------------------------------------------------------- paths
def _can_create_in(folder: pathlib.Path) -> bool:
    """Whether a file can be created in ``folder``, by creating (and removing) one: the
    permission bits say yes to root in places no file can be made (``/proc``, a read-only
    mount), so they are not enough."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _can_append(path: pathlib.Path) -> bool:
    """Whether an existing file can be opened for writing (without changing it)."""
    try:
        with open(path, "ab"):
            return True
    except OSError:
        return False


def check_output_dir(path: Any, name: str = "output", *, files: tuple[str, ...] = ()) -> pathlib.Path:
    """A folder to write into: an existing folder, or a new one whose parent folder exists.

    Refused in one line: an existing file where a folder is needed, a missing parent folder
    (nothing is created silently along a mistyped path), a folder that cannot be written.
    ``files``: names of the files written into it, which must not be folders or existing files
    that cannot be written (as :func:`check_output_file`'s ``beside``).  Checked before any work.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise InvalidInput(f"`{name}` must be a folder path, got {shown(path)}")
    p = pathlib.Path(path)
    if p.exists():
        if not p.is_dir():
            raise InvalidInput(f"`{name}` {str(p)!r} is an existing file, not a folder")
        if not _can_create_in(p):
            raise InvalidInput(f"`{name}` folder {str(p)!r} is not writable")
        for f in files:
            q = p / f
            if q.is_dir():
                raise InvalidInput(f"`{name}`: {str(q)!r}, written into it, is a folder")
            if q.exists() and not _can_append(q):
                raise InvalidInput(f"`{name}`: {str(q)!r}, written into it, is not writable")
        return p
    parent = p.absolute().parent
    if not parent.is_dir():
        raise InvalidInput(f"`{name}`: {str(parent)!r} is a file, not a folder" if parent.exists()
                           else f"`{name}`: the folder {str(parent)!r} does not exist (create it first)")
    if not _can_create_in(parent):
        raise InvalidInput(f"`{name}`: cannot create {str(p)!r}: {str(parent)!r} is not writable")
    return p


def check_output_file(path: Any, name: str = "output", *, suffixes: tuple[str, ...] = (),
                      beside: tuple[str, ...] = ()) -> pathlib.Path:
    """A file to write: its folder exists and is writable, and the path is not a folder.
    ``suffixes``: the extensions allowed (``.png``; a name that is only an extension, such as
    ``.png``, has none).  ``beside``: extensions of files written next to it (the same name
    with that extension), which must not be folders either.  Checked before any work."""
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise InvalidInput(f"`{name}` must be a file path, got {shown(path)}")
    p = pathlib.Path(path)
    if p.is_dir():
        raise InvalidInput(f"`{name}` {str(p)!r} is a folder; give a file name")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InvalidInput(f"`{name}` must be a file name ending in {', '.join(suffixes)}, got "
                           f"{shown(str(path))}")
    for ext in beside:
        q = p.with_suffix(ext)
        if q.is_dir():
            raise InvalidInput(f"`{name}`: {str(q)!r}, written beside it, is a folder")
    parent = p.absolute().parent
    if not parent.is_dir():
        raise InvalidInput(f"`{name}`: {str(parent)!r} is a file, not a folder" if parent.exists()
                           else f"`{name}`: the folder {str(parent)!r} does not exist (create it first)")
    if p.exists() and not _can_append(p):
        raise InvalidInput(f"`{name}` {str(p)!r} is not writable")
    if not p.exists() and not _can_create_in(parent):
        raise InvalidInput(f"`{name}`: cannot create {str(p)!r}: {str(parent)!r} is not writable")
    return p


# ---------------------------------------------------------------------------- scheduler
#: seconds to wait for a Dask scheduler to accept a connection before giving up
SCHEDULER_TIMEOUT = 3.0


def check_scheduler(address: Any, *, timeout: float = SCHEDULER_TIMEOUT, probe: bool = True) -> str:
    """A Dask scheduler address ``tcp://HOST:PORT`` (or ``local``); with ``probe``, a TCP
    connection is tried for at most ``timeout`` seconds, so a dead address fails fast."""
    if not isinstance(address, str):
        raise TypeError(f"`scheduler` must be an address like tcp://HOST:PORT, got {shown(address)}")
    if address == "local":
        return address
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    host = host.strip("[]")
    if not sep or scheme not in ("tcp", "tls") or not colon or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        raise InvalidInput(f"`scheduler` must be an address like tcp://HOST:PORT or 'local', "
                           f"got {shown(address)}")
    if probe:
        import socket

        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                pass
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInput(f"`scheduler` {address} is not reachable within {timeout:g} s "
                               f"({reason}); start one with `dask scheduler` or use 'local'") from None
    return address


# ---------------------------------------------------------------------------- memory
def memory_limit() -> int:
    """Bytes a computation may use: the memory available now (``MemAvailable``), capped by
    this process's address-space limit (``RLIMIT_AS``) when one is set; the environment variable
    ``WIDTHLIMITS_MAX_MEMORY`` (bytes, or with a K/M/G suffix) overrides both."""
    env = os.environ.get("WIDTHLIMITS_MAX_MEMORY")
    if env:
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(env[-1:].upper(), 1)
        digits = env[:-1] if mult > 1 else env
        if not (digits.isascii() and digits.isdigit()):
            raise InvalidInput(f"WIDTHLIMITS_MAX_MEMORY must be bytes or e.g. 8G, got {shown(env)}")
        return int(digits) * mult
    limit = 1 << 62
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    limit = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limit = min(limit, soft)
    except (ImportError, OSError, ValueError):
        pass
    return limit


def format_bytes(n: float) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 1024:.3g} KiB"


def check_memory(estimate: float, what: str, *, limit: int | None = None,
                 hint: str = "use smaller widths or fewer workers") -> None:
    """Refuse, before anything is allocated, a computation whose estimated peak memory exceeds
    :func:`memory_limit` (the message gives the estimate and the limit)."""
    lim = memory_limit() if limit is None else limit
    if estimate > lim:
        raise InvalidInput(f"{what} needs about {format_bytes(estimate)} of memory, above the "
                           f"{format_bytes(lim)} available; {hint}")
