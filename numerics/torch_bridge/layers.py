"""Which ``nn.Linear`` layers of a model are input, hidden or readout layers.

As ``mup``'s base shapes (Yang et al. 2022, TP5, arXiv:2203.03466, App. J; ``mup.set_base_shapes``):
a dimension of a weight is *infinite* (grows with width) when it differs between the model and
a base model of another width (or, given a ``delta`` model, between the base and the delta
model).  A weight ``(fan_out, fan_in)`` is

* **input** when only its fan-out grows (width ratio ``fan_out / base_fan_out``),
* **hidden** when both grow (width ratio ``fan_in / base_fan_in``, as ``mup``),
* **readout** when only its fan-in grows (width ratio ``fan_in / base_fan_in``).

A weight with no growing dimension cannot be classified; it is an error naming the layer, and
so is a model with no ``nn.Linear``, a layer present in one model only, and a module with
parameters of its own that is not an ``nn.Linear`` (the bridge handles ``nn.Linear`` only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from widthlimits.numerics.torch_bridge.scaling import BridgeError


@dataclass(frozen=True)
class LayerRole:
    """One ``nn.Linear`` of the model with its role.

    Attributes
    ----------
    name : str
        The module's name in ``model.named_modules()``.
    role : {"input", "hidden", "readout"}
    shape, base_shape : (int, int)
        ``(fan_out, fan_in)`` in the model and in the base model.
    width_ratio : float
        ``n / n0`` of this layer.
    has_bias : bool
    """

    name: str
    role: str
    shape: tuple[int, int]
    base_shape: tuple[int, int]
    width_ratio: float
    has_bias: bool

    @property
    def base_fan_in(self) -> int:
        return self.base_shape[1]


def linear_layers(model: Any, what: str = "model") -> list[tuple[str, Any]]:
    """``(name, module)`` of every ``nn.Linear`` in registration order; errors for a model
    without one and for other modules that hold parameters of their own."""
    import torch.nn as nn

    out = []
    for name, mod in model.named_modules():
        own = list(mod.parameters(recurse=False))
        if isinstance(mod, nn.Linear):
            out.append((name or "<root>", mod))
        elif own:
            raise BridgeError(f"layer {name or '<root>'!r} ({type(mod).__name__}) has parameters but "
                              "is not an nn.Linear; the bridge handles nn.Linear layers only")
    if not out:
        raise BridgeError(f"the {what} ({type(model).__name__}) has no nn.Linear layer")
    return out


def _shape(mod: Any) -> tuple[int, int]:
    return int(mod.weight.shape[0]), int(mod.weight.shape[1])


def classify_layers(model: Any, base: Any, delta: Any = None) -> list[LayerRole]:
    """Roles of the model's ``nn.Linear`` layers against a base model (and optional delta
    model), in registration order (module docstring)."""
    layers = linear_layers(model)
    base_layers = dict(linear_layers(base, "base model"))
    delta_layers = dict(linear_layers(delta, "delta model")) if delta is not None else None
    names = [n for n, _ in layers]
    for other, label in ((base_layers, "base model"), (delta_layers, "delta model")):
        if other is None:
            continue
        for n in names:
            if n not in other:
                raise BridgeError(f"layer {n!r} is in the model but not in the {label}")
        for n in other:
            if n not in names:
                raise BridgeError(f"layer {n!r} is in the {label} but not in the model")
    out = []
    for name, mod in layers:
        shape, bshape = _shape(mod), _shape(base_layers[name])
        has_bias = mod.bias is not None
        if (base_layers[name].bias is not None) != has_bias:
            raise BridgeError(f"layer {name!r}: the model and the base model differ in having a bias")
        ref = bshape if delta_layers is None else _shape(delta_layers[name])
        grows = tuple(bshape[i] != ref[i] for i in (0, 1)) if delta_layers is not None else \
            tuple(shape[i] != bshape[i] for i in (0, 1))
        if delta_layers is not None:
            for i, g in enumerate(grows):
                if not g and shape[i] != bshape[i]:
                    raise BridgeError(
                        f"layer {name!r}: shape {shape} does not match the base shape {bshape} "
                        f"(dimension {i} is fixed between base and delta but differs here)")
        out_inf, in_inf = grows
        if not out_inf and not in_inf:
            if delta_layers is None and all(_shape(m) == _shape(base_layers[n]) for n, m in layers):
                raise BridgeError(
                    f"layer {name!r}: every shape equals the base model's, so its role (input, "
                    "hidden or readout) is ambiguous; give a base model of another width or a "
                    "delta model")
            raise BridgeError(f"layer {name!r} (Linear {shape[1]} -> {shape[0]}): no dimension "
                              "grows with width, the bridge cannot classify it as input, hidden "
                              "or readout")
        if in_inf and out_inf:
            role, ratio = "hidden", shape[1] / bshape[1]
        elif out_inf:
            role, ratio = "input", shape[0] / bshape[0]
        else:
            role, ratio = "readout", shape[1] / bshape[1]
        out.append(LayerRole(name, role, shape, bshape, ratio, has_bias))
    return out


def check_chain(roles: list[LayerRole]) -> None:
    """Per-layer exponents are given in registration order: input, hidden..., readout."""
    for i, lr in enumerate(roles):
        want = "input" if i == 0 else "readout" if i == len(roles) - 1 else "hidden"
        if lr.role != want:
            raise BridgeError(f"layer {lr.name!r} is a {lr.role} layer by its shapes but position "
                              f"{i + 1} of {len(roles)} in registration order needs a {want} layer "
                              "(per-layer exponents run input, hidden..., readout)")
