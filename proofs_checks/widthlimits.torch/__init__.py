"""The PyTorch bridge: a parametrization (preset name or exact exponents) and hyperparameters
tuned at a base width, turned into the init, forward multipliers and ``torch.optim`` parameter
groups of a user's ``nn.Module`` at any width (:func:`parametrize`), and the coord check of the
user's own module with the engine's predicted exponents and verdicts (:func:`coordcheck`).

Needs the optional extra: ``pip install 'widthlimits[torch]'``.  The numbers live in
``widthlimits.numerics.torch_bridge``; this package composes them with the engine.
"""

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("widthlimits.torch needs PyTorch: pip install 'widthlimits[torch]'") from exc

from widthlimits.numerics.torch_bridge.apply import Bridge
from widthlimits.numerics.torch_bridge.scaling import BaseHyperparameters, BridgeError
from widthlimits.torch.bridge import parametrize, resolve_parametrization
from widthlimits.torch.coordcheck import Flag, TorchCoordCheck, coordcheck

__all__ = ["BaseHyperparameters", "Bridge", "BridgeError", "Flag", "TorchCoordCheck", "coordcheck",
           "parametrize", "resolve_parametrization"]
