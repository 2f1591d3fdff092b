"""A query's answer in LaTeX says the same set as the pieces: each condition read back from the
LaTeX holds exactly where the piece's own constraint does."""

import re
import subprocess
import sys
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory.derivation.latex_compile import compile_pdf, tex_tool
from widthlimits.theory.regions.polyhedra import evaluate, satisfies
from widthlimits.theory.regions.query import query
from widthlimits.theory.regions.query_tex import constraint_tex, query_latex, variable_tex

NAMES = ["b1", "c2", "q_sigma"]
_REL = {"=": "==", r"\le": "<=", "<": "<", r"\ge": ">=", ">": ">"}


def _num(s: str) -> F:
    m = re.fullmatch(r"(-?)\\tfrac\{(\d+)\}\{(\d+)\}", s.strip())
    if m:
        return F(int(m.group(2)), int(m.group(3))) * (-1 if m.group(1) else 1)
    return F(s.strip())


def _parse(tex: str, names):
    """LaTeX condition -> (coefficients by name, relation, right-hand side)."""
    lhs, rel, rhs = re.fullmatch(r"(.*) (=|\\le|<|\\ge|>) (\S+)", tex).groups()
    by_tex = {variable_tex(n): n for n in names}
    coef = dict.fromkeys(names, F(0))
    for sign, mag, var in re.findall(r"(^-?|[+-]) ?((?:\\tfrac\{\d+\}\{\d+\}|\d+)? ?)(\S+_\{[^}]*\})",
                                     lhs.strip()):
        k = _num(mag) if mag.strip() else F(1)
        coef[by_tex[var]] += -k if sign.strip() == "-" else k
    return coef, _REL[rel], _num(rhs)


def _holds(lhs_val, rel, rhs):
    return {"==": lhs_val == rhs, "<=": lhs_val <= rhs, "<": lhs_val < rhs,
            ">=": lhs_val >= rhs, ">": lhs_val > rhs}[rel]


fractions = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(fractions, min_size=4, max_size=4), st.sampled_from(["==", "<=", "<"]),
       st.lists(fractions, min_size=3, max_size=3))
def test_a_condition_read_back_holds_where_the_constraint_does(form, rel, z):
    if not any(form[:-1]):
        return
    c = (tuple(form), rel)
    coef, rel2, rhs = _parse(constraint_tex(c, NAMES), NAMES)
    lhs_val = sum(coef[n] * x for n, x in zip(NAMES, z, strict=True))
    want = {"==": evaluate(c[0], z) == 0, "<=": evaluate(c[0], z) <= 0,
            "<": evaluate(c[0], z) < 0}[rel]
    assert _holds(lhs_val, rel2, rhs) == want


def test_examples_read_as_a_paper_prints_them():
    assert constraint_tex(((F(1), F(5), F(5), F(-1)), "=="), ["b2", "c1", "c2"]) == \
        "b_{2} + 5 c_{1} + 5 c_{2} = 1"
    assert constraint_tex(((F(-1), F(0), F(1)), "<="), ["c1", "c2"]) == r"c_{1} \ge 1"
    assert constraint_tex(((F(1), F(1, 2), F(1, 2)), "<"), ["q_sigma", "q_a"]) == \
        r"q_{\sigma} + \tfrac{1}{2} q_{a} < -\tfrac{1}{2}"


@pytest.fixture(scope="module")
def answer():
    return query(1, "sgd", "feature_learning", fix={"a": [0, 0]})


def test_every_piece_is_one_item_with_its_conditions(answer):
    tex = query_latex(answer)
    items = [ln for ln in tex.splitlines() if ln.startswith(r"\item")]
    assert len(items) == len(answer.pieces) == 5
    names = list(answer.frame.variables)
    for line, piece in zip(items, answer.pieces, strict=True):
        conds = re.match(r"\\item \$(.*)\$ \\quad", line).group(1).split(r",\ ")
        assert len(conds) == len(piece.constraints)
        # the piece's point, its vertices and points beside them: inside and outside
        probes = [piece.point, *(piece.vertices or ())]
        probes += [tuple(x + F(1, 3) * (i % 3 - 1) for i, x in enumerate(z)) for z in probes]
        for text, c in zip(conds, piece.constraints, strict=True):
            coef, rel, rhs = _parse(text, names)
            for z in probes:
                val = sum(coef[n] * x for n, x in zip(names, z, strict=True))
                assert _holds(val, rel, rhs) == satisfies(z, [c]), (text, c, z)
        assert ("only" in line) == (not piece.all_steps)


def test_an_empty_answer_says_so_and_why():
    r = query(1, "sgd", "feature_learning", fix={"a": [0, 0], "b": [0, "1/2"]})
    tex = query_latex(r)
    assert "The set is empty." in tex and r"\emph{Why not:}" in tex


@pytest.mark.skipif(tex_tool() is None, reason="no LaTeX tool")
def test_the_document_compiles(answer):
    res = compile_pdf(query_latex(answer, document=True), name="query")
    assert res.ok, res.log[-2000:] if hasattr(res, "log") else res


def test_format_refuses_json():
    p = subprocess.run([sys.executable, "-m", "widthlimits.proofs_checks", "query", "--depth", "1",
                        "--format", "tex", "--json"], capture_output=True, text=True)
    assert p.returncode == 2 and "--format tex" in p.stderr and "Traceback" not in p.stderr
