"""Tensor Programs IV (Yang & Hu 2021, arXiv:2011.14522) and IVb (Yang & Littwin 2023)."""

from __future__ import annotations

import random
from fractions import Fraction

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.data import DataConfig
from widthlimits.proofs_checks.catalogue.base import Check, Context, Evidence, Outcome
from widthlimits.proofs_checks.measure import as_float, local_slope, measure_exponents
from widthlimits.theory.classify import classify
from widthlimits.theory.exponents import fmt
from widthlimits.theory.parametrization import Parametrization

TP4 = "Yang & Hu 2021, TP4 (arXiv:2011.14522)"
H = Fraction(1, 2)
TOL = 0.15


def random_stable_nontrivial(rng: random.Random, L: int, want_r0: bool) -> Parametrization:
    """A random stable, non-trivial SGD abc-parametrization (by the engine) with r = 0 or r > 0.

    Multipliers in quarters; init in TP form (Theta(1) pre-activations); learning rates chosen so
    that the readout is updated maximally and each r_l lies in {0, 1/4, 1/2}.
    """
    q = [Fraction(k, 4) for k in range(-2, 5)]
    for _ in range(10_000):
        a = [rng.choice(q) for _ in range(L + 1)]
        ab_out = rng.choice([H, Fraction(3, 4), Fraction(1)])
        b = [-a[0]] + [H - x for x in a[1:L]] + [ab_out - a[L]]
        c_out = 1 - 2 * a[L]
        m = min(ab_out, Fraction(1))
        targets = [rng.choice([Fraction(0), Fraction(1, 4), H]) for _ in range(L)]
        if want_r0:
            targets[rng.randrange(L)] = Fraction(0)
        elif min(targets) == 0:
            continue
        c = [t - m + 1 - 2 * a[l] - (1 if l == 0 else 0) for l, t in enumerate(targets)] + [c_out]
        p = Parametrization(tuple(a), tuple(b), tuple(c))
        cl = classify(p, "sgd")
        if cl.stable and cl.nontrivial and (cl.r == 0) == want_r0:
            return p.replace(name=f"random-{'fl' if want_r0 else 'kernel'}")
    raise RuntimeError("no random parametrization found")


