"""Put a parametrization's numbers into a PyTorch model: init, forward multipliers, optimizer.

:func:`bridge` classifies the ``nn.Linear`` layers against a base model
(:mod:`~widthlimits.numerics.torch_bridge.layers`), computes every parameter's numbers at the
model's width (:mod:`~widthlimits.numerics.torch_bridge.scaling`, which states the math and the
base-width convention) and returns a :class:`Bridge` that

1. initializes every parameter: :math:`w^l_0 \\sim \\mathcal N(0, \\sigma_l(n)^2)` (0: zeros),
2. multiplies each layer's output by its multiplier :math:`m_l(n)` through a forward hook
   (:math:`W^l = m_l w^l`; the user's code is not edited, :meth:`Bridge.remove` undoes it),
3. builds ``torch.optim`` parameter groups with the per-parameter learning rate, epsilon
   (Adam, AdamW) and weight decay, and the optimizer itself.

Exponents come in as numbers (any object with ``a, b, c`` and optional ``d``, one value per
``nn.Linear`` in registration order); preset names are resolved by ``widthlimits.torch``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from widthlimits.numerics.numeric_parametrization import as_numeric_parametrization
from widthlimits.numerics.torch_bridge.layers import LayerRole, check_chain, classify_layers
from widthlimits.numerics.torch_bridge.scaling import (
    OPTIMIZER_FAMILY,
    BaseHyperparameters,
    BridgeError,
    Exponents,
    ParameterScaling,
    bias_exponents,
    check_optimizer,
    scale_parameter,
)


@dataclass(eq=False)
class Bridge:
    """A model with its parametrization's numbers attached (see :func:`bridge`).

    Attributes
    ----------
    model : torch.nn.Module
    layers : tuple of LayerRole
    scalings : tuple of ParameterScaling
        One per parameter (``"<layer>.weight"``, ``"<layer>.bias"``).
    optimizer_name : {"sgd", "adam", "adamw"}
    """

    model: Any
    layers: tuple[LayerRole, ...]
    scalings: tuple[ParameterScaling, ...]
    optimizer_name: str
    handles: list[Any] = field(default_factory=list, repr=False)

    def scaling(self, name: str) -> ParameterScaling:
        for s in self.scalings:
            if s.name == name:
                return s
        raise KeyError(f"no parameter {name!r}; have {', '.join(s.name for s in self.scalings)}")

    def multiplier(self, layer: str) -> float:
        return self.scaling(param_name(layer, "weight")).multiplier

    def initialize(self, generator: Any = None) -> None:
        """Draw every parameter: normal with the std of its scaling (zeros for std 0)."""
        import torch

        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for s in self.scalings:
                p = params[s.name]
                if s.init_std == 0.0:
                    p.zero_()
                else:
                    p.normal_(0.0, s.init_std, generator=generator)

    def attach_multipliers(self) -> None:
        """Forward hooks ``output * m_l`` on every layer whose multiplier is not 1."""
        if self.handles:
            return
        mods = dict(self.model.named_modules())
        for lr in self.layers:
            m = self.multiplier(lr.name)
            if m == 1.0:
                continue
            mod = mods["" if lr.name == "<root>" else lr.name]
            self.handles.append(mod.register_forward_hook(_multiply_hook(m)))

    def remove(self) -> None:
        """Remove the multiplier hooks (the model computes its raw ``w x + b`` again)."""
        for h in self.handles:
            h.remove()
        self.handles.clear()

    def param_groups(self) -> list[dict[str, Any]]:
        """One ``torch.optim`` group per parameter: ``params``, ``lr``, ``weight_decay`` and
        ``eps`` (Adam, AdamW), plus ``name`` for reading them back."""
        params = dict(self.model.named_parameters())
        groups = []
        for s in self.scalings:
            g: dict[str, Any] = {"params": [params[s.name]], "name": s.name, "lr": s.lr,
                                 "weight_decay": s.weight_decay}
            if s.eps is not None:
                g["eps"] = s.eps
            groups.append(g)
        return groups

    def optimizer(self, **kwargs: Any) -> Any:
        """``torch.optim.SGD``, ``Adam`` or ``AdamW`` over :meth:`param_groups`; ``kwargs``
        (``momentum``, ``betas``, ...) go to the constructor."""
        import torch

        cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam,
               "adamw": torch.optim.AdamW}[self.optimizer_name]
        for k in ("lr", "eps", "weight_decay"):
            if k in kwargs:
                raise BridgeError(f"`{k}` is set per parameter by the bridge; give the base value "
                                  "to the bridge instead")
        return cls(self.param_groups(), **kwargs)

    def rows(self) -> list[dict[str, Any]]:
        return [s.as_row() for s in self.scalings]


def param_name(layer: str, kind: str) -> str:
    """The name ``named_parameters`` gives a layer's weight or bias."""
    return kind if layer == "<root>" else f"{layer}.{kind}"


