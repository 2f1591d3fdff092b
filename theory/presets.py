"""Named parametrizations.

Tensor Programs (TP4 Table 1; TP IVb Sec. 2.3; TP4 App. G / TP IVb Remark 2.8.25 for UP_s),
written in TP4 form; learning-rate exponents depend on the optimizer family:

=========  ===========================  ====================  =====================  ==============
preset     a (input / hidden / readout)  b                     c, SGD                 c, entrywise
=========  ===========================  ====================  =====================  ==============
sp[:c]     0 / 0 / 0                    0 / 1/2 / 1/2         c (default 0)          c (default 0)
ntp        0 / 1/2 / 1/2                0 / 0 / 0             0                      1/2 / 1 / 1/2
mup        -1/2 / 0 / 1/2               1/2 / 1/2 / 1/2       0                      1/2 / 1 / 1/2
mfp        0 / 1/2 / 1                  0 / 0 / 0             -1                     0 / 1/2 / 0
up:s       s-1/2 / s / 1/2              1/2-s (all)           0                      1/2 / 1 / 1/2
=========  ===========================  ====================  =====================  ==============

``sp`` is the standard parametrization as practitioners use it: PyTorch's default initialization,
no multipliers and a **constant** (width-independent) learning rate, c = 0.  ``sp:<c>`` sets
another learning-rate exponent (the rate falls as :math:`n^{-c}`); TP4's SP (Table 1, "SP with LR
:math:`\\propto 1/n`", the largest stable SGD rate by its Thm 4.1) is ``sp:1``.  (Until this
version ``sp`` meant ``sp:1``; spell ``sp:1`` to get that point.)

Golikov's named modes (Golikov 2020, arXiv:2003.05884, and the modes of its public code,
``utils/scale_hyperparams.py``), in SP form (a = 0, input std width independent), non-input std
``n^{-q}``:

====================  =====  =========================  ==========================
mode                  q      GD LR exponents (c)        normalized LR exponents (c)
====================  =====  =========================  ==========================
golikov-default       1/2    0 / 0 / 0                  0 / 0 / 0
golikov-sym-default   1/2    -1/2 / 1/2 / 1/2           (not defined)
golikov-mf            1      -1 / 0 / 1                 0 / 1 / 1
golikov-ntk           1/2    0 / 1 / 1                  1/2 / 3/2 / 1
golikov-intermediate  q      1-2q / 2-2q / 1            1-q / 2-q / 1
====================  =====  =========================  ==========================

``golikov-ntk`` is Golikov's NTK scaling (standard initialization, output learning rate
:math:`\\propto 1/n`, input rate constant: :math:`q_\\sigma = -1/2`, :math:`\\tilde q_a =
\\tilde q_w = 0` in his exponents, :meth:`Parametrization.from_golikov`), which he defines for one
hidden layer.  At depth >= 2 it is its natural extension, NTK at every depth: NTP (TP4 Table 1;
TP IVb Def. 2.4.1 for entrywise optimizers) moved to the SP form by the width symmetry (TP4 Eq. 5:
:math:`(a, b, c) \\mapsto (a+\\theta, b-\\theta, c-2\\theta)`; entrywise
:math:`c-\\theta`), so every hidden matrix's rate is :math:`\\propto 1/n` (SGD) or
:math:`n^{-3/2}` (entrywise).  At depth 1 this is exactly his mode.  His code's ``ntk`` mode
uses a hidden rate :math:`n^{-1/2}` (SGD) / :math:`n^{-1}` (normalized), which makes the output
blow up at depth >= 2 (:math:`f_1 = \\Theta(n^{1/2})` for SGD), so it is not an NTK limit there.

``golikov-intermediate:<q>`` is his intermediate family, defined for one hidden layer (exactly his
mode at depth 1).  Its hidden learning-rate exponent at depth >= 2 is the line between the two
ends, ``golikov-ntk`` at q = 1/2 and ``golikov-mf`` at q = 1 (GD ``2 - 2q``, normalized
``2 - q``), so every q is stable at every depth; his code's hidden rate (``1 - q``, normalized 1)
made the output blow up at depth >= 2 for q < 1 (e.g. q = 3/4, depth 2: f_1 = Theta(n^{1/4})).

TP5's three muP tables (Yang et al. 2022, Tables 3, 8, 9) are ``mup-table3``, ``mup-table8``,
``mup-table9``; all three are equivalent to ``mup`` under the symmetry (tested).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from widthlimits.theory.exponents import as_exponent
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth

H = Fraction(1, 2)


def _layers(inp: Any, hid: Any, out: Any, L: int) -> tuple[Any, ...]:
    return (inp,) + (hid,) * (L - 1) + (out,)


def _arg(name: str, text: str, lo: Fraction | None = None, hi: Fraction | None = None) -> Fraction:
    v = as_exponent(text, name=name)
    if not isinstance(v, Fraction):
        raise ValueError(f"preset parameter of {name!r} must be a finite exact number, got {text!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"preset {name!r} needs a value in [{lo}, {hi}], got {text!r}")
    return v


def _sp(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
    """SP with learning rate :math:`n^{-c}`: ``sp`` is c = 0 (a constant rate), ``sp:<c>`` any c."""
    c = _arg("sp", arg) if arg is not None else Fraction(0)
    return Parametrization(
        (0,) * (L + 1), _layers(0, H, H, L), (c,) * (L + 1), name="sp" + (f":{arg}" if arg else "")
    )


def _ntp(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
    c = _layers(H, 1, H, L) if opt.entrywise else (0,) * (L + 1)
    return Parametrization(_layers(0, H, H, L), (0,) * (L + 1), c, name="ntp")


def _mup(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
    c = _layers(H, 1, H, L) if opt.entrywise else (0,) * (L + 1)
    return Parametrization(_layers(-H, 0, H, L), (H,) * (L + 1), c, name="mup")


def _mfp(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
    c = _layers(0, H, 0, L) if opt.entrywise else (-1,) * (L + 1)
    return Parametrization(_layers(0, H, 1, L), (0,) * (L + 1), c, name="mfp")


def _up(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
    if arg is None:
        raise ValueError("preset 'up' needs its parameter: up:<s> with s in [0, 1/2], e.g. up:1/4")
    s = _arg("up", arg, Fraction(0), H)
    c = _layers(H, 1, H, L) if opt.entrywise else (0,) * (L + 1)
    return Parametrization(_layers(s - H, s, H, L), (H - s,) * (L + 1), c, name=f"up:{arg}")


def _golikov(q: Fraction, gd: tuple[Any, Any, Any], norm: tuple[Any, Any, Any] | None, nm: str):
    def build(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
        if opt.entrywise and norm is None:
            raise ValueError(f"preset {nm!r} is defined for GD only (Golikov's code has no "
                             "normalized-optimizer branch for it)")
        c = norm if opt.entrywise else gd
        return Parametrization((0,) * (L + 1), _layers(0, q, q, L), _layers(*c, L), name=nm)  # type: ignore[misc]

    return build


def _golikov_intermediate(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
    if arg is None:
        raise ValueError("preset 'golikov-intermediate' needs q in [1/2, 1], e.g. golikov-intermediate:3/4")
    q = _arg("golikov-intermediate", arg, H, Fraction(1))
    # hidden rates at depth >= 2: the straight line between golikov-ntk (q = 1/2) and golikov-mf
    # (q = 1), so both ends are those presets at every depth and every q is stable (his code's
    # hidden rate 1 - q, resp. 1, made the output blow up at depth >= 2 for q < 1)
    c = (1 - q, 2 - q, 1) if opt.entrywise else (1 - 2 * q, 2 - 2 * q, 1)
    return Parametrization(
        (0,) * (L + 1), _layers(0, q, q, L), _layers(*c, L), name=f"golikov-intermediate:{arg}"
    )


def _tp5(table: int):
    # Yang et al. 2022 (TP5) muP tables, columns input / hidden / output; exponents of n with
    # fan_in = n for hidden & output, fan_out = n for input.
    def build(L: int, opt: Optimizer, arg: str | None) -> Parametrization:
        if table == 3:
            var, mult = (0, -1, -2), (0, 0, 0)
            lr = (0, -1, -1) if opt.entrywise else (1, 0, -1)
        elif table == 8:
            var, mult = (0, -1, 0), (0, 0, -1)
            lr = (0, -1, 0) if opt.entrywise else (1, 0, 1)
        else:  # 9: "style of TP4"; input init variance 1/fan_out, multiplier sqrt(fan_out)
            var, mult = (-1, -1, -1), (H, 0, -H)
            lr = (-H, -1, -H) if opt.entrywise else (0, 0, 0)
        return Parametrization.from_tp5(
            _layers(*var, L), _layers(*mult, L), _layers(*lr, L), name=f"mup-table{table}"
        )

    return build


PRESETS = {
    "sp": _sp,
    "ntp": _ntp,
    "mup": _mup,
    "mfp": _mfp,
    "up": _up,
    "golikov-default": _golikov(H, (0, 0, 0), (0, 0, 0), "golikov-default"),
    "golikov-sym-default": _golikov(H, (-H, H, H), None, "golikov-sym-default"),
    "golikov-mf": _golikov(Fraction(1), (-1, 0, 1), (0, 1, 1), "golikov-mf"),
    "golikov-ntk": _golikov(H, (0, 1, 1), (H, Fraction(3, 2), 1), "golikov-ntk"),
    "golikov-intermediate": _golikov_intermediate,
    "mup-table3": _tp5(3),
    "mup-table8": _tp5(8),
    "mup-table9": _tp5(9),
}

#: names listed by ``widthlimits tables`` and used in tests (parametrized ones with an example)
NAMED_POINTS = (
    "sp", "sp:1", "sp:1/2", "ntp", "mup", "mfp", "up:1/4", "golikov-default", "golikov-sym-default",
    "golikov-mf", "golikov-ntk", "golikov-intermediate:3/4",
)


#: the presets that take a parameter (``name:<value>``)
PARAMETRIZED = frozenset({"sp", "up", "golikov-intermediate"})


#: how the presets that take a parameter (``PARAMETRIZED``) are written in the list of names
_SPELLINGS = {"sp": "sp, sp:<c>", "up": "up:<s>", "golikov-intermediate": "golikov-intermediate:<q>"}
#: the residual models of ``widthlimits.theory.depth.presets`` (``DEPTH_PRESETS``), as spelled
#: there; :func:`preset` does not build them, ``classify`` and ``derive`` take them by --preset
_DEPTH_SPELLINGS = "depth-mup, completep, completep:<alpha>"


def preset_names() -> str:
    """Every name ``--preset`` takes, as written (``sp, sp:<c>, ntp, ...``), then the residual
    models that ``classify`` and ``derive`` take: the one list of them for error messages."""
    names = ", ".join(_SPELLINGS.get(key, key) for key in PRESETS)
    return f"{names} (classify and derive also: {_DEPTH_SPELLINGS})"


def preset(name: str, depth: int, optimizer: str | Optimizer = "sgd") -> Parametrization:
    """The named parametrization for ``depth`` hidden layers and the optimizer's family.

    >>> preset("mup", 2, "sgd").a
    (Fraction(-1, 2), Fraction(0, 1), Fraction(1, 2))
    """
    L = check_depth(depth)
    opt = get_optimizer(optimizer)
    key, _, arg = name.strip().lower().partition(":")
    if key not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {preset_names()}")
    if ":" in name and key not in PARAMETRIZED:
        raise ValueError(f"preset {key!r} takes no parameter, got {name.strip()!r}")
    if ":" in name and not arg.strip():
        raise ValueError(f"preset {name.strip()!r} has an empty parameter after ':'; write "
                         f"{key}:<value> or {key}")
    return PRESETS[key](L, opt, arg or None)
