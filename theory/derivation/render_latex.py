"""LaTeX rendering of a :class:`~widthlimits.theory.derivation.model.Derivation`.

The document needs only what Debian's ``texlive-latex-base`` ships (article, amsmath, amssymb,
geometry); it is compiled with shell escape off.  Every user-supplied string (title, preset name,
anything that did not come from the engine) goes through :func:`escape_tex`, which makes it
print literally: ``\\input{/etc/passwd}`` prints as those characters and reads nothing.

Exponents are exact: ``Fraction`` prints as ``\\tfrac{p}{q}``, ``-inf`` (identically zero) as
``-\\infty``, sympy expressions through :func:`sympy.latex`.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy

from widthlimits.theory.exponents import Exponent, is_neg_inf, is_pos_inf, is_symbolic
from widthlimits.theory.parametrization import equal_runs

if TYPE_CHECKING:
    from widthlimits.theory.derivation.model import Condition, Derivation, Input, Line

REFERENCES = (
    ("yanghu2021", "G. Yang and E. J. Hu. Tensor Programs IV: Feature learning in infinite-width "
                   "neural networks. ICML 2021. arXiv:2011.14522."),
    ("yanglittwin2023", "G. Yang and E. Littwin. Tensor Programs IVb: Adaptive optimization in the "
                        "infinite-width limit. arXiv:2308.01814, 2023."),
    ("golikov2020", "E. Golikov. Towards a general theory of infinite-width limits of neural "
                    "classifiers. ICML 2020. arXiv:2003.05884."),
)

_ESC = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''",
}


def escape_tex(text: str) -> str:
    """Escape free text for LaTeX text mode so that it prints literally and executes nothing.

    Every special character becomes a printing command, ligatures that would change characters
    (``--``, ``!```, ``?```, `````, ``''``) are broken with ``{}``, control characters and
    line breaks become spaces, and characters outside Latin-1 print as ``[U+XXXX]``.

    >>> escape_tex(r"\\input{/etc/passwd} 50% $x$")
    '\\\\textbackslash{}input\\\\{/etc/passwd\\\\} 50\\\\% \\\\$x\\\\$'
    """
    out: list[str] = []
    for ch in str(text):
        o = ord(ch)
        if ch in _ESC:
            out.append(_ESC[ch])
        elif ch in "-`'!?":
            out.append(ch + "{}")
        elif o < 32 or o == 127 or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" ")
        elif o < 127:
            out.append(ch)
        elif 0xC0 <= o <= 0xFF and ch not in "\u00d7\u00f7":
            out.append(ch)  # Latin-1 letters: utf8 input encoding handles them with OT1
        else:
            out.append(f"[U+{o:04X}]")
    return "".join(out).replace("{}{}", "{}")


def _text(s: str) -> str:
    return r"\text{" + escape_tex(s) + "}"


# ------------------------------------------------------------------------------ exponents
_SYMBOL_NAMES = {"q_sigma": r"q_{\sigma}", "qt_a": r"\tilde q_{a}", "qt_w": r"\tilde q_{w}",
                 "qt_v": r"\tilde q_{v}"}


def sym_names(e: sympy.Basic) -> dict[sympy.Symbol, str]:
    return {s: _SYMBOL_NAMES[s.name] for s in e.free_symbols if s.name in _SYMBOL_NAMES}


def exp_tex(e: Exponent) -> str:
    """An exact exponent in LaTeX: ``\\tfrac{1}{2}``, ``-1``, ``-\\infty``, or sympy's form."""
    if isinstance(e, float):
        if is_neg_inf(e):
            return r"-\infty"
        if is_pos_inf(e):
            return r"\infty"
    if isinstance(e, Fraction):
        if e.denominator == 1:
            return str(e.numerator)
        sign = "-" if e < 0 else ""
        return rf"{sign}\tfrac{{{abs(e.numerator)}}}{{{e.denominator}}}"
    e = sympy.sympify(e)
    if e.is_Rational:
        return exp_tex(Fraction(int(e.p), int(e.q)))
    if e == -sympy.oo:
        return r"-\infty"
    if e == sympy.oo:
        return r"\infty"
    return sympy.latex(e, symbol_names=sym_names(e))


#: symbolic exponents longer than this (LaTeX characters) are summarized in step lines
MAX_SHOWN = 1200


def long_exp_tex(e: Exponent, per_line: int = 3) -> str:
    """Like :func:`exp_tex`, breaking a long top-level max over several lines; a very long
    expression is summarized by its number of linear pieces (the text output has it in full)."""
    if not is_symbolic(e) or not isinstance(e, sympy.Max) or len(e.args) <= per_line:
        s = exp_tex(e)
        if len(s) > MAX_SHOWN:
            return r"\text{(a max-plus expression, " + str(len(s)) + r" characters; see the text output)}"
        return s
    if len(exp_tex(e)) > MAX_SHOWN:
        return (r"\max\{\text{" + str(len(e.args)) + r" pieces of min-of-linear forms; "
                r"see the text output}\}")
    args = [exp_tex(a) for a in e.args]
    rows = [", ".join(args[i:i + per_line]) for i in range(0, len(args), per_line)]
    return (r"\max\Bigl\{\begin{aligned}[t]&" + r",\\&".join(rows) + r"\Bigr\}\end{aligned}")


def _paren(e: Exponent) -> str:
    s = exp_tex(e)
    return f"({s})" if s.startswith("-") or " " in s or "+" in s else s


def size_tex(e: Exponent) -> str:
    """``\\Theta(n^{e})``; ``\\Theta(1)`` for e = 0; ``0`` for identically zero."""
    if is_neg_inf(e):
        return "0"
    if not is_symbolic(e) and e == 0:
        return r"\Theta(1)"
    return rf"\Theta(n^{{{exp_tex(e)}}})"


# ------------------------------------------------------------------------------ quantities
def _x(layer: int, t: str) -> str:
    return r"\xi" if layer == 0 else f"x^{{{layer}}}_{{{t}}}"


