"""Self-contained HTML for the tour: page shell (inline CSS, no script, no CDN), tables, images
beside the page, and MathML for width exponents and the derivation's lines.

MathML Core is rendered natively by Chromium (>= 109), Firefox and Safari, so formulas need no
JavaScript.  Only exact exponents are written (``Fraction``, integers, ``-inf``); a symbolic
exponent (a sympy expression, from ``derive --symbolic``) is shown as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:1.5em auto;
padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;
vertical-align:top;text-align:left}th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}
img{max-width:100%;height:auto;border:1px solid #eee}.muted{color:#666;font-size:13px}
.confirmed,.agree,.ok{color:#17702b;font-weight:600}.refuted,.disagree,.failed{color:#b21f1f;font-weight:600}
.inconclusive{color:#8a6d00;font-weight:600}math{font-size:1.05em}.lines li{margin:.15em 0}
.counts span{display:inline-block;margin-right:1em;font-size:1.1em}nav a{margin-right:1em}
"""


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def page(title: str, body: str, *, home: str | None = None) -> str:
    """A complete HTML document; ``home`` is the relative link back to the index."""
    nav = f'<nav><a href="{esc(home)}">&larr; tour index</a></nav>' if home else ""
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{nav}"
            f"<h1>{esc(title)}</h1>\n{body}\n</body></html>\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw`` (cells already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def verdict_span(v: Any) -> str:
    return f'<span class="{esc(v)}">{esc(v)}</span>'


def img(src: str, alt: str, *, width: int | None = None) -> str:
    w = f" width={width}" if width else ""
    return f'<img src="{esc(src)}" alt="{esc(alt)}"{w}>'


def write(path: Path, title: str, body: str, *, home: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(title, body, home=home))
    return path


# ------------------------------------------------------------------------------ MathML
_P = '<mo stretchy="false">(</mo>'
_Q = '<mo stretchy="false">)</mo>'


def _mn(x: int) -> str:
    return f"<mn>{x}</mn>" if x >= 0 else f"<mo>&minus;</mo><mn>{-x}</mn>"


def exponent_ml(e: Any) -> str:
    """An exponent as MathML content (no ``<math>`` wrapper): ``-1/2`` -> ``-`` frac(1, 2)."""
    if isinstance(e, float) and e == float("-inf") or str(e) in ("-oo", "-inf"):
        return "<mo>&minus;</mo><mi>&infin;</mi>"
    try:
        fr = Fraction(str(e))
    except (ValueError, ZeroDivisionError):
        return f"<mtext>{esc(e)}</mtext>"
    if fr.denominator == 1:
        return _mn(fr.numerator)
    sign = "<mo>&minus;</mo>" if fr < 0 else ""
    return f"{sign}<mfrac><mn>{abs(fr.numerator)}</mn><mn>{fr.denominator}</mn></mfrac>"


def _sub_sup(base: str, sub: str | None, sup: str | None) -> str:
    if sub and sup:
        return f"<msubsup>{base}<mrow>{sub}</mrow><mrow>{sup}</mrow></msubsup>"
    if sup:
        return f"<msup>{base}<mrow>{sup}</mrow></msup>"
    if sub:
        return f"<msub>{base}<mrow>{sub}</mrow></msub>"
    return base


def _t(step: int | str) -> str:
    return f"<mn>{step}</mn>" if isinstance(step, int) else f"<mi>{esc(step)}</mi>"


def quantity_ml(q: str, layer: int | None, step: int) -> str:
    """The engine's quantity names (docs/engine.md) as symbols: ``dx, 2, 1`` -> Delta x^2_1."""
    la = _mn(layer) if layer is not None else None
    prev = _mn(layer - 1) if layer is not None else None
    t = _t(step)
    if q in ("h", "x", "g"):
        return _sub_sup(f"<mi>{q}</mi>", t, la)
    if q in ("dh", "dx"):
        return "<mi>&Delta;</mi>" + _sub_sup(f"<mi>{q[1]}</mi>", t, la)
    if q == "grad":
        return (_sub_sup("<mo>&nabla;</mo>", _sub_sup("<mi>w</mi>", None, la), None)
                + _sub_sup("<mi>&Lscr;</mi>", t, None))
    if q == "dW":
        return "<mi>&Delta;</mi>" + _sub_sup("<mi>W</mi>", t, la)
    if q == "dWx":
        return (_P + _sub_sup("<mi>W</mi>", t, la) + "<mo>&minus;</mo>"
                + _sub_sup("<mi>W</mi>", "<mn>0</mn>", la) + _Q
                + _sub_sup("<mi>x</mi>", t, prev))
    if q == "W0dx":
        return (_sub_sup("<mi>W</mi>", "<mn>0</mn>", la) + "<mi>&Delta;</mi>"
                + _sub_sup("<mi>x</mi>", t, prev))
    if q == "f":
        return _sub_sup("<mi>f</mi>", t, None)
    if q == "df":
        return _sub_sup("<mi>f</mi>", t, None) + "<mo>&minus;</mo>" + _sub_sup("<mi>f</mi>", "<mn>0</mn>",
                                                                              None)
    if q == "df_step":
        nxt = f"<mn>{step + 1}</mn>" if isinstance(step, int) else "<mi>t</mi><mo>+</mo><mn>1</mn>"
        return (_sub_sup("<mi>f</mi>", nxt, None) + "<mo>&minus;</mo>" + _sub_sup("<mi>f</mi>", t, None))
    return f"<mtext>{esc(q)}</mtext>" + (f"<msup><mrow/>{la}</msup>" if la else "")


def size_ml(e: Any) -> str:
    """``Theta(n^e)``; ``0`` for an identically zero quantity."""
    if str(e) in ("-oo", "-inf"):
        return "<mn>0</mn>"
    return "<mi mathvariant=\"normal\">&Theta;</mi>" + _P + _sub_sup("<mi>n</mi>", None, exponent_ml(e)) + _Q


def math(content: str, *, display: bool = False) -> str:
    d = ' display="block"' if display else ""
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{d}><mrow>{content}</mrow></math>'


def line_ml(line: Any) -> str:
    """One derivation line: ``quantity = Theta(n^e)``, then how the engine combined the terms'
    exponents when there are several (``e = max(...)`` for a sum, ``e = ... + ...`` for a
    product)."""
    terms = [exponent_ml(i.exponent) for i in line.inputs]
    head = math(quantity_ml(line.quantity, line.layer, line.step) + "<mo>=</mo>"
                + size_ml(line.result))
    if line.combine == "max" and len(terms) > 1:
        arith = "<mi>max</mi>" + _P + "<mo>,</mo>".join(terms) + _Q
    elif line.combine == "sum" and len(terms) > 1:
        arith = "<mo>+</mo>".join(f"<mrow>{t}</mrow>" for t in terms)
    else:
        return head
    return head + ", " + math("<mi>e</mi><mo>=</mo>" + arith + "<mo>=</mo>" + exponent_ml(line.result))


def rules_text(line: Any) -> str:
    return "; ".join(f"{i.rule}: {i.what}" for i in line.inputs)
