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
* **regime** (:class:`~widthlimits.theory.regime.Regime`): ``unstable``, ``trivial``,
  ``feature_learning`` (nontrivial with feature learning), otherwise ``kernel`` (SGD-type; TP4
  Thm 3.8) or ``operator`` (entrywise; TP IVb Thm 2.8.19);
* :math:`r` with :math:`x^L_t - x^L_0 = \\Theta(n^{-r})` (TP4 Def. 3.2);
* **discrete time**: the per-step output change :math:`f_{t+1} - f_t = \\Theta(n^{e})` in the
  stationary regime; e = 0 is a discrete-time limit, e < 0 needs :math:`t = n^{-e}\\tau` steps;
* **degenerate layer** l: :math:`h^l_0 = \\Theta(n^{e_0})`, e_0 < 0, lifted at the first step with
  :math:`h^l_t = \\Theta(1)` (Golikov 2020, arXiv:2003.05884, Sec. 4: mean-field i.i.d.
  initialization at depth >= 2); a network whose degenerate layers are never lifted and whose
  output never moves *fails to move* at step 0.

Feature-learning and maximal-update layers are properties of a limit: an unstable
parametrization has none, and its :class:`Classification` lists none (its exponents are still in
``engine``); its headline names what blows up first.

This module holds the one verdict type of the project: every verb (classify, derive, query, cover,
max-lr, why-not) reports a :class:`Classification`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation
from widthlimits.theory.callable_module import make_callable
from widthlimits.theory.closed_forms import ClosedFormResult, closed_form
from widthlimits.theory.engine import EngineResult, default_horizon, derive
from widthlimits.theory.exponents import Exponent, fmt, is_neg_inf
from widthlimits.theory.optimizers import Optimizer
from widthlimits.theory.parametrization import Parametrization, layer_list
from widthlimits.theory.regime import REGIMES, Regime

__all__ = ["REGIMES", "Classification", "DegenerateLayer", "Regime", "Violation", "classify",
           "classify_result", "display_name", "headline", "layers_noun", "violation_lines"]

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
        return (f"{where}_{self.step} = Theta(n^{{{fmt(self.exponent)}}}): violates "
                f"{self.condition} ({self.meaning})")

    def as_dict(self) -> dict[str, Any]:
        return {"quantity": self.quantity, "layer": self.layer, "step": self.step,
                "exponent": fmt(self.exponent), "condition": self.condition,
                "meaning": self.meaning, "text": str(self)}


def violation_lines(violations: tuple[Violation, ...] | list[Violation]) -> list[str]:
    """The violations as text, those that differ only by their layer (same quantity, step,
    exponent and condition) on one line with the run of layers, e.g. ``h^l_1 = Theta(n^{1/2})
    for layers l = 2-1000: violates e(h) <= 0 (pre-activation blows up)``; a violation alone in
    its group reads as ``str(v)``.  Groups keep the order of their first violation (time order).
    How the text writes a deep net's violations; ``to_json`` keeps one entry per layer."""
    groups: dict[tuple[Any, ...], list[Violation]] = {}
    for i, v in enumerate(violations):
        key = ((v.quantity, v.step, v.exponent, v.condition, v.meaning) if v.layer is not None
               else (i,))
        groups.setdefault(key, []).append(v)
    out = []
    for vs in groups.values():
        v = vs[0]
        if len(vs) == 1:
            out.append(str(v))
            continue
        layers = tuple(sorted(w.layer for w in vs if w.layer is not None))
        out.append(f"{v.quantity}^l_{v.step} = Theta(n^{{{fmt(v.exponent)}}}) for layers "
                   f"l = {layer_list(layers)}: violates {v.condition} ({v.meaning})")
    return out


@dataclass(frozen=True, slots=True)
class DegenerateLayer:
    """A layer whose pre-activation vanishes at init, :math:`h^l_0=\\Theta(n^{e_0})`, e_0 < 0.

    ``lifted_at`` is the first step t with :math:`h^l_t=\\Theta(1)` (None: never, within the
    computed steps, which cover all steps when the exponents are stationary).
    ``update_exponent`` is the entry size of the step-0 update of the layer and
    ``action_exponent`` the size of :math:`(W^l_1-W^l_0)x^{l-1}_1` it produces.
    """

    layer: int
    init_exponent: Exponent
    lifted_at: int | None
    final_exponent: Exponent
    update_exponent: Exponent
    action_exponent: Exponent