def qty_tex(q: str, layer: int | None, step: int | str) -> str:
    """The symbol of an engine quantity (see :data:`widthlimits.theory.engine.QUANTITIES`)."""
    t = str(step)
    l = layer if layer is not None else 0
    return {
        "h": f"h^{{{l}}}_{{{t}}}",
        "x": f"x^{{{l}}}_{{{t}}}",
        "dh": rf"\Delta h^{{{l}}}_{{{t}}}",
        "dx": rf"\Delta x^{{{l}}}_{{{t}}}",
        "g": f"g^{{{l}}}_{{{t}}}",
        "grad": rf"\nabla_{{w^{{{l}}}}}\mathcal L_{{{t}}}",
        "dW": rf"\Delta W^{{{l}}}_{{{t}}}",
        "dWx": rf"(W^{{{l}}}_{{{t}}}-W^{{{l}}}_{{0}})\,{_x(l - 1, t)}",
        "W0dx": rf"W^{{{l}}}_{{0}}\,\Delta x^{{{l - 1}}}_{{{t}}}",
        "f": f"f_{{{t}}}",
        "df": f"f_{{{t}}}-f_{{0}}",
        "df_step": (f"f_{{{t}+1}}-f_{{{t}}}" if isinstance(step, str)
                    else f"f_{{{int(step) + 1}}}-f_{{{t}}}"),
    }[q]


_TOKEN = re.compile(
    r"(?P<q>(?P<d>d)?(?P<v>[Wxgh])\^\{?(?P<l>\d+|L\+1|L)\}?_\{?(?P<t>\d+|t)\}?(?P<T>\^T)?)"
    r"|(?P<f>f_(?P<ft>\d+|t))|(?P<xi>\bxi\b)|(?P<phi>\bphi\b)|(?P<tr>\^T)"
    r"|(?P<n>n\^\{[^}]*\})|(?P<Q>Q\(\.\))|(?P<times>(?<= )x(?= ))"
    r"|(?P<p>[()=,+\-])|(?P<sp>\s+)|(?P<w>[A-Za-z.:'/0-9]+)|(?P<other>.)"
)


def what_tex(what: str) -> str:
    """The engine's description of a term (``"W^2_0 dx^1_1"``) in LaTeX math.

    Symbols of the engine's notation become math (``dx`` is :math:`\\Delta x`, ``x^0`` the
    input :math:`\\xi`, ``^T`` a transpose); words become ``\\text{...}`` (escaped).
    """
    out: list[str] = []
    words: list[str] = []

    def flush() -> None:
        if words:
            out.append(_text(" ".join(words)))
            words.clear()

    for m in _TOKEN.finditer(what):
        k = m.lastgroup
        if k == "w" or k == "other":
            words.append(m.group(0))
            continue
        if k == "sp":
            continue
        if k == "p" and words and m.group(0) in (",", ".", ":"):
            words[-1] += m.group(0)
            continue
        flush()
        g = m.group(0)
        if k == "q":
            v, l, t = m.group("v"), m.group("l"), m.group("t")
            s = (r"\xi" if v == "x" and l == "0" else f"{v}^{{{l}}}_{{{t}}}")
            if m.group("d"):
                s = r"\Delta " + s
            if m.group("T"):
                s = f"({s})^{{\\top}}"
            out.append(s)
        elif k == "f":
            out.append(f"f_{{{m.group('ft')}}}")
        elif k == "xi":
            out.append(r"\xi")
        elif k == "phi":
            out.append(r"\phi")
        elif k == "tr":
            out.append(r"^{\top}")
        elif k == "n":
            out.append(g.replace("{-", "{-").replace("n^", "n^"))
        elif k == "Q":
            out.append(r"Q(\cdot)")
        elif k == "times":
            out.append(r"\times")
        elif k == "p":
            out.append(g)
    flush()
    return r"\,".join(out).replace(r"\,(\,", "(").replace(r"\,)", ")").replace(r"(\,", "(") \
        .replace(r"\,-\,", "-").replace(r"\,=\,", "=").replace(r"\,^{\top}", "^{\\top}")


# ------------------------------------------------------------------------------ lines
def _rule_label(rule: str) -> str:
    from widthlimits.theory.derivation.model import RULE_NAMES

    return RULE_NAMES.get(rule, rule)


#: short rule tags written under the numbers (explained in the Notation paragraph)
RULE_TAGS = {"CLT": "CLT", "LLN": "LLN", "finite fan-in": "fan-in", "multiplier": "mult",
             "nonlinearity": r"\phi", "optimizer": "opt", "induction": "ind"}


def _tagged(inp: Input, paren: bool = True) -> str:
    tag = RULE_TAGS.get(inp.rule)
    tag = (r"\text{" + escape_tex(inp.rule) + "}") if tag is None else (
        tag if tag.startswith("\\") else r"\text{" + tag + "}")
    num = _paren(inp.exponent) if paren else exp_tex(inp.exponent)
    return rf"\underset{{\scriptscriptstyle {tag}}}{{{num}}}"


def shown_inputs(line: Line) -> tuple[Input, ...]:
    """Inputs shown in a max: identically zero terms are dropped when another term is not."""
    finite = tuple(i for i in line.inputs if not is_neg_inf(i.exponent))
    return finite if finite else line.inputs[:1]


def optimizer_coefficient(d: Derivation, line: Line) -> Exponent:
    """The exponent the optimizer adds to the gradient's (SGD) or to Q's (entrywise)."""
    p = d.parametrization
    i = int(line.layer) - 1
    a, c = p.a[i], p.c[i]
    dd = (p.d[i] if p.d is not None else 0)
    if is_pos_inf(c):
        return float("-inf")
    if d.optimizer.entrywise:
        return -a - c  # type: ignore[operator]
    return -a - c + dd  # type: ignore[operator]


