"""Derivations as data and their text renderers (no TeX needed).

Kinds of test: (a) exact equalities -- every exponent printed in the text
and Markdown output is parsed back and compared with the engine; (b) the symbolic conditions
agree with the numeric classifier and the TP4 closed form at sampled points; (e) validation and
escaping.
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import sympy

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.classify import classify
from widthlimits.theory.closed_forms import closed_form
from widthlimits.theory.derivation import derivation, symbolic_derivation
from widthlimits.theory.derivation.render_latex import escape_tex, what_tex
from widthlimits.theory.derivation.symbolic import normal_form, simplify_exponent
from widthlimits.theory.engine import derive
from widthlimits.theory.exponents import NEG_INF
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import NAMED_POINTS, preset

CASES = [(name, opt, L) for name in NAMED_POINTS for opt in ("sgd", "adam") for L in (1, 2, 3)
         if not (name == "golikov-sym-default" and opt == "adam")]


def _num(s: str):
    return NEG_INF if s == "-inf" else Fraction(s)


_LINE = re.compile(r"^    (?P<q>[A-Za-z0-9_]+?)(?:\^(?P<l>\d+))?_(?P<t>\d+): e = (?P<body>.*) = "
                   r"(?P<res>-?inf|-?\d+(?:/\d+)?)$")
_INPUT = re.compile(r"(?P<e>-?inf|-?\d+(?:/\d+)?) \[(?P<rule>[^:\]]+): (?P<what>[^\]]*)\]")


@pytest.mark.parametrize(("name", "opt", "L"), CASES)
def test_text_exponents_equal_engine(name: str, opt: str, L: int) -> None:
    d = derivation(preset(name, L, opt), opt)
    res = derive(preset(name, L, opt), opt)
    trace = {(s.quantity, s.layer, s.step): s for s in res.trace}
    n = 0
    for row in d.to_text().splitlines():
        m = _LINE.match(row)
        if not m:
            continue
        q, t = m["q"], int(m["t"])
        layer = int(m["l"]) if m["l"] else None
        assert _num(m["res"]) == res.exponents[(q, layer, t)], row
        inputs = [(_num(x["e"]), x["rule"], x["what"]) for x in _INPUT.finditer(m["body"])]
        terms = {(t_.what, t_.rule): t_.exponent for t_ in trace[(q, layer, t)].terms}
        for e, rule, what in inputs:
            if (what, rule) in terms:  # an engine term: its exponent as recorded
                assert e == terms[(what, rule)], row
            elif rule == "optimizer":
                continue
            else:  # an engine exponent used as input (h_0, dh_t, f_0)
                mm = re.fullmatch(r"(d?h)\^(\d+)_(\d+)|f_0|f_(\d+) - f_0", what)
                assert mm, row
                key = (("f", None, 0) if what == "f_0" else ("df", None, int(mm[4])) if mm[4]
                       else (mm[1], int(mm[2]), int(mm[3])))
                assert e == res.exponents[key], row
        n += 1
    shown = sum(len(b.lines) for b in d.blocks if not b.same_as_previous)
    assert n == shown > 0


_MD = re.compile(r"^- \$(?P<q>.+?)\$: \$e = (?P<body>.*) = (?P<res>[^$]*)\$ \(")


def _tex_num(s: str):
    s = s.strip()
    if s == r"-\infty":
        return NEG_INF
    m = re.fullmatch(r"(-?)\\tfrac\{(\d+)\}\{(\d+)\}", s)
    if m:
        return Fraction(int(m[2]), int(m[3])) * (-1 if m[1] else 1)
    return Fraction(int(s))


@pytest.mark.parametrize(("name", "opt", "L"), [("mup", "sgd", 2), ("golikov-mf", "sgd", 3),
                                                ("sp:1", "adam", 2), ("mfp", "adam", 3)])
def test_markdown_exponents_equal_engine(name: str, opt: str, L: int) -> None:
    d = derivation(preset(name, L, opt), opt)
    lines = [x for b in d.blocks if not b.same_as_previous for x in b.lines]
    got = [_tex_num(m["res"]) for m in map(_MD.match, d.to_markdown().splitlines()) if m]
    assert got == [x.result for x in lines]
    assert all(x.result == d.engine.exponents[(x.quantity, x.layer, x.step)] for x in lines)


def test_every_engine_description_becomes_math() -> None:
    seen = set()
    for name in ("mup", "sp", "golikov-mf", "ntp"):
        for opt in ("sgd", "adam", "signsgd"):
            for act in ("tanh", "relu", "sigmoid"):
                for s in derive(preset(name, 3, opt), opt, act).trace:
                    seen.update(t.what for t in s.terms)
    for w in seen:
        tex = what_tex(w)
        assert "^T" not in tex and "xi" not in tex.replace(r"\xi", ""), (w, tex)
        assert tex.count("{") == tex.count("}"), (w, tex)
    assert what_tex("W^2_0^T g^2_1") == r"(W^{2}_{0})^{\top}\,g^{2}_{1}"
    assert what_tex("(W^1_1 - W^1_0) x^0_1") == r"(W^{1}_{1}-W^{1}_{0})\,\xi"


def test_golikov_mf_depth3_fails_to_move_at_step_0() -> None:
    d = derivation(preset("golikov-mf", 3, "sgd"), "sgd")
    c = d.conclusion
    assert c.regime == "trivial" and c.fails_to_move_at == 0
    assert [(g.layer, g.lifted_at, g.update_exponent, g.action_exponent) for g in c.degenerate] == [
        (2, None, Fraction(-3, 2), Fraction(-1, 2)), (3, None, Fraction(-3, 2), Fraction(-1))]
    assert "fails to move at step 0" in d.to_text()
    assert r"fails to move at step $0$" in d.to_latex()
    # one hidden layer fewer: the mean-field GD limit is nontrivial (Golikov 2020)
    assert derivation(preset("golikov-mf", 2, "sgd"), "sgd").conclusion.fails_to_move_at is None


def test_escape_tex_makes_specials_literal() -> None:
    s = escape_tex("\\input{/etc/passwd} \\write18{rm -rf /} $x$ & # % ^ _ ~ < > | -- 漢\n")
    assert "\\input" not in s and "\\write18" not in s and "\n" not in s
    assert re.sub(r"\\(textbackslash|textasciicircum|textasciitilde|textless|textgreater|"
                  r"textbar)\{\}|\\[{}$&#%_]", "", s).count("\\") == 0
    assert "[U+6F22]" in s and "-{}-{}" in s


def test_title_is_escaped_in_every_format() -> None:
    title = r"\input{/etc/passwd} \write18{touch /tmp/widthlimits-pwned}"
    d = derivation(preset("mup", 1, "sgd"), title=title)
    tex = d.to_latex()
    assert r"\input{/etc" not in tex and r"\write18" not in tex
    assert r"\textbackslash{}input\{/etc/passwd\}" in tex
    assert d.snippet().count(r"\textbackslash{}write18") == 1
    assert d.to_text().splitlines()[0] == title
    # Markdown runs no TeX: "\i" and "{" are literal there, so the title needs no escape
    assert d.to_markdown().splitlines()[0] == "# " + title


def test_repr_latex_and_sympy_printer() -> None:
    d = derivation(preset("mup", 2, "sgd"))
    r = d._repr_latex_()
    assert r.startswith(r"$\displaystyle") and r.endswith("$") and "feature learning" in r
    assert sympy.latex(d) == d.snippet()


def test_bad_input_messages() -> None:
    with pytest.raises(TypeError, match="`parametrization`"):
        derivation("mup")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        derivation(preset("mup", 1, "sgd")).render("pdf")
    with pytest.raises(ValueError, match="unknown symbolic family 'ntk'"):
        symbolic_derivation("ntk", 1)


def test_cli(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "d.md"
    assert main(["derive", "--preset", "mup", "--depth", "2", "--format", "md", "-o", str(out)]) == 0
    assert out.read_text().startswith("# Power counting for mup")
    assert main(["derive", "--a", "0,0,0", "--b", "0,1/2,1/2", "--c", "1,1,1", "--depth", "2",
                 "--format", "txt"]) == 0
    assert "Regime: kernel" in capsys.readouterr().out
    assert main(["derive", "--preset", "mup", "--depth", "2", "--a", "0"]) == 2
    assert main(["derive", "--a", "0,0,0", "--b", "0,0.5,1/2", "--c", "1,1,1", "--depth", "2"]) == 2
    assert "0.5" in capsys.readouterr().err
    assert main(["derive", "--symbolic", "--preset", "mup", "--depth", "1"]) == 2


# ------------------------------------------------------------------------------ symbolic
def test_normal_form_is_exact() -> None:
    x, y = sympy.symbols("x y", real=True)
    e = sympy.Max(x, y + 1, sympy.Min(x + 2, y)) + sympy.Min(0, x) - sympy.Max(0, y)
    s = simplify_exponent(e)
    for vx in range(-3, 4):
        for vy in range(-3, 4):
            assert e.subs({x: vx, y: vy}) == s.subs({x: vx, y: vy})


def test_symbolic_engine_equals_engine_depth1() -> None:
    from widthlimits.theory.derivation import symbolic_parametrization
    from widthlimits.theory.derivation.symbolic import derive_symbolic

    p, _ = symbolic_parametrization("golikov", 1)
    fast = derive_symbolic(p, "sgd", steps=3)
    slow = derive(p, "sgd", loss="logistic", steps=3)
    assert {k: normal_form(v) for k, v in fast.exponents.items()} == \
        {k: normal_form(v) for k, v in slow.exponents.items()}


def _holds(system, point) -> bool:  # type: ignore[no-untyped-def]
    return all(any(bool(r.subs(point)) for r in c) for c in system.relationals())


def _alts(alts, point) -> bool:  # type: ignore[no-untyped-def]
    return any(all(x.subs(point) >= 0 for x in a) for a in alts)


def test_symbolic_tp4_depth1_matches_numeric_and_closed_form() -> None:
    d = symbolic_derivation("tp4", 1, "sgd")
    sc = d.symbolic
    a1, a2, b2, c = sc.symbols
    H = Fraction(1, 2)
    grid = [Fraction(k, 2) for k in range(-3, 4)]
    checked = 0
    for va1 in (Fraction(0), -H):
        for va2 in grid[2:]:
            for vb2 in grid[2:]:
                for vc in grid:
                    p = Parametrization((va1, va2), (-va1, vb2), (vc, vc))
                    num = classify(p, "sgd", loss="logistic", steps=d.steps)
                    pt = {a1: va1, a2: va2, b2: vb2, c: vc}
                    assert _holds(sc.stability, pt) == num.stable, (pt, num.violations)
                    if num.stable:
                        assert _alts(sc.nontrivial, pt) == num.nontrivial, pt
                        assert _alts(sc.feature_learning, pt) == bool(num.feature_learning_layers)
                        cf = closed_form(p, "sgd")
                        assert cf.stable and cf.nontrivial == num.nontrivial
                    checked += 1
    assert checked > 300


def test_symbolic_golikov_depth1_conditions() -> None:
    d = symbolic_derivation("golikov", 1, "sgd")
    text = d.to_text()
    assert "q_sigma <= -1/2" in text  # f_0 = O(1): std of the readout at most n^{-1/2}
    assert d.conclusion is None and d.symbolic.stability.clauses


def test_symbolic_cli_shows_progress_and_stops_at_the_time_limit(capsys) -> None:  # type: ignore[no-untyped-def]
    """A symbolic derivation reports each stage on stderr; at --time-limit it prints where it
    stopped and what is established, writes no document, and exits 3 (Golikov's depth-3 family
    under SGD takes over 10 minutes: from step 4 on its normal forms grow past what the
    simplification on the stability conditions removes)."""
    assert main(["derive", "--symbolic", "--depth", "1", "--format", "txt"]) == 0
    out, err = capsys.readouterr()
    assert "Stability holds iff all of:" in out
    assert "engine: step 0" in err and "stability" in err and "discrete time" in err
    code = main(["derive", "--symbolic", "golikov", "--depth", "3", "--format", "txt",
                 "--time-limit", "1"])
    out, err = capsys.readouterr()
    assert code == 3
    assert out.startswith("INCOMPLETE: --time-limit 1 s reached") and "no document written" in out
    assert "engine: step 0" in err
    assert main(["derive", "--symbolic", "--depth", "1", "--time-limit", "-1"]) == 2


def test_what_a_stopped_symbolic_derivation_has_established(capsys) -> None:  # type: ignore[no-untyped-def]
    import argparse

    from widthlimits.proofs_checks.commands.derive import _print_established

    sc = symbolic_derivation("tp4", 1, "sgd").symbolic
    done = [("step 0", None), ("step 1", None), ("step 2", None), ("exponents simplified", None),
            ("stability", sc.stability), ("nontrivial", sc.nontrivial)]
    _print_established(argparse.Namespace(time_limit=5.0), done, 5.01)
    out = capsys.readouterr().out
    assert out.startswith("INCOMPLETE: --time-limit 5 s reached after 5.0 s, after the stage "
                          "'nontrivial'")
    assert "a_2 + b_2 >= 1/2" in out  # a stability condition
    assert "a_2 + c/2 = 1/2" in out  # a nontrivial alternative, tight under stability
    _print_established(argparse.Namespace(time_limit=2.0), done[:3], 2.0)
    assert "in the engine's step 2 (steps 0..1 computed); no condition is established yet" in \
        capsys.readouterr().out
