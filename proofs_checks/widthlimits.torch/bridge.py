"""``widthlimits.torch.parametrize``: a preset name or exact exponents, resolved by the engine's
presets, put into a PyTorch model by the numbers of ``widthlimits.numerics.torch_bridge``.

The convention is the one of ``widthlimits classify --a/--b/--c/--d`` and of
:class:`~widthlimits.theory.parametrization.Parametrization` (TP4, Yang & Hu 2021,
arXiv:2011.14522 Sec. 3; TP IVb, Yang & Littwin 2023, arXiv:2308.01814 Def. 2.2.1):

.. math::
    W^l = n^{-a_l} w^l, \\qquad w^l_0 \\sim \\mathcal N(0, n^{-2 b_l}), \\qquad
    \\text{lr}_l = \\eta\\, n^{-c_l}, \\qquad \\epsilon_l \\propto n^{-d_l},

and hyperparameters tuned at a base width :math:`n_0` give at width :math:`n`
:math:`\\text{lr}_l = \\text{base\\_lr}_l (n/n_0)^{-c_l}`,
:math:`\\sigma_l = \\text{base\\_std}_l (n/n_0)^{-b_l}`,
:math:`m_l = \\text{base\\_multiplier}_l (n/n_0)^{-a_l}`, :math:`\\epsilon_l = \\text{base\\_eps}
(n/n_0)^{-d_l}` (details and weight decay: :mod:`widthlimits.numerics.torch_bridge.scaling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from widthlimits.numerics.torch_bridge.apply import Bridge, bridge
from widthlimits.numerics.torch_bridge.layers import classify_layers
from widthlimits.numerics.torch_bridge.scaling import (
    BaseHyperparameters,
    BridgeError,
    engine_optimizer,
)
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import preset


def resolve_parametrization(parametrization: Any, n_layers: int, optimizer: str) -> Parametrization:
    """A preset name (``"mup"``, ``"sp:0"``, ...; built for ``n_layers - 1`` hidden layers and the
    optimizer's family), a :class:`Parametrization`, or a mapping with ``a, b, c`` (``d``)."""
    try:
        if isinstance(parametrization, str):
            return preset(parametrization, n_layers - 1, engine_optimizer(optimizer))
        if isinstance(parametrization, Parametrization):
            return parametrization
        if isinstance(parametrization, Mapping):
            return Parametrization(**dict(parametrization))
    except (ValueError, TypeError) as exc:
        raise BridgeError(str(exc.args[0] if exc.args else exc)) from None
    raise BridgeError(f"`parametrization` must be a preset name, a Parametrization or a mapping "
                      f"with a, b, c; got {type(parametrization).__name__}")


def parametrize(model: Any, base_model: Any, parametrization: Any = "mup", *,
                optimizer: str = "adam", lr: Any = 1e-3, init_std: Any = None,
                multiplier: Any = 1.0, eps: float = 1e-8, weight_decay: Any = 0.0,
                bias_std: float = 0.0, delta_model: Any = None, multipliers: bool = True,
                initialize: bool = True, generator: Any = None) -> Bridge:
    """Initialize ``model``, hook its multipliers and return the :class:`Bridge` whose
    ``optimizer()`` has the per-parameter learning rates, epsilons and weight decays.

    Parameters
    ----------
    model, base_model : torch.nn.Module
        The same ``nn.Linear`` architecture at the target and at the base width; layers are
        input / hidden / readout by which dimensions differ (``mup``'s base shapes).
    parametrization : str, Parametrization or mapping
        A preset name or exact exponents, one per ``nn.Linear`` in registration order.
    optimizer : {"sgd", "adam", "adamw"}
    lr, init_std, multiplier, eps, weight_decay, bias_std
        Hyperparameters at the base width (a float, or a dict role -> float for ``lr``,
        ``init_std``, ``multiplier``, ``weight_decay``); ``init_std=None`` is
        :math:`1/\\sqrt{\\text{base fan-in}}`.
    multipliers : bool
        ``False``: the same training dynamics without forward multipliers, by the width
        symmetry moved to ``a = 0`` (``Parametrization.without_multipliers``); the
        multipliers' width dependence moves into the init and learning-rate exponents.
    delta_model : torch.nn.Module, optional
        A third width, needed when ``model`` is at the base width.

    Examples
    --------
    >>> import torch.nn as nn
    >>> mk = lambda n: nn.Sequential(nn.Linear(8, n), nn.Tanh(), nn.Linear(n, n), nn.Tanh(),
    ...                              nn.Linear(n, 1))
    >>> b = parametrize(mk(1024), mk(256), "mup", optimizer="adam", lr=3e-3)
    >>> [(s.multiplier, round(s.lr, 8)) for s in b.scalings if s.kind == "weight"]
    [(2.0, 0.0015), (1.0, 0.00075), (0.5, 0.0015)]
    >>> b = parametrize(mk(1024), mk(256), "mup", optimizer="adam", lr=3e-3, multipliers=False)
    >>> [(s.multiplier, round(s.lr, 8)) for s in b.scalings if s.kind == "weight"]
    [(1.0, 0.003), (1.0, 0.00075), (1.0, 0.00075)]
    """
    roles = classify_layers(model, base_model, delta_model)
    p = resolve_parametrization(parametrization, len(roles), optimizer)
    if not multipliers:
        p = p.without_multipliers(engine_optimizer(optimizer))
    base = BaseHyperparameters(lr=lr, init_std=init_std, multiplier=multiplier, eps=eps,
                               weight_decay=weight_decay, bias_std=bias_std)
    return bridge(model, base_model, p, optimizer=optimizer, base=base, delta_model=delta_model,
                  initialize=initialize, generator=generator)