def arithmetic_tex(d: Derivation, line: Line) -> str:
    """The exponent arithmetic of one line: ``e = max(0_{CLT}, -1/2_{LLN}) = 0``."""
    res = exp_tex(line.result) if not is_symbolic(line.result) else long_exp_tex(line.result)
    sym = d.symbolic is not None
    if line.combine == "max":
        if sym:
            return f"e = {res}"
        shown = shown_inputs(line)
        if len(shown) == 1:
            return f"e = {_tagged(shown[0], paren=False)}"
        return r"e = \max\bigl(" + ",\\ ".join(_tagged(i) for i in shown) + rf"\bigr) = {res}"
    if line.combine == "sum":
        if sym:
            return f"e = {res}"
        return "e = " + " + ".join(_tagged(i) for i in line.inputs) + f" = {res}"
    if line.combine == "nonlinearity":
        act = escape_tex(d.activation.name)
        ins = [i for i in line.inputs if i.rule == "nonlinearity" and i.what.startswith(("h", "dh"))]
        lhs = ",\\ ".join(f"e({what_tex(i.what)}) = {exp_tex(i.exponent)}" for i in ins) if not sym \
            else ""
        return (lhs + r"\ \Rightarrow\ " if lhs else "") + rf"e = {res}\ \ (\phi=\text{{{act}}})"
    if line.combine == "optimizer":
        if sym:
            return f"e = {res}"
        k = optimizer_coefficient(d, line)
        if is_neg_inf(k) or is_neg_inf(line.result):
            return rf"e = {res}\ \ (\text{{frozen or zero gradient}})"
        rest = line.result - k  # type: ignore[operator]
        if d.optimizer.entrywise:
            return (rf"e = \underset{{\scriptscriptstyle -a-c}}{{{_paren(k)}}} + "
                    rf"\underset{{\scriptscriptstyle e(Q)}}{{{_paren(rest)}}} = {res}")
        dpart = "+d" if d.parametrization.d is not None else ""
        return (rf"e = \underset{{\scriptscriptstyle -a-c{dpart}}}{{{_paren(k)}}} + "
                rf"\underset{{\scriptscriptstyle e(\nabla)}}{{{_paren(rest)}}} = {res}")
    return f"e = {res}"


def _decomposition(line: Line) -> str:
    """The right-hand side built from the engine's term descriptions, when they are formulas."""
    if line.combine in ("max",) and len(shown_inputs(line)) > 1:
        parts = [what_tex(i.what) for i in shown_inputs(line)]
        if not any(r"\text" in p for p in parts):
            return "= " + " + ".join(parts)
    if line.combine == "nonlinearity" and line.quantity == "x":
        return rf"= \phi(h^{{{line.layer}}}_{{{line.step}}})"
    if line.combine == "nonlinearity" and line.quantity == "dx":
        return (rf"= \phi(h^{{{line.layer}}}_{{0}} + \Delta h^{{{line.layer}}}_{{{line.step}}})"
                rf" - \phi(h^{{{line.layer}}}_{{0}})")
    if line.quantity == "dh":
        return ""
    if line.combine == "max" and len(shown_inputs(line)) == 1 and line.quantity in ("h", "f", "g"):
        p = what_tex(shown_inputs(line)[0].what)
        return "" if r"\text" in p else "= " + p
    return ""


#: the text width of the document (letter paper, 2 cm margins), in points
LINE_PT = 500.0
#: points per unit of :func:`tex_width` (a glyph of a 10pt math font, rounded up)
UNIT_PT = 6.3


def tex_width(s: str) -> float:
    """A rough upper estimate of the printed width of a math-mode string, in glyphs: commands
    count one glyph, sub- and superscripts 0.7, fractions their wider part, binary operators and
    relations 2 (their spacing).  Used to break long rows before TeX would overfill them."""
    s = re.sub(r"\\(?:left|right|[bB]igl|[bB]igr|tilde|mathcal|displaystyle|scriptscriptstyle)\b",
               "", s)
    s = re.sub(r"\\text\{([^{}]*)\}", lambda m: m.group(1), s)
    s = re.sub(r"\\underset\{[^{}]*\}", "", s)
    s = re.sub(r"\\t?frac\{([^{}]*)\}\{([^{}]*)\}",
               lambda m: max(m.group(1), m.group(2), key=len), s)
    w = 0.0
    for m in re.finditer(r"\\qquad|\\quad|\\[,;:! ]|\\[A-Za-z]+|[_^]\{[^{}]*\}|[_^].|[+=<>-]|[,(){}\[\]|]|\S",
                         s):
        t = m.group(0)
        if t == r"\qquad":
            w += 3.6
        elif t == r"\quad":
            w += 1.8
        elif t[0] == "\\" and len(t) == 2 and not t[1].isalpha():
            w += 0.4
        elif t[0] in "_^":
            body = t[2:-1] if t[1:2] == "{" else t[1:]
            w += 0.7 * tex_width(body)
        elif t in "+=<>-":
            w += 2.0
        elif t in "{}":
            continue
        else:
            w += 1.0
    return w


def _pieces(e: Exponent, budget: float, last: str = "") -> list[str]:
    """A symbolic exponent cut at the commas of its top-level max (and of a min too wide for
    ``budget`` glyphs), delimiters ``\\bigl``/``\\bigr`` so pieces may sit on different rows."""
    if is_symbolic(e) and isinstance(e, (sympy.Max, sympy.Min)) and len(e.args) > 1:
        head = r"\max\bigl\{" if isinstance(e, sympy.Max) else r"\min\bigl("
        tail = r"\bigr\}" if isinstance(e, sympy.Max) else r"\bigr)"
        out: list[str] = []
        args = list(e.args)
        for k, a in enumerate(args):
            end = "," if k < len(args) - 1 else tail + last
            s = exp_tex(a)
            out += ([s + end] if tex_width(s) <= budget else _pieces(a, budget, end))
        out[0] = head + out[0]
        return out
    return [exp_tex(e) + last]


