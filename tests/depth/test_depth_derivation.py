"""The depth derivation: every line adds up to the engine's exponent, the sums over blocks are
labelled correlated / uncorrelated with their sources, the renderers, ``derive --preset``."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.proofs_checks.cli import main
from widthlimits.theory.depth.derivation import depth_derivation, recompute
from widthlimits.theory.depth.engine import derive_depth
from widthlimits.theory.depth.model import DepthModelError, LayerScaling, ResidualModel
from widthlimits.theory.depth.presets import depth_preset, mup_roles
from widthlimits.theory.depth.scale import Scale

exps = st.fractions(min_value=-2, max_value=2, max_denominator=4)


@st.composite
def models(draw):
    opt = draw(st.sampled_from(["sgd", "adam", "adamw"]))
    emb, hid, out = mup_roles(opt)
    entry = opt != "sgd"
    decay = draw(st.sampled_from(["none", "coupled"] + (["decoupled"] if opt == "adamw" else [])))
    if opt == "adam" and decay == "decoupled":
        decay = "none"
    hid = hid.with_(c_L=draw(exps), a_L=draw(exps), b_L=draw(exps),
                    d=draw(st.sampled_from([None, Fraction(1)])) if entry else None, d_L=draw(exps),
                    wd=None if decay == "none" else Fraction(-1), wd_L=draw(exps))
    two = draw(st.booleans())
    return ResidualModel(emb, (hid, hid) if two else (hid,), out, alpha=draw(exps), optimizer=opt,
                         weight_decay=decay,
                         layernorm=draw(st.sampled_from(["none", "plain", "gain", "gain_bias"])),
                         biases=draw(st.booleans()), bias=LayerScaling(c_L=draw(exps)),
                         norm=LayerScaling(c_L=draw(exps)),
                         activation=draw(st.sampled_from(["tanh", "relu", "gelu", "linear"])))


@settings(max_examples=300, deadline=None)
@given(models())
def test_every_line_adds_up_to_the_engine(m):
    """The arithmetic of each line, redone from its inputs, is the engine's exponent (the
    derivation raises otherwise; here also checked line by line against derive_depth)."""
    d = depth_derivation(m)
    sizes = {k: q.size for k, q in derive_depth(m).quantities.items()}
    assert [x.name for x in d.lines] == list(sizes)
    for x in d.lines:
        assert x.result == sizes[x.name]
        got = recompute(x.combine, x.inputs)
        assert got is None or got == x.result
    for fmt in ("txt", "md", "tex"):  # every line renders
        assert d.render(fmt).count(" = ") >= len(d.lines) - 3


def test_a_wrong_line_is_caught():
    assert recompute("product", (("a", Scale(0, -1)), ("b", Scale(1, 0)))) == Scale(1, -1)
    assert recompute("sum_correlated", (("t", Scale(0, -1)), ("L", Scale(0, 1)))) == Scale(0, 0)
    assert recompute("sum_uncorrelated", (("t", Scale(0, -1)), ("L", Scale(0, Fraction(1, 2))))) \
        == Scale(0, Fraction(-1, 2))
    assert recompute("max", (("a", Scale(0, -1)), ("b", Scale(-1, 5)))) == Scale(0, -1)
    with pytest.raises(ValueError):
        recompute("nosuch", ())


@pytest.mark.parametrize("name", ["depth-mup", "completep"])
def test_sums_over_blocks_are_labelled(name):
    d = depth_derivation(depth_preset(name, "adam"))
    corr = {x.name for x in d.lines if x.correlated is True}
    unc = {x.name for x in d.lines if x.correlated is False}
    assert corr == {"sum.block_updates"}
    assert unc == {"sum.branches_init", "sum.propagation", "sum.block_decays"}
    for x in d.lines:
        if x.correlated is True:
            assert "2310.02244" in x.source and "2505.01618" in x.source
            assert x.inputs[-1] == ("L blocks, correlated", Scale(0, 1))
        elif x.correlated is False:
            assert "2010.12859" in x.source
            assert x.inputs[-1][1] == Scale(0, Fraction(1, 2))


def test_completep_lines():
    """CompleteP (alpha = 1): each block L^{-1}, summed correlated to Theta(1)."""
    d = depth_derivation(depth_preset("completep", "adam"))
    line = {x.name: x for x in d.lines}
    assert line["block_update_grad"].result == Scale(0, -1)
    assert line["sum.block_updates"].result == Scale(0, 0)
    assert line["block_features"].result == Scale(0, 0)
    txt = d.render("txt")
    assert "sum.block_updates: (0, -1) [block_update_grad] + (0, 1) [L blocks, correlated] = (0, 0)" in txt
    assert "complete feature learning" in txt
    tex = d.render("tex")
    assert r"\begin{document}" in tex and r"\cite" not in tex
    assert "correlated: $+1$ in $L$" in tex and r"uncorrelated: $+\tfrac12$ in $L$" in tex
    assert d.render("snippet").startswith("% widthlimits depth derivation")
    assert d.render("md").startswith("# Power counting in width and depth for completep")
    with pytest.raises(DepthModelError):
        d.render("pdf")


def test_title_is_escaped():
    d = depth_derivation(depth_preset("depth-mup", "adam"), title=r"\input{/etc/passwd} 50%")
    assert r"\input{/etc" not in d.to_latex()
    with pytest.raises(DepthModelError):
        depth_derivation(depth_preset("depth-mup", "adam"), title="x" * 501)


def test_cli_derive_depth(capsys, tmp_path):
    code = main(["derive", "--preset", "depth-mup", "--depth", "16", "--optimizer", "adam",
                 "--format", "txt"])
    out = capsys.readouterr().out
    assert code == 0
    assert "At L = 16: branch multiplier L^-alpha = 0.25" in out
    assert "sum.block_updates: (0, -1) [block_update_grad] + (0, 1) [L blocks, correlated] = (0, 0)" in out
    assert "block_update_grad: (0, -1/2) [branch multiplier L^{-alpha}] + (0, -1/2) [branch_linear]" in out
    f = tmp_path / "d.tex"
    assert main(["derive", "--preset", "completep", "--depth", "8", "--optimizer", "adam",
                 "-o", str(f)]) == 0
    assert f.read_text().startswith(r"\documentclass") and not f.with_suffix(".bib").exists()
    capsys.readouterr()
    for argv in (["derive", "--preset", "completep", "--depth", "8", "--optimizer", "sgd"],
                 ["derive", "--preset", "depth-mup", "--depth", "8", "--a", "0,0,0"],
                 ["derive", "--preset", "depth-mup", "--depth", "8", "--symbolic"],
                 ["derive", "--preset", "depth-mup", "--depth", "0"]):
        assert main(argv) == 2
        assert capsys.readouterr().err.count("\n") == 1
