"""The two-variable power counting of a residual model, line by line (text, Markdown, LaTeX).

Every quantity of the depth engine (:func:`.engine.derive_depth`) records how it was obtained:
a ``combine`` (:data:`.engine.COMBINES`: product, sum without cancellation, quotient, sum over
the L blocks, exponential blow-up) of labelled inputs, each an exponent pair ``(e_n, e_L)``.
This module lays those records out as a derivation: the arithmetic of each line, the rule used
and, for each of the sums over blocks, whether its terms are correlated (``+1`` in L) or
independent (``+1/2`` in L) with the source of that rule (:data:`.scale.SUM_SOURCES`).  The
arithmetic of every line is redone here from its inputs and must give the engine's result
(an internal check: a line that does not add up raises).

Rendering follows :mod:`widthlimits.theory.derivation` (exact exponents through
:func:`~widthlimits.theory.derivation.render_latex.exp_tex`, every free string through
:func:`~widthlimits.theory.derivation.render_latex.escape_tex`; the document needs only
``texlive-latex-base``).  Sources are cited inline (arXiv ids), so the LaTeX has no ``\\cite``
to resolve and a snippet needs no bibliography.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.depth.engine import COMBINES, QUANTITIES, DepthRegime, derive_depth
from widthlimits.theory.depth.model import DepthModelError, ResidualModel
from widthlimits.theory.depth.report import layer_rows
from widthlimits.theory.depth.rules import derive_rules, literature_rules
from widthlimits.theory.depth.scale import (
    ONE,
    SUM_SOURCES,
    Size,
    depth_sum,
    exceeds,
    is_diverging,
    is_zero,
    sdiv,
    smax,
    smul,
)
from widthlimits.theory.derivation.render_latex import escape_tex, exp_tex
from widthlimits.theory.exponents import fmt

#: the derivation's sections, in order: key -> heading
PHASES = {
    "forward": "Forward pass at initialization",
    "backward": "Backward pass at initialization",
    "updates": "Gradients and updates of each weight role (one step, t >= 1)",
    "block": "A block's own update",
    "depth": "Sums over the blocks, the stream and the output",
}
_BLOCK = ("block_features", "branch_linear", "block_update_grad", "block_update_decay",
          "block_update", "block_nonlinear", "linearization_ratio")
_DEPTH = ("sum.block_updates", "sum.block_decays", "stream_change", "dx_stream", "df")
#: meanings of the engine's intermediate quantities (the reported ones are in QUANTITIES)
MEANINGS = {
    **QUANTITIES,
    "x_embedding": "embedding output x^0",
    "hidden": "block's hidden pre-activation at init",
    "sum.branches_init": "sum over the blocks of the branch outputs at init",
    "sum.propagation": "sum over the later blocks of their Jacobians on a perturbation",
    "propagation": "factor by which the later blocks amplify a change of the stream",
    "branch_linear": "linear change of a block's branch from its gradient steps",
    "sum.block_updates": "sum over the blocks of their gradient-driven contributions",
    "sum.block_decays": "sum over the blocks of their decay-driven contributions",
    "stream_change": "change of the stream before the later blocks' propagation",
}
FORMATS = ("txt", "md", "tex", "snippet")


def phase_of(name: str) -> str:
    if name == "g_stream":
        return "backward"
    if name.startswith(("grad.", "dW.", "dWx.", "decay.", "decay_out.")):
        return "updates"
    if name in _BLOCK:
        return "block"
    if name in _DEPTH:
        return "depth"
    return "forward"


def recompute(combine: str, inputs: tuple[tuple[str, Size], ...]) -> Size | None:
    """The size a line's arithmetic gives from its inputs (None for ``given``)."""
    xs = [s for _, s in inputs]
    if combine == "given":
        return None
    if combine == "normalized":
        return ONE
    if combine == "product":
        return smul(*xs)
    if combine == "max":
        return smax(*xs)
    if combine == "ratio":
        return xs[0] if is_zero(xs[0]) else sdiv(xs[0], xs[1])  # type: ignore[arg-type]
    if combine in ("sum_correlated", "sum_uncorrelated"):
        # the last input is the L-block factor; the rule itself is depth_sum
        return depth_sum(smul(*xs[:-1]), correlated=combine == "sum_correlated")
    if combine == "blowup":
        return float("inf") if exceeds(xs[0]) else xs[1]
    raise ValueError(f"internal: unknown combine {combine!r}")