def _fill(pieces: list[str], first: float, rest: float) -> list[str]:
    """Pieces packed greedily into rows of at most ``first`` (then ``rest``) glyphs."""
    rows: list[str] = []
    cur, room = "", first
    for p in pieces:
        if cur and tex_width(cur + " " + p) > room:
            rows.append(cur)
            cur, room = "", rest
        cur = (cur + " " + p) if cur else p
    rows.append(cur)
    return rows


def line_tex(d: Derivation, line: Line, col1: float = 0.0, col12: float = 0.0) -> str:
    """One row of the alignat, continued on more rows when it would be wider than the line:
    ``col1`` and ``col12`` are the estimated widths of the block's first and first two
    columns.  Continuation rows start at the second column inside a zero-width box
    (``\\rlap``), so they widen no column."""
    lhs = qty_tex(line.quantity, line.layer, line.step)
    dec = _decomposition(line)
    line_w = LINE_PT / UNIT_PT
    here = line_w - col12 - 3.6  # what the fourth column has left on this row
    below = line_w - col1 - 2.4  # a continuation row (after \quad)
    suffix = ""
    if d.symbolic is not None and is_symbolic(line.result) and len(exp_tex(line.result)) <= MAX_SHOWN:
        if line.combine == "nonlinearity":
            suffix = rf"\ \ (\phi=\text{{{escape_tex(d.activation.name)}}})"
        pieces = ["e ="] + _pieces(line.result, below, suffix)
    else:
        pieces = [arithmetic_tex(d, line)]
    whole = " ".join(pieces)
    if tex_width(whole) <= here:
        return rf"{lhs} &{dec} &\qquad& {whole}"
    if len(pieces) > 1 and tex_width(pieces[0] + " " + pieces[1]) <= here:
        rows = _fill(pieces, here, below)  # the first row in place, the rest below
        head, rest = rows[0], rows[1:]
    else:
        head, rest = "", _fill(pieces, below, below)
    cont = [rf"& \rlap{{$\displaystyle\quad {r}$}} &&" for r in rest]
    return " \\\\\n".join([rf"{lhs} &{dec} &\qquad& {head}", *cont])


#: rows of one alignat environment: amsmath reads a whole environment into memory (twice, to
#: measure it), and the 6001 rows of one phase at depth 1000 exceeded TeX's main memory
ALIGN_ROWS = 100


def _phase_align(d: Derivation, lines: tuple[Line, ...], heading: str) -> list[str]:
    if not lines:
        return []
    out = [r"\paragraph{" + escape_tex(heading) + "}"]
    for k in range(0, len(lines), ALIGN_ROWS):
        chunk = lines[k:k + ALIGN_ROWS]
        lw = [tex_width(qty_tex(x.quantity, x.layer, x.step)) for x in chunk]
        dw = [tex_width(_decomposition(x)) for x in chunk]
        col1 = max(lw)
        col12 = col1 + max(dw)
        out.append(r"\begin{alignat*}{2}")
        out.append(" \\\\\n".join(line_tex(d, x, col1, col12) for x in chunk))
        out.append(r"\end{alignat*}")
    return out


# ------------------------------------------------------------------------------ sections
def param_runs(d: Derivation) -> list[tuple[int, int, str, list[Exponent]]]:
    """The parametrization's rows (role and exponents) with consecutive equal layers merged:
    ``(first, last, role, values)``, layers counted from 1 (at depth 100 a preset's hidden
    layers are one row ``2-100``, as in classify's table)."""
    p = d.parametrization
    L = d.depth
    vecs = [p.a, p.b, p.c] + ([p.d] if p.d is not None else [])
    rows = [("input" if i == 0 else ("readout" if i == L else "hidden"), [v[i] for v in vecs])
            for i in range(L + 1)]
    return [(i + 1, j + 1, rows[i][0], rows[i][1])
            for i, j in equal_runs([(role, [str(x) for x in vals]) for role, vals in rows])]


#: rows of one tabular in the parametrization table: a longer table is split into tabulars of
#: at most this many rows, each with the header, so the page can break between them (one
#: tabular cannot break: 101 rows at depth 100 ran 539pt off page 2)
TABLE_ROWS = 40


def _param_table(d: Derivation) -> list[str]:
    """One row per run of equal layers (``2--100``); split into tabulars of at most
    :data:`TABLE_ROWS` rows (a parametrization whose layers all differ has L + 1 rows, up to
    1001), which needs no package beyond LaTeX's (a snippet's host document has no longtable)."""
    has_d = d.parametrization.d is not None
    cols = "clccc" + ("c" if has_d else "")
    head = r"$l$ & role & $a_l$ & $b_l$ & $c_l$" + (r" & $d_l$" if has_d else "") + r" \\"
    rows = [(f"{i}" if i == j else f"{i}--{j}") + f" & {role} & "
            + " & ".join(f"${exp_tex(v)}$" for v in vals) + r" \\"
            for i, j, role, vals in param_runs(d)]
    out: list[str] = []
    for k in range(0, len(rows), TABLE_ROWS):
        out += [r"\begin{center}", r"\begin{tabular}{" + cols + "}", r"\hline", head, r"\hline",
                *rows[k:k + TABLE_ROWS], r"\hline", r"\end{tabular}", r"\end{center}"]
    return out


