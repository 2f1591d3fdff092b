"""What a simulation returns: RMS sizes of the measured quantities per seed and step.

:class:`Measurements` holds one width's numbers: ``values`` of shape
``(quantities, seeds, steps + 1)``, the training loss, and the reference sizes used to flag
differences below floating-point resolution; :class:`Divergence` records a seed whose run
overflowed or produced NaN.  :meth:`Measurements.to_arrays` and :meth:`Measurements.from_arrays`
convert to and from plain arrays (the result store's ``.npz`` files, no pickle),
:meth:`Measurements.tidy` gives the long coord-check table of microsoft/mup, and
:meth:`Measurements.concatenate` joins seed groups.  Produced by
:func:`~widthlimits.numerics.simulator.simulate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from widthlimits.numerics.quantities import QuantityKey, key_to_str, str_to_key

Array = np.ndarray


@dataclass(frozen=True)
class Divergence:
    """A seed whose run overflowed or produced NaN.

    Attributes
    ----------
    seed, step, width : int
        The weight seed, the first step ``t`` with a non-finite measurement, and the width.
    """

    seed: int
    step: int
    width: int

    @property
    def message(self) -> str:
        return f"diverged at step {self.step}, width {self.width} (seed {self.seed})"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, eq=False)
class Measurements:
    """RMS sizes of every measured quantity at one width, per seed and step.

    Attributes
    ----------
    width : int
    seeds : tuple of int
    steps : int
        ``T``; arrays have ``T + 1`` columns (``t = 0..T``).
    keys : tuple of (str, int or None)
        ``(name, layer)`` of each row of ``values`` (see ``widthlimits.numerics.quantities``).
    values : ndarray, shape (len(keys), len(seeds), steps + 1), float64
        RMS values; NaN where undefined (``dW``/``df_step`` at ``t = T``) or after divergence.
    loss : ndarray, shape (len(seeds), steps + 1)
        Training loss on the whole data set at each step.
    reference : ndarray, same shape as ``values``
        RMS of the operands a difference quantity was computed from (``h`` for ``dh``, ...),
        used to flag values below floating-point resolution; NaN for non-differences.
    diverged : tuple of Divergence
    dtype : str
    seconds : float
        Wall time of the simulation.
    """

    width: int
    seeds: tuple[int, ...]
    steps: int
    keys: tuple[QuantityKey, ...]
    values: Array
    loss: Array
    reference: Array
    diverged: tuple[Divergence, ...] = ()
    dtype: str = "float32"
    seconds: float = 0.0

    def index(self, name: str, layer: int | None = None) -> int:
        try:
            return self.keys.index((name, layer))
        except ValueError:
            raise KeyError(
                f"quantity {key_to_str((name, layer))!r} was not measured; available: "
                f"{', '.join(key_to_str(k) for k in self.keys)}"
            ) from None

    def get(self, name: str, layer: int | None = None) -> Array:
        """Array ``(seeds, steps + 1)`` of quantity ``name`` at ``layer``."""
        return self.values[self.index(name, layer)]

    def tidy(self) -> list[dict[str, Any]]:
        """Long table rows ``{width, name, layer, step, seed, value}`` (mup's coord-check
        format: microsoft/mup, mup/coord_check.py, ``get_coord_data``)."""
        rows = []
        for k, (name, layer) in enumerate(self.keys):
            for i, seed in enumerate(self.seeds):
                for t in range(self.steps + 1):
                    rows.append({"width": self.width, "name": name, "layer": layer, "step": t,
                                 "seed": seed, "value": float(self.values[k, i, t])})
        return rows

    def to_arrays(self) -> dict[str, Array]:
        """Plain arrays for ``np.savez`` (no object arrays, so no pickle on load)."""
        div = np.array([[d.seed, d.step, d.width] for d in self.diverged], dtype=np.int64)
        return {
            "width": np.array(self.width, dtype=np.int64),
            "seeds": np.array(self.seeds, dtype=np.int64),
            "steps": np.array(self.steps, dtype=np.int64),
            "keys": np.array([key_to_str(k) for k in self.keys], dtype=np.str_),
            "values": self.values,
            "loss": self.loss,
            "reference": self.reference,
            "diverged": div.reshape(-1, 3),
            "dtype": np.array(self.dtype, dtype=np.str_),
            "seconds": np.array(self.seconds, dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, a: Any) -> Measurements:
        return cls(
            width=int(a["width"]),
            seeds=tuple(int(s) for s in a["seeds"]),
            steps=int(a["steps"]),
            keys=tuple(str_to_key(str(k)) for k in a["keys"]),
            values=np.asarray(a["values"], dtype=np.float64),
            loss=np.asarray(a["loss"], dtype=np.float64),
            reference=np.asarray(a["reference"], dtype=np.float64),
            diverged=tuple(Divergence(int(s), int(t), int(w)) for s, t, w in a["diverged"]),
            dtype=str(a["dtype"]),
            seconds=float(a["seconds"]),
        )

    @staticmethod
    def concatenate(parts: Sequence[Measurements]) -> Measurements:
        """Join measurements of disjoint seed groups at the same width."""
        first = parts[0]
        for p in parts[1:]:
            if p.width != first.width or p.keys != first.keys or p.steps != first.steps:
                raise ValueError("can only concatenate measurements of the same width/quantities")
        return Measurements(
            width=first.width,
            seeds=tuple(s for p in parts for s in p.seeds),
            steps=first.steps,
            keys=first.keys,
            values=np.concatenate([p.values for p in parts], axis=1),
            loss=np.concatenate([p.loss for p in parts], axis=0),
            reference=np.concatenate([p.reference for p in parts], axis=1),
            diverged=tuple(d for p in parts for d in p.diverged),
            dtype=first.dtype,
            seconds=sum(p.seconds for p in parts),
        )


__all__ = ["Divergence", "Measurements"]
