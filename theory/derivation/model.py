"""Derivations as data: the engine's power-counting argument, step by step.

:func:`derivation` runs the exponent engine (:mod:`widthlimits.theory.engine`) and the classifier
(:mod:`widthlimits.theory.classify`) and turns the engine's trace -- the list of
``Step(quantity, layer, step, terms, result)`` records in the order they were computed -- into an
ordered argument:

1. **setup**: the network equations and the abc(d) table of the parametrization;
2. **steps** t = 0, 1, ...: for every layer the quantity, the rule that sizes it (CLT sum, LLN
   sum, finite fan-in, multiplier, nonlinearity, optimizer normalization, induction over steps),
   its inputs with their exponents and the resulting exponent.  A width exponent e stands for a
   coordinate size :math:`\\Theta(n^{e})`; :math:`e=-\\infty` means identically zero.  The engine
   stops when the accumulated update stops growing: from that step s on every exponent repeats
   (induction over steps);
3. **conditions**: stability at init and during training, nontriviality, feature learning and the
   per-step output change, each as an inequality on exponents with the step where it binds;
4. **conclusion**: the classifier's verdict, a
   :class:`~widthlimits.theory.classify.Classification` (regime, violated inequalities with layer,
   quantity and step, discrete or continuous time, degenerate layers and when they are lifted).

With sympy symbols for the exponents (:func:`symbolic_derivation`) the conditions are linear
inequalities in the symbols, brought to a simplified normal form by
:mod:`widthlimits.theory.derivation.symbolic`.

Nothing here writes text: the renderers :mod:`widthlimits.theory.derivation.render_latex` and
:mod:`widthlimits.theory.derivation.render_text` print the same data as LaTeX, Markdown or plain text.

References
----------
G. Yang and E. J. Hu, "Tensor Programs IV: Feature Learning in Infinite-Width Neural Networks",
ICML 2021, arXiv:2011.14522 (abc-parametrizations, Thm 3.3 stability, Thm 3.4 nontriviality,
Def. 3.2 r, the dynamical dichotomy).
G. Yang and E. Littwin, "Tensor Programs IVb: Adaptive Optimization in the Infinite-Width
Limit", arXiv:2308.01814 (abcd-parametrizations, entrywise optimizers).
E. Golikov, "Towards a General Theory of Infinite-Width Limits of Neural Classifiers", ICML 2020,
arXiv:2003.05884 (the (q_sigma, q~_a, q~_w) family, degenerate mean-field limits in depth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.classify import Classification, classify_result
from widthlimits.theory.derivation.symbolic import (
    LinearSystem,
    derive_symbolic,
    ge_zero_alternatives,
    le_zero,
    parametrization_symbols,
    simplify_alternatives,
    simplify_exponent,
    simplify_system,
)
from widthlimits.theory.engine import EngineResult, Step, Term, derive
from widthlimits.theory.exponents import Exponent, is_neg_inf, is_symbolic
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, check_depth

#: display names of the engine's rules
RULE_NAMES: dict[str, str] = {
    "CLT": "CLT sum",
    "LLN": "LLN sum",
    "finite fan-in": "finite fan-in",
    "multiplier": "multiplier",
    "nonlinearity": "nonlinearity",
    "optimizer": "optimizer",
    "induction": "induction over steps",
}

#: how a line combines its inputs
COMBINE = ("max", "sum", "nonlinearity", "optimizer", "zero")

#: phases of one step, in reading order
PHASES: tuple[tuple[str, str], ...] = (
    ("forward", "Forward pass"),
    ("readout", "Readout and output"),
    ("backward", "Backward pass"),
    ("update", "Gradients and updates"),
    ("change", "Per-step output change"),
)

_SYMBOLIC_FAMILIES = ("tp4", "tp4-layers", "golikov")


# ------------------------------------------------------------------------------ data
#: one input of a derivation line: the engine's own term record (description, rule, exponent)
Input = Term


@dataclass(frozen=True, slots=True)
class Line:
    """``quantity`` at ``layer``/``step`` has exponent ``result``, obtained from ``inputs``.

    ``combine`` says how: ``"max"`` (a sum of non-cancelling terms has the exponent of the
    largest), ``"sum"`` (a product: exponents add), ``"nonlinearity"`` (:math:`\\phi` applied to
    the pre-activation input), ``"optimizer"`` (the optimizer's rule on the gradient) or
    ``"zero"`` (nothing has been updated yet: identically zero).
    """

    quantity: str
    layer: int | None
    step: int
    combine: str
    inputs: tuple[Input, ...]
    result: Exponent
    phase: str

    @property
    def rules(self) -> tuple[str, ...]:
        seen: list[str] = []
        for i in self.inputs:
            if i.rule not in seen:
                seen.append(i.rule)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class StepBlock:
    """All lines of one training step t, in the order the engine computed them.

    ``zero`` lists the quantities that are identically zero because nothing has been updated
    (step 0); ``same_as_previous`` is True when every exponent equals the previous step's.
    """

    step: int
    lines: tuple[Line, ...]
    zero: tuple[Line, ...]
    same_as_previous: bool

    def phase(self, name: str) -> tuple[Line, ...]:
        return tuple(x for x in self.lines if x.phase == name)


@dataclass(frozen=True, slots=True)
class Condition:
    """One inequality on exponents: ``max_t e(quantity^layer_t) relation 0``.

    ``exponent`` is the maximum over the computed steps, attained at ``step``; ``holds`` is
    ``None`` for symbolic exponents.
    """

    group: str
    quantity: str
    layer: int | None
    step: int | None
    exponent: Exponent
    relation: str
    holds: bool | None
    meaning: str


@dataclass(frozen=True)
class SymbolicConditions:
    """Conditions in the symbols, simplified (see :mod:`widthlimits.theory.derivation.symbolic`).

    Attributes
    ----------
    symbols : tuple of sympy.Symbol
    substitutions : tuple of (sympy.Symbol, sympy.Expr)
        Exponents fixed by an assumption (e.g. TP4 Thm 3.3(1), non-degenerate init).
    stability : LinearSystem
        Stable at every computed step: conjunction of disjunctions of ``l <= 0``.
    nontrivial, feature_learning, discrete_time : tuple of tuple of sympy.Expr
        Disjunctions of conjunctions of ``l >= 0``, under stability.
    restricted : bool
        The displayed exponents were simplified on the stability conditions established before
        each of them (:mod:`widthlimits.theory.derivation.restricted_forms`): equal to the
        engine's wherever those hold; the conditions are the same sets either way.
    """

    family: str
    symbols: tuple[sympy.Symbol, ...]
    substitutions: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    stability: LinearSystem
    nontrivial: tuple[tuple[sympy.Expr, ...], ...]
    feature_learning: tuple[tuple[sympy.Expr, ...], ...]
    discrete_time: tuple[tuple[sympy.Expr, ...], ...]
    restricted: bool = False

    def _repr_latex_(self) -> str:
        """Notebook display: the conditions as one math block."""
        from widthlimits.theory.display import symbolic_conditions_latex

        return symbolic_conditions_latex(self)


@dataclass(frozen=True)
class Derivation:
    """The power-counting derivation for one parametrization, optimizer and activation.

    Render it with :meth:`to_latex` (a complete document), :meth:`snippet` (no preamble),
    :meth:`to_markdown`, :meth:`to_text`; in a notebook it displays through
    :meth:`_repr_latex_`, and ``sympy.latex(d)`` gives the snippet.

    Attributes
    ----------
    title : str
        Free text (escaped by every renderer).
    blocks : tuple of StepBlock
        Steps 0..``steps``; from ``stationary_from`` on the exponents repeat.
    conditions : tuple of Condition
    conclusion : Classification or None
        The verdict (the same object :func:`~widthlimits.theory.classify.classify` returns);
        None in symbolic mode, where ``symbolic`` holds the conditions in the symbols.
    assumptions : tuple of str
        What the derivation assumes (printed in the document).
    """

    title: str
    parametrization: Parametrization
    optimizer: Optimizer
    activation: Activation
    loss: str
    depth: int
    steps: int
    stationary_from: int | None
    blocks: tuple[StepBlock, ...]
    conditions: tuple[Condition, ...]
    conclusion: Classification | None
    assumptions: tuple[str, ...]
    stop_reason: str
    symbolic: SymbolicConditions | None = None
    engine: EngineResult | None = field(default=None, repr=False, compare=False)

    # -------------------------------------------------------------- rendering
    def to_latex(self) -> str:
        """A complete LaTeX document (article, amsmath); compiles with texlive-latex-base."""
        from widthlimits.theory.derivation.render_latex import render_document

        return render_document(self)

    def snippet(self) -> str:
        """The body without preamble, to paste into a paper (needs amsmath)."""
        from widthlimits.theory.derivation.render_latex import render_snippet

        return render_snippet(self)

    def to_markdown(self) -> str:
        from widthlimits.theory.derivation.render_text import render_markdown

        return render_markdown(self)

    def to_text(self) -> str:
        from widthlimits.theory.derivation.render_text import render_text

        return render_text(self)

    def render(self, fmt: str) -> str:
        """``fmt`` in ``tex``, ``snippet``, ``md``, ``txt``."""
        funcs = {"tex": self.to_latex, "snippet": self.snippet, "md": self.to_markdown,
                 "txt": self.to_text}
        if fmt not in funcs:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(funcs)}")
        return funcs[fmt]()

    def _latex(self, printer: Any = None) -> str:
        return self.snippet()

    def _repr_html_(self) -> str:
        """Notebook display: the verdict's table and the conditions (see
        :mod:`widthlimits.theory.display`)."""
        from widthlimits.theory.display import derivation_html

        return derivation_html(self)

    def _repr_latex_(self) -> str:
        """Notebook display: the conclusion and the exponent table in math mode."""
        from widthlimits.theory.derivation.render_latex import render_repr_latex

        return render_repr_latex(self)

    def line(self, quantity: str, layer: int | None, step: int) -> Line:
        for b in self.blocks:
            if b.step == step:
                for x in (*b.lines, *b.zero):
                    if x.quantity == quantity and x.layer == layer:
                        return x
        raise KeyError(f"no line for {quantity!r} at layer {layer}, step {step}")


# ------------------------------------------------------------------------------ building
def _phase(q: str, layer: int | None, depth: int) -> str:
    if q in ("grad", "dW"):
        return "update"
    if q == "g":
        return "backward"
    if q == "df_step":
        return "change"
    if layer is None or layer == depth + 1:
        return "readout"
    return "forward"


def _line(s: Step, res: EngineResult) -> Line:
    """One engine step as a derivation line; inputs are the engine's terms (plus, for
    :math:`h_t` and the nonlinearity, the engine's own exponents of the pre-activation)."""
    L = res.depth
    ex = res.exponents
    ph = _phase(s.quantity, s.layer, L)
    terms = tuple(Input(t.what, t.rule, t.exponent) for t in s.terms)
    q, l, t = s.quantity, s.layer, s.step
    if not terms:
        return Line(q, l, t, "zero", (), s.result, ph)
    if q == "grad":
        return Line(q, l, t, "sum", terms, s.result, ph)
    if q == "dW":
        return Line(q, l, t, "optimizer", terms, s.result, ph)
    if q == "x":
        h = Input(f"h^{l}_{t}", "nonlinearity", ex[("h", l, t)])
        return Line(q, l, t, "nonlinearity", (h,) + terms, s.result, ph)
    if q == "dx":
        h0 = Input(f"h^{l}_0", "nonlinearity", ex[("h", l, 0)])
        dh = Input(f"dh^{l}_{t}", "nonlinearity", ex[("dh", l, t)])
        return Line(q, l, t, "nonlinearity", (h0, dh) + terms, s.result, ph)
    if q == "h" and t > 0:
        # h_t = h_0 + (h_t - h_0): the engine's terms size the change; h_0 comes from step 0
        h0 = Input(f"h^{l}_0", "induction", ex[("h", l, 0)])
        dh = Input(f"dh^{l}_{t}", "induction", ex[("dh", l, t)])
        return Line(q, l, t, "max", (h0, dh), s.result, ph)
    if q == "f" and t > 0:
        f0 = Input("f_0", "induction", ex[("f", None, 0)])
        df = Input(f"f_{t} - f_0", "induction", ex[("df", None, t)])
        return Line(q, l, t, "max", (f0, df), s.result, ph)
    return Line(q, l, t, "max", terms, s.result, ph)