def _setup(d: Derivation) -> list[str]:
    L = d.depth
    opt = d.optimizer
    name = escape_tex(d.parametrization.name or "custom")
    if opt.entrywise:
        upd = (r"w^l \leftarrow w^l - \eta\, n^{-c_l}\, Q^l_t\bigl(n^{d_l} \nabla_{w^l}\mathcal L_0,"
               r"\dots, n^{d_l}\nabla_{w^l}\mathcal L_t\bigr)")
        upd_txt = (f"The optimizer is {escape_tex(opt.name)}, an entrywise-normalized update "
                   r"\cite{yanglittwin2023}: $Q$ normalizes every entry by "
                   + ("its history maximum (second-moment estimate)" if opt.memory == "max"
                      else "its own size") + ", so updates are scale invariant"
                   + (r" ($\epsilon \propto n^{-d_l}$)." if d.parametrization.d is not None else
                      r" ($\epsilon$ negligible)."))
    else:
        # SGD-type: a gradient scale n^{d_l} only shifts the learning rate (TP IVb Remark
        # 2.2.4), so the update has no d; a d given anyway is folded into c and said so
        upd = r"w^l \leftarrow w^l - \eta\, n^{-c_l}\, \nabla_{w^l}\mathcal L_t"
        upd_txt = (f"The optimizer is {escape_tex(opt.name)} (SGD-type): the update is the learning "
                   r"rate times the gradient, so for the effective weights "
                   r"$\Delta W^l_t = -\eta\, n^{-2a_l - c_l}\, \chi_t\, g^l_t \otimes x^{l-1}_t$ "
                   r"\cite{yanghu2021}; a gradient scale $n^{d}$ would only shift the learning "
                   r"rate ($c \to c - d$, TP IVb Remark~2.2.4 \cite{yanglittwin2023})"
                   + (r", so the $d_l$ below enter as $c_l - d_l$ (the label $-a-c{+}d$)."
                      if d.parametrization.d is not None else "."))
    out = [
        r"\section{Setup}",
        rf"A multilayer perceptron with $L = {L}$ hidden layers of width $n$, input $\xi$ of fixed "
        rf"dimension, activation $\phi = \text{{{escape_tex(d.activation.name)}}}$ and "
        rf"{'logistic' if d.loss == 'logistic' else 'squared'} loss, trained from "
        r"$W^l_0$ by the update below \cite{yanghu2021,yanglittwin2023}:",
        r"\begin{align*}",
        r"h^1_t &= W^1_t\,\xi, & x^l_t &= \phi(h^l_t), & h^{l+1}_t &= W^{l+1}_t x^l_t, & "
        r"f_t &= W^{L+1}_t x^L_t,\\",
        r"W^l &= n^{-a_l} w^l, & w^l_{\alpha\beta} &\sim \mathcal N(0, n^{-2b_l}), & "
        + upd + r". && \\",
        r"\end{align*}",
        upd_txt,
        rf"The parametrization ({name}) in abc{'d' if d.parametrization.d is not None else ''} form; "
        r"$b_l = \infty$ is zero initialization and $c_l = \infty$ a frozen layer:",
        *_param_table(d),
        r"\paragraph{Notation and rules.} A vector $v$ has size $\Theta(n^{e})$ when its typical "
        r"(RMS) coordinate does; we write $e = e(v)$ and $e = -\infty$ when $v$ is identically "
        r"zero. Sums of terms without cancellation have the exponent of the largest term, "
        r"products add exponents. The rules: \emph{CLT sum} ($+\tfrac12$, $n$ independent terms), "
        r"\emph{LLN sum} ($+1$, $n$ correlated terms, e.g.\ an accumulated low-rank update acting "
        r"on a correlated vector, or the readout on a backprop-aligned feature change), "
        r"\emph{finite fan-in} ($+0$, the input layer), \emph{multiplier} ($-a_l$), "
        r"\emph{nonlinearity} ($\phi$ keeps the exponent; bounded $\phi$ caps it at $0$; "
        r"non-odd $\phi$ adds a mean component), \emph{optimizer} (the update rule above) and "
        r"\emph{induction over steps} ($W_t = W_0 + \sum_{s<t}\Delta W_s$, each $\Delta W_s$ a "
        r"low-rank product whose exponents are tracked). Below each number its rule is written "
        r"(CLT, LLN, fan-in, mult, $\phi$, opt, ind for induction; under an update "
        + (r"$-a-c{+}d$" if d.parametrization.d is not None and not opt.entrywise else r"$-a-c$")
        + r" is the optimizer's exponent and "
        + (r"$e(Q)$ that of the normalized gradient); " if opt.entrywise else
           r"$e(\nabla)$ that of the gradient); ")
        + r"$\chi_t$ is the loss derivative and $g^l_t = \partial f_t/\partial h^l_t$ the backward "
        r"signal \cite{yanghu2021,golikov2020}.",
        r"\paragraph{Assumptions.}",
        r"\begin{itemize}",
        *[r"\item " + escape_tex(a) for a in d.assumptions],
        r"\end{itemize}",
    ]
    return out


def _zero_line(lines: tuple[Line, ...]) -> list[str]:
    if not lines:
        return []
    syms = ", ".join(f"${qty_tex(x.quantity, x.layer, x.step)}$" for x in lines)
    return [r"\paragraph{Nothing updated yet.} Identically zero at $t = 0$ ($e = -\infty$): "
            + syms + "."]


def _steps(d: Derivation) -> list[str]:
    from widthlimits.theory.derivation.model import PHASES

    out = [r"\section{Derivation}"]
    if d.symbolic is None and d.stationary_from is not None:
        out.append(rf"The engine computes steps $t = 0, \dots, {d.steps}$. From step "
                   rf"$s = {d.stationary_from}$ on the exponents repeat: the step-$s$ update adds "
                   r"nothing larger to the accumulated updates $W^l_t - W^l_0$, so by induction "
                   r"over steps every later step has the exponents of step $s$.")
    elif d.symbolic is None:
        out.append(rf"The engine computes steps $t = 0, \dots, {d.steps}$ "
                   f"({escape_tex(d.stop_reason)}).")
    else:
        out.append(escape_tex(d.stop_reason.capitalize()) + ". Every exponent is shown in its "
                   r"simplified max-plus normal form (exactly equal to the engine's"
                   + (" wherever the stability conditions of the earlier steps hold"
                      if d.symbolic.restricted else "") + ").")
    for b in d.blocks:
        out.append(rf"\subsection{{Step $t = {b.step}$}}\label{{step:{b.step}}}")
        if b.same_as_previous:
            out.append(rf"Every exponent is as at step ${b.step - 1}$ "
                       rf"(Section~\ref{{step:{b.step - 1}}}).")
            continue
        out += _zero_line(b.zero)
        for key, heading in PHASES:
            out += _phase_align(d, b.phase(key), heading)
        if d.stationary_from is not None and b.step == d.stationary_from:
            out.append(rf"From step ${b.step}$ on the exponents repeat (induction over steps).")
    return out


