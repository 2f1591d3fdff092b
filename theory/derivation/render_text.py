"""Plain-text and Markdown rendering of a :class:`~widthlimits.theory.derivation.model.Derivation`.

Plain text uses the engine's own notation (``h^2_1``, ``dx^1_1``, exponents as ``1/2`` and
``-inf``); every derivation line has the machine-readable form

``<quantity>^<layer>_<step>: e = <arithmetic> = <result>``

with each input written ``<exponent> [<rule>: <what>]``, so tests can parse the exponents back.
Markdown uses ``$...$`` math with the LaTeX renderer's symbols and exponents.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import sympy

from widthlimits.theory.derivation.render_latex import (
    REFERENCES,
    exp_tex,
    optimizer_coefficient,
    param_runs,
    qty_tex,
    shown_inputs,
    size_tex,
    what_tex,
)
from widthlimits.theory.exponents import Exponent, fmt, is_neg_inf, is_symbolic
from widthlimits.theory.parametrization import layer_list

if TYPE_CHECKING:
    from widthlimits.theory.derivation.model import Condition, Derivation, Line


def _clean(s: str) -> str:
    """User text on one line (no control characters)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(s)).split())


def qty_text(q: str, layer: int | None, step: int | str) -> str:
    return f"{q}^{layer}_{step}" if layer is not None else f"{q}_{step}"


def _e(e: Exponent) -> str:
    if is_symbolic(e):
        return sympy.sstr(e)
    return str(fmt(e))


def _inp(i) -> str:  # type: ignore[no-untyped-def]
    return f"{_e(i.exponent)} [{i.rule}: {_clean(i.what)}]"


def arithmetic_text(d: Derivation, line: Line) -> str:
    res = _e(line.result)
    if d.symbolic is not None:
        return f"e = {res}"
    if line.combine == "max":
        shown = shown_inputs(line)
        if len(shown) == 1:
            return f"e = {_inp(shown[0])} = {res}"
        return "e = max(" + ", ".join(_inp(i) for i in shown) + f") = {res}"
    if line.combine == "sum":
        return "e = " + " + ".join(_inp(i) for i in line.inputs) + f" = {res}"
    if line.combine == "nonlinearity":
        ins = [i for i in line.inputs if i.what.startswith(("h", "dh"))]
        return (f"e = {d.activation.name}(" + ", ".join(_inp(i) for i in ins) + f") = {res}")
    if line.combine == "optimizer":
        k = optimizer_coefficient(d, line)
        if is_neg_inf(k) or is_neg_inf(line.result):
            return f"e = {res}"
        rest = line.result - k  # type: ignore[operator]
        label = "-a-c" if d.optimizer.entrywise else ("-a-c+d" if d.parametrization.d is not None
                                                        else "-a-c")
        inner = "e(Q)" if d.optimizer.entrywise else "e(grad)"
        return f"e = {_e(k)} [optimizer: {label}] + {_e(rest)} [optimizer: {inner}] = {res}"
    return f"e = {res}"


def _cond_text(c: Condition) -> str:
    step = "t" if c.step is None else str(c.step)
    lhs = (f"max_t e({qty_text(c.quantity, c.layer, step)})" if c.step is None
           else f"e({qty_text(c.quantity, c.layer, step)})")
    verdict = "" if c.holds is None else ("  [holds]" if c.holds else "  [VIOLATED]")
    return f"  {lhs} = {_e(c.exponent)} {c.relation} 0  ({c.meaning}){verdict}"


def _steps_text(d: Derivation, md: bool) -> list[str]:
    from widthlimits.theory.derivation.model import PHASES

    out: list[str] = []
    if d.stationary_from is not None and d.symbolic is None:
        first = (f"Steps 0..{d.steps} computed; from step {d.stationary_from} on the exponents "
                 "repeat (induction over steps: the update adds nothing larger to W_t - W_0).")
    else:
        first = f"Steps 0..{d.steps} computed ({d.stop_reason})."
    out.append(md_escape(first, line_start=True) if md else first)
    for b in d.blocks:
        out.append("")
        out.append(f"### Step t = {b.step}" if md else f"Step t = {b.step}")
        if b.same_as_previous:
            out.append(f"Every exponent is as at step {b.step - 1}.")
            continue
        if b.zero:
            if md:
                out.append("Identically zero at t = 0 (nothing updated yet): "
                           + ", ".join(f"${qty_tex(x.quantity, x.layer, x.step)}$" for x in b.zero))
            else:
                out.append("  identically zero at t = 0: "
                           + ", ".join(qty_text(x.quantity, x.layer, x.step) for x in b.zero))
        for key, heading in PHASES:
            lines = b.phase(key)
            if not lines:
                continue
            out.append(f"**{heading}**" if md else f"  {heading}")
            for x in lines:
                out.append(_md_line(d, x) if md else
                           f"    {qty_text(x.quantity, x.layer, x.step)}: {arithmetic_text(d, x)}")
        if d.stationary_from is not None and b.step == d.stationary_from:
            out.append(f"From step {b.step} on the exponents repeat.")
    return out


