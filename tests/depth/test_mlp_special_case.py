"""The plain MLP stays the special case: today's engine in two variables (PairOps) equals
today's engine on >= 2,000 random points when the L-exponents are absent, and its width parts
are unchanged when they are present (width first, then depth)."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from widthlimits.theory.activations import ACTIVATIONS
from widthlimits.theory.depth.mlp import derive_two_variable, with_depth_exponents
from widthlimits.theory.depth.scale import Scale
from widthlimits.theory.engine import derive
from widthlimits.theory.optimizers import OPTIMIZERS
from widthlimits.theory.parametrization import Parametrization

VALUES = [Fraction(k, 2) for k in range(-2, 4)]


def random_point(rng: random.Random) -> tuple[Parametrization, str, str]:
    L = rng.randint(1, 3)
    n = L + 1
    a = [rng.choice(VALUES) for _ in range(n)]
    b = [math.inf if rng.random() < 0.1 else rng.choice(VALUES) for _ in range(n)]
    c = [math.inf if rng.random() < 0.05 else rng.choice(VALUES) for _ in range(n)]
    d = [rng.choice(VALUES) for _ in range(n)] if rng.random() < 0.3 else None
    return Parametrization(a, b, c, d), rng.choice(sorted(OPTIMIZERS)), rng.choice(sorted(ACTIVATIONS))


def same(width_only: object, pair: object) -> bool:
    if isinstance(width_only, float):
        return pair == width_only
    return isinstance(pair, Scale) and pair.n == width_only and pair.L == 0


def test_two_variable_engine_equals_todays_engine_on_2000_random_points() -> None:
    rng = random.Random(20261204)
    checked = 0
    for _ in range(2000):
        p, opt, act = random_point(rng)
        ref = derive(p, opt, act, trace=False)
        two = derive_two_variable(p, opt, act)
        assert ref.steps == two.steps and ref.stationary_from == two.stationary_from, (p, opt, act)
        assert ref.exponents.keys() == two.exponents.keys()
        for key, e in ref.exponents.items():
            assert same(e, two.exponents[key]), (p, opt, act, key, e, two.exponents[key])
            checked += 1
    assert checked > 100_000


def test_width_parts_unchanged_by_depth_exponents() -> None:
    """With L-exponents on every layer the n-part of each exponent is today's engine's, at every
    step both runs compute (width first: L only breaks ties)."""
    rng = random.Random(7)
    for _ in range(300):
        p, opt, act = random_point(rng)
        n = p.n_layers
        lparts = {k: [rng.choice(VALUES) for _ in range(n)] for k in ("a_L", "b_L", "c_L")}
        ref = derive(p, opt, act, trace=False)
        two = derive_two_variable(with_depth_exponents(p, **lparts), opt, act)
        for key, e in ref.exponents.items():
            if key not in two.exponents:
                continue
            got = two.exponents[key]
            got_n = got if isinstance(got, float) else got.n
            assert got_n == e, (p, opt, act, lparts, key, e, got)


def test_depth_exponent_of_a_multiplier_shows_in_the_output() -> None:
    """A readout multiplier L^{-1} (a_L = 1 on the readout) scales f by L^{-1}."""
    p = Parametrization((Fraction(-1, 2), 0, Fraction(1, 2)), (Fraction(1, 2),) * 3, (0, 0, 0))
    two = derive_two_variable(with_depth_exponents(p, a_L=(0, 0, 1)), "sgd", "tanh")
    assert two.get("f", None, 0) == Scale(Fraction(-1, 2), -1)


def test_bad_depth_exponent_text_is_a_value_error() -> None:
    p = Parametrization((0, 0), (0, 0), (0, 0))
    with pytest.raises(ValueError):
        with_depth_exponents(p, a_L=("x", 0))
