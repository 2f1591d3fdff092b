"""Classification of the infinite-width limit from the engine's exponents.

Definitions (TP4 Sec. 3; TP IVb Sec. 2.8; Golikov 2020), applied to the engine's exponents over
all steps it computed (which, when ``stationary_from`` is set, covers every later step too):

* **stable at init**: :math:`h^l_0, x^l_0 = O(1)` for every layer and :math:`f_0 = O(1)`;
* **degenerate at init**: some :math:`h^l_0 \\to 0` (the forward signal vanishes from that layer);
* **stable**: :math:`h^l_t, x^l_t, f_t = O(1)` at every step;
* **nontrivial**: stable and :math:`f_t - f_0 = \\Theta(1)` at some step;
* **trivial**: stable and :math:`f_t - f_0 \\to 0` at every step;
* **feature learning in layer l**: :math:`x^l_t - x^l_0 = \\Theta(1)` at some step;
* **maximal update of layer l**: :math:`(W^l_t - W^l_0)x^{l-1}_t = \\Theta(1)` (TP4 Prop. 5.3/5.5);
* **regime**: ``unstable``, ``trivial``, ``feature_learning`` (nontrivial with feature learning),
  otherwise ``kernel`` (SGD-type; TP4 Thm 3.8) or ``operator`` (entrywise; TP IVb Thm 2.8.19);
* :math:`r` with :math:`x^L_t - x^L_0 = \\Theta(n^{-r})` (TP4 Def. 3.2);
* **discrete time**: the per-step output change :math:`f_{t+1} - f_t = \\Theta(n^{e})` in the
  stationary regime; e = 0 is a discrete-time limit, e < 0 needs :math:`t = n^{-e}\\tau` steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from widthlimits.theory.activations import Activation
from widthlimits.theory.closed_forms import ClosedFormResult, closed_form
from widthlimits.theory.engine import EngineResult, derive
from widthlimits.theory.exponents import Exponent, fmt, is_neg_inf
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization

REGIMES = ("unstable", "trivial", "kernel", "operator", "feature_learning")

_MEANING = {
    "h": "pre-activation blows up",
    "x": "activation blows up",
    "f": "output blows up",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """A negative verdict's evidence: ``quantity`` at ``layer``/``step`` has exponent
    ``exponent``, violating ``condition``."""

    quantity: str
    layer: int | None
    step: int
    exponent: Exponent
    condition: str
    meaning: str

    def __str__(self) -> str:
        where = f"{self.quantity}" + (f"^{self.layer}" if self.layer is not None else "")
        return (f"{where}_{self.step} = Theta(n^{fmt(self.exponent)}): violates "
                f"{self.condition} ({self.meaning})")

    def as_dict(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "layer": self.layer, "step": self.step,
                "exponent": fmt(self.exponent), "condition": self.condition,
                "meaning": self.meaning, "text": str(self)}


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`.  ``to_json()`` gives the stable CLI schema."""

    regime: str
    stable: bool
    stable_at_init: bool
    degenerate_at_init: bool
    degenerate_layers: tuple[int, ...]
    nontrivial: bool
    feature_learning_layers: tuple[int, ...]
    maximal_update_layers: tuple[int, ...]
    r: Exponent | None
    step_change_exponent: Exponent | None
    discrete_time: bool | None
    time_rescaling: Exponent | None
    first_nontrivial_step: int | None
    violations: tuple[Violation, ...]
    binding: tuple[str, ...]
    notes: tuple[str, ...]
    engine: EngineResult = field(repr=False)
    closed_form: ClosedFormResult | None = field(repr=False, default=None)

    @property
    def parametrization(self) -> Parametrization:
        return self.engine.parametrization

    def to_json(self) -> dict[str, Any]:
        e = self.engine
        out: dict[str, Any] = {
            "schema": "widthlimits.classify/1",
            "parametrization": e.parametrization.as_dict(),
            "depth": e.depth,
            "optimizer": e.optimizer.name,
            "activation": e.activation.name,
            "loss": e.loss,
            "regime": self.regime,
            "stable": self.stable,
            "stable_at_init": self.stable_at_init,
            "degenerate_at_init": self.degenerate_at_init,
            "degenerate_layers": list(self.degenerate_layers),
            "nontrivial": self.nontrivial,
            "feature_learning_layers": list(self.feature_learning_layers),
            "maximal_update_layers": list(self.maximal_update_layers),
            "r": fmt(self.r) if self.r is not None else None,
            "step_change_exponent": fmt(self.step_change_exponent),
            "discrete_time": self.discrete_time,
            "time_rescaling": fmt(self.time_rescaling),
            "first_nontrivial_step": self.first_nontrivial_step,
            "violations": [v.as_dict() for v in self.violations],
            "binding": list(self.binding),
            "notes": list(self.notes),
            "steps": e.steps,
            "stationary_from": e.stationary_from,
            "exponents": e.as_rows(),
        }
        cf = self.closed_form
        if cf is not None and cf.applies:
            out["closed_form"] = {
                "theorem": cf.theorem, "regime": cf.regime, "stable": cf.stable,
                "nontrivial": cf.nontrivial, "r": fmt(cf.r),
                "conditions": [{"condition": n, "lhs": fmt(lhs), "relation": rel,
                                "rhs": fmt(rhs), "holds": h} for n, lhs, rel, rhs, h in cf.conditions],
                "agrees_with_engine": cf.regime == self.regime,
            }
        return out


