"""SGD-type optimizers have no gradient exponent d: ``n^{d}`` before the gradient only shifts
the learning rate (TP IVb Remark 2.2.4), so their update formula shows ``n^{-c_l}`` and no
``d_l`` unless a ``d`` was given (through the API), which is then said to enter as ``c - d``."""

from __future__ import annotations

from fractions import Fraction

import pytest

from widthlimits.theory.derivation import derivation
from widthlimits.theory.parametrization import Parametrization
from widthlimits.theory.presets import preset


@pytest.mark.parametrize("opt", ["sgd", "momentum"])
def test_sgd_type_update_has_no_d(opt: str) -> None:
    d = derivation(preset("mup", 2, opt), opt)
    tex, md, txt = d.to_latex(), d.to_markdown(), d.to_text()
    assert "SGD-type" in tex
    assert "d_l" not in tex and "-c_l + d_l" not in tex and "{+}d" not in tex, tex[:3000]
    assert r"w^l - \eta\, n^{-c_l}\, \nabla_{w^l}" in tex
    assert r"n^{-2a_l - c_l}\," in tex
    assert "+d" not in md and "+d" not in txt


@pytest.mark.parametrize("opt", ["adam", "rmsprop"])
def test_entrywise_update_keeps_d(opt: str) -> None:
    tex = derivation(preset("mup", 2, opt), opt).to_latex()
    assert r"Q^l_t\bigl(n^{d_l} \nabla_{w^l}" in tex


def test_sgd_with_a_given_d_says_it_enters_as_c_minus_d() -> None:
    h = Fraction(1, 2)
    p = Parametrization(a=(0, 0, 0), b=(0, h, h), c=(0, 0, 0), d=(1, 1, 1))
    d = derivation(p, "sgd")
    tex, md = d.to_latex(), d.to_markdown()
    assert r"enter as $c_l - d_l$" in tex and r"\leftarrow w^l - \eta\, n^{-c_l}\, \nabla" in tex
    assert "-a-c+d" in tex and "-a-c+d plus e(grad)" in md