@dataclass(frozen=True)
class DepthLine:
    """One line: ``name`` = ``combine`` of ``inputs`` = ``result``, by ``rule`` (``source``:
    the citation of a sum over blocks)."""

    name: str
    meaning: str
    combine: str
    inputs: tuple[tuple[str, Size], ...]
    result: Size
    rule: str
    phase: str
    source: str = ""

    @property
    def correlated(self) -> bool | None:
        """True/False for a sum over blocks of correlated/independent terms, else None."""
        return {"sum_correlated": True, "sum_uncorrelated": False}.get(self.combine)


@dataclass(frozen=True)
class DepthDerivation:
    model: ResidualModel
    title: str
    lines: tuple[DepthLine, ...]
    regime: DepthRegime
    rules: dict[str, Any]
    literature: dict[str, Any] | None
    layers: list[dict[str, Any]] = field(repr=False, default_factory=list)

    def phase(self, key: str) -> tuple[DepthLine, ...]:
        return tuple(x for x in self.lines if x.phase == key)

    def render(self, fmt_: str = "txt") -> str:
        if fmt_ == "txt":
            return render_text(self, md=False)
        if fmt_ == "md":
            return render_text(self, md=True)
        if fmt_ == "tex":
            return render_document(self)
        if fmt_ == "snippet":
            return render_body(self)
        raise DepthModelError(f"unknown format {fmt_!r}; choose one of {', '.join(FORMATS)}")

    def to_latex(self) -> str:
        return render_document(self)


def depth_derivation(model: ResidualModel, title: str | None = None) -> DepthDerivation:
    """The derivation of every quantity's ``(e_n, e_L)`` for ``model``.

    >>> from widthlimits.theory.depth.presets import depth_preset
    >>> d = depth_derivation(depth_preset("completep", "adam"))
    >>> [(x.name, x.correlated) for x in d.lines if x.correlated is not None][-2:]
    [('sum.block_updates', True), ('sum.block_decays', False)]
    """
    if title is not None and (not isinstance(title, str) or len(title) > 500):
        raise DepthModelError("`title` must be a string of at most 500 characters")
    res = derive_depth(model)
    lines = []
    for q in res.quantities.values():
        got = recompute(q.combine, q.inputs)
        if got is not None and got != q.size:
            raise AssertionError(f"internal: the line of {q.name} does not add up ({got} != {q.size})")
        src = SUM_SOURCES[q.combine == "sum_correlated"] if q.combine.startswith("sum_") else ""
        lines.append(DepthLine(q.name, MEANINGS.get(q.name, ""), q.combine, q.inputs, q.size,
                               q.rule, phase_of(q.name), src))
    try:
        rules = derive_rules(model).as_dict()
    except DepthModelError as err:  # a rule without solution: reported, not fatal
        rules = {"error": str(err)}
    lit = literature_rules(model) if model.name else None
    name = model.name or "custom residual model"
    t = title if title is not None else f"Power counting in width and depth for {name}, {model.optimizer}"
    return DepthDerivation(model, t, tuple(lines), res.regime, rules, lit, layer_rows(model))


# ---------------------------------------------------------------------------- text
def pair(s: Size) -> str:
    """``(e_n, e_L)``; ``0`` for identically zero, ``inf`` for a blow-up in depth."""
    if is_zero(s):
        return "0 (identically zero)"
    if is_diverging(s):
        return "inf (exponential in L)"
    return f"({fmt(s.n)}, {fmt(s.L)})"  # type: ignore[union-attr]


_OP = {"product": " + ", "sum_correlated": " + ", "sum_uncorrelated": " + ", "ratio": " - "}


def arithmetic_text(x: DepthLine) -> str:
    terms = [f"{pair(s)} [{lab}]" for lab, s in x.inputs]
    if x.combine in ("given", "normalized"):
        return pair(x.result)
    if x.combine == "max":
        body = terms[0] if len(terms) == 1 else "max{" + ", ".join(terms) + "}"
    elif x.combine == "blowup":
        body = f"exponential if {terms[0]} > (0, 0), else {terms[1]}"
    else:
        body = _OP[x.combine].join(terms)
    return f"{body} = {pair(x.result)}"