def _dichotomy(ctx: Context) -> Outcome:
    rng = random.Random(ctx.seed)
    k = 3 if ctx.quick else 12
    seen: set[Parametrization] = set()  # canonical forms drawn so far
    L = 2
    widths = (256, 512, 1024, 2048) if ctx.quick else (256, 512, 1024, 2048, 4096)
    seeds = 3 if ctx.quick else 6
    T = 2
    data = DataConfig(kind="sphere", n_samples=8, d_in=16, target="teacher", seed=7)
    ev, rows = [], []
    draws: list[Parametrization] = []
    short = []
    for i in range(2 * k):
        want_r0 = i % 2 == 0
        for _attempt in range(200):  # symmetric copies give identical numbers: skip them
            p = random_stable_nontrivial(rng, rng.choice((2, 3)) if not ctx.quick else L, want_r0)
            key = p.canonical("sgd").replace(name=None)
            if key not in seen:
                seen.add(key)
                draws.append(p)
                break
        else:
            short.append("r = 0" if want_r0 else "r > 0")
    for i, p in enumerate(draws):
        cl = classify(p, "sgd")
        L = p.depth
        cfg = SimulationConfig(p, optimizer="sgd", activation="tanh", eta=0.5, steps=T, data=data,
                               dtype="float64", quantities=("dx", "df", "dWx", "W0dx"))
        keys = [("dWx", L, T), ("W0dx", L, T), ("dx", L, T), ("dWx", L + 1, T),
                ("W0dx", L + 1, T), ("df", None, T)]
        fits = measure_exponents(cfg, widths, seeds, keys, rng=ctx.seed)
        labels = {("dWx", L, T): "layer-L update on features (W^L_T - W^L_0) x^{L-1}_T",
                  ("W0dx", L, T): "W^L_0 dx^{L-1}_T",
                  ("dx", L, T): "x^L_T - x^L_0 (sum of the two terms above)",
                  ("dWx", L + 1, T): "readout update (W^{L+1}_T - W^{L+1}_0) x^L_T",
                  ("W0dx", L + 1, T): "readout on feature change W^{L+1}_0 dx^L_T",
                  ("df", None, T): "f_T - f_0 (sum of the two readout terms)"}
        slopes = []
        for key in keys:
            f = fits[key]
            pred = as_float(cl.engine.exponents[key])
            decisive = key[0] not in ("df", "dx")
            note = "" if decisive else (
                f"local slope at the largest widths {local_slope(f):+.2f}; a sum of power laws: "
                "its fitted slope is biased when a decaying term has the larger prefactor")
            ev.append(Evidence(
                name=f"#{i} ({cl.regime}, r={fmt(cl.r)}): slope of {labels[key]}",
                predicted=fmt(cl.engine.exponents[key]), measured=f.slope, ci_low=f.ci_low,
                ci_high=f.ci_high, window=(pred - TOL, pred + TOL), decisive=decisive, note=note))
            slopes.append(f"{f.slope:+.3f}")
        rows.append([i, str(p), cl.regime, fmt(cl.r), *slopes])
    return Outcome(
        evidence=tuple(ev),
        prediction="feature learning (x^L moves Theta(1)) iff r = 0; kernel regime (x^L moves "
                   "n^{-r}) iff r > 0; in both cases f_t - f_0 = Theta(1). x^L_T - x^L_0 = "
                   "phi'(h) (W^L_0 dx^{L-1}_T + (W^L_T - W^L_0) x^{L-1}_T): the engine gives each "
                   "term's exponent and -r is their maximum; each term is compared decisively",
        tables=(("Random parametrizations (depth 2, SGD, tanh)",
                 ["#", "parametrization", "engine regime", "r", "dWx^L slope", "W0dx^L slope",
                  "dx^L slope", "dWx^{L+1} slope", "W0dx^{L+1} slope", "df slope"], rows),),
        notes=(f"{len(draws)} random stable non-trivial abc-parametrizations drawn by the engine "
               f"(alternating r = 0 and r > 0; depth {'2' if ctx.quick else '2 or 3'}), distinct "
               f"up to the width symmetry; widths {widths}, {seeds} seeds, {T} SGD steps, eta = 0.5"
               + (f"; no new symmetry class found after 200 attempts for {len(short)} draws "
                  f"({', '.join(short)})" if short else ""),
               "Sums are not decisive, their terms are: a fitted slope of a sum of power laws is a "
               "convex combination of the terms' slopes, biased towards a decaying term with a "
               "larger prefactor. First full run (24 draws, dx^L decisive): refuted -- draws with "
               "r = 1/4 measured dx^L slope -0.458 [-0.487, -0.427]; its terms measured -0.26 "
               "(predicted -1/4) and -0.50 (predicted -1/2); at eta = 0.5 the n^{-1/2} term has a "
               "~7x larger prefactor (local slopes of the sum -0.46, -0.45, -0.45 from n = 256 to "
               "16384; -0.29 with the input learning rate divided by d_in). Draws are deduplicated "
               "by canonical form since then (symmetric copies gave bit-identical numbers).",
               "Each readout term is compared with its own predicted exponent (decisive). The total "
               "f_T - f_0 is reported but not decisive: in kernel-regime draws with "
               "a_{L+1} + b_{L+1} > 1/2 the Theta(1) readout-update term can have a small prefactor "
               "(0.025 for draw #1 at eta = 0.5) while W_0 dx^L = n^{-1/4} starts 5x larger, so the "
               "sum's fitted slope reads about -0.2 at widths <= 16384 (measured: flat 0.025 vs "
               "0.13 -> 0.047 from n = 256 to 16384).",),
    )


CHECKS = (
    Check(
        id="tp4-dynamical-dichotomy",
        title="Dynamical dichotomy: feature learning iff r = 0, kernel regime iff r > 0",
        paper=TP4, source="Thm 3.6, Thm 3.8, Cor. 3.9 (Def. 3.2 for r)",
        statement=r"\text{stable, nontrivial: } \Delta x^L_t = \Theta(n^{-r}),\ "
                  r"\text{feature learning} \iff r = 0,\ \text{kernel} \iff r > 0",
        assumptions=("tanh activation (TP4 Assumption 3.1)", "SGD, fixed number of steps",
                     "stable at init in TP form (Theta(1) pre-activations)"),
        run=_dichotomy,
    ),
)