@dataclass(frozen=True)
class Classification:
    """The verdict on one parametrization, optimizer and activation: result of :func:`classify`,
    the conclusion of a :class:`~widthlimits.theory.derivation.Derivation`, and what every
    set-valued verb checks its witnesses with.

    ``regime`` is a :class:`~widthlimits.theory.regime.Regime` (a ``str``: it compares equal to
    ``"kernel"`` etc.).  When unstable, ``feature_learning_layers`` and ``maximal_update_layers``
    are empty (there is no limit whose features could move) and ``first_blow_up`` names what blows
    up first.  ``to_json()`` gives the stable CLI schema ``widthlimits.classify/1`` (keys listed
    there; ``headline`` and ``first_blow_up`` were added without removing any).  In a notebook
    the object displays as an HTML table (``_repr_html_``) or as LaTeX (``_repr_latex_``).
    """

    regime: Regime
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
    degenerate: tuple[DegenerateLayer, ...] = ()
    fails_to_move_at: int | None = None

    @property
    def parametrization(self) -> Parametrization:
        return self.engine.parametrization

    @property
    def first_blow_up(self) -> Violation | None:
        """The first violation in time (init, then step 1, 2, ...; layers in order), or None."""
        return self.violations[0] if self.violations else None

    @property
    def binding_by_runs(self) -> tuple[str, ...]:
        """``binding`` as the text writes it: the per-layer lines ``features of layer l move
        Theta(1)`` as one line over runs of layers (``features of layers 1-1000 move
        Theta(1)``); ``binding`` and ``to_json`` keep one line per layer."""
        fl = self.feature_learning_layers
        per_layer = {_features_move((l,)) for l in fl}
        if not fl or not per_layer <= set(self.binding):
            return self.binding
        return (*(b for b in self.binding if b not in per_layer), _features_move(fl))

    @property
    def headline(self) -> str:
        """One line in words, e.g. ``muP, depth 3, Adam: feature learning in every layer,
        discrete-time limit``."""
        return headline(self)

    def _repr_html_(self) -> str:
        from widthlimits.theory.display import classification_html

        return classification_html(self)

    def _repr_latex_(self) -> str:
        from widthlimits.theory.display import classification_latex

        return classification_latex(self)

    def to_json(self) -> dict[str, Any]:
        e = self.engine
        out: dict[str, Any] = {
            "schema": "widthlimits.classify/1",
            "parametrization": e.parametrization.as_dict(),
            "depth": e.depth,
            "optimizer": e.optimizer.name,
            "activation": e.activation.name,
            "loss": e.loss,
            "headline": self.headline,
            "regime": str(self.regime),
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
            "first_blow_up": self.first_blow_up.as_dict() if self.first_blow_up else None,
            "binding": list(self.binding),
            "notes": list(self.notes),
            "steps": e.steps,
            "stationary_from": e.stationary_from,
            "exponents": e.as_rows(),
        }
        cf = self.closed_form
        if cf is not None and cf.applies:
            out["closed_form"] = {
                "theorem": cf.theorem, "regime": str(cf.regime), "stable": cf.stable,
                "nontrivial": cf.nontrivial, "r": fmt(cf.r),
                "conditions": [{"condition": n, "lhs": fmt(lhs), "relation": rel,
                                "rhs": fmt(rhs), "holds": h} for n, lhs, rel, rhs, h in cf.conditions],
                "agrees_with_engine": cf.regime == self.regime if self.closed_form_comparable
                else None,
            }
        return out

    @property
    def all_steps(self) -> bool:
        """Whether the verdict holds at every step, not only at the steps computed: True when
        unstable (a blow-up at some step already makes the parametrization unstable) or when
        the exponents are stationary (every later step repeats the last, ``stationary_from``);
        False for a stable run whose exponents still move at its last step, whose verdict is
        that of steps ``0..engine.steps`` (:func:`classify` then continues the run for a
        note)."""
        return not self.stable or self.engine.stationary_from is not None

    @property
    def closed_form_comparable(self) -> bool:
        """Whether the engine's verdict can be set beside the closed form's: not when a stable
        run was cut short of the default horizon before its exponents became stationary (the
        verdict then holds for the computed steps only; the theorems speak of every step)."""
        e = self.engine
        return not (self.stable and e.stationary_from is None
                    and e.steps < default_horizon(e.depth))