def _blocks(res: EngineResult) -> tuple[StepBlock, ...]:
    by_step: dict[int, list[Step]] = {}
    for s in res.trace:
        by_step.setdefault(s.step, []).append(s)
    blocks: list[StepBlock] = []
    prev: dict[tuple[str, int | None], Exponent] | None = None
    for t in sorted(by_step):
        lines = [_line(s, res) for s in by_step[t]]
        cur = {(x.quantity, x.layer): x.result for x in lines}
        same = prev is not None and cur == prev and not any(is_symbolic(v) for v in cur.values())
        blocks.append(StepBlock(
            step=t,
            lines=tuple(x for x in lines if x.combine != "zero"),
            zero=tuple(x for x in lines if x.combine == "zero"),
            same_as_previous=same,
        ))
        prev = cur
    return tuple(blocks)


def _argmax(res: EngineResult, q: str, layer: int | None, first: int = 0) -> tuple[int, Exponent]:
    best_t, best = first, res.exponents[(q, layer, first)]
    for t in range(first, res.steps + 1):
        e = res.exponents[(q, layer, t)]
        if not is_neg_inf(e) and (is_neg_inf(best) or e > best):
            best_t, best = t, e
    return best_t, best


def _numeric_conditions(res: EngineResult, c: Classification) -> tuple[Condition, ...]:
    L = res.depth
    out: list[Condition] = []

    def le0(e: Exponent) -> bool:
        return is_neg_inf(e) or e <= 0

    for l in range(1, L + 1):
        e = res.exponents[("h", l, 0)]
        out.append(Condition("init", "h", l, 0, e, "<=", le0(e), "pre-activation O(1) at init"))
    e = res.exponents[("f", None, 0)]
    out.append(Condition("init", "f", None, 0, e, "<=", le0(e), "output O(1) at init"))
    for l in range(1, L + 1):
        t, e = _argmax(res, "h", l, 1) if res.steps >= 1 else (0, res.exponents[("h", l, 0)])
        out.append(Condition("training", "h", l, t, e, "<=", le0(e),
                             "pre-activation O(1) during training"))
        t, e = _argmax(res, "x", l, 1) if res.steps >= 1 else (0, res.exponents[("x", l, 0)])
        out.append(Condition("training", "x", l, t, e, "<=", le0(e),
                             "activation O(1) during training"))
    t, e = _argmax(res, "f", None, 1) if res.steps >= 1 else (0, res.exponents[("f", None, 0)])
    out.append(Condition("training", "f", None, t, e, "<=", le0(e), "output O(1) during training"))
    T = res.steps
    e = res.exponents[("df_step", None, T)]
    out.append(Condition("training", "df_step", None, T, e, "<=", le0(e),
                         "per-step output change O(1)"))
    if res.steps >= 1:
        t, e = _argmax(res, "df", None, 1)
        out.append(Condition("nontrivial", "df", None, t, e, "=",
                             (not is_neg_inf(e)) and e == 0, "the output moves Theta(1)"))
        t, e = _argmax(res, "dx", L, 1)
        out.append(Condition("feature learning", "dx", L, t, e, "=",
                             (not is_neg_inf(e)) and e == 0,
                             "last-layer features move Theta(1) (r = 0)"))
    out.append(Condition("discrete time", "df_step", None, T, e := res.exponents[("df_step", None, T)],
                         "=", (not is_neg_inf(e)) and e == 0,
                         "per-step output change Theta(1) in the stationary regime"))
    return tuple(out)