def _md_line(d: Derivation, line: Line) -> str:
    q = qty_tex(line.quantity, line.layer, line.step)
    if d.symbolic is not None:
        return f"- ${q}$: $e = {exp_tex(line.result)}$"
    if line.combine == "max":
        shown = shown_inputs(line)
        nums = [exp_tex(i.exponent) for i in shown]
        body = (nums[0] if len(nums) == 1 else r"\max(" + ", ".join(nums) + ")")
        rules = ", ".join(f"{i.rule} ${what_tex(i.what)}$" if r"\text" not in what_tex(i.what)
                          else f"{i.rule}: {md_escape(i.what)}" for i in shown)
    elif line.combine == "sum":
        body = " + ".join(_p(i.exponent) for i in line.inputs)
        rules = ", ".join(f"{i.rule}: {md_escape(i.what)}" for i in line.inputs)
    elif line.combine == "nonlinearity":
        ins = [i for i in line.inputs if i.what.startswith(("h", "dh"))]
        body = r"\phi(" + ", ".join(exp_tex(i.exponent) for i in ins) + ")"
        rules = f"nonlinearity {d.activation.name} of " + ", ".join(
            f"${what_tex(i.what)}$" for i in ins)
    else:
        k = optimizer_coefficient(d, line)
        if is_neg_inf(k) or is_neg_inf(line.result):
            body, rules = exp_tex(line.result), "optimizer"
        else:
            body = f"{_p(k)} + {_p(line.result - k)}"  # type: ignore[operator]
            rules = "optimizer: " + ("-a-c plus e(Q)" if d.optimizer.entrywise else
                                     "-a-c+d plus e(grad)" if d.parametrization.d is not None
                                     else "-a-c plus e(grad)")
    return f"- ${q}$: $e = {body} = {exp_tex(line.result)}$ ({rules})"


def _p(e: Exponent) -> str:
    s = exp_tex(e)
    return f"({s})" if s.startswith("-") else s


def _conclusion_lines(d: Derivation, md: bool) -> list[str]:
    c = d.conclusion
    out: list[str] = []
    if c is None:
        sc = d.symbolic
        assert sc is not None
        esc = md_escape if md else _clean
        out.append(esc("Symbols: " + ", ".join(str(s) for s in sc.symbols)))
        for s, v in sc.substitutions:
            out.append(esc(f"Assumed (TP4 Thm 3.3(1), non-degenerate init): {s} = {v}"))
        out.append("Stability holds iff all of:")
        for cl in sc.stability.relationals():
            out.append("  " + " or ".join(_rel(r, md) for r in cl))
        from widthlimits.theory.derivation.symbolic import alternative_relationals

        for name, alts in (("Nontrivial", sc.nontrivial), ("Feature learning", sc.feature_learning),
                           ("Discrete time", sc.discrete_time)):
            if not alts:
                out.append(f"{name} (given stability): never")
            elif alts == ((),):
                out.append(f"{name} (given stability): always")
            else:
                out.append(f"{name} (given stability) iff one of:")
                for a in alternative_relationals(alts, sc.stability):
                    out.append("  " + " and ".join(_rel(r, md) for r in a))
        return out
    out.append(_clean(c.headline))
    out.append(f"Regime: {c.regime.replace('_', ' ')} (stable: {c.stable}, nontrivial: "
               f"{c.nontrivial})")
    for v in c.violations:
        where = f"layer {v.layer}" if v.layer is not None else "output"
        out.append(f"Violated: e({qty_text(v.quantity, v.layer, v.step)}) = {fmt(v.exponent)} > 0 "
                   f"at step {v.step}, {where} ({v.meaning})")
    if c.r is not None:
        out.append(f"r = {fmt(c.r)} (x^L_t - x^L_0 = Theta(n^-r))")
    if c.feature_learning_layers:
        out.append("Feature learning in layers " + layer_list(c.feature_learning_layers))
    if c.step_change_exponent is not None:
        kind = ("discrete time" if c.discrete_time else
                ("continuous time, t = n^" + str(fmt(c.time_rescaling)) + " tau steps"
                 if c.time_rescaling is not None else "n/a (unstable)"))
        out.append(f"Per-step output change f_(t+1) - f_t: e = {fmt(c.step_change_exponent)} ({kind})")
    for g in c.degenerate:
        if g.lifted_at is not None:
            out.append(f"Layer {g.layer} degenerate at init (e(h^{g.layer}_0) = "
                       f"{fmt(g.init_exponent)}), lifted at step {g.lifted_at}")
        else:
            out.append(f"Layer {g.layer} degenerate at init (e(h^{g.layer}_0) = "
                       f"{fmt(g.init_exponent)}), never lifted: step-0 update entries e = "
                       f"{fmt(g.update_exponent)}, action at step 1 e = {fmt(g.action_exponent)}, "
                       f"e(h^{g.layer}_t) = {fmt(g.final_exponent)} at every step")
    if c.fails_to_move_at is not None:
        out.append(f"The degenerate network fails to move at step {c.fails_to_move_at}: the update "
                   "is too small to lift the degenerate layers and f_t - f_0 -> 0 at every step "
                   "(Golikov 2020).")
    out.extend(f"Binding: {b}" for b in c.binding)
    out.extend(f"Note: {n}" for n in c.notes)
    if md:  # plain text in list items: escape what Markdown would read as markup
        out = [f"**{md_escape(out[0])}**"] + [md_escape(x, line_start=True) for x in out[1:]]
    return out