def _setup_lines(d: DepthDerivation) -> list[str]:
    m = d.model
    return [
        f"Setup: residual MLP x^l = x^(l-1) + L^(-alpha) branch_l(LN(x^(l-1))), l = 1..L, "
        f"alpha = {fmt(m.alpha)}, {len(m.block)} weight layer(s) per block, layernorm "
        f"{m.layernorm}, biases {m.biases}, activation {m.activation}, optimizer {m.optimizer}, "
        f"weight decay {m.weight_decay}.",
        "Sizes: Theta(n^e_n L^e_L) of a typical coordinate, written (e_n, e_L); compared width "
        "first (the width limit is taken first: TP VI, arXiv 2310.02244, Sec. 3.3).",
        *_at_depth(d),
        "Exponents per weight role (multiplier, init std, LR, epsilon, weight decay as (e_n, e_L)):",
        *[f"  {r['layer']}: " + ", ".join(
            f"{k} " + ("-" if r[k] is None else f"({r[k]['e_n']}, {r[k]['e_L']})")
            for k in ("multiplier", "init_std", "lr", "epsilon", "weight_decay")) for r in d.layers],
    ]


def _at_depth(d: DepthDerivation) -> list[str]:
    """The preset at its ``depth`` (the derivation itself is in exponents, valid for every L)."""
    L = d.model.depth
    if L is None:
        return []
    return [f"At L = {L}: branch multiplier L^-alpha = {L ** -float(d.model.alpha):.4g}, block LR "
            f"factor L^-c_L = {L ** -float(d.model.block[0].c_L):.4g} (the exponents below hold "
            "for every L)."]


def render_text(d: DepthDerivation, md: bool = False) -> str:
    from widthlimits.theory.derivation.render_text import md_escape

    esc = (lambda s: md_escape(s)) if md else (lambda s: s)  # noqa: E731
    out = [("# " if md else "") + esc(d.title)]
    if not md:
        out.append("=" * min(80, len(d.title)))
    out += ["", *[esc(x) for x in _setup_lines(d)], ""]
    for key, head in PHASES.items():
        lines = d.phase(key)
        if not lines:
            continue
        out += [("## " if md else "") + head, "" if md else "-" * len(head)]
        for x in lines:
            s = f"{x.name}: {arithmetic_text(x)}"
            out.append(("- `" + s + "`") if md else "  " + s)
            why = f"{COMBINES[x.combine]}; {x.rule}" + (f"; source: {x.source}" if x.source else "")
            out.append(("  " if md else "      ") + esc(why))
        out.append("")
    out += _conclusion_text(d, esc, md)
    return "\n".join(out) + "\n"


def _conclusion_text(d: DepthDerivation, esc: Any, md: bool) -> list[str]:
    r = d.regime
    out = [("## " if md else "") + "Conclusion", "" if md else "----------",
           esc(f"depth regime: {r.summary}"),
           esc(f"  stable in depth: {r.stable}"), esc(f"  {r.block_contribution}"),
           esc(f"  {r.block_features}"), esc(f"  {r.output}")]
    if "error" in d.rules:
        out.append(esc(f"rules: {d.rules['error']}"))
    else:
        out.append(esc("rules solved from the engine (powers of L): block LR L^"
                       f"{d.rules['block_lr_L']}"
                       + (f", LN LR L^{d.rules['norm_lr_L']}" if d.rules["norm_lr_L"] is not None else "")
                       + (f", bias LR L^{d.rules['bias_lr_L']}" if d.rules["bias_lr_L"] is not None else "")
                       + (f", weight decay L^{d.rules['weight_decay_L']}"
                          if d.rules["weight_decay_L"] is not None else "")))
        if d.literature is not None:
            out.append(esc(f"the model sets: block LR L^{d.literature['block_lr_L']}"))
    return out


# ---------------------------------------------------------------------------- LaTeX
def size_tex(s: Size) -> str:
    if is_zero(s):
        return "0"
    if is_diverging(s):
        return r"e^{\Theta(L)}"
    return rf"\Theta(n^{{{exp_tex(s.n)}}} L^{{{exp_tex(s.L)}}})"  # type: ignore[union-attr]


def pair_tex(s: Size) -> str:
    if is_zero(s):
        return r"-\infty"
    if is_diverging(s):
        return r"+\infty"
    return f"({exp_tex(s.n)}, {exp_tex(s.L)})"  # type: ignore[union-attr]


def _name_tex(name: str) -> str:
    return r"\texttt{" + escape_tex(name) + "}"