def _stop_reason(res: EngineResult, symbolic: bool) -> str:
    if symbolic:
        if res.stationary_from is not None:
            return (f"symbolic exponents: stationary from step {res.stationary_from} on the "
                    "stability conditions of the earlier steps (every later step repeats it "
                    "there), so the conditions below are those of every step")
        if res.steps >= 2 * (res.depth + 1) + 6:
            return (f"symbolic exponents: steps 0..{res.steps} computed, the classification's "
                    f"horizon 2(L+1)+6")
        return (f"symbolic exponents: steps 0..{res.steps} computed (horizon T = {res.steps}, "
                "shorter than the classification's); the conditions below hold for these steps")
    if res.stationary_from is not None:
        return "stationary"
    return f"stopped after step {res.steps}"


def _assumptions(loss: str, activation: Activation, symbolic: bool) -> tuple[str, ...]:
    out = [
        "The width n tends to infinity with the number of steps t fixed; the input dimension and "
        "the batch of training inputs are fixed (size O(1)).",
        "No cancellations: generic data and hyper-parameters, so a sum of terms has the size of "
        "its largest term.",
        f"Activation {activation.name}"
        + (" (bounded)" if activation.bounded else "")
        + (" (odd)" if activation.odd else " (not odd: feature vectors get a mean component)")
        + ".",
    ]
    if loss == "logistic":
        out.append("Loss derivative Theta(1) at every step (logistic loss), so it does not feed "
                   "back into the exponents.")
    else:
        out.append("Squared loss: the loss derivative is Theta(max(1, |f_t|)).")
    if symbolic:
        out.append("Exponents are real symbols; every statement is an exact consequence of the "
                   "engine's max-plus expressions for the computed steps.")
    return tuple(out)


