"""The engine reproduces Tensor Programs IV / IVb: Table 1, the abcd tables, one-step exponents
of a depth-2 tanh MLP measured at finite width, and the closed-form conditions on a dense random
set of cases."""

import random
from fractions import Fraction as F

import pytest

from widthlimits.theory import Parametrization, preset
from widthlimits.theory.classify import classify
from widthlimits.theory.closed_forms import closed_form
from widthlimits.theory.engine import derive

H = F(1, 2)


@pytest.mark.parametrize("L", [1, 2, 3, 5])
@pytest.mark.parametrize("name,regime,r", [("sp:1", "kernel", H), ("ntp", "kernel", H),
                                           ("mup", "feature_learning", 0),
                                           ("mfp", "feature_learning", 0)])
def test_tp4_table1(name, regime, r, L):
    """TP4 Table 1: SP (LR 1/n) and NTP are kernel with r = 1/2; muP and MFP learn features."""
    if name == "sp:1" and L == 1:
        r = F(3, 2)  # L = 1: r = r_1 = min(1/2, 1) + 1 - 1 + 0 + 1 (TP4 Def. 3.2)
    c = classify(preset(name, L, "sgd"))
    assert (c.regime, c.r, c.stable, c.nontrivial) == (regime, r, True, True)
    assert c.closed_form.regime == regime and c.closed_form.r == r


def test_mup_is_the_unique_maximal_update_point():
    """TP4 Thm 5.6: in muP every layer is updated maximally and the readout initialized maximally."""
    for L in (1, 2, 4):
        c = classify(preset("mup", L, "sgd"))
        assert c.maximal_update_layers == tuple(range(1, L + 2))
        assert any("initialized maximally" in b for b in c.binding)
        ntp = classify(preset("ntp", L, "sgd"))
        assert ntp.maximal_update_layers == (L + 1,)  # only the readout


@pytest.mark.parametrize("s", [F(0), F(1, 8), F(1, 4), F(1, 2)])
def test_up_s_feature_learning_rate(s):
    """UP_s: dx^L = Theta(n^-s); kernel for s > 0, feature learning at s = 0.

    f_0 = Theta(n^{1/2 - a_{L+1} - b_{L+1}}) = Theta(n^{s - 1/2}) (CLT at init, TP4
    Sec. 3); muP (s = 0) has f_0 = n^{-1/2}, NTP (s = 1/2) f_0 = Theta(1).
    """
    for opt in ("sgd", "adam"):
        c = classify(preset(f"up:{s}", 3, opt), opt)
        assert c.engine.exponents[("f", None, 0)] == s - H
        assert c.r == s
        assert c.regime == ("feature_learning" if s == 0 else
                            ("operator" if opt == "adam" else "kernel"))


def test_sp_needs_lr_one_over_n():
    """TP4 Thm 4.1: SP blows up unless c >= 1; one SGD step changes f by n^(1-c)."""
    for c_ in (F(0), F(1, 2), F(3, 4)):
        r = classify(preset(f"sp:{c_}", 2, "sgd"))
        assert r.regime == "unstable"
        assert r.engine.exponents[("df", None, 1)] == 1 - c_
        assert any(v.quantity == "f" and v.step == 1 for v in r.violations)


@pytest.mark.parametrize(
    "abcd,regime,r",
    [  # TP IVb tables (Ex. 2.2.2, Defs. 2.4.1, 2.5.1), Adam with faithful d, depth 2
        (((0, 0, 0), (0, H, H), (0, 0, 0), (0, 0, 0)), "unstable", 0),  # SP, Ex. 2.2.2 (c = 0)
        (((0, H, H), (0, 0, 0), (H, 1, H), (H, 1, H)), "operator", H),  # NTP, Def. 2.4.1
        (((0, 0, 1), (0, H, 0), (0, 1, 0), (1, 1, 1)), "feature_learning", 0),  # muP, Def. 2.5.1
    ],
)
def test_tp_ivb_abcd_tables(abcd, regime, r):
    c = classify(Parametrization(*abcd), "adam")
    assert c.regime == regime
    if regime != "unstable":
        assert c.r == r


def test_sp_adam_lr_one_over_n_blows_up_the_logits():
    """TP IVb Thm 2.8.12 vs Remark 2.2.7 (arXiv:2308.01814): with L >= 2, SP + Adam at
    c = 1 has r = 0 but a_{L+1} + b_{L+1} + r = 1/2 < 1, so W_0 dx^L = Theta(n^{1/2})."""
    c = classify(preset("sp:1", 2, "adam"), "adam")
    assert c.regime == "unstable"
    assert c.engine.exponents[("W0dx", 3, 1)] == H
    assert c.r == 0
    # L = 1 edge case: stable, operator regime with r = 1
    one = classify(preset("sp:1", 1, "adam"), "adam")
    assert (one.regime, one.r) == ("operator", 1)