_GROUPS = (
    ("init", "Stability at initialization", "cond:init"),
    ("training", "Stability during training", "cond:train"),
    ("nontrivial", "Nontriviality", "cond:nontrivial"),
    ("feature learning", "Feature learning", "cond:fl"),
    ("discrete time", "Discrete time", "cond:dt"),
)


def _cond_line(c: Condition) -> str:
    step = "t" if c.step is None else str(c.step)
    q = qty_tex(c.quantity, c.layer, step)
    rel = {"<=": r"\le", "=": "="}[c.relation]
    lhs = (rf"\max_{{t \ge 1}} e({q})" if c.step is None else rf"e({q})")
    holds = "" if c.holds is None else (r"\quad\checkmark" if c.holds else r"\quad\text{violated}")
    val = long_exp_tex(c.exponent) if is_symbolic(c.exponent) else exp_tex(c.exponent)
    return rf"{lhs} &= {val} \ {rel}\ 0 && \text{{{_meaning(c.meaning)}}}{holds}"


def _conditions(d: Derivation) -> list[str]:
    out = [r"\section{Conditions}",
           r"Each condition is an inequality on exponents; for numeric exponents it is evaluated at "
           r"the step where the quantity is largest (shown as the subscript) "
           r"\cite{yanghu2021,yanglittwin2023}."]
    for key, heading, label in _GROUPS:
        cs = [c for c in d.conditions if c.group == key]
        if not cs:
            continue
        out.append(r"\paragraph{" + heading + "}")
        out.append(r"\begin{align}")
        rows = [_cond_line(c) + (rf"\label{{{label}}}" if i == len(cs) - 1 else r"\nonumber")
                for i, c in enumerate(cs)]
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align}")
    return out


def rel_tex(r: sympy.Rel) -> str:
    names: dict = {}
    for s in r.free_symbols:
        names.update(sym_names(s))
    lhs = sympy.latex(r.lhs, symbol_names=names)
    rhs = sympy.latex(r.rhs, symbol_names=names)
    op = r"\le" if isinstance(r, sympy.Le) else "=" if isinstance(r, sympy.Eq) else r"\ge"
    return f"{lhs} {op} {rhs}"


def _symbolic_conditions(d: Derivation) -> list[str]:
    from widthlimits.theory.derivation.symbolic import alternative_relationals

    sc = d.symbolic
    assert sc is not None
    syms = ", ".join("$" + exp_tex(s) + "$" for s in sc.symbols)
    out = [r"\section{Conditions in the exponents}",
           rf"The symbols are {syms}. "
           r"Each exponent above is a maximum of minima of linear forms; "
           r"$\max_i \min_j \ell_{ij} \le 0$ is $\bigwedge_i \bigvee_j \ell_{ij} \le 0$ and "
           r"$\max_i\min_j \ell_{ij} \ge 0$ is $\bigvee_i\bigwedge_j \ell_{ij}\ge 0$. "
           r"Redundant inequalities are removed exactly (linear programming over the "
           r"single-inequality conditions), so each system below is equivalent to the "
           r"engine's conditions over the computed steps."]
    if sc.substitutions:
        subs = ",\\quad ".join(f"{exp_tex(s)} = {exp_tex(v)}" for s, v in sc.substitutions)
        out += [r"\paragraph{Assumed (non-degenerate initialization, TP4 Thm.~3.3(1) "
                r"\cite{yanghu2021}).}", r"\begin{equation*}" + subs + r"\end{equation*}"]
    out.append(r"\paragraph{Stability} (every $h^l_t, x^l_t, f_t$ and $f_{t+1}-f_t$ is $O(1)$) "
               r"holds if and only if all of the following hold:")
    st = sc.stability
    if st.is_false:
        out.append(r"never (the conditions are inconsistent).")
    elif not st.clauses:
        out.append(r"always.")
    else:
        rows = []
        for c in st.relationals():
            rows.append(r"\ \text{or}\ ".join(rel_tex(r) for r in c))
        out += [r"\begin{align}", (r"\nonumber \\" + "\n").join(rows) + r"\label{cond:stable}",
                r"\end{align}"]

    def alts(title: str, what: str, label: str, alternatives: tuple) -> None:
        out.append(r"\paragraph{" + title + r"} (" + what + r"), for a stable parametrization, "
                   r"holds if and only if")
        if not alternatives:
            out.append(r"never.")
            return
        if alternatives == ((),):
            out.append(r"always.")
            return
        rows = [r"\ \text{and}\ ".join(rel_tex(r) for r in a)
                for a in alternative_relationals(alternatives, sc.stability)]
        out.extend([r"\begin{align}",
                    (r"\nonumber \\" + "\n" + r"&\text{or}\ ").join(["&" + rows[0]] + rows[1:])
                    if len(rows) > 1 else "&" + rows[0],
                    rf"\label{{{label}}}", r"\end{align}"])

    alts("Nontriviality", r"$f_t - f_0 = \Theta(1)$ at some step", "cond:nontrivial", sc.nontrivial)
    alts("Feature learning", r"$x^L_t - x^L_0 = \Theta(1)$ at some step, $r = 0$", "cond:fl",
         sc.feature_learning)
    alts("Discrete time", r"$f_{t+1}-f_t = \Theta(1)$ at the last computed step", "cond:dt",
         sc.discrete_time)
    return out


