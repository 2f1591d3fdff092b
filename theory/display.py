"""What a verdict looks like: the per-layer table of a classification, and its notebook forms.

One place for the table that the CLI prints (:mod:`widthlimits.proofs_checks.format`) and that a
notebook shows: :func:`layer_table` gives headers and rows of exact exponents (as text);
:func:`classification_html` and :func:`derivation_html` wrap them in HTML (``_repr_html_``),
:func:`classification_latex` writes them as one math block (``_repr_latex_``).  All free text is
escaped (HTML: :func:`html.escape`; LaTeX: the derivation renderer's ``escape_tex``).  The LaTeX
renderer (sympy) is imported only when LaTeX is asked for.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from widthlimits.theory.exponents import fmt
from widthlimits.theory.parametrization import layer_list

if TYPE_CHECKING:
    from widthlimits.theory.classify import Classification
    from widthlimits.theory.closed_forms import ClosedFormResult
    from widthlimits.theory.derivation.model import Derivation, SymbolicConditions


def layer_table(c: Classification) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: per weight layer its exponents a, b, c, d and the engine's key sizes
    (:math:`h_0` or :math:`f_0`, the feature change at the last step, the update's action, the
    step-0 update entry)."""
    e = c.engine
    p = e.parametrization
    L, T = e.depth, e.steps
    ex = e.exponents
    rows = []
    for l in range(1, L + 2):
        kind = "input" if l == 1 else ("readout" if l == L + 1 else "hidden")
        rows.append([
            str(l), kind, fmt(p.a[l - 1]), fmt(p.b[l - 1]), fmt(p.c[l - 1]),
            fmt(p.d[l - 1]) if p.d is not None else "-",
            fmt(ex[("h", l, 0)]) if l <= L else fmt(ex[("f", None, 0)]),
            fmt(ex[("dx", l, T)]) if l <= L else fmt(ex[("df", None, T)]),
            fmt(ex[("dWx", l, T)]),
            fmt(ex[("dW", l, 0)]),
        ])
    headers = ["layer", "kind", "a", "b", "c", "d", "h_0 (f_0)", f"dx_{T} (df_{T})", f"dWx_{T}",
               "dW_0"]
    return headers, rows


def layers_text(layers: Sequence[int]) -> str:
    """A set of layers as the text writes it: runs as ranges (``1-1000``, ``1,2``, ``2-5,7``),
    ``none`` when empty."""
    return layer_list(list(layers)) or "none"


def closed_form_words(c: Classification) -> str | None:
    """The closed form's verdict beside the engine's, or None without a theorem.

    A stable verdict reads ``feature_learning, r = 0 -- agrees with the engine`` (the regime
    and r agree; if only the regime does, the engine's r is named).  An unstable one names the
    first inequality of the theorem that fails, with the value of its left-hand side, instead of
    an r: r is a property of a limit, and an unstable parametrization has none, so the
    engine's r is not printed beside it; "agrees" is then about the regime only."""
    cf = c.closed_form
    if cf is None:
        return None
    if not cf.applies:
        return f"closed form ({cf.theorem}): does not apply -- {cf.reason}"
    if cf.stable:
        said = f"{cf.regime}, r = {fmt(cf.r)}"
    else:
        failed = [f"{n} (it is {fmt(lhs)})" for n, lhs, _, _, holds in cf.conditions if not holds]
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        said = f"unstable: fails {', '.join(failed[:3])}{more}"
    if not c.closed_form_comparable:
        return (f"closed form ({cf.theorem}): {said} -- not compared: the engine's verdict covers "
                f"steps 0..{c.engine.steps} only")
    if cf.regime != c.regime:
        return f"closed form ({cf.theorem}): {said} -- DISAGREES with the engine ({c.regime})"
    if not cf.stable:
        return f"closed form ({cf.theorem}): {said} -- the engine also finds it unstable"
    if cf.r != c.r:
        return (f"closed form ({cf.theorem}): {said} -- agrees with the engine on the regime "
                f"(the engine's r = {fmt(c.r)})")
    return f"closed form ({cf.theorem}): {said} -- agrees with the engine"


def facts(c: Classification) -> list[tuple[str, str]]:
    """The verdict as (label, value) pairs, in reading order."""
    out = [("regime", str(c.regime)), ("stable", str(c.stable)),
           ("nontrivial", str(c.nontrivial))]
    if c.stable:
        out.append(("feature learning layers", layers_text(c.feature_learning_layers)))
        out.append(("r", fmt(c.r) or "-"))
    elif c.first_blow_up is not None:
        out.append(("blows up first", str(c.first_blow_up)))
    if c.discrete_time is not None:
        out.append(("time", "discrete" if c.discrete_time else
                    f"continuous after t = n^{{{fmt(c.time_rescaling)}}} tau"))
    if c.degenerate:
        out.append(("degenerate layers", layers_text([g.layer for g in c.degenerate])))
    if (words := closed_form_words(c)) is not None:
        label, _, said = words.partition(": ")
        out.append((label, said))
    return out


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain HTML table, every cell escaped."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def classification_html(c: Classification) -> str:
    """Headline, per-layer table and the verdict's facts as HTML (``_repr_html_``)."""
    headers, rows = layer_table(c)
    return ('<div class="widthlimits-classification">'
            f"<p><strong>{html.escape(c.headline)}</strong></p>"
            + html_table(headers, rows)
            + html_table(["", ""], [[k, v] for k, v in facts(c)])
            + "</div>")