def _check_title(title: Any) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        raise TypeError(f"`title` must be a string, got {title!r}")
    if len(title) > 500:
        raise ValueError(f"`title` is too long ({len(title)} characters, at most 500)")
    return title


def derivation(
    parametrization: Parametrization,
    optimizer: str | Optimizer = "sgd",
    activation: str | Activation = "tanh",
    *,
    loss: str = "mse",
    steps: int | None = None,
    title: str | None = None,
) -> Derivation:
    """The power-counting derivation for ``parametrization`` trained by ``optimizer``.

    Parameters
    ----------
    parametrization : Parametrization
        Numeric exponents (for symbolic ones use :func:`symbolic_derivation` or pass sympy
        expressions: then the conditions are given in the symbols).
    optimizer, activation : str or object
        As in :func:`widthlimits.theory.engine.derive`.
    loss : {"mse", "logistic"}
    steps : int, optional
        Steps to compute; default: until the exponents are stationary.
    title : str, optional
        Document title (free text; escaped by every renderer).

    Returns
    -------
    Derivation

    Notes
    -----
    Every exponent in the derivation is the engine's (:func:`~widthlimits.theory.engine.derive`);
    the conditions and the conclusion are the classifier's
    (:func:`~widthlimits.theory.classify.classify_result`), cross-checked with the TP4 / TP IVb
    closed forms where they apply.

    Examples
    --------
    >>> from widthlimits.theory.presets import preset
    >>> d = derivation(preset("mup", 2, "sgd"))
    >>> str(d.conclusion.regime), d.stationary_from
    ('feature_learning', 2)
    >>> d.line("dx", 2, 1).result
    Fraction(0, 1)
    """
    if not isinstance(parametrization, Parametrization):
        raise TypeError(f"`parametrization` must be a Parametrization, got {parametrization!r}")
    title = _check_title(title)
    opt = get_optimizer(optimizer)
    act = get_activation(activation)
    sym = parametrization.is_symbolic()
    if sym:
        return _symbolic(parametrization, opt, act, loss=loss, steps=steps, title=title,
                         family="custom", substitutions=())
    res = derive(parametrization, opt, act, loss=loss, steps=steps)
    c = classify_result(res)
    return Derivation(
        title=title or _default_title(parametrization, opt),
        parametrization=parametrization, optimizer=opt, activation=act, loss=loss,
        depth=res.depth, steps=res.steps, stationary_from=res.stationary_from,
        blocks=_blocks(res), conditions=_numeric_conditions(res, c),
        conclusion=c, assumptions=_assumptions(loss, act, False),
        stop_reason=_stop_reason(res, False), engine=res,
    )


