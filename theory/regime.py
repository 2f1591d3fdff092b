"""The regime of an infinite-width limit: one enum for every verb.

Values are the strings the project has always printed and written to JSON, and ``Regime`` is a
:class:`enum.StrEnum`, so ``Regime.KERNEL == "kernel"`` and ``json.dumps`` writes ``"kernel"``.

With :math:`n` the width, :math:`t` a fixed number of steps, :math:`h^l_t, x^l_t` the
pre-activations and activations of layer :math:`l \\le L` and :math:`f_t` the output (sizes of a
typical coordinate), the regimes partition every parametrization, optimizer and activation:

* ``unstable`` -- not stable: some :math:`h^l_t`, :math:`x^l_t` or :math:`f_t` grows with
  :math:`n` at init or during training (TP4, Yang & Hu 2021, arXiv:2011.14522, Def. of stability
  in Sec. 3 and Thm 3.3 for abc-parametrizations; TP IVb, Yang & Littwin 2023, arXiv:2308.01814,
  Thm 2.8.12 for entrywise optimizers).  Degenerate initializations (some :math:`h^l_0 \\to 0`,
  as in Golikov's mean-field scaling at depth >= 2, Golikov 2020, arXiv:2003.05884) are not
  unstable by themselves: the engine follows them as data.
* ``trivial`` -- stable and :math:`f_t - f_0 \\to 0` at every step: the function does not move
  in the limit (TP4 Thm 3.4 is the condition for the opposite, nontriviality; TP IVb Thm 2.8.15).
* ``feature_learning`` -- stable, nontrivial, and the features move:
  :math:`x^l_t - x^l_0 = \\Theta(1)` for some layer and step (TP4 Def. of feature learning and
  Thm 3.6: for SGD-type training iff :math:`r = 0`; TP IVb Thm 2.8.19 for entrywise
  optimizers).  Golikov's mean-field limit is a feature-learning limit in this sense.
* ``kernel`` -- stable, nontrivial, no feature learning, SGD-type optimizer: the output evolves by
  a fixed kernel, :math:`f_{t+1} = f_t - \\eta K(\\cdot, \\xi_t)\\mathcal L'(f_t(\\xi_t), y_t)`
  (TP4 Def. of the kernel regime, Thm 3.8 / Cor. 3.9: iff :math:`r > 0`).  Golikov's NTK limit
  is a kernel limit in this sense.
* ``operator`` -- the same for entrywise optimizers (Adam, RMSProp, signSGD): the output evolves
  by a fixed, possibly nonlinear operator, :math:`f_{t+1} - f_t - \\eta\\mathcal K(f_t) \\to 0`
  (TP IVb Thm 2.8.19 / Cor. 2.8.20: iff :math:`r > 0`).

The dichotomy (feature learning xor kernel/operator among nontrivial stable limits) is a theorem
for nonlinear activations; for a linear activation the engine still reports ``feature_learning``
when features move Theta(1), and says so in its notes (TP4 Sec. 3, the linear counter-example).
"""

from __future__ import annotations

from enum import StrEnum


class Regime(StrEnum):
    """The regime of a limit (see the module docstring for definitions and sources)."""

    UNSTABLE = "unstable"
    TRIVIAL = "trivial"
    KERNEL = "kernel"
    OPERATOR = "operator"
    FEATURE_LEARNING = "feature_learning"

    @property
    def words(self) -> str:
        """The regime in words, as a headline uses it."""
        return _WORDS[self]

    @property
    def nontrivial(self) -> bool:
        """True for the three regimes of a stable limit whose output moves."""
        return self in (Regime.KERNEL, Regime.OPERATOR, Regime.FEATURE_LEARNING)


_WORDS = {
    Regime.UNSTABLE: "unstable",
    Regime.TRIVIAL: "trivial limit (the output does not move)",
    Regime.KERNEL: "kernel regime (features fixed)",
    Regime.OPERATOR: "operator regime (features fixed)",
    Regime.FEATURE_LEARNING: "feature learning",
}

#: every regime, in the order unstable, trivial, kernel, operator, feature_learning
REGIMES = tuple(Regime)
