"""The simulation configuration: everything about a run except its width and seeds.

A :class:`SimulationConfig` plus a width and a tuple of seeds determines every number the
simulator produces (explicit RNG: one ``numpy.random.SeedSequence([init_seed, width, seed])``
per weight seed; data fixed by ``data.seed``).  Configs are frozen, hashable through
:meth:`SimulationConfig.to_dict` (JSON, no pickle), and validated on construction.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from widthlimits.numerics.activations import get_activation
from widthlimits.numerics.data import DataConfig
from widthlimits.numerics.losses import LOSS_NAMES
from widthlimits.numerics.numeric_parametrization import (
    NumericParametrization,
    as_numeric_parametrization,
)
from widthlimits.numerics.quantities import check_quantities
from widthlimits.numerics.validation import (
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_per_layer,
    check_steps,
)

OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "momentum", "adam", "rmsprop", "signsgd")
ENTRYWISE_OPTIMIZERS: frozenset[str] = frozenset({"adam", "rmsprop", "signsgd"})
_OPT_ALIASES = {"gd": "sgd", "sign": "signsgd", "rms": "rmsprop"}
#: epsilon of entrywise optimizers when ``d`` is given (gradients are multiplied by n^d first):
#: TP IVb's Theta(1) constant.  PyTorch's 1e-8 would put the width where epsilon starts to
#: matter far beyond any simulable width (a coord check of Adam with d = 0 at widths 256-2048:
#: 19 of 34 rows agree with 1e-8, 33 agree and none disagree with 0.1 or 1)
DEFAULT_EPS = 1.0
#: epsilon when ``d`` is None: negligible, the update is scale invariant
TINY_EPS = 1e-30


@dataclass(frozen=True)
class SimulationConfig:
    """A finite-width MLP training run, minus width and seeds.

    Network (TP4 Sec. 3): :math:`h^1 = W^1\\xi`, :math:`x^l = \\phi(h^l)`,
    :math:`h^{l+1} = W^{l+1}x^l`, :math:`f = W^{L+1}x^L`, no biases, with
    :math:`W^l = n^{-a_l}w^l`, :math:`w^l_{ij}\\sim\\mathcal N(0, \\sigma_l^2 n^{-2b_l})`,
    :math:`\\sigma_1 = 1/\\sqrt{d_{in}}` (a width-independent constant so that :math:`h^1 = O(1)`)
    and :math:`\\sigma_l = 1` otherwise.  Updates (TP IVb Def. 2.2.1):

    .. math::
        \\text{SGD-type: } w \\leftarrow w - \\eta_l n^{-c_l} n^{d_l} g, \\qquad
        \\text{entrywise: } w \\leftarrow w - \\eta_l n^{-c_l} Q(n^{d_l} g)

    with :math:`g = \\partial\\mathcal L/\\partial w` (``d = None`` means ``d = 0``).

    Attributes
    ----------
    param : NumericParametrization
        Converted on construction from any object with ``a, b, c`` (and ``d``) attributes,
        e.g. a ``widthlimits.theory.Parametrization``.
    optimizer : {"sgd", "momentum", "adam", "rmsprop", "signsgd"}
    activation : str
        ``tanh``, ``relu``, ``leaky_relu[:slope]``, ``gelu``, ``linear`` or ``sigmoid``.
    loss : {"mse", "logistic"}
    eta : tuple of float
        Width-independent learning-rate constants, one per weight layer (a scalar is repeated).
    steps : int
        Number of updates ``T``; quantities are measured at ``t = 0..T``.
    data : DataConfig
        Training and measurement data (the measurement batch is the whole data set).
    batch_size : int or None
        Minibatch size ``B``; ``None`` = full batch.  Step ``t`` uses rows
        ``order[(tB + k) mod N]`` of a fixed permutation (data seed).
    dtype : {"float32", "float64"}
    momentum : float
        Heavy-ball coefficient: :math:`m \\leftarrow \\beta m + g`, step :math:`-\\eta m`.
    adam_betas : (float, float)
        Adam's :math:`(\\beta_1, \\beta_2)`, bias corrected.
    rmsprop_beta : float
        RMSProp's :math:`\\beta_2` (bias corrected, i.e. Adam with :math:`\\beta_1 = 0`, as in
        the project's measurements of Golikov's depth setting).
    eps : float or None
        Epsilon of entrywise optimizers.  ``None``: 1 if ``param.d`` is given (TP IVb's
        Theta(1) constant, :data:`DEFAULT_EPS`), else 1e-30 (scale invariant; see Notes).
    init_seed : int
        Base of the weight-seed sequence ``SeedSequence([init_seed, width, seed])``.
    quantities : tuple of str or None
        Which quantities to measure (``None`` = all; see ``widthlimits.numerics.quantities``).
    lowrank : bool or None
        Keep SGD/momentum updates of hidden layers as low-rank factors instead of forming
        :math:`W_t` (``None``: automatic, when ``B * steps <= width / 3``).

    Notes
    -----
    With ``d = None`` an entrywise optimizer is scale invariant up to epsilon.  To keep float32
    from underflowing :math:`g^2` when gradient entries are tiny (e.g. :math:`n^{-3/2}`), each
    layer's gradient is multiplied by a per-seed constant fixed at its first non-zero value
    (the inverse RMS of that gradient).  In exact arithmetic this changes nothing when
    :math:`\\epsilon \\to 0`.

    References
    ----------
    TP4: G. Yang, E. Hu, ICML 2021, Sec. 3.  TP IVb: G. Yang, E. Littwin, arXiv:2308.01814,
    Def. 2.2.1 and Remark 2.2.6 (epsilon scaling).
    """

    param: Any
    optimizer: str = "sgd"
    activation: str = "tanh"
    loss: str = "mse"
    eta: Any = 1.0
    steps: int = 5
    data: DataConfig = field(default_factory=DataConfig)
    batch_size: int | None = None
    dtype: str = "float32"
    momentum: float = 0.9
    adam_betas: tuple[float, float] = (0.9, 0.999)
    rmsprop_beta: float = 0.99
    eps: float | None = None
    init_seed: int = 0
    quantities: tuple[str, ...] | None = None
    lowrank: bool | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        p = as_numeric_parametrization(self.param)
        set_(self, "param", p)
        opt = self.optimizer
        if isinstance(opt, str):
            opt = _OPT_ALIASES.get(opt.strip().lower(), opt)
        set_(self, "optimizer", check_choice(opt, "optimizer", OPTIMIZER_NAMES))
        set_(self, "activation", get_activation(self.activation).name)
        set_(self, "loss", check_choice(self.loss, "loss", LOSS_NAMES))
        set_(self, "eta", check_per_layer(self.eta, "eta", p.n_layers))
        check_steps(self.steps)
        if not isinstance(self.data, DataConfig):
            raise TypeError(f"`data` must be a DataConfig, got {self.data!r}")
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", minimum=1)
            if self.batch_size > self.data.n_samples:
                raise ValueError(
                    f"`batch_size` = {self.batch_size} exceeds `data.n_samples` = "
                    f"{self.data.n_samples}"
                )
        set_(self, "dtype", check_dtype(self.dtype).name)
        set_(self, "momentum", check_float(self.momentum, "momentum", minimum=0.0, maximum=1.0))
        betas = tuple(self.adam_betas)
        if len(betas) != 2:
            raise ValueError(f"`adam_betas` needs 2 values, got {self.adam_betas!r}")
        set_(self, "adam_betas", tuple(
            check_float(b, f"adam_betas[{i}]", minimum=0.0, maximum=1.0)
            for i, b in enumerate(betas)))
        set_(self, "rmsprop_beta", check_float(self.rmsprop_beta, "rmsprop_beta", minimum=0.0,
                                               maximum=1.0))
        if self.eps is not None:
            set_(self, "eps", check_float(self.eps, "eps", minimum=0.0, strict_min=True))
        check_int(self.init_seed, "init_seed", minimum=0)
        if self.quantities is not None:
            set_(self, "quantities", check_quantities(self.quantities))
        if self.lowrank is not None and not isinstance(self.lowrank, bool):
            raise TypeError(f"`lowrank` must be a bool or None, got {self.lowrank!r}")

    # ----------------------------------------------------------------- views
    @property
    def depth(self) -> int:
        """Number of hidden layers ``L``."""
        return self.param.depth

    @property
    def entrywise(self) -> bool:
        return self.optimizer in ENTRYWISE_OPTIMIZERS

    @property
    def effective_eps(self) -> float:
        if self.eps is not None:
            return self.eps
        return DEFAULT_EPS if self.param.d is not None else TINY_EPS

    @property
    def effective_batch_size(self) -> int:
        return self.data.n_samples if self.batch_size is None else self.batch_size

    # ----------------------------------------------------------------- (de)serialization
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (used for hashing and for the store; never pickled)."""
        return {
            "param": self.param.to_dict(),
            "optimizer": self.optimizer,
            "activation": self.activation,
            "loss": self.loss,
            "eta": list(self.eta),
            "steps": self.steps,
            "data": self.data.to_dict(),
            "batch_size": self.batch_size,
            "dtype": self.dtype,
            "momentum": self.momentum,
            "adam_betas": list(self.adam_betas),
            "rmsprop_beta": self.rmsprop_beta,
            "eps": self.eps,
            "init_seed": self.init_seed,
            "quantities": None if self.quantities is None else list(self.quantities),
            "lowrank": self.lowrank,
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SimulationConfig:
        kw = dict(d)
        kw["param"] = NumericParametrization.from_dict(kw["param"])
        kw["data"] = DataConfig(**kw["data"])
        kw["eta"] = tuple(kw["eta"])
        kw["adam_betas"] = tuple(kw["adam_betas"])
        if kw.get("quantities") is not None:
            kw["quantities"] = tuple(kw["quantities"])
        return cls(**kw)

    def replace(self, **changes: Any) -> SimulationConfig:
        kw = {k: getattr(self, k) for k in self.__dataclass_fields__}
        kw.update(changes)
        return SimulationConfig(**kw)


def width_factor(n: int, exponent: float) -> float:
    """:math:`n^{-e}` with ``e = inf`` giving 0."""
    return 0.0 if math.isinf(exponent) else float(n) ** (-exponent)