def relation_text(r: sympy.Rel) -> str:
    """``a_2 + c/2 <= 1/2`` (``<=``, ``>=`` or ``=``), as the text derivation prints it."""
    op = "<=" if isinstance(r, sympy.Le) else "=" if isinstance(r, sympy.Eq) else ">="
    return f"{sympy.sstr(r.lhs)} {op} {sympy.sstr(r.rhs)}"


def _rel(r: sympy.Rel, md: bool) -> str:
    if md:
        from widthlimits.theory.derivation.render_latex import rel_tex

        return f"${rel_tex(r)}$"
    return relation_text(r)


def _param_rows(d: Derivation, md: bool) -> list[str]:
    p = d.parametrization
    cols = ["a", "b", "c"] + (["d"] if p.d is not None else [])
    vecs = [p.a, p.b, p.c] + ([p.d] if p.d is not None else [])
    if md:
        out = ["| layer | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        for i, j, _, vals in param_runs(d):  # consecutive equal layers in one row, "2-100"
            out.append(f"| {i if i == j else f'{i}-{j}'} | "
                       + " | ".join(f"${exp_tex(v)}$" for v in vals) + " |")
        return out
    return [f"  {c} = (" + ", ".join(_e(x) for x in v) + ")" for c, v in zip(cols, vecs, strict=True)]


def render_text(d: Derivation) -> str:
    """Plain text: the same derivation in the engine's notation."""
    out = [_clean(d.title), "=" * min(80, max(3, len(_clean(d.title)))), "",
           f"Setup: MLP with L = {d.depth} hidden layers of width n, activation {d.activation.name}, "
           f"{d.loss} loss, optimizer {d.optimizer.name}; W^l = n^-a_l w^l, "
           "w^l ~ N(0, n^-2b_l), learning rate n^-c_l.",
           f"Parametrization {_clean(d.parametrization.name or 'custom')}:",
           *_param_rows(d, False),
           "Exponents e: size Theta(n^e) of the typical coordinate; -inf = identically zero.",
           "Assumptions:", *[f"  - {a}" for a in d.assumptions], "", "Derivation", "----------"]
    out += _steps_text(d, md=False)
    if d.symbolic is None:
        out += ["", "Conditions", "----------"]
        out += [_cond_text(c) for c in d.conditions]
    out += ["", "Conclusion", "----------"]
    out += _conclusion_lines(d, md=False)
    out += ["", "References"] + [f"  [{k}] {v}" for k, v in REFERENCES]
    return "\n".join(out) + "\n"


#: ASCII punctuation: a backslash before one of these is an escape (CommonMark 0.31, sec. 2.4)
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_THEMATIC_BREAK = re.compile(r"^([-*_])(?:\s*\1){2,}\s*$")
_ORDERED_MARKER = re.compile(r"^[0-9]{1,9}[.)](?=\s|$)")


def _flanked(s: str, i: int) -> bool:
    """Whether the delimiter run of ``s[i]`` (``*``, ``_`` or ``~``) can open or close emphasis
    (CommonMark sec. 6.2; GFM strikethrough uses the same rule): a run with whitespace or the
    line's edge on both sides is literal, and a ``_`` run between two letters or digits
    (intraword) is literal too."""
    ch = s[i]
    j, k = i, i
    while j > 0 and s[j - 1] == ch:
        j -= 1
    while k + 1 < len(s) and s[k + 1] == ch:
        k += 1
    before = s[j - 1] if j > 0 else " "
    after = s[k + 1] if k + 1 < len(s) else " "
    if before.isspace() and after.isspace():
        return False
    return not (ch == "_" and before.isalnum() and after.isalnum())


def md_escape(s: str, *, line_start: bool = False, heading: bool = False) -> str:
    r"""User or library text as literal Markdown (CommonMark/GFM with ``$...$`` math), escaping
    only the characters that would otherwise be read as markup where they stand:

    * ``` `` ``` (code), ``$`` (math), ``[`` (links, images, footnotes) everywhere;
    * ``*``, ``_``, ``~`` only where they could open or close emphasis or strikethrough (not
      between spaces, not ``_`` inside a word such as ``leaky_relu``);
    * ``<`` only before what could start an HTML tag or autolink, ``&`` only before an entity
      such as ``&amp;``, ``\`` only before punctuation or at the end (a hard line break);
    * with ``line_start`` (the text opens a block: a list item's text) a leading ``#``, ``>``,
      ``-``/``+``/``*`` list marker, ``1.`` ordered-list marker or a thematic break;
    * with ``heading`` a trailing run of ``#`` (an ATX heading's closing sequence).

    Parentheses, dots, braces, ``!``, ``+``, ``-``, ``|`` and ``#`` inside a line need nothing.
    Undoing CommonMark's backslash escapes gives back the text (tests/latex/test_md_escape.py).

    >>> md_escape("leaky_relu (not odd), Theta(max(1, |f_t|)).")
    'leaky_relu (not odd), Theta(max(1, |f_t|)).'
    >>> md_escape("W^{L+1}_t, *a*, $5, [x](y), <b>")
    'W^{L+1}\\_t, \\*a\\*, \\$5, \\[x](y), \\<b>'
    """
    t = _clean(s)
    out: list[str] = []
    for i, ch in enumerate(t):
        nxt = t[i + 1] if i + 1 < len(t) else ""
        if ch in "`$[":
            esc = True
        elif ch in "*_~":
            esc = _flanked(t, i)
        elif ch == "<":
            esc = nxt.isalpha() or nxt in "/!?"
        elif ch == "&":
            esc = _ENTITY.match(t, i) is not None
        elif ch == "\\":
            esc = nxt == "" or nxt in _ASCII_PUNCT
        else:
            esc = False
        out.append("\\" + ch if esc else ch)
    if line_start and t:
        first = t[0]
        m = _ORDERED_MARKER.match(t)
        if m is not None:  # "1. x" would start an ordered list: escape its "." or ")"
            k = m.end() - 1
            out[k] = "\\" + t[k]
        elif (first in "#>" or (first in "-+*" and (len(t) == 1 or t[1].isspace()))
              or _THEMATIC_BREAK.match(t)) and not out[0].startswith("\\"):
            out[0] = "\\" + first
    if heading and t.endswith("#"):
        k = len(t) - 1
        while k > 0 and t[k - 1] == "#":
            k -= 1
        if k == 0 or t[k - 1].isspace():  # a closing sequence: " ##" at the end
            out[k] = "\\#"
    return "".join(out)


def render_markdown(d: Derivation) -> str:
    """Markdown with ``$...$`` math (GitHub, Jupyter)."""
    out = [f"# {md_escape(d.title, heading=True)}", "",
           f"MLP with $L = {d.depth}$ hidden layers of width $n$, activation "
           f"{md_escape(d.activation.name)}, {d.loss} loss, optimizer {md_escape(d.optimizer.name)}; "
           r"$W^l = n^{-a_l} w^l$, $w^l_{\alpha\beta} \sim \mathcal N(0, n^{-2b_l})$, learning rate "
           r"$\eta n^{-c_l}$. A size $\Theta(n^{e})$ is written $e$; $e = -\infty$ is identically "
           "zero.", "",
           f"Parametrization {md_escape(d.parametrization.name or 'custom')}:", "",
           *_param_rows(d, True), "", "**Assumptions**", "",
           *[f"- {md_escape(a, line_start=True)}" for a in d.assumptions], "", "## Derivation", ""]
    out += _steps_text(d, md=True)
    if d.symbolic is None:
        out += ["", "## Conditions", ""]
        for c in d.conditions:
            step = "t" if c.step is None else str(c.step)
            rel = {"<=": r"\le", "=": "="}[c.relation]
            verdict = "" if c.holds is None else (" ✓" if c.holds else " **violated**")
            out.append(f"- $e({qty_tex(c.quantity, c.layer, step)}) = {exp_tex(c.exponent)} "
                       f"{rel} 0$ ({md_escape(c.meaning)}){verdict}")
    out += ["", "## Conclusion", ""]
    out += [f"- {x}" for x in _conclusion_lines(d, md=True)]
    if d.conclusion is not None and d.conclusion.step_change_exponent is not None:
        out.append(f"- $f_{{t+1}} - f_t = {size_tex(d.conclusion.step_change_exponent)}$")
    out += ["", "## References", ""] + [f"- {v}" for _, v in REFERENCES]
    return "\n".join(out) + "\n"