ONE_STEP = [  # measured one-step exponents, L = 2, tanh: (case, opt, a, b, c, f_0, dx^L, df, W0 dx^L)
    ("SGD SP c=1", "sgd", (0, 0, 0), (0, H, H), (1, 1, 1), 0, -H, 0, 0),
    ("SGD NTP", "sgd", (0, H, H), (0, 0, 0), (0, 0, 0), 0, -H, 0, 0),
    ("SGD muP", "sgd", (-H, 0, H), (H, H, H), (0, 0, 0), -H, 0, 0, 0),
    ("SGD SP c=1/2", "sgd", (0, 0, 0), (0, H, H), (H, H, H), 0, 0, H, H),
    ("SGD UP_1/4", "sgd", (-F(1, 4), F(1, 4), H), (F(1, 4),) * 3, (0, 0, 0), -F(1, 4), -F(1, 4), 0, 0),
    ("SGD SP Everett full", "sgd", (0, 0, 0), (0, H, H), (-H, H, 1), 0, 0, H, H),
    ("sign muP", "signsgd", (0, 0, 1), (0, H, 0), (0, 1, 0), -H, 0, 0, 0),
    ("sign NTP", "signsgd", (0, H, H), (0, 0, 0), (H, 1, H), 0, -H, 0, 0),
    ("sign SP c=1", "signsgd", (0, 0, 0), (0, H, H), (1, 1, 1), 0, 0, H, H),
    ("sign SP c=3/2", "signsgd", (0, 0, 0), (0, H, H), (F(3, 2),) * 3, 0, -H, 0, 0),
]


@pytest.mark.parametrize("case", ONE_STEP, ids=[c[0] for c in ONE_STEP])
def test_one_step_table(case):
    """Exponents after one step of an L = 2 tanh MLP, as measured at finite width."""
    _, opt, a, b, c, f0, dxL, df, w0dx = case
    r = derive(Parametrization(a, b, c), opt, "tanh", steps=1)
    ex = r.exponents
    assert (ex[("f", None, 0)], ex[("dx", 2, 1)], ex[("df", None, 1)], ex[("W0dx", 3, 1)]) == \
        (f0, dxL, df, w0dx)


def _boundary_sample(rng: random.Random, L: int, entrywise: bool) -> Parametrization:
    """Stable-at-init (TP form) points, with learning rates aimed near the faces r_l = 0."""
    quarter = [F(k, 4) for k in range(-4, 7)]
    a = [rng.choice(quarter) for _ in range(L + 1)]
    b = [-a[0]] + [H - x for x in a[1:L]] + [rng.choice([H, F(3, 4), F(1), F(5, 4)]) - a[L]]
    c = []
    for l in range(L + 1):
        if rng.random() < 0.6:
            target = rng.choice([F(0), F(0), F(1, 4), F(1, 2), F(-1, 4)])
            if l == L:
                c.append((1 - a[L] if entrywise else 1 - 2 * a[L]) + rng.choice([0, 0, F(1, 4), -F(1, 4)]))
            elif entrywise:
                c.append(target - a[l] + (0 if l == 0 else 1))
            else:
                c.append(target - min(a[L] + b[L], F(1)) + 1 - 2 * a[l] - (1 if l == 0 else 0))
        else:
            c.append(rng.choice([F(k, 4) for k in range(-6, 9)]))
    return Parametrization(tuple(a), tuple(b), tuple(c))


@pytest.mark.parametrize("chunk", range(10))
def test_engine_equals_closed_forms(chunk):
    """Engine == TP4 (SGD, momentum) / TP IVb (Adam, RMSProp, signSGD) on 10 x 1,000 cases,
    depths 1..6, nonlinear activations; every differing case is named."""
    rng = random.Random(20261122 + chunk)
    differ = []
    for _ in range(1000):
        L = rng.randint(1, 6)
        opt = rng.choice(["sgd", "momentum", "adam", "rmsprop", "signsgd"])
        act = rng.choice(["tanh", "relu", "gelu", "leaky_relu"])
        p = _boundary_sample(rng, L, opt not in ("sgd", "momentum"))
        got = classify(p, opt, act)
        cf = closed_form(p, opt)
        assert cf.applies
        same = got.regime == cf.regime and (cf.regime in ("unstable", "trivial") or got.r == cf.r)
        if not same:
            differ.append(f"{opt} {act} L={L} {p}: engine {got.regime} r={got.r}, "
                          f"{cf.theorem} {cf.regime} r={cf.r}")
    assert not differ, "\n".join(differ[:20])