def _pos(e: Exponent) -> bool:
    return not is_neg_inf(e) and e > 0


def _zero(e: Exponent) -> bool:
    return not is_neg_inf(e) and e == 0


def classify_result(res: EngineResult) -> Classification:
    """Classify an :class:`EngineResult` (numeric exponents)."""
    if res.parametrization.is_symbolic():
        raise ValueError("classification needs numeric exponents; for symbolic exponents use "
                         "widthlimits.theory.derivation.symbolic_derivation (or derivation(), "
                         "which gives the conditions in the symbols)")
    L = res.depth
    ex = res.exponents
    T = res.steps
    Tc = res.last_distinct_step  # later steps are copies: every reading of them is Tc's
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
    for t in range(1, Tc + 1):
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
    df = [ex[("df", None, t)] for t in range(Tc + 1)]
    first_nt = next((t for t in range(1, Tc + 1) if _zero(df[t])), None)
    nontrivial = stable and first_nt is not None
    # properties of a limit: an unstable parametrization has none (its exponents stay in `engine`)
    fl = tuple(l for l in range(1, L + 1)
               if stable and any(_zero(ex[("dx", l, t)]) for t in range(1, Tc + 1)))
    mu = tuple(l for l in range(1, L + 2)
               if stable and any(_zero(ex[("dWx", l, t)]) for t in range(1, Tc + 1)))
    dxL = [ex[("dx", L, t)] for t in range(1, Tc + 1)]
    r: Exponent | None = None
    if dxL and not is_neg_inf(max(dxL)):
        r = -max(dxL)
    step_e = ex[("df_step", None, T)]
    if is_neg_inf(step_e) or T == 0:
        # T = 0: no step computed.  df_step at 0 is f_1 - f_0, the first update's effect: no
        # time scale, which is the per-step change once the run repeats itself (a degenerate
        # net's first steps are smaller than its later ones), and a run that stops before its
        # first step has shown no change of f at all (df_0 = -inf)
        discrete, resc = None, None
    else:
        discrete = step_e == 0
        resc = -step_e if step_e < 0 else None
    if not stable:
        regime = Regime.UNSTABLE
    elif not nontrivial:
        regime = Regime.TRIVIAL
    elif fl:
        regime = Regime.FEATURE_LEARNING
    else:
        regime = Regime.OPERATOR if res.optimizer.entrywise else Regime.KERNEL
    binding: list[str] = []
    if stable:
        if _zero(ex[("dWx", L + 1, T)]):
            binding.append("readout updated maximally: (W^{L+1}_t - W^{L+1}_0) x^L_t = Theta(1)")
        if _zero(ex[("W0dx", L + 1, T)]):
            binding.append("readout initialized maximally: W^{L+1}_0 dx^L_t = Theta(1)")
        if _zero(ex[("f", None, 0)]):
            binding.append("output Theta(1) at init")
        for l in fl:
            binding.append(_features_move((l,)))
    notes: list[str] = []
    if res.activation.linear:
        notes.append("linear activation: the dynamical dichotomy (TP4 Thm 3.6, TP IVb Thm 2.8.19) "
                     "does not apply; 'feature learning' here means features move Theta(1)")
    if res.stationary_from is None and stable:
        notes.append(_not_stationary(T))
    if degenerate:
        notes.append(f"degenerate at init: h^l_0 -> 0 for {layers_noun(degenerate)}")
    if not stable:
        notes.append("unstable: there is no limit, so no layer is listed as feature-learning or "
                     "maximally updated (every exponent is still reported)")
    if nontrivial and first_nt is not None and first_nt > 1:
        notes.append(f"f_t - f_0 becomes Theta(1) only at step {first_nt} "
                     "(each step lifts degenerate layers)")
    cf = closed_form(res.parametrization, res.optimizer)
    deg = _degenerate(res, degenerate)
    fails = None
    if deg and not nontrivial and any(g.lifted_at is None for g in deg):
        fails = 0  # the step-0 update is too small to lift the degenerate layers
    return Classification(
        regime=regime, stable=stable, stable_at_init=stable_at_init,
        degenerate_at_init=bool(degenerate), degenerate_layers=degenerate,
        nontrivial=nontrivial, feature_learning_layers=fl, maximal_update_layers=mu, r=r,
        step_change_exponent=step_e, discrete_time=discrete if stable else None,
        time_rescaling=resc if stable else None, first_nontrivial_step=first_nt,
        violations=tuple(violations), binding=tuple(binding), notes=tuple(notes), engine=res,
        closed_form=cf, degenerate=deg, fails_to_move_at=fails,
    )