def _default_title(p: Parametrization, opt: Optimizer) -> str:
    name = p.name or "custom parametrization"
    return f"Power counting for {name}, depth {p.depth}, {opt.name}"


# ------------------------------------------------------------------------------ symbolic
def symbolic_parametrization(family: str, depth: int, optimizer: str | Optimizer = "sgd"
                             ) -> tuple[Parametrization, tuple[tuple[sympy.Symbol, sympy.Expr], ...]]:
    """The generic parametrization of ``family`` with sympy symbols for its exponents.

    ``"tp4"``: per-layer :math:`a_l`, readout :math:`b_{L+1}`, one learning-rate exponent c for
    SGD-type optimizers (TP4's setting) or per-layer :math:`c_l` for entrywise ones (TP IVb), with
    the non-degenerate initialization of TP4 Thm 3.3(1) substituted:
    :math:`b_1=-a_1`, :math:`b_l=\\tfrac12-a_l` (:math:`2\\le l\\le L`).
    ``"tp4-layers"``: the same with one learning-rate exponent :math:`c_l` per layer for every
    optimizer (per-layer rates as in muP's tables, TP5 Table 3).  For SGD-type optimizers its
    closed form is TP4's theorem with :math:`c \\to c_l` as :mod:`widthlimits.theory.closed_forms`
    writes it (TP4 Prop. 5.3 with per-layer rates, consistent with TP IVb Remark 2.8.6: an
    extension, not TP4's own statement).  Up to the gauge
    symmetry :math:`(a_l, b_l, c_l) \\to (a_l+\\theta, b_l-\\theta, c_l-2\\theta)` (SGD-type;
    :math:`c_l-\\theta` entrywise) this is every parametrization with a non-degenerate
    initialization: the whole part of the gauge-fixed space where TP4's and TP IVb's theorems
    apply.  For entrywise optimizers it is ``"tp4"``.
    ``"golikov"``: :meth:`Parametrization.from_golikov` with symbols :math:`q_\\sigma`,
    :math:`\\tilde q_a`, :math:`\\tilde q_w` (and :math:`\\tilde q_v` for L >= 2).
    """
    L = check_depth(depth)
    opt = get_optimizer(optimizer)
    if family == "golikov":
        qs, qa, qw, qv = sympy.symbols("q_sigma qt_a qt_w qt_v", real=True)
        p = Parametrization.from_golikov(L, qs, qa, qw, qv if L > 1 else 0, name="golikov (symbolic)")
        return p, ()
    if family in ("tp4", "tp4-layers"):
        half = sympy.Rational(1, 2)
        a = sympy.symbols(f"a_1:{L + 2}", real=True)
        b_all = sympy.symbols(f"b_1:{L + 2}", real=True)
        subs = ((b_all[0], -a[0]),) + tuple((b_all[l], half - a[l]) for l in range(1, L))
        b = tuple(v for _, v in subs) + (b_all[L],)
        if opt.entrywise or family == "tp4-layers":
            c = sympy.symbols(f"c_1:{L + 2}", real=True)
        else:
            c = (sympy.Symbol("c", real=True),) * (L + 1)
        name = "TP4 generic (symbolic)" if family == "tp4" else "TP4 generic, per-layer rates (symbolic)"
        return Parametrization(a, b, c, name=name), subs
    raise ValueError(f"unknown symbolic family {family!r}; choose one of {', '.join(_SYMBOLIC_FAMILIES)}")