def _multiply_hook(m: float) -> Any:
    def hook(module: Any, inputs: Any, output: Any) -> Any:
        return output * m

    return hook


def layer_exponents(param: Any, roles: list[LayerRole]) -> list[Exponents]:
    """Per-layer exponents from a parametrization-like object with one value per layer."""
    p = as_numeric_parametrization(param)
    if p.n_layers != len(roles):
        raise BridgeError(f"the parametrization has {p.n_layers} layers but the model has "
                          f"{len(roles)} nn.Linear layers ({', '.join(r.name for r in roles)})")
    check_chain(roles)
    d = p.d
    return [Exponents(p.a[i], p.b[i], p.c[i], None if d is None else d[i])
            for i in range(len(roles))]


def scalings_for(roles: list[LayerRole], exps: list[Exponents], base: BaseHyperparameters,
                 optimizer: str) -> list[ParameterScaling]:
    """Every parameter's numbers (weights with the layer's exponents, biases as the module
    docstring of :mod:`~widthlimits.numerics.torch_bridge.scaling` says)."""
    opt = check_optimizer(optimizer)
    family = OPTIMIZER_FAMILY[opt]
    first_input = next((e for r, e in zip(roles, exps, strict=True) if r.role == "input"), None)
    out = []
    for r, e in zip(roles, exps, strict=True):
        out.append(scale_parameter(param_name(r.name, "weight"), r.name, r.role, "weight", e,
                                   r.width_ratio, r.base_fan_in, base, opt))
        if r.has_bias:
            if first_input is None and r.role != "readout":
                raise BridgeError(f"layer {r.name!r}: its bias is scaled like the input layer, "
                                  "but the model has no input layer")
            be = bias_exponents(e, first_input or e, r.role, family)
            out.append(scale_parameter(param_name(r.name, "bias"), r.name, r.role, "bias", be,
                                       r.width_ratio, 1, base, opt))
    for s in out:
        for v in (s.multiplier, s.init_std, s.lr):
            if not math.isfinite(v):
                raise BridgeError(f"layer {s.layer!r}: {s.name} gets a non-finite number ({v})")
    return out


def bridge(model: Any, base_model: Any, param: Any, *, optimizer: str = "adam",
           base: BaseHyperparameters | None = None, delta_model: Any = None,
           initialize: bool = True, generator: Any = None) -> Bridge:
    """Attach a parametrization to ``model`` (module docstring); returns the :class:`Bridge`.

    Parameters
    ----------
    model, base_model : torch.nn.Module
        The model at the target width and the same architecture at the base width.
    param : object with ``a, b, c`` (and ``d``)
        One exponent per ``nn.Linear``, in registration order (input, hidden..., readout).
    optimizer : {"sgd", "adam", "adamw"}
    base : BaseHyperparameters
        Hyperparameters tuned at the base width (default ``BaseHyperparameters()``).
    delta_model : torch.nn.Module, optional
        A third width, to tell growing dimensions apart when ``model`` is at the base width.
    initialize : bool
        Draw the parameters now (with ``generator``); ``False`` keeps the current values.
    """
    base = base if base is not None else BaseHyperparameters()
    roles = classify_layers(model, base_model, delta_model)
    exps = layer_exponents(param, roles)
    opt = check_optimizer(optimizer)
    b = Bridge(model, tuple(roles), tuple(scalings_for(roles, exps, base, opt)), opt)
    if initialize:
        b.initialize(generator)
    b.attach_multipliers()
    return b
