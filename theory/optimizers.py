"""Optimizers as exponent rules.

Two families (TP IVb Sec. 2.1):

* **SGD-type** (``sgd``, ``momentum``): the update is the learning rate times the (accumulated)
  gradient, :math:`\\Delta w = -\\eta n^{-c} n^{d} g`; exponents add, momentum only re-weights
  past gradients by width-independent constants.
* **Entrywise-normalized** (``adam``, ``rmsprop``, ``signsgd``): :math:`\\Delta w = -\\eta n^{-c}
  Q(n^{d} g)` with :math:`Q` normalizing each entry.  With :math:`\\epsilon` negligible (no ``d``)
  the update is scale invariant: the entry of the step-s update is
  :math:`\\Theta(n^{G_s - N_s})` where :math:`G_s` is the exponent of :math:`n^{d} g_s` and the
  normalizer :math:`N_s` is :math:`G_s` for memoryless signSGD and :math:`\\max_{s' \\le s}
  G_{s'}` for RMSProp/Adam, whose second-moment estimate remembers earlier, larger gradients.
  With :math:`\\epsilon` present (``d`` given, :math:`\\epsilon` scaled as :math:`n^{-d}`, TP IVb
  Remark 2.2.6) the normalizer is :math:`\\max(0, \\cdot)`: small gradients pass linearly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Optimizer:
    name: str
    entrywise: bool
    #: normalizer memory: "none" (signSGD), "max" (RMSProp/Adam second moment)
    memory: str = "none"

    @property
    def family(self) -> str:
        return "entrywise" if self.entrywise else "sgd"


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer("sgd", entrywise=False),
    "momentum": Optimizer("momentum", entrywise=False),
    "adam": Optimizer("adam", entrywise=True, memory="max"),
    "rmsprop": Optimizer("rmsprop", entrywise=True, memory="max"),
    "signsgd": Optimizer("signsgd", entrywise=True, memory="none"),
}
#: aliases accepted on input
_ALIASES = {"gd": "sgd", "sign": "signsgd", "signsgd": "signsgd", "rms": "rmsprop"}


def get_optimizer(name: str | Optimizer) -> Optimizer:
    if isinstance(name, Optimizer):
        return name
    key = _ALIASES.get(name.lower(), name.lower())
    try:
        return OPTIMIZERS[key]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}"
        ) from None