def symbolic_derivation(
    family: str = "tp4",
    depth: int = 1,
    optimizer: str | Optimizer = "sgd",
    activation: str | Activation = "tanh",
    *,
    loss: str = "logistic",
    steps: int | None = None,
    title: str | None = None,
    progress: Callable[[str, object], None] | None = None,
    restrict: bool = True,
) -> Derivation:
    """The derivation with symbols for the exponents, ending in simplified conditions.

    Parameters
    ----------
    family : {"tp4", "tp4-layers", "golikov"}
        See :func:`symbolic_parametrization`.
    loss : {"logistic", "mse"}
        The default ``"logistic"`` keeps the loss derivative :math:`\\Theta(1)`, which keeps the
        engine's expressions small (stated in the document's assumptions).
    steps : int, optional
        Default: the horizon of :func:`~widthlimits.theory.classify.classify` -- until the
        accumulated updates are stationary (normal forms compared on the stability conditions
        established so far; every later step then repeats the last one there), at most
        :math:`2(L+1)+6` steps -- so the conditions are the classification's.  An int: steps
        0..steps only, and the conditions are those of the truncated run (the document says so;
        e.g. Golikov's depth-2 family under SGD has points stable over steps 0..2 that blow up
        later).
    progress : callable, optional
        ``progress(stage, value)`` after each stage of the work: ``"step t"`` when the engine
        starts step t (value None), then ``"exponents simplified"``, ``"stability"`` (value: the
        :class:`LinearSystem`), ``"nontrivial"``, ``"feature learning"``, ``"discrete time"``
        (values: their alternatives).  What a caller interrupted by a time limit has
        established is what it was handed.
    restrict : bool
        Simplify each exponent on the stability conditions recorded before it (default;
        :mod:`widthlimits.theory.derivation.restricted_forms`): the same conditions, orders of
        magnitude faster beyond depth 2; the displayed exponents of later steps are then the
        ones valid where the network is stable so far.  ``False``: every exponent in full.

    Notes
    -----
    Stability is :math:`\\max_t e(h^l_t), e(x^l_t), e(f_t) \\le 0` and :math:`e(f_{t+1}-f_t)\\le0`;
    nontriviality :math:`\\max_t e(f_t-f_0)=0`; feature learning :math:`\\max_t e(x^L_t-x^L_0)=0`;
    discrete time :math:`e(f_{T+1}-f_T)=0` -- each over the computed steps 0..T (``steps``).

    Examples
    --------
    >>> d = symbolic_derivation("golikov", 1)
    >>> [str(r) for c in d.symbolic.stability.relationals() for r in c][:1]
    ['q_sigma <= -1/2']
    """
    title = _check_title(title)
    opt = get_optimizer(optimizer)
    act = get_activation(activation)
    p, subs = symbolic_parametrization(family, depth, opt)
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(f"`steps` must be None or an int >= 1, got {steps!r}")
    return _symbolic(p, opt, act, loss=loss, steps=steps, title=title, family=family,
                     substitutions=subs, progress=progress, restrict=restrict)


