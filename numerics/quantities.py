"""Names of the measured quantities (they match the symbolic engine's names exactly).

Per step :math:`t = 0..T` and layer :math:`l` (``L`` hidden layers, weight layers ``1..L+1``):

==========================  ===========  =========================================================
name                        layers       RMS of
==========================  ===========  =========================================================
``h``                       1..L         :math:`h^l_t`
``x``                       1..L         :math:`x^l_t = \\phi(h^l_t)`
``dh``                      1..L         :math:`h^l_t - h^l_0`
``dx``                      1..L         :math:`x^l_t - x^l_0`
``g``                       1..L         :math:`\\partial f_t/\\partial h^l_t` (output, not loss)
``grad``                    1..L+1       entries of :math:`\\partial\\mathcal L/\\partial w^l` at t
``dW``                      1..L+1       entries of :math:`W^l_{t+1} - W^l_t` (effective W)
``dWx``                     1..L+1       :math:`(W^l_t - W^l_0)\\, x^{l-1}_t` (:math:`x^0` = input)
``W0dx``                    2..L+1       :math:`W^l_0\\,(x^{l-1}_t - x^{l-1}_0)`
``f``                       None         :math:`f_t`
``df``                      None         :math:`f_t - f_0`
``df_step``                 None         :math:`f_{t+1} - f_t` (t = 0..T-1)
``feature_kernel_change``   None         :math:`\\|K_t - K_0\\|_F / \\|K_0\\|_F`, :math:`K = x^L x^{L\\top}/n`
``tangent_kernel_change``   None         same for the empirical tangent kernel over the batch
==========================  ===========  =========================================================

Vectors are RMS over coordinates and batch; matrices RMS over entries; one value per seed.
``dW`` and ``df_step`` are NaN at the last step ``T``.
"""

from __future__ import annotations

from collections.abc import Iterable

QUANTITY_NAMES: tuple[str, ...] = (
    "h", "x", "dh", "dx", "g", "grad", "dW", "dWx", "W0dx",
    "f", "df", "df_step", "feature_kernel_change", "tangent_kernel_change",
)
#: quantities the symbolic engine has no prediction for
NUMERIC_ONLY: frozenset[str] = frozenset({"feature_kernel_change", "tangent_kernel_change"})

QuantityKey = tuple[str, int | None]


def layers_of(name: str, depth: int) -> tuple[int | None, ...]:
    """Layers at which quantity ``name`` is defined for ``depth`` hidden layers."""
    if name in ("h", "x", "dh", "dx", "g"):
        return tuple(range(1, depth + 1))
    if name in ("grad", "dW", "dWx"):
        return tuple(range(1, depth + 2))
    if name == "W0dx":
        return tuple(range(2, depth + 2))
    if name in ("f", "df", "df_step", "feature_kernel_change", "tangent_kernel_change"):
        return (None,)
    raise ValueError(f"unknown quantity {name!r}; choose one of {', '.join(QUANTITY_NAMES)}")


def check_quantities(names: Iterable[str] | None) -> tuple[str, ...]:
    """Validate a selection of quantity names (``None`` = all), in canonical order."""
    if names is None:
        return QUANTITY_NAMES
    if isinstance(names, str):
        names = [names]
    chosen = set()
    for nm in names:
        if nm not in QUANTITY_NAMES:
            raise ValueError(
                f"unknown quantity {nm!r}; choose one of {', '.join(QUANTITY_NAMES)}"
            )
        chosen.add(nm)
    return tuple(q for q in QUANTITY_NAMES if q in chosen)


def quantity_keys(names: Iterable[str], depth: int) -> tuple[QuantityKey, ...]:
    """All ``(name, layer)`` pairs for the selected names."""
    return tuple((nm, layer) for nm in names for layer in layers_of(nm, depth))


def key_to_str(key: QuantityKey) -> str:
    """``("dh", 2)`` -> ``"dh:2"``, ``("f", None)`` -> ``"f"``."""
    name, layer = key
    return name if layer is None else f"{name}:{layer}"


def str_to_key(text: str) -> QuantityKey:
    name, _, layer = text.partition(":")
    return (name, int(layer) if layer else None)
