"""Property tests (hypothesis): symmetries, monotonicity, and consistency of the engine."""

from fractions import Fraction as F

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from widthlimits.theory import Parametrization, equivalent
from widthlimits.theory.classify import classify
from widthlimits.theory.engine import derive

quarter = st.integers(-8, 8).map(lambda k: F(k, 4))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def params(draw, max_depth: int = 4):
    L = draw(st.integers(1, max_depth))
    a = tuple(draw(quarter) for _ in range(L + 1))
    b = tuple(draw(quarter) for _ in range(L + 1))
    c = tuple(draw(quarter) for _ in range(L + 1))
    return Parametrization(a, b, c)


@SETTINGS
@given(params(), st.lists(quarter, min_size=7, max_size=7),
       st.sampled_from(["sgd", "momentum", "adam", "signsgd"]),
       st.sampled_from(["tanh", "relu", "gelu", "linear"]))
def test_exponents_are_invariant_under_the_width_symmetry(p, theta, opt, act):
    """TP4 Eq. 5 / TP IVb Prop. 2.2.3: (a+t, b-t, c-2t) (SGD) or (a+t, b-t, c-t) (entrywise)
    leaves f_t unchanged at every width, so every exponent of the effective network is unchanged
    (only the gradient w.r.t. the raw weights w rescales by n^{-t})."""
    q = p.shift(theta[: p.n_layers], opt)
    assert equivalent(p, q, opt)
    r1, r2 = derive(p, opt, act, steps=3, trace=False), derive(q, opt, act, steps=3, trace=False)
    for key, e in r1.exponents.items():
        if key[0] != "grad":
            assert r2.exponents[key] == e, key


@SETTINGS
@given(params(), st.integers(0, 6), st.sampled_from([F(1, 4), F(1, 2), F(1)]),
       st.sampled_from(["sgd", "momentum"]),
       st.sampled_from(["tanh", "relu", "leaky_relu", "gelu", "sigmoid", "linear"]))
def test_smaller_learning_rates_never_increase_any_exponent(p, layer, inc, opt, act):
    """SGD-type power counting is monotone: raising c_l (a smaller learning rate) can only lower
    the exponents of every change; a stable parametrization stays stable.  Every operation of
    the SGD recursion is monotone (sums, max, min, and c entering as -c); the one subtraction,
    the mean of phi(h + dh) - phi(h) for ReLU-like phi, 2 e(dh) - max(e(h), e(dh)), is
    non-decreasing in e(dh), and its h is h_0 in the forward pass.  Non-odd activations are
    drawn for that reason, over six steps."""
    layer %= p.n_layers
    c = list(p.c)
    c[layer] = c[layer] + inc
    q = p.replace(c=tuple(c))
    r1, r2 = derive(p, opt, act, steps=6, trace=False), derive(q, opt, act, steps=6, trace=False)
    for key, e in r2.exponents.items():
        assert e <= r1.exponents[key], key
    if classify(p, opt, act).stable:
        assert classify(q, opt, act).stable


@SETTINGS
@given(params(), st.sampled_from(["sgd", "adam", "rmsprop"]))
def test_regime_is_consistent_with_its_exponents(p, opt):
    c = classify(p, opt)
    ex = c.engine.exponents
    T = c.engine.steps
    if c.regime == "unstable":
        assert c.violations and all(v.exponent > 0 for v in c.violations)
    else:
        assert not c.violations
        assert all(ex[("h", l, t)] <= 0 for l in range(1, p.depth + 1) for t in range(T + 1))
    if c.regime == "feature_learning":
        assert c.feature_learning_layers and c.nontrivial
    if c.regime in ("kernel", "operator"):
        assert c.nontrivial and not c.feature_learning_layers and c.r is not None and c.r > 0


@SETTINGS
@given(params(max_depth=3), st.sampled_from(["sgd", "adam"]))
def test_a_frozen_network_never_moves(p, opt):
    """c = inf everywhere: no update, every change is exactly zero at every step."""
    q = p.replace(c=("inf",) * p.n_layers)
    r = derive(q, opt, "tanh", steps=2, trace=False)
    for (name, _l, t), e in r.exponents.items():
        if name in ("dh", "dx", "df", "dW", "dWx", "W0dx", "df_step") and t >= 0:
            assert e == float("-inf"), (name, t)
    assert r.stationary_from in (None, 0)


@SETTINGS
@given(st.integers(1, 5), st.sampled_from(["sgd", "adam"]))
def test_adding_depth_keeps_mup_feature_learning(L, opt):
    from widthlimits.theory import preset

    assert classify(preset("mup", L, opt), opt).regime == "feature_learning"


class _CountingOps:
    """The engine's numeric max-plus arithmetic, counting the comparisons it is asked for."""

    def __init__(self, p: Parametrization) -> None:
        from widthlimits.theory.engine import MaxPlusOps
        from widthlimits.theory.regions.line import common_denominator

        self._ops = MaxPlusOps(False, common_denominator(p))
        self.comparisons = 0

    def __getattr__(self, name):
        return getattr(self._ops, name)

    def mx(self, *xs):
        self.comparisons += max(len(xs) - 1, 0)
        return self._ops.mx(*xs)

    def mn(self, *xs):
        self.comparisons += max(len(xs) - 1, 0)
        return self._ops.mn(*xs)


@SETTINGS
@given(params(), st.sampled_from(["sgd", "momentum", "adam", "rmsprop", "signsgd"]),
       st.sampled_from(["tanh", "relu", "leaky_relu", "gelu"]))
def test_the_trace_changes_no_exponent_and_costs_nothing_without_it(p, opt, act):
    """The trace's explanatory terms are computed only when tracing (engine.record): a run
    without a trace returns the same exponents, steps and stationarity, and asks for fewer
    comparisons (the region engines, which run without a trace, are not cut where only the
    explanation of a quantity changes)."""
    with_ops, without_ops = _CountingOps(p), _CountingOps(p)
    r1 = derive(p, opt, act, trace=True, ops=with_ops)
    r2 = derive(p, opt, act, trace=False, ops=without_ops)
    assert r1.exponents == r2.exponents
    assert (r1.steps, r1.stationary_from) == (r2.steps, r2.stationary_from)
    assert without_ops.comparisons < with_ops.comparisons
    assert r1.trace and not r2.trace