def line_tex(x: DepthLine) -> str:
    terms = [rf"\underbrace{{{pair_tex(s)}}}_{{\text{{{escape_tex(lab)}}}}}" for lab, s in x.inputs]
    if x.combine in ("given", "normalized"):
        arith = pair_tex(x.result)
    elif x.combine == "max":
        arith = (terms[0] if len(terms) == 1 else r"\max\{" + ", ".join(terms) + r"\}") \
            + " = " + pair_tex(x.result)
    elif x.combine == "blowup":
        arith = (r"\begin{cases}+\infty & \text{if } " + terms[0] + r" > (0, 0)\\ "
                 + terms[1] + r" & \text{otherwise}\end{cases} = " + pair_tex(x.result))
    else:
        arith = (" - " if x.combine == "ratio" else " + ").join(terms) + " = " + pair_tex(x.result)
    head = _name_tex(x.name) + (f" ({escape_tex(x.meaning)})" if x.meaning else "")
    how = escape_tex(COMBINES[x.combine][:1].upper() + COMBINES[x.combine][1:])
    if x.correlated is not None:
        how = (r"\textbf{" + escape_tex("sum over the L blocks, ")
               + ("correlated: " + r"$+1$" if x.correlated else "uncorrelated: " + r"$+\tfrac12$")
               + r" in $L$}")
    src = (r" Source: " + escape_tex(x.source) + ".") if x.source else ""
    return (r"\item " + head + r": size $" + size_tex(x.result) + r"$." + "\n"
            + r"\[ (e_n, e_L) = " + arith + r" \]" + "\n"
            + how + ". " + escape_tex(x.rule[:1].upper() + x.rule[1:]) + "." + src)


def _setup_tex(d: DepthDerivation) -> list[str]:
    m = d.model
    rows = []
    for r in d.layers:
        cells = [("--" if r[k] is None else f"$({exp_tex(Fraction(r[k]['e_n']))}, "
                  f"{exp_tex(Fraction(r[k]['e_L']))})$")
                 for k in ("multiplier", "init_std", "lr", "epsilon", "weight_decay")]
        rows.append(_name_tex(r["layer"]) + " & " + " & ".join(cells) + r" \\")
    return [
        r"\section{Setup}",
        r"Residual MLP $x^l = x^{l-1} + L^{-\alpha}\,\mathrm{branch}_l(\mathrm{LN}(x^{l-1}))$, "
        rf"$l = 1..L$, with $\alpha = {exp_tex(m.alpha)}$, " + escape_tex(
            f"{len(m.block)} weight layer(s) per block, layernorm {m.layernorm}, biases "
            f"{m.biases}, activation {m.activation}, optimizer {m.optimizer}, weight decay "
            f"{m.weight_decay}") + ".",
        r"A size $\Theta(n^{e_n} L^{e_L})$ is written $(e_n, e_L)$; sizes compare width first "
        r"(the width limit is taken first: TP VI, arXiv 2310.02244, Sec.~3.3); $-\infty$ is an "
        r"identically zero quantity. " + " ".join(escape_tex(t) for t in _at_depth(d)),
        "",
        r"\begin{tabular}{l|lllll}",
        r"role & multiplier & init std & LR & $\epsilon$ & weight decay \\ \hline",
        *rows,
        r"\end{tabular}",
    ]


def render_body(d: DepthDerivation) -> str:
    out = [r"% widthlimits depth derivation: " + escape_tex(d.title)]
    out += _setup_tex(d)
    for key, head in PHASES.items():
        lines = d.phase(key)
        if not lines:
            continue
        out += [r"\section{" + escape_tex(head) + "}", r"\begin{itemize}"]
        out += [line_tex(x) for x in lines]
        out += [r"\end{itemize}"]
    out += [r"\section{Conclusion}", r"\begin{itemize}"]
    out += [r"\item " + escape_tex(t) for t in _conclusion_text(d, lambda s: s, False)[2:]]
    out += [r"\end{itemize}", ""]
    return "\n".join(out)


def render_document(d: DepthDerivation) -> str:
    """A complete article (article, amsmath, amssymb: texlive-latex-base)."""
    return "\n".join([
        r"\documentclass[10pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\allowdisplaybreaks",
        r"\title{" + escape_tex(d.title) + "}",
        r"\author{generated by widthlimits}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        render_body(d),
        r"\end{document}",
        "",
    ])


__all__ = ["FORMATS", "MEANINGS", "PHASES", "DepthDerivation", "DepthLine", "depth_derivation",
           "recompute", "render_body", "render_document", "render_text"]