def _conclusion(d: Derivation) -> list[str]:
    c = d.conclusion
    if c is None:
        return [r"\section{Conclusion}",
                r"The parametrization is stable iff \eqref{cond:stable} holds"
                if d.symbolic is not None and d.symbolic.stability.clauses and
                not d.symbolic.stability.is_false else r"See the conditions above.",
                r"; it is then nontrivial, feature learning and discrete in time under the "
                r"alternatives listed above. The regime follows TP4 Thm.~3.6/3.8 "
                r"\cite{yanghu2021} and TP IVb Thm.~2.8.19 \cite{yanglittwin2023}."]
    regime = {"feature_learning": "feature learning", "kernel": "kernel regime",
              "operator": "operator regime", "trivial": "trivial", "unstable": "unstable"}[c.regime]
    items: list[str] = []
    items.append(rf"\textbf{{Regime: {regime}.}} " + (
        r"Stable by \eqref{cond:init} and \eqref{cond:train}" if c.stable else
        r"Unstable: \eqref{cond:init} or \eqref{cond:train} fails") + (
        r"; nontrivial by \eqref{cond:nontrivial}" if c.nontrivial else
        (r"; trivial: \eqref{cond:nontrivial} fails, $f_t - f_0 \to 0$" if c.stable else "")) + ".")
    for v in c.violations:
        q = qty_tex(v.quantity, v.layer, v.step)
        items.append(rf"Violated: $e({q}) = {exp_tex(v.exponent)} > 0$ at step ${v.step}$"
                     + (f", layer ${v.layer}$" if v.layer is not None else ", output")
                     + rf" ({escape_tex(v.meaning)}).")
    if c.stable and c.nontrivial:
        if c.feature_learning_layers:
            items.append(r"Features move $\Theta(1)$ in layers $"
                         + ", ".join(str(x) for x in c.feature_learning_layers) + r"$, so $r = 0$ "
                         r"\eqref{cond:fl}: feature learning (TP4 Thm.~3.6 \cite{yanghu2021}).")
        elif c.r is not None:
            items.append(rf"$r = {exp_tex(c.r)} > 0$: $x^L_t - x^L_0 = \Theta(n^{{-r}})$, features "
                         r"do not move; " + ("operator" if d.optimizer.entrywise else "kernel")
                         + r" regime (TP4 Thm.~3.8 \cite{yanghu2021}, TP IVb Thm.~2.8.19 "
                         r"\cite{yanglittwin2023}).")
    if c.r is not None and c.stable and not c.feature_learning_layers:
        pass
    if c.step_change_exponent is not None and c.stable:
        e = c.step_change_exponent
        if c.discrete_time:
            items.append(rf"The per-step output change is $f_{{t+1}} - f_t = {size_tex(e)}$ "
                         r"\eqref{cond:dt}: a \emph{discrete-time} limit (finite learning rates, "
                         r"each step moves the output by $\Theta(1)$) \cite{golikov2020}.")
        elif c.time_rescaling is not None:
            items.append(rf"The per-step output change is $f_{{t+1}} - f_t = {size_tex(e)}$ "
                         rf"\eqref{{cond:dt}}: a \emph{{continuous-time}} limit; "
                         rf"$t = n^{{{exp_tex(c.time_rescaling)}}}\tau$ steps are needed for a "
                         r"$\Theta(1)$ change.")
    elif c.step_change_exponent is not None and is_neg_inf(c.step_change_exponent):
        items.append(r"The output does not change: $f_{t+1} - f_t = 0$.")
    if c.first_nontrivial_step is not None and c.first_nontrivial_step > 1:
        items.append(rf"$f_t - f_0$ becomes $\Theta(1)$ only at step ${c.first_nontrivial_step}$.")
    for g in c.degenerate:
        if g.lifted_at is not None:
            items.append(rf"Layer ${g.layer}$ is degenerate at init ($h^{{{g.layer}}}_0 = "
                         rf"{size_tex(g.init_exponent)}$) and is lifted at step ${g.lifted_at}$ "
                         rf"(Section~\ref{{step:{g.lifted_at}}}).")
        else:
            items.append(rf"Layer ${g.layer}$ is degenerate at init ($h^{{{g.layer}}}_0 = "
                         rf"{size_tex(g.init_exponent)}$) and never lifted: its step-0 update has "
                         rf"entries ${size_tex(g.update_exponent)}$, whose action "
                         rf"$(W^{{{g.layer}}}_1 - W^{{{g.layer}}}_0)x^{{{g.layer - 1}}}_1 = "
                         rf"{size_tex(g.action_exponent)}$ (Section~\ref{{step:1}}) is too small; "
                         rf"$h^{{{g.layer}}}_t = {size_tex(g.final_exponent)}$ at every step.")
    if c.fails_to_move_at is not None:
        t_stop = d.stationary_from if d.stationary_from is not None else d.steps
        items.append(r"\textbf{The degenerate network fails to move at step "
                     rf"${c.fails_to_move_at}$:}} the step-{c.fails_to_move_at} update is too small to "
                     r"lift the degenerate layers, the exponents repeat from step "
                     rf"${t_stop}$ on, and $f_t - f_0$ stays $o(1)$ at every step "
                     r"(Golikov's depth obstruction for gradient descent \cite{golikov2020}).")
    for b in c.binding:
        items.append(r"Binding: " + _binding_tex(b) + ".")
    for nte in c.notes:
        items.append(r"Note: " + escape_tex(nte) + ".")
    cf = c.closed_form
    out = [r"\section{Conclusion}", r"\begin{itemize}", *[r"\item " + x for x in items],
           r"\end{itemize}"]
    if cf is not None and cf.applies:
        agree = "agrees" if cf.regime == c.regime else "disagrees"
        out.append(rf"\paragraph{{Cross-check.}} The closed-form conditions of {escape_tex(cf.theorem)} "
                   + (r"\cite{yanghu2021}" if cf.theorem == "TP4" else r"\cite{yanglittwin2023}")
                   + rf" give the regime ``{escape_tex(cf.regime.replace('_', ' '))}'' "
                   rf"(the derivation {agree}):")
        rows = [rf"{_name_tex(n)} &:\quad {exp_tex(lhs)}\ {_rel(rel)}\ {exp_tex(rhs)} "
                + (r"\quad\checkmark" if h else r"\quad\text{fails}")
                for n, lhs, rel, rhs, h in cf.conditions]
        out += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    return out


