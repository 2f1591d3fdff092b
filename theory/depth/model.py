"""The residual MLP model class and its hyperparameter exponents in width n and depth L.

Network (pre-LN residual MLP; TP VI, Yang et al. 2023, arXiv 2310.02244, Sec. 6.3 for the setup,
whose block is MS(phi(W x)) without LayerNorm, pre-LN in its experiments, Sec. 10.2; CompleteP,
Dey et al. 2025, arXiv 2505.01618, Table 1, a pre-LN transformer):

.. math::
    x^0 = W^{emb} \\xi, \\qquad
    x^l = x^{l-1} + L^{-\\alpha}\\, \\mathrm{branch}_l(\\mathrm{LN}(x^{l-1})), \\quad l = 1..L,
    \\qquad f = W^{out} \\mathrm{LN}(x^L),

with ``branch(u) = W phi(u) (+ b)`` (one weight layer per block: TP VI's "pre-nonlin" block,
its Sec. 8.2; TP VI's main block applies phi after the weight and is not modelled here) or
``branch(u) = W_2 phi(W_1 u + b_1) (+ b_2)`` (two, the MLP block of a transformer).  ``LN`` is the
identity when ``layernorm == "none"``.  Every weight role (embedding, each block layer, readout)
carries the abcd exponents of :mod:`widthlimits.theory.parametrization` in n and in L:

.. math::
    W = n^{-a} L^{-a_L} w, \\quad w_0 \\sim \\mathcal N(0, n^{-2b} L^{-2b_L}), \\quad
    \\text{LR} = \\eta\\, n^{-c} L^{-c_L}, \\quad \\epsilon = n^{-d} L^{-d_L}, \\quad
    \\lambda = n^{-w} L^{-w_L}.

Block weights share one set of exponents (every block is alike; the engine counts a
representative block and the sums over blocks).  With ``alpha = 0``, every L-exponent 0 and no
skip the model is a plain MLP: :mod:`.mlp` runs today's width engine in two variables for that
case.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.depth.scale import is_symbolic
from widthlimits.theory.exponents import as_exponent, fmt

LAYERNORMS = ("none", "plain", "gain", "gain_bias")
OPTIMIZERS = ("sgd", "adam", "adamw")
WEIGHT_DECAYS = ("none", "decoupled", "coupled")


class DepthModelError(ValueError):
    """Bad input to the depth engine (one line; the CLI prints it and exits 2)."""


def exact(v: Any, name: str) -> Fraction:
    if is_symbolic(v):  # an affine form on a cell (widthlimits.theory.depth.query)
        return v
    try:
        e = as_exponent(v, name=name)
    except (TypeError, ValueError) as err:
        raise DepthModelError(str(err)) from None
    if not isinstance(e, Fraction):
        raise DepthModelError(f"`{name}` must be a finite exact number, got {v!r}")
    return e


def optional_exact(v: Any, name: str) -> Fraction | None:
    return None if v is None else exact(v, name)


@dataclass(frozen=True)
class LayerScaling:
    """Exponents of one weight role in n and L (module docstring).

    ``d``/``d_L``: Adam's epsilon, ``None`` = negligible (updates scale invariant).
    ``wd``/``wd_L``: weight decay, ``None`` = no decay on this role.
    """

    a: Fraction = Fraction(0)
    b: Fraction = Fraction(0)
    c: Fraction = Fraction(0)
    a_L: Fraction = Fraction(0)
    b_L: Fraction = Fraction(0)
    c_L: Fraction = Fraction(0)
    d: Fraction | None = None
    d_L: Fraction = Fraction(0)
    wd: Fraction | None = None
    wd_L: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        for nm in ("a", "b", "c", "a_L", "b_L", "c_L", "d_L", "wd_L"):
            object.__setattr__(self, nm, exact(getattr(self, nm), nm))
        object.__setattr__(self, "d", optional_exact(self.d, "d"))
        object.__setattr__(self, "wd", optional_exact(self.wd, "wd"))

    def with_(self, **changes: Any) -> LayerScaling:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {k: fmt(getattr(self, k)) for k in
                ("a", "b", "c", "a_L", "b_L", "c_L", "d", "d_L", "wd", "wd_L")}


@dataclass(frozen=True)
class ResidualModel:
    """A residual MLP with its exponents in n and L (module docstring).

    ``block`` holds one or two :class:`LayerScaling` (the block's weight layers, input first).
    ``bias`` and ``norm`` (LayerNorm gain/bias) are the LR exponents of those parameters
    (``c``, ``c_L``); biases are zero-initialized, LN gains start at 1.
    """

    embedding: LayerScaling
    block: tuple[LayerScaling, ...]
    readout: LayerScaling
    alpha: Fraction = Fraction(1, 2)
    optimizer: str = "adam"
    weight_decay: str = "none"
    layernorm: str = "none"
    biases: bool = False
    bias: LayerScaling = field(default_factory=LayerScaling)
    norm: LayerScaling = field(default_factory=LayerScaling)
    activation: str = "tanh"
    depth: int | None = None
    name: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", exact(self.alpha, "alpha"))
        block = tuple(self.block)
        if len(block) not in (1, 2):
            raise DepthModelError(f"a block has one or two weight layers, got {len(block)}")
        object.__setattr__(self, "block", block)
        if self.optimizer not in OPTIMIZERS:
            raise DepthModelError(f"unknown optimizer {self.optimizer!r}; choose one of "
                                  f"{', '.join(OPTIMIZERS)}")
        if self.weight_decay not in WEIGHT_DECAYS:
            raise DepthModelError(f"unknown weight decay {self.weight_decay!r}; choose one of "
                                  f"{', '.join(WEIGHT_DECAYS)}")
        if self.weight_decay == "decoupled" and self.optimizer == "adam":
            raise DepthModelError("decoupled weight decay is AdamW: use optimizer 'adamw'")
        if self.layernorm not in LAYERNORMS:
            raise DepthModelError(f"unknown layernorm {self.layernorm!r}; choose one of "
                                  f"{', '.join(LAYERNORMS)}")
        if self.depth is not None and (isinstance(self.depth, bool) or not isinstance(self.depth, int)
                                       or self.depth < 1):
            raise DepthModelError(f"`depth` must be an int >= 1 (number of blocks), got {self.depth!r}")
        try:
            get_activation(self.activation)
        except ValueError as err:
            raise DepthModelError(str(err)) from None

    @property
    def act(self) -> Activation:
        return get_activation(self.activation)

    @property
    def entrywise(self) -> bool:
        return self.optimizer in ("adam", "adamw")

    def roles(self) -> dict[str, LayerScaling]:
        """Weight roles by name: ``embedding``, ``block.1`` (and ``block.2``), ``readout``."""
        out = {"embedding": self.embedding}
        for i, s in enumerate(self.block):
            out[f"block.{i + 1}"] = s
        out["readout"] = self.readout
        return out

    def with_(self, **changes: Any) -> ResidualModel:
        return replace(self, **changes)

    def with_block(self, **changes: Any) -> ResidualModel:
        """Apply the same changes to every block layer."""
        return replace(self, block=tuple(s.with_(**changes) for s in self.block))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "depth": self.depth, "alpha": fmt(self.alpha),
            "optimizer": self.optimizer, "weight_decay": self.weight_decay,
            "layernorm": self.layernorm, "biases": self.biases, "activation": self.activation,
            "layers": {k: v.as_dict() for k, v in self.roles().items()},
            "bias": self.bias.as_dict() if self.biases else None,
            "norm": self.norm.as_dict() if self.layernorm in ("gain", "gain_bias") else None,
        }