def _degenerate(res: EngineResult, layers: tuple[int, ...]) -> tuple[DegenerateLayer, ...]:
    out = []
    for l in layers:
        ser = res.series("h", l)
        lifted = next((t for t, e in enumerate(ser) if not is_neg_inf(e) and e >= 0), None)
        act = res.exponents.get(("dWx", l, 1), res.exponents[("dWx", l, 0)])
        out.append(DegenerateLayer(l, ser[0], lifted, ser[-1], res.exponents[("dW", l, 0)], act))
    return tuple(out)


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
    >>> c = classify(preset("mup", 3, "sgd"))
    >>> c.regime == "feature_learning", c.regime is Regime.FEATURE_LEARNING
    (True, True)
    >>> c.headline
    'muP, depth 3, SGD: feature learning in every layer, discrete-time limit'
    >>> str(classify(preset("ntp", 3, "sgd")).regime)
    'kernel'
    """
    c = classify_result(
        derive(parametrization, optimizer, activation, loss=loss, steps=steps, trace=False)
    )
    e = c.engine
    if (steps is None and c.stable and e.stationary_from is None
            and e.steps == default_horizon(e.depth)):
        head = _not_stationary(e.steps)
        return replace(c, notes=tuple(head + _look_ahead(c, loss) if n == head else n
                                      for n in c.notes))
    return c


def _not_stationary(T: int) -> str:
    """The note on a stable run whose exponents still move at its last step ``T``."""
    return f"exponents not stationary after {T} steps; verdict holds for steps 0..{T}"


#: how far past the default horizon :func:`classify` follows a stable run whose exponents are
#: still moving there: ``LOOK_AHEAD`` times the horizon, stopping at stationarity or one step
#: after a blow-up.  Such runs are rare (degenerate initializations whose exponents drift by a
#: fixed amount per step; 3 of 1,500 random points, docs/engine.md).  The look-ahead only adds
#: a note: the verdict stays the horizon's, which is the one every set-valued answer
#: (theory.regions) certifies.
LOOK_AHEAD = 4
#: deepest net whose run is continued: a step costs O(L), so the look-ahead of a net of depth
#: 100 is at most 4 * 208 steps (seconds); at depth 1000 it would be minutes
LOOK_AHEAD_MAX_DEPTH = 100


def _look_ahead(c: Classification, loss: str) -> str:
    """What the run of ``c`` (stable, not stationary at its horizon ``T``) shows when continued
    up to ``LOOK_AHEAD * T`` steps: a blow-up, stationarity, or still moving (the tail of its
    note)."""
    e = c.engine
    T, K = e.steps, LOOK_AHEAD * e.steps
    if e.depth > LOOK_AHEAD_MAX_DEPTH:
        return f" (not continued past the horizon at depth > {LOOK_AHEAD_MAX_DEPTH})"
    later = classify_result(derive(e.parametrization, e.optimizer, e.activation, loss=loss,
                                   trace=False, horizon=K))
    if not later.stable:
        v = later.violations[0]
        where = "" if v.layer is None else f"^{v.layer}"
        return (f". Continued up to step {K}: {v.quantity}{where} blows up at step {v.step} "
                f"(exponent {fmt(v.exponent)}), so over more steps than {T} this parametrization "
                "is unstable")
    if later.engine.stationary_from is not None:
        return (f". Continued up to step {K}: stationary from step "
                f"{later.engine.stationary_from}, where the limit is {later.regime}")
    return f". Continued to step {later.engine.steps}: still stable and still moving"


# ------------------------------------------------------------------------------ words
#: how the headline names the presets (other names are printed as given)
_DISPLAY_NAMES = {"sp": "SP", "ntp": "NTP", "mup": "muP", "mfp": "MFP"}
_OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam",
                    "rmsprop": "RMSProp", "signsgd": "signSGD"}
_QUANTITY_WORDS = {"h": "the pre-activation", "x": "the activation", "f": "the output",
                   "df_step": "the per-step output change"}


def display_name(name: str | None) -> str:
    """A preset's name as a reader knows it: ``sp`` is "SP (constant learning rate)",
    ``sp:1`` "SP (learning rate ~ n^{-1})", ``mup`` "muP"; other names as given."""
    if not name:
        return "custom parametrization"
    key, _, arg = name.partition(":")
    if key == "sp":
        if not arg:
            return "SP (constant learning rate)"
        try:
            rate = fmt(-Fraction(arg))
        except (ValueError, ZeroDivisionError):
            rate = f"-({arg})"
        return "SP (constant learning rate)" if rate == "0" else f"SP (learning rate ~ n^{{{rate}}})"
    return _DISPLAY_NAMES.get(key, key) + (f":{arg}" if arg else "")


def layers_noun(layers: tuple[int, ...] | list[int]) -> str:
    """``layer 2``, ``layers 1,2``, ``layers 2-1000``: a set of layers with its noun in the right
    number, runs written as ranges (:func:`~widthlimits.theory.parametrization.layer_list`)."""
    return f"layer {layers[0]}" if len(layers) == 1 else f"layers {layer_list(layers)}"


def _features_move(layers: tuple[int, ...]) -> str:
    return f"features of {layers_noun(layers)} move Theta(1)"


def _layers_words(layers: tuple[int, ...], depth: int) -> str:
    if layers == tuple(range(1, depth + 1)):
        return "every layer" if depth > 1 else "its hidden layer"
    if len(layers) == 1:
        return f"layer {layers[0]}"
    if layers == tuple(range(layers[0], layers[-1] + 1)):
        return f"layers {layers[0]}-{layers[-1]}"
    return "layers " + layer_list(layers)


def _time_words(c: Classification) -> str:
    if c.discrete_time:
        return "discrete-time limit"
    if c.time_rescaling is not None:
        return f"continuous-time limit after t = n^{{{fmt(c.time_rescaling)}}} tau steps"
    return ""


def headline(c: Classification) -> str:
    """The verdict in one line of words: who, then what happens.

    Unstable: what blows up first (quantity, layer, step, exponent).  Trivial: that the output
    does not move (and why, for a degenerate network).  Otherwise the regime, where features
    learn, and the time scale of the limit.
    """
    e = c.engine
    p = e.parametrization
    shown = display_name(p.name)
    who = f"{shown}, depth {e.depth}, {_OPTIMIZER_NAMES.get(e.optimizer.name, e.optimizer.name)}"
    v = c.first_blow_up
    if c.regime is Regime.UNSTABLE and v is not None:
        where = f"{v.quantity}" + (f"^{v.layer}" if v.layer is not None else "") + f"_{v.step}"
        layer = f" of layer {v.layer}" if v.layer is not None else ""
        when = "at init" if v.step == 0 else f"at step {v.step}"
        what = (f"unstable: {_QUANTITY_WORDS.get(v.quantity, v.quantity)}{layer} blows up first, "
                f"{when} ({where} = Theta(n^{{{fmt(v.exponent)}}}))")
    elif c.regime is Regime.TRIVIAL and e.steps == 0:
        # classify(..., steps=0): only the initialization was computed, so "the output does not
        # move" would be a claim about steps never computed
        what = "stable at init; no step computed (steps 0), so nothing is known of training"
    elif c.regime is Regime.TRIVIAL:
        what = "trivial limit: the output does not move (f_t - f_0 -> 0 at every step)"
        if c.fails_to_move_at is not None:
            stuck = [g.layer for g in c.degenerate if g.lifted_at is None]
            what += (f"; degenerate {layers_noun(stuck)} "
                     f"{'is' if len(stuck) == 1 else 'are'} never lifted")
    else:
        parts = []
        if c.regime is Regime.FEATURE_LEARNING:
            parts.append("feature learning in " + _layers_words(c.feature_learning_layers, e.depth))
        else:
            parts.append(f"{c.regime.words}, r = {fmt(c.r)}")
        if c.first_nontrivial_step is not None and c.first_nontrivial_step > 1:
            parts.append(f"the output moves from step {c.first_nontrivial_step}")
        if t := _time_words(c):
            parts.append(t)
        what = ", ".join(parts)
    return f"{who}: {what}"


make_callable(__name__, classify)
