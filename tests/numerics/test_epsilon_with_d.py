"""Adam with TP IVb's gradient exponents d: epsilon is a Theta(1) constant, and the simulation
uses 1 by default, so the coord check sees what d predicts.  With PyTorch's 1e-8 the update at
these widths is the sign-like one of a negligible epsilon, and the check disagrees."""

from fractions import Fraction as F

from widthlimits.numerics.config import DEFAULT_EPS, SimulationConfig
from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine
from widthlimits.theory.parametrization import Parametrization

H = F(1, 2)
P = Parametrization((-H, 0, H), (H, H, H), (H, 1, H), (0, 0, 0))


def _dW2(**options):
    rep = coordcheck_against_engine(P, "adam", widths=(256, 512, 1024, 2048), seeds=3, steps=1,
                                    quantities=["dW"], executor="serial", progress=False, **options)
    return next(c for c in rep.checks if (c.name, c.layer, c.step) == ("dW", 2, 0))


def test_epsilon_with_d_is_a_theta_1_constant_by_default():
    assert DEFAULT_EPS == 1.0
    assert SimulationConfig({"a": [0, 0], "b": [0, 0], "c": [0, 0], "d": [0, 0]},
                            optimizer="adam").effective_eps == 1.0
    assert SimulationConfig({"a": [0, 0], "b": [0, 0], "c": [0, 0]},
                            optimizer="adam").effective_eps < 1e-20


def test_the_hidden_update_scales_as_d_predicts_only_when_epsilon_is_not_negligible():
    # d = 0: epsilon dominates the hidden gradient ~ n^-1, so dW^2 ~ n^-c n^-1 = n^-2
    default = _dW2()
    assert str(default.predicted) == "-2" and default.verdict.value == "agree"
    tiny = _dW2(eps=1e-8)
    assert abs(tiny.fit.slope + 1) < 0.1 and tiny.verdict.value == "disagree"
