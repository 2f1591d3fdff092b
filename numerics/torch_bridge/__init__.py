"""The numbers of the PyTorch bridge: per-parameter init std, multiplier, learning rate,
epsilon and weight decay at a target width from a base width (:mod:`.scaling`, no torch), the
layer roles by shapes against a base model (:mod:`.layers`), their application to a model
(:mod:`.apply`) and the coord-check recorder (:mod:`.recording`).  Users import
``widthlimits.torch``, which resolves preset names with the engine.

Only :mod:`.scaling` is imported here, so ``widthlimits torch-lr`` runs without torch.
"""

from widthlimits.numerics.torch_bridge.scaling import (
    ROLES,
    BaseHyperparameters,
    BridgeError,
    Exponents,
    ParameterScaling,
    scale_parameter,
)

__all__ = ["ROLES", "BaseHyperparameters", "BridgeError", "Exponents", "ParameterScaling",
           "scale_parameter"]
