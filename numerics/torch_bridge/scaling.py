"""Per-layer numbers of an abc/abcd parametrization at a target width, from a base width.

Pure numbers (no torch): the table ``widthlimits torch-lr`` prints and the numbers the bridge
puts into a PyTorch model.

Convention (TP4, Yang & Hu 2021, arXiv:2011.14522 Sec. 3; TP IVb, Yang & Littwin 2023,
arXiv:2308.01814 Def. 2.2.1): the weight of layer :math:`l` is a multiplier times a trained
parameter,

.. math::
    W^l = n^{-a_l} w^l, \\qquad w^l_0 \\sim \\mathcal N(0, n^{-2 b_l}), \\qquad
    w^l \\leftarrow w^l - \\eta\\, n^{-c_l}\\, Q_t(n^{d_l} g).

Base width.  Hyperparameters tuned at a base width :math:`n_0` (multiplier :math:`m_l`, init
std :math:`\\sigma_l`, learning rate :math:`\\eta_l`, Adam epsilon :math:`\\epsilon_l`, weight
decay :math:`\\lambda_l`) give at width :math:`n`, with :math:`r = n / n_0`:

.. math::
    m_l(n) = m_l r^{-a_l}, \\quad \\sigma_l(n) = \\sigma_l r^{-b_l}, \\quad
    \\eta_l(n) = \\eta_l r^{-c_l} \\;(\\text{SGD: } r^{-(c_l - d_l)}), \\quad
    \\epsilon_l(n) = \\epsilon_l r^{-d_l}, \\quad \\lambda_l(n) = \\lambda_l\\, \\eta_l / \\eta_l(n).

So the model at the base width is exactly the model tuned there, and the exponents of
:math:`n` of every number are the parametrization's (the constants :math:`n_0^{-a}` etc. are
absorbed in the base values).  For entrywise optimizers :math:`Q(n^{d} g)` with epsilon
:math:`\\epsilon` is the same as :math:`Q(g)` with epsilon :math:`\\epsilon n^{-d}` (TP IVb
Remark 2.2.6), hence the epsilon rule; ``d = None`` leaves epsilon at its base value.  For
SGD-type updates :math:`n^{d}` only shifts the learning rate (TP IVb Remark 2.2.4).

Weight decay keeps :math:`\\eta_l(n)\\lambda_l(n)` at its base value: the per-step shrink factor
:math:`1 - \\eta\\lambda` of SGD's L2 term and of AdamW's decoupled decay (PyTorch multiplies the
decay by the learning rate) is then width independent ("independent weight decay", Wortsman et
al. 2023, arXiv:2309.14322).  For Adam's coupled L2 term, which passes through the normalizer,
the same rule is the one ``mup``'s ``MuAdam`` applies (weight decay times the width multiplier
where the learning rate is divided by it).

Biases.  A bias is a weight from a constant input (finite fan-in, ``mup``'s "vector-like"
parameters).  It is given the exponents that make its effective value (after its layer's
multiplier) scale like the input layer's weights when its layer's output grows with width, and
like a width-independent parameter (exponents 0) when it does not; written with its layer's
multiplier exponent :math:`a_l` by the width symmetry :math:`(a, b, c, d) \\mapsto (a + \\theta,
b - \\theta, c - 2\\theta, d)` for SGD and :math:`(a + \\theta, b - \\theta, c - \\theta,
d + \\theta)` for entrywise optimizers (TP4 Eq. 5; TP IVb Prop. 2.2.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

ROLES: tuple[str, ...] = ("input", "hidden", "readout")
#: optimizer names the bridge builds parameter groups for, and their update family
OPTIMIZER_FAMILY: dict[str, str] = {"sgd": "sgd", "adam": "entrywise", "adamw": "entrywise"}


class BridgeError(ValueError):
    """Bad input to the PyTorch bridge (one line, names the layer where there is one)."""


@dataclass(frozen=True)
class Exponents:
    """The width exponents ``(a, b, c, d)`` of one parameter (``d`` None: not given)."""

    a: float
    b: float
    c: float
    d: float | None = None

    def shifted(self, theta: float, family: str) -> Exponents:
        """The width symmetry: entrywise ``(a + t, b - t, c - t, d + t)``; SGD
        ``(a + t, b - t, c - 2t, d)`` (for SGD ``d`` enters only as ``c - d``, the learning
        rate on ``w``, so it stays)."""
        if family == "sgd":
            return Exponents(self.a + theta, self.b - theta,
                             self.c if math.isinf(self.c) else self.c - 2.0 * theta, self.d)
        return Exponents(self.a + theta, self.b - theta,
                         self.c if math.isinf(self.c) else self.c - theta,
                         None if self.d is None else self.d + theta)


@dataclass(frozen=True)
class BaseHyperparameters:
    """Hyperparameters tuned at the base width (one value for every layer, or one per role).

    Attributes
    ----------
    lr : float or mapping role -> float
    init_std : float, mapping role -> float, or None
        ``None``: :math:`1/\\sqrt{\\text{fan-in at the base width}}` (LeCun) for weights.
    multiplier : float or mapping role -> float
    eps : float
        Adam/AdamW epsilon at the base width.
    weight_decay : float or mapping role -> float
    bias_std : float
        Init std of biases at the base width (default 0: biases start at zero).
    """

    lr: Any = 1e-3
    init_std: Any = None
    multiplier: Any = 1.0
    eps: float = 1e-8
    weight_decay: Any = 0.0
    bias_std: float = 0.0

    #: what each field accepts: (least value, whether the least value itself is allowed)
    _RANGES = {"lr": (0.0, True), "init_std": (0.0, True), "multiplier": (0.0, False),
               "eps": (0.0, True), "weight_decay": (0.0, True), "bias_std": (0.0, True)}

    def __post_init__(self) -> None:
        for name, (least, closed) in self._RANGES.items():
            v = getattr(self, name)
            if v is None and name == "init_std":
                continue
            for role, x in (v.items() if isinstance(v, dict) else [(None, v)]):
                where = f"base {name}" + ("" if role is None else f" for role {role!r}")
                try:
                    x = float(x)
                except (TypeError, ValueError):
                    raise BridgeError(f"{where} must be a number, got {x!r}") from None
                if not math.isfinite(x) or x < least or (x == least and not closed):
                    raise BridgeError(f"{where} must be finite and {'>=' if closed else '>'} "
                                      f"{least:g}, got {x!r}")

    def value(self, field_name: str, role: str) -> Any:
        v = getattr(self, field_name)
        if isinstance(v, dict):
            if role not in v:
                raise BridgeError(f"base {field_name} has no value for role {role!r} "
                                  f"(give one for each of {', '.join(ROLES)})")
            v = v[role]
        return v


@dataclass(frozen=True)
class ParameterScaling:
    """The numbers of one parameter at the target width.

    ``multiplier`` is the forward multiplier of the parameter's layer; ``lr``, ``eps`` and
    ``weight_decay`` go into the parameter's optimizer group; ``init_std`` is the std of its
    initial entries (0: zero init).
    """

    name: str
    layer: str
    role: str
    kind: str  # "weight" or "bias"
    width_ratio: float
    exponents: Exponents
    multiplier: float
    init_std: float
    lr: float
    eps: float | None
    weight_decay: float

    def as_row(self) -> dict[str, Any]:
        e = self.exponents
        return {"name": self.name, "layer": self.layer, "role": self.role, "kind": self.kind,
                "width_ratio": self.width_ratio, "a": e.a, "b": e.b, "c": e.c, "d": e.d,
                "multiplier": self.multiplier, "init_std": self.init_std, "lr": self.lr,
                "eps": self.eps, "weight_decay": self.weight_decay}


def power(r: float, exponent: float) -> float:
    """:math:`r^{-e}` with ``e = inf`` giving 0 (zero init, frozen layer)."""
    if math.isinf(exponent):
        if exponent < 0:
            raise BridgeError("an exponent of -inf has no width scaling")
        return 0.0
    try:
        out = float(r) ** (-exponent)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise BridgeError(f"the width ratio {float(r):g} to the power {-float(exponent):g} "
                          "overflows a float")
    return out


def check_optimizer(name: str) -> str:
    key = str(name).strip().lower()
    if key not in OPTIMIZER_FAMILY:
        raise BridgeError(f"unknown optimizer {name!r} for the bridge; choose one of "
                          f"{', '.join(OPTIMIZER_FAMILY)}")
    return key


def engine_optimizer(name: str) -> str:
    """The engine's optimizer name for a bridge optimizer: AdamW updates as Adam (its decoupled
    decay is a separate term, TP IVb Sec. 2.1 covers the entrywise family)."""
    return "sgd" if OPTIMIZER_FAMILY[check_optimizer(name)] == "sgd" else "adam"


def bias_exponents(layer: Exponents, input_layer: Exponents, role: str, family: str) -> Exponents:
    """Exponents of a bias of a layer with exponents ``layer`` (module docstring, Biases)."""
    ref = input_layer if role != "readout" else Exponents(0.0, 0.0, 0.0,
                                                          None if layer.d is None else 0.0)
    return ref.shifted(layer.a - ref.a, family)


def scale_parameter(name: str, layer: str, role: str, kind: str, exponents: Exponents,
                    width_ratio: float, base_fan_in: int, base: BaseHyperparameters,
                    optimizer: str) -> ParameterScaling:
    """The numbers of one parameter at width ratio ``r = n / n0`` (module docstring)."""
    opt = check_optimizer(optimizer)
    family = OPTIMIZER_FAMILY[opt]
    r = float(width_ratio)
    if not (r > 0 and math.isfinite(r)):
        raise BridgeError(f"layer {layer!r}: width ratio {width_ratio!r} must be positive")
    e = exponents
    m0 = float(base.value("multiplier", role))
    if kind == "bias":
        s0 = float(base.bias_std)
    else:
        s0 = base.value("init_std", role)
        s0 = 1.0 / math.sqrt(base_fan_in) if s0 is None else float(s0)
    lr0 = float(base.value("lr", role))
    wd0 = float(base.value("weight_decay", role))
    d = 0.0 if e.d is None else e.d
    c_eff = e.c if (family != "sgd" or math.isinf(e.c)) else e.c - d
    lr = lr0 * power(r, c_eff)
    eps = None
    if family == "entrywise":
        eps = float(base.eps) * (1.0 if e.d is None else power(r, e.d))
    wd = 0.0 if (wd0 == 0.0 or lr == 0.0) else wd0 * lr0 / lr
    return ParameterScaling(
        name=name, layer=layer, role=role, kind=kind, width_ratio=r, exponents=e,
        multiplier=m0 * power(r, e.a), init_std=s0 * power(r, e.b), lr=lr, eps=eps,
        weight_decay=wd)
