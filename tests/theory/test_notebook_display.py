"""Notebook display: classifications, derivations and closed forms render as HTML tables
(``_repr_html_``, parsed here) and LaTeX math (``_repr_latex_``), as a notebook front end asks."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from widthlimits.theory import classify, derivation, preset, symbolic_derivation

VOID = {"br", "hr", "img", "meta", "input"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def parse(html: str) -> _Checker:
    p = _Checker()
    p.feed(html)
    p.close()
    assert not p.stack, f"unclosed tags {p.stack}"
    return p


def display(obj: object) -> dict[str, str]:
    """What IPython's display formatter collects: every _repr_*_ method that returns a value."""
    out = {}
    for mime, meth in (("text/html", "_repr_html_"), ("text/latex", "_repr_latex_")):
        f = getattr(obj, meth, None)
        if f is not None and (v := f()) is not None:
            out[mime] = v
    return out


def check_latex(tex: str) -> None:
    assert tex.startswith("$") and tex.endswith("$") and len(tex.strip("$ ")) > 20
    assert tex.count("{") == tex.count("}")
    assert r"\begin{array}" in tex


@pytest.mark.parametrize("name,opt,L", [("mup", "adam", 3), ("sp", "sgd", 2),
                                        ("golikov-mf", "sgd", 3)])
def test_classification_renders_as_html_and_latex(name, opt, L):
    c = classify(preset(name, L, opt), opt)
    shown = display(c)
    p = parse(shown["text/html"])
    assert p.tags.count("table") == 2 and "td" in p.tags
    text = "".join(p.text)
    assert c.headline in text and str(c.regime) in text
    check_latex(shown["text/latex"])


def test_html_escapes_free_text():
    p = preset("mup", 2, "sgd").replace(name="<script>alert(1)</script> & co")
    html = classify(p)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    parse(html)
    check_latex(classify(p)._repr_latex_())


def test_derivation_and_closed_form_render():
    d = derivation(preset("mup", 2, "sgd"), "sgd", title="muP & <depth 2>")
    shown = display(d)
    p = parse(shown["text/html"])
    assert "muP & <depth 2>" in "".join(p.text) and p.tags.count("table") >= 3
    assert shown["text/latex"].startswith("$") and len(shown["text/latex"]) > 50
    cf = classify(preset("mup", 2, "sgd")).closed_form
    parse(cf._repr_html_())
    assert "TP4" in cf._repr_html_()


def test_symbolic_derivation_renders():
    d = symbolic_derivation("golikov", 1, "sgd")
    parse(d._repr_html_())
    assert "q_sigma" in d._repr_html_()
    assert d._repr_latex_().startswith("$")
    tex = d.symbolic._repr_latex_()
    check_latex(tex)
    assert r"q_{\sigma}" in tex and r"\text{stable iff all of:}" in tex