_SAFE_FORMULA = re.compile(r"[A-Za-z0-9_^{}()+\-=, ]+")


def _binding_tex(b: str) -> str:
    """A classifier binding note (``"prose: formula"``, the formula in TeX-like ASCII)."""
    prose, sep, formula = b.partition(": ")
    if sep and _SAFE_FORMULA.fullmatch(formula):
        f = formula.replace("Theta", r"\Theta").replace("dx", r"\Delta x")
        return escape_tex(prose) + ": $" + f + "$"
    return _meaning(b)


def _meaning(s: str) -> str:
    """Escaped prose with ``Theta(1)`` / ``O(1)`` typeset as math."""
    return escape_tex(s).replace("Theta(1)", r"$\Theta(1)$").replace("O(1)", r"$O(1)$")


def _rel(rel: str) -> str:
    return {"=": "=", ">=": r"\ge", "<=": r"\le"}[rel]


def _name_tex(name: str) -> str:
    """A closed-form condition's name (``"a_3 + b_3 >= 1/2"``) in LaTeX."""
    s = re.sub(r"(\d+)/(\d+)", r"\\tfrac{\1}{\2}", name)
    s = re.sub(r"_(\d+)", r"_{\1}", s)
    return s.replace(">=", r"\ge ").replace("<=", r"\le ")


# ------------------------------------------------------------------------------ documents
def render_body(d: Derivation) -> str:
    parts = _setup(d) + _steps(d)
    parts += _symbolic_conditions(d) if d.symbolic is not None else _conditions(d)
    parts += _conclusion(d)
    return "\n".join(parts) + "\n"


def _bibliography() -> str:
    items = "\n".join(rf"\bibitem{{{k}}} {escape_tex(v)}" for k, v in REFERENCES)
    return "\\begin{thebibliography}{9}\n" + items + "\n\\end{thebibliography}\n"


#: BibTeX entries of :data:`REFERENCES` (same keys), for a host document's bibliography
BIBTEX = {
    "yanghu2021": ("inproceedings", {
        "author": "Yang, Greg and Hu, Edward J.",
        "title": "Tensor Programs {IV}: Feature Learning in Infinite-Width Neural Networks",
        "booktitle": "Proceedings of the 38th International Conference on Machine Learning (ICML)",
        "year": "2021", "eprint": "2011.14522", "archivePrefix": "arXiv"}),
    "yanglittwin2023": ("misc", {
        "author": "Yang, Greg and Littwin, Etai",
        "title": "Tensor Programs {IVb}: Adaptive Optimization in the Infinite-Width Limit",
        "year": "2023", "eprint": "2308.01814", "archivePrefix": "arXiv"}),
    "golikov2020": ("inproceedings", {
        "author": "Golikov, Eugene A.",
        "title": "Towards a General Theory of Infinite-Width Limits of Neural Classifiers",
        "booktitle": "Proceedings of the 37th International Conference on Machine Learning (ICML)",
        "year": "2020", "eprint": "2003.05884", "archivePrefix": "arXiv"}),
}


def render_bibtex() -> str:
    """The ``.bib`` file for the ``\\cite`` keys a derivation uses (``widthlimits derive``
    writes it beside the ``.tex``)."""
    out = []
    for key, (kind, fields) in BIBTEX.items():
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items())
        out.append(f"@{kind}{{{key},\n{body}\n}}\n")
    return "\n".join(out)


def render_snippet(d: Derivation) -> str:
    """The body (sections, align environments) without preamble or bibliography: it cites
    ``yanghu2021``, ``yanglittwin2023``, ``golikov2020``, whose entries :func:`render_bibtex`
    gives for the host document's ``\\bibliography``; needs amsmath and amssymb."""
    head = (r"% widthlimits derivation: " + escape_tex(d.title) + "\n"
            "% cites: " + ", ".join(BIBTEX) + " (BibTeX entries: the .bib written beside this file)\n")
    return head + render_body(d)


def render_document(d: Derivation) -> str:
    """A complete article; compiles with texlive-latex-base (article, amsmath, amssymb)."""
    return "\n".join([
        r"\documentclass[10pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\allowdisplaybreaks",
        r"\setcounter{secnumdepth}{2}",
        r"\title{" + escape_tex(d.title) + "}",
        r"\author{generated by widthlimits}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        render_body(d),
        _bibliography(),
        r"\end{document}",
        "",
    ])


def render_repr_latex(d: Derivation) -> str:
    """Notebook display: the parametrization and the verdict as one math block."""
    p = d.parametrization
    row = r"\\".join(
        f"{i + 1} & {exp_tex(p.a[i])} & {exp_tex(p.b[i])} & {exp_tex(p.c[i])}"
        for i in range(d.depth + 1))
    table = r"\begin{array}{c|ccc} l & a_l & b_l & c_l\\\hline " + row + r"\end{array}"
    if d.conclusion is not None:
        c = d.conclusion
        verdict = (r"\text{" + escape_tex(c.regime.replace("_", " ")) + "}"
                   + (rf",\ r = {exp_tex(c.r)}" if c.r is not None else "")
                   + (rf",\ f_{{t+1}}-f_t = {size_tex(c.step_change_exponent)}"
                      if c.step_change_exponent is not None else ""))
    else:
        verdict = r"\text{symbolic: see the conditions}"
    return (r"$\displaystyle \text{" + escape_tex(d.title) + r"}\quad " + table + r"\quad\Rightarrow\ "
            + verdict + "$")
