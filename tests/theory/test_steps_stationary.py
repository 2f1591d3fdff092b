"""``steps`` asked beyond stationarity: the run stops where its state repeats and every later
step is that step's copy (classify --steps 1000 at depth 1000 took minutes step by step)."""

from widthlimits.theory.classify import classify
from widthlimits.theory.engine import derive
from widthlimits.theory.presets import preset


def test_a_stationary_run_asked_for_many_steps_copies_the_last():
    p = preset("mup", 30, "sgd")
    c = classify(p, "sgd", steps=300)
    e = c.engine
    assert e.steps == 300 and e.stationary_from is not None and e.stationary_from < 10
    s = e.stationary_from
    for q, layer in (("h", 1), ("dWx", 31), ("f", None), ("df", None)):
        assert e.exponents[(q, layer, 300)] == e.exponents[(q, layer, s)]
    assert c.all_steps and not any("not stationary" in n for n in c.notes)
    full = derive(p, "sgd", "tanh", steps=300, trace=True)  # a traced run computes every step
    assert full.stationary_from is None and full.steps == 300
    assert {k: v for k, v in full.exponents.items()} == dict(e.exponents)


# ---------------------------------------------------------------- reading only the distinct steps
import dataclasses  # noqa: E402
from fractions import Fraction as F  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from widthlimits.theory.classify import classify_result  # noqa: E402
from widthlimits.theory.exponents import INF  # noqa: E402
from widthlimits.theory.parametrization import Parametrization  # noqa: E402
from widthlimits.theory.regions.properties import PROPERTIES, has_property  # noqa: E402

HALVES = st.integers(-4, 4).map(lambda k: F(k, 2))


@st.composite
def runs_past_stationarity(draw):
    L = draw(st.integers(1, 4))
    a = tuple(draw(HALVES) for _ in range(L + 1))
    b = tuple(draw(st.one_of(HALVES, st.just(INF))) for _ in range(L + 1))
    c = tuple(draw(st.one_of(HALVES, st.just(INF))) for _ in range(L + 1))
    opt = draw(st.sampled_from(["sgd", "momentum", "adam", "rmsprop", "signsgd"]))
    act = draw(st.sampled_from(["tanh", "relu", "leaky_relu", "gelu", "linear"]))
    return Parametrization(a, b, c), opt, act, draw(st.integers(1, 40))


@settings(max_examples=300, deadline=None)
@given(runs_past_stationarity())
def test_the_copies_after_stationarity_change_no_reading(case):
    # a run asked for more steps than it needs copies its stationary step forward; the
    # classification and every property read only the steps up to it (last_distinct_step),
    # and must say what reading every copy says
    p, opt, act, steps = case
    res = derive(p, opt, act, steps=steps, trace=False)
    every = dataclasses.replace(res, stationary_from=None)  # the same exponents, all read
    assert every.last_distinct_step == res.steps
    got, ref = classify_result(res), classify_result(every)
    for f in ("regime", "stable", "violations", "feature_learning_layers",
              "maximal_update_layers", "r", "first_nontrivial_step", "discrete_time", "binding"):
        assert getattr(got, f) == getattr(ref, f), f
    for name in (*PROPERTIES, "fl1", f"mu{p.depth + 1}", "not-trivial"):
        assert has_property(got, name) == has_property(ref, name), name


@settings(max_examples=100, deadline=None)
@given(runs_past_stationarity())
def test_repeated_steps_read_as_the_copies_written_out(case):
    # the mapping of a run stationary before its last step: the same keys in the order the
    # copies would be written, each later step's value its stationary step's, nothing else
    p, opt, act, steps = case
    res = derive(p, opt, act, steps=steps, trace=False)
    ex = res.exponents
    if res.stationary_from is None or res.stationary_from == res.steps:
        assert isinstance(ex, dict)
        return
    s = res.stationary_from
    written = {k: v for k, v in ex.base.items()}
    for (q, layer, t), v in ex.base.items():
        if t == s:
            for t2 in range(s + 1, steps + 1):
                written[(q, layer, t2)] = v
    assert list(ex) == list(written) and len(ex) == len(written) and dict(ex) == written
    assert all(k in ex and ex[k] == v for k, v in written.items())
    for missing in (("h", None, s + 1), ("f", None, steps + 1), ("nope", 1, 0), "x"):
        assert missing not in ex