def _symbolic(p: Parametrization, opt: Optimizer, act: Activation, *, loss: str, steps: int | None,
              title: str, family: str, substitutions: tuple,
              progress: Callable[[str, object], None] | None = None,
              restrict: bool = True) -> Derivation:
    def done(stage: str, value: object = None) -> None:
        if progress is not None:
            progress(stage, value)

    res = derive_symbolic(p, opt, act, loss=loss, steps=steps,
                          on_step=lambda t: done(f"step {t}"), restrict=restrict)
    L = res.depth
    ex = res.exponents
    T = res.steps
    symbols = parametrization_symbols(p)
    # simplified (exact) forms of every exponent
    simp: dict[tuple[str, int | None, int], Exponent] = {}
    for k, v in ex.items():
        simp[k] = simplify_exponent(v) if is_symbolic(v) else v
    done("exponents simplified")
    stab_clauses: list[tuple[sympy.Expr, ...]] = []
    conds: list[Condition] = []
    for t in range(T + 1):
        for l in range(1, L + 1):
            for q in ("h", "x"):
                stab_clauses.extend(le_zero(simp[(q, l, t)]).clauses)
        stab_clauses.extend(le_zero(simp[("f", None, t)]).clauses)
    stab_clauses.extend(le_zero(simp[("df_step", None, T)]).clauses)
    for l in range(1, L + 1):
        conds.append(Condition("init", "h", l, 0, simp[("h", l, 0)], "<=", None,
                               "pre-activation O(1) at init"))
    conds.append(Condition("init", "f", None, 0, simp[("f", None, 0)], "<=", None,
                           "output O(1) at init"))
    stability = simplify_system(stab_clauses, symbols)
    done("stability", stability)

    def over_steps(q: str, layer: int | None) -> sympy.Expr:
        return simplify_exponent(sympy.Max(*[sympy.sympify(simp[(q, layer, t)]) if not
                                             isinstance(simp[(q, layer, t)], float) else -sympy.oo
                                             for t in range(1, T + 1)]))

    e_df = over_steps("df", None)
    e_dx = over_steps("dx", L)
    e_step = simp[("df_step", None, T)]
    conds.append(Condition("nontrivial", "df", None, None, e_df, "=", None,
                           "the output moves Theta(1)"))
    conds.append(Condition("feature learning", "dx", L, None, e_dx, "=", None,
                           "last-layer features move Theta(1) (r = 0)"))
    conds.append(Condition("discrete time", "df_step", None, T, e_step, "=", None,
                           "per-step output change Theta(1)"))
    alts = {}
    for name, e in (("nontrivial", e_df), ("feature learning", e_dx), ("discrete time", e_step)):
        alts[name] = simplify_alternatives(ge_zero_alternatives(e), stability, symbols)
        done(name, alts[name])
    sc = SymbolicConditions(
        family=family, symbols=symbols, substitutions=substitutions, stability=stability,
        nontrivial=alts["nontrivial"], feature_learning=alts["feature learning"],
        discrete_time=alts["discrete time"], restricted=restrict,
    )
    blocks = _blocks_symbolic(res, simp)
    assumptions = _assumptions(loss, act, True)
    if restrict:
        assumptions += ("Each exponent is simplified on the stability conditions established "
                        "before it (the single inequalities that e(h), e(x), e(f) <= 0 at earlier "
                        "points of the run imply): it equals the engine's exponent wherever the "
                        "network has been stable so far, which is where every condition below is "
                        "stated.",)
    if substitutions:
        assumptions += ("Non-degenerate initialization (TP4 Thm 3.3(1)): "
                        + ", ".join(f"{sympy.sstr(s)} = {sympy.sstr(v)}" for s, v in substitutions)
                        + "; the stability conditions below are the remaining ones.",)
    return Derivation(
        title=title or f"Symbolic power counting ({family}), depth {L}, {opt.name}",
        parametrization=p, optimizer=opt, activation=act, loss=loss, depth=L, steps=T,
        stationary_from=res.stationary_from, blocks=blocks, conditions=tuple(conds), conclusion=None,
        assumptions=assumptions, stop_reason=_stop_reason(res, True), symbolic=sc, engine=res,
    )


def _blocks_symbolic(res: EngineResult, simp: dict) -> tuple[StepBlock, ...]:
    """Like :func:`_blocks`, with every exponent in its simplified normal form."""

    def s(e: Exponent) -> Exponent:
        return simplify_exponent(e) if is_symbolic(e) else e

    out = []
    for b in _blocks(res):
        lines = tuple(Line(x.quantity, x.layer, x.step, x.combine,
                           tuple(Input(i.what, i.rule, s(i.exponent)) for i in x.inputs),
                           simp[(x.quantity, x.layer, x.step)], x.phase) for x in b.lines)
        out.append(StepBlock(b.step, lines, b.zero, False))
    return tuple(out)
