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