def classification_latex(c: Classification) -> str:
    """The per-layer exponents and the verdict as one display-math block (``_repr_latex_``)."""
    from widthlimits.theory.derivation.render_latex import escape_tex, exp_tex

    e = c.engine
    p = e.parametrization
    L = e.depth
    ex = e.exponents
    rows = r"\\".join(
        f"{l} & {exp_tex(p.a[l - 1])} & {exp_tex(p.b[l - 1])} & {exp_tex(p.c[l - 1])} & "
        + (exp_tex(ex[("h", l, 0)]) if l <= L else exp_tex(ex[("f", None, 0)]))
        for l in range(1, L + 2))
    table = (r"\begin{array}{c|ccc|c} l & a_l & b_l & c_l & e(h^l_0)\ (e(f_0))\\\hline " + rows
             + r"\end{array}")
    return (r"$\displaystyle \begin{array}{l}\text{" + escape_tex(c.headline) + r"}\\[4pt] "
            + table + r"\end{array}$")


def closed_form_html(cf: ClosedFormResult) -> str:
    """The theorem's inequalities with whether each holds (``_repr_html_``)."""
    if not cf.applies:
        return f"<p>{html.escape(cf.theorem)}: does not apply ({html.escape(cf.reason)})</p>"
    rows = [[name, fmt(lhs), rel, fmt(rhs), "yes" if holds else "no"]
            for name, lhs, rel, rhs, holds in cf.conditions]
    return (f"<p>{html.escape(cf.theorem)}: <strong>{html.escape(str(cf.regime))}</strong>, "
            f"r = {html.escape(fmt(cf.r))}</p>"
            + html_table(["condition", "lhs", "", "rhs", "holds"], rows))


def derivation_html(d: Derivation) -> str:
    """Title, the verdict (numeric) or the stability conditions (symbolic), and the list of
    conditions with the step where each binds (``_repr_html_``)."""
    parts = [f'<div class="widthlimits-derivation"><h4>{html.escape(d.title)}</h4>']
    if d.conclusion is not None:
        parts.append(classification_html(d.conclusion))
    elif d.symbolic is not None:
        clauses = [" or ".join(str(r) for r in cl) for cl in d.symbolic.stability.relationals()]
        parts.append("<p>stable iff all of:</p>" + html_table(["condition"], [[x] for x in clauses]))
    rows = [[cd.group, cd.quantity, "" if cd.layer is None else str(cd.layer),
             "" if cd.step is None else str(cd.step), fmt(cd.exponent), cd.relation + " 0",
             "" if cd.holds is None else ("yes" if cd.holds else "no"), cd.meaning]
            for cd in d.conditions]
    parts.append(html_table(["group", "quantity", "layer", "step", "exponent", "", "holds",
                             "meaning"], rows))
    parts.append(f"<p>{html.escape(d.stop_reason)}</p></div>")
    return "".join(parts)


def symbolic_conditions_latex(sc: SymbolicConditions) -> str:
    """Stability (a conjunction of disjunctions) and the nontrivial / feature-learning /
    discrete-time alternatives, as one display-math block (``_repr_latex_``)."""
    from widthlimits.theory.derivation.render_latex import rel_tex
    from widthlimits.theory.derivation.symbolic import alternative_relationals

    st = sc.stability
    if st.is_false:
        stable = [r"\text{never}"]
    elif not st.clauses:
        stable = [r"\text{always}"]
    else:
        stable = [r"\quad " + r"\ \text{or}\ ".join(rel_tex(r) for r in c)
                  for c in st.relationals()]
    rows = [r"\text{stable iff all of:}", *stable]
    for title, alts in (("nontrivial", sc.nontrivial), ("feature learning", sc.feature_learning),
                        ("discrete time", sc.discrete_time)):
        if not alts:
            rows.append(rf"\text{{{title}: never}}")
        elif alts == ((),):
            rows.append(rf"\text{{{title}: always (when stable)}}")
        else:
            rows.append(rf"\text{{{title} (when stable) iff one of:}}")
            rows += [r"\quad " + r"\ \text{and}\ ".join(rel_tex(r) for r in a)
                     for a in alternative_relationals(alts, st)]
    return r"$\displaystyle \begin{array}{l}" + r"\\ ".join(rows) + r"\end{array}$"
