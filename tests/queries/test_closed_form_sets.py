"""TP4 and TP IVb as set identities: on the whole gauge-fixed space (every b_l, c_l free, gauge
a = 0, box [-4, 4], non-degenerate initialization), the engine's set of scalings with a property
equals the closed form's, proved by z3 (both differences unsatisfiable, exact rationals).

Yang & Hu 2021, arXiv:2011.14522, Thm 3.3 (stable), 3.4 (nontrivial), 3.6/3.8 (feature learning
iff r = 0, kernel iff r > 0); Yang & Littwin 2023, arXiv:2308.01814, Thm 2.8.12, 2.8.15, 2.8.19
(entrywise optimizers, epsilon negligible).  Depth 1 for every optimizer and stability at depth 2
for SGD and Adam run by default; the rest of depth 2 and depth 3 are marked slow (run with
``-m slow``; timings in benchmarks/bench_regions.py).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from widthlimits.theory.classify import classify
from widthlimits.theory.closed_forms import closed_form
from widthlimits.theory.regions.equivalence import closed_form_equivalence
from widthlimits.theory.regions.properties import has_property

SGD_TYPE = ("sgd", "momentum")
ENTRYWISE = ("adam", "rmsprop", "signsgd")


def _cases() -> list:
    out = []
    for opt in SGD_TYPE + ENTRYWISE:
        regime = "operator" if opt in ENTRYWISE else "kernel"
        for prop in ("stable", "nontrivial", "feature_learning", regime):
            for depth in (1, 2, 3):
                slow = depth == 3 or (depth == 2 and (opt not in ("sgd", "adam") or prop != "stable"))
                marks = [pytest.mark.slow] if slow else []
                out.append(pytest.param(opt, depth, prop, marks=marks, id=f"{opt}-L{depth}-{prop}"))
    return out


@pytest.mark.parametrize(("optimizer", "depth", "prop"), _cases())
def test_engine_set_equals_closed_form_set(optimizer: str, depth: int, prop: str) -> None:
    """{z : engine gives prop} = {z : TP4 / TP IVb give prop} on the non-degenerate domain."""
    eq = closed_form_equivalence(depth, optimizer, prop)
    assert eq.equal is True, (eq.witness_side, eq.witness, eq.witness_check)
    assert eq.theorem == ("TP IVb" if optimizer in ENTRYWISE else "TP4")
    # step 1 on the whole space (2L + 2 coordinates), step 2 on the init slice (L + 2)
    assert len(eq.checks) == 4 and all(ch.empty is True and ch.cases >= 1 for ch in eq.checks)
    assert len(eq.checks[0].variables) == 2 * depth + 2
    assert len(eq.checks[2].variables) == depth + 2


@pytest.mark.parametrize(("optimizer", "shift", "side"), [
    ("sgd", Fraction(1, 2), "engine \\ closed form"),    # r >= 1/2: too strict
    ("adam", Fraction(-1, 2), "closed form \\ engine"),  # r >= -1/2: too loose
])
def test_the_check_can_fail_and_its_witness_lies_in_the_difference(optimizer, shift, side) -> None:
    """A wrong theorem (TP4's / TP IVb's r >= 0 moved by a constant) is refuted by a witness,
    which the ordinary engine classifies on the claimed side of the difference."""
    eq = closed_form_equivalence(1, optimizer, "stable", shift_r=shift)
    assert eq.equal is False and eq.witness_side == side
    engine_stable = has_property(classify(eq.witness, optimizer), "stable")
    assert engine_stable == (side == "engine \\ closed form")
    assert eq.witness_check["engine"] == engine_stable
    assert eq.witness_check["closed_form"] != engine_stable
    # the true theorem agrees with the engine at the witness
    cf = closed_form(eq.witness, optimizer)
    assert cf.applies and cf.stable == engine_stable


def test_unknown_property_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no closed form"):
        closed_form_equivalence(1, "adam", "kernel")