def _pos(e: Exponent) -> bool:
    return not is_neg_inf(e) and e > 0


def _zero(e: Exponent) -> bool:
    return not is_neg_inf(e) and e == 0


def classify_result(res: EngineResult) -> Classification:
    """Classify an :class:`EngineResult` (numeric exponents)."""
    if res.parametrization.is_symbolic():
        raise ValueError("classification needs numeric exponents; for symbolic exponents use "
                         "widthlimits.theory.conditions")
    L = res.depth
    ex = res.exponents
    T = res.steps
    violations: list[Violation] = []
    seen: set[tuple[str, int | None]] = set()

    def check(q: str, layer: int | None, t: int) -> None:
        e = ex[(q, layer, t)]
        if _pos(e) and (q, layer) not in seen:
            seen.add((q, layer))
            violations.append(Violation(q, layer, t, e, f"e({q}) <= 0", _MEANING[q]))

    for l in range(1, L + 1):
        check("h", l, 0)
        check("x", l, 0)
    check("f", None, 0)
    stable_at_init = not violations
    degenerate = tuple(l for l in range(1, L + 1) if ex[("h", l, 0)] < 0)
    for t in range(1, T + 1):
        for l in range(1, L + 1):
            check("h", l, t)
            check("x", l, t)
        check("f", None, t)
    # a blow-up of the per-step change is an instability even if no step computed shows it yet
    last = ex[("df_step", None, T)]
    if _pos(last) and not violations:
        violations.append(Violation("df_step", None, T, last, "e(f_{t+1} - f_t) <= 0",
                                    "the per-step output change blows up"))
    stable = not violations
    df = [ex[("df", None, t)] for t in range(T + 1)]
    first_nt = next((t for t in range(1, T + 1) if _zero(df[t])), None)
    nontrivial = stable and first_nt is not None
    fl = tuple(l for l in range(1, L + 1) if any(_zero(ex[("dx", l, t)]) for t in range(1, T + 1)))
    mu = tuple(l for l in range(1, L + 2) if any(_zero(ex[("dWx", l, t)]) for t in range(1, T + 1)))
    dxL = [ex[("dx", L, t)] for t in range(1, T + 1)]
    r: Exponent | None = None
    if dxL and not is_neg_inf(max(dxL)):
        r = -max(dxL)
    step_e = ex[("df_step", None, T)]
    if is_neg_inf(step_e):
        discrete, resc = None, None
    else:
        discrete = step_e == 0
        resc = -step_e if step_e < 0 else None
    if not stable:
        regime = "unstable"
    elif not nontrivial:
        regime = "trivial"
    elif fl:
        regime = "feature_learning"
    else:
        regime = "operator" if res.optimizer.entrywise else "kernel"
    binding: list[str] = []
    if stable:
        if _zero(ex[("dWx", L + 1, T)]):
            binding.append("readout updated maximally: (W^{L+1}_t - W^{L+1}_0) x^L_t = Theta(1)")
        if _zero(ex[("W0dx", L + 1, T)]):
            binding.append("readout initialized maximally: W^{L+1}_0 dx^L_t = Theta(1)")
        if _zero(ex[("f", None, 0)]):
            binding.append("output Theta(1) at init")
        for l in fl:
            binding.append(f"features of layer {l} move Theta(1)")
    notes: list[str] = []
    if res.activation.linear:
        notes.append("linear activation: the dynamical dichotomy (TP4 Thm 3.6, TP IVb Thm 2.8.19) "
                     "does not apply; 'feature learning' here means features move Theta(1)")
    if res.stationary_from is None and stable:
        notes.append(f"exponents not stationary after {T} steps; verdict holds for steps 0..{T}")
    if degenerate:
        notes.append(f"degenerate at init: h^l_0 -> 0 for layers {list(degenerate)}")
    if nontrivial and first_nt is not None and first_nt > 1:
        notes.append(f"f_t - f_0 becomes Theta(1) only at step {first_nt} "
                     "(each step lifts degenerate layers)")
    cf = closed_form(res.parametrization, res.optimizer)
    return Classification(
        regime=regime, stable=stable, stable_at_init=stable_at_init,
        degenerate_at_init=bool(degenerate), degenerate_layers=degenerate,
        nontrivial=nontrivial, feature_learning_layers=fl, maximal_update_layers=mu, r=r,
        step_change_exponent=step_e, discrete_time=discrete if stable else None,
        time_rescaling=resc if stable else None, first_nontrivial_step=first_nt,
        violations=tuple(violations), binding=tuple(binding), notes=tuple(notes), engine=res,
        closed_form=cf,
    )


def classify(
    parametrization: Parametrization,
    optimizer: str | Optimizer = "sgd",
    activation: str | Activation = "tanh",
    *,
    loss: str = "mse",
    steps: int | None = None,
) -> Classification:
    """Derive the exponents and classify the limit.

    Examples
    --------
    >>> from widthlimits.theory import preset
    >>> classify(preset("mup", 3, "sgd")).regime
    'feature_learning'
    >>> classify(preset("ntp", 3, "sgd")).regime
    'kernel'
    """
    return classify_result(
        derive(parametrization, optimizer, activation, loss=loss, steps=steps, trace=False)
    )
