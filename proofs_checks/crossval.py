"""Cross-validation at scale: the engine against measurement on many random parametrizations.

Draws random abc-parametrizations (most from the engine's stable set, some outside it), runs a
coord check on each (every quantity, layer and step the engine derives), and reports the
agreement rate with every disagreement listed with its numbers.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from widthlimits.theory.classify import classify
from widthlimits.theory.parametrization import Parametrization

H = Fraction(1, 2)
QUANTITIES = ("h", "x", "dh", "dx", "dWx", "W0dx", "f", "df", "g", "dW")


def draw(rng: random.Random, n: int, unstable_fraction: float = 0.2) -> list[tuple[Parametrization, str]]:
    """``n`` random (parametrization, optimizer) pairs; about ``unstable_fraction`` unstable."""
    out: list[tuple[Parametrization, str]] = []
    q = [Fraction(k, 4) for k in range(-2, 5)]
    while len(out) < n:
        L = rng.choice([2, 3])
        opt = rng.choice(["sgd", "adam"])
        a = [rng.choice(q) for _ in range(L + 1)]
        b = [-a[0]] + [H - x for x in a[1:L]] + [rng.choice([H, Fraction(3, 4), Fraction(1)]) - a[L]]
        if opt == "sgd":
            base = [1 - min(a[L] + b[L], Fraction(1)) - 2 * x - (1 if l == 0 else 0)
                    for l, x in enumerate(a[:L])] + [1 - 2 * a[L]]
        else:
            base = [(0 if l == 0 else 1) - x for l, x in enumerate(a[:L])] + [1 - a[L]]
        c = [x + rng.choice([0, 0, Fraction(1, 4), H]) for x in base]
        want_unstable = len(out) < n * unstable_fraction
        if want_unstable:
            i = rng.randrange(L + 1)
            c[i] -= rng.choice([Fraction(1, 4), H])
        p = Parametrization(tuple(a), tuple(b), tuple(c), name=f"random-{len(out)}")
        stable = classify(p, opt).stable
        if stable != want_unstable:
            out.append((p, opt))
    return out


TOL = 0.1  # the coord check's tolerance (numerics.verdicts.DEFAULT_TOLERANCE)


def _num(x: Any) -> float:
    if x is None:
        return float("-inf")
    return float(x) if not isinstance(x, str) else (float("-inf") if x == "-inf" else
                                                     float(Fraction(x)))


def diagnose(case: dict[str, Any], depth: int) -> dict[tuple[str, int | None, int], str]:
    """Explain disagreements as finite-width crossovers, by a fixed rule (never by tolerance).

    A measured slope of a *sum* of terms with different exponents is biased towards the
    decaying term while that term has the larger prefactor: for non-cancelling terms,
    d log(A + B) / d log n is a convex combination of the terms' local slopes.  A disagreement on
    such a sum is ``crossover`` only if every term of the sum was measured and agrees with the
    engine (or is itself a crossover) and the sum's measured slope lies between the terms'
    slopes (within the tolerance).  The sums are those of the engine: dh^l = W0dx^l + dWx^l (dx^l
    follows dh^l; a bounded activation can only flatten dx towards 0), df = W0dx^{L+1} +
    dWx^{L+1}, f_t = f_0 + df_t, h^l_t = h^l_0 + dh^l_t, and W0dx^l = W^l_0 dx^{l-1} (inherits
    dx^{l-1}'s bias; its shift from dx^{l-1} must match the engine's).  Everything else is
    ``unexplained``.
    """
    rows = {(q["name"], q["layer"], q["step"]): q for q in case["quantities"]}
    memo: dict[tuple[str, int | None, int], str] = {}

    def ok(key: tuple[str, int | None, int]) -> bool:
        q = rows.get(key)
        if q is None:
            return False
        return q["verdict"] == "agree" or status(key) == "crossover"

    def between(meas: float, exps: list[float]) -> bool:
        fin = [e for e in exps if e != float("-inf")]
        return bool(fin) and min(fin) - TOL <= meas <= max(fin) + TOL

    def status(key: tuple[str, int | None, int]) -> str:
        if key in memo:
            return memo[key]
        memo[key] = "unexplained"  # guards recursion
        q = rows[key]
        if q["verdict"] != "disagree" or q["measured"] is None:
            memo[key] = q["verdict"]
            return memo[key]
        name, layer, t = key
        meas = q["measured"]
        terms: list[tuple[str, int | None, int]] = []
        if name in ("dh", "dx"):
            terms = [("dWx", layer, t)] + ([("W0dx", layer, t)] if layer and layer > 1 else [])
        elif name == "df":
            terms = [("dWx", depth + 1, t), ("W0dx", depth + 1, t)]
        elif name == "f" and t > 0:
            terms = [("f", None, 0), ("df", None, t)]
        elif name in ("h", "x") and t > 0:
            terms = [(name, layer, 0), ("dh", layer, t)]
        elif name == "W0dx" and layer and layer > 1:
            src = ("dx", layer - 1, t)
            if src in rows and ok(src) and rows[src]["measured"] is not None:
                shift_pred = _num(q["predicted"]) - _num(rows[src]["predicted"])
                shift_meas = meas - rows[src]["measured"]
                if abs(shift_meas - shift_pred) <= 2 * TOL:
                    memo[key] = "crossover"
            return memo[key]
        if terms and all(k in rows and ok(k) for k in terms):
            # d log(A + B) / d log n is a convex combination of the terms' local slopes, so the
            # sum's slope must lie between the terms' (measured or predicted) slopes
            exps = [_num(rows[k]["predicted"]) for k in terms]
            exps += [rows[k]["measured"] for k in terms if rows[k]["measured"] is not None]
            if name in ("dx", "x"):
                exps.append(0.0)  # saturation of a bounded activation flattens towards 0
            if between(meas, exps + [_num(q["predicted"])]):
                memo[key] = "crossover"
        return memo[key]

    return {k: status(k) for k, q in rows.items() if q["verdict"] == "disagree"}


@dataclass(frozen=True)
class CrossValidation:
    cases: tuple[dict[str, Any], ...]

    def counts(self, only_scored: bool = True) -> dict[str, int]:
        c: dict[str, int] = {"agree": 0, "disagree": 0, "inconclusive": 0}
        for case in self.cases:
            for q in case["quantities"]:
                if not only_scored or scored(case, q):
                    c[q["verdict"]] += 1
        return c

    @property
    def agreement_rate(self) -> float:
        """agree / (agree + disagree) over scored quantities."""
        c = self.counts()
        decided = c["agree"] + c["disagree"]
        return c["agree"] / decided if decided else float("nan")

    @property
    def raw_agreement_rate(self) -> float:
        c = self.counts(only_scored=False)
        return c["agree"] / (c["agree"] + c["disagree"])

    def disagreements(self) -> list[dict[str, Any]]:
        out = []
        for case in self.cases:
            diag = diagnose(case, _depth_of(case))
            for q in case["quantities"]:
                if q["verdict"] == "disagree":
                    dg = diag[(q["name"], q["layer"], q["step"])]
                    if not scored(case, q):
                        dg = "after blow-up (not scored)"
                    out.append({"case": case["name"], "optimizer": case["optimizer"],
                                "regime": case["regime"], "parametrization": case["parametrization"],
                                "diagnosis": dg, **q})
        return out


def _depth_of(case: dict[str, Any]) -> int:
    return max((q["layer"] or 0) for q in case["quantities"] if q["name"] == "h")


def _one(args: tuple[Parametrization, str, Sequence[int], int, int, str, str]) -> dict[str, Any]:
    p, opt, widths, seeds, steps, constants, dtype = args
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass
    from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine

    cl = classify(p, opt)
    # "default": exactly ``widthlimits coordcheck``'s defaults (every quantity the engine
    # derives, the optimizer's DEFAULT_ETA); otherwise the study's quantities and constants
    default = constants.startswith("default")
    if default:
        from widthlimits.numerics.coordcheck import DEFAULT_ETA

        unit = DEFAULT_ETA[opt]
        eta: Any = None if constants == "default" else tuple(
            unit * x for x in eta_for(p.depth, "input/d"))
    else:
        eta = eta_for(p.depth, constants)
    rep = coordcheck_against_engine(p, opt, "tanh", widths=widths, seeds=seeds, steps=steps,
                                    quantities=None if default else QUANTITIES,
                                    executor="serial", progress=False, dtype=dtype, eta=eta)
    d = rep.to_dict()
    out = {"name": p.name, "optimizer": opt, "regime": cl.regime, "r": str(cl.r),
           "first_blowup": cl.violations[0].step if cl.violations else None,
           "parametrization": str(p), "agreement_rate": d.get("agreement_rate"),
           "quantities": d["quantities"], "divergences": d["divergences"]}
    if rep.result is not None and steps >= 1:
        out["first_step"] = first_step_ratio(rep)
    return out


def first_step_ratio(rep: Any) -> list[float | None]:
    """Per width, the first step's relative move of the input layer's pre-activations,
    mean_seeds |dh^1_1| / mean_seeds |h^1_0| (RMS over coordinates): the quantity the default
    learning rates keep below 1/2 (tanh's near-linear range;
    :data:`widthlimits.numerics.coordcheck.DEFAULT_ETA`).  None where not measured or not finite."""
    import numpy as np

    res = rep.result
    try:
        dh = res.values("dh", 1, 1)
        h = res.values("h", 1, 0)
    except (KeyError, ValueError, IndexError):
        return [None] * len(rep.widths)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.nanmean(dh, axis=1) / np.nanmean(h, axis=1)
    return [round(float(x), 4) if np.isfinite(x) else None for x in r]


D_IN = 32  # the simulator's default input dimension (DataConfig.d_in)


def eta_for(depth: int, constants: str) -> tuple[float, ...]:
    """Learning-rate constants: ``"unit"`` = 1 for every layer; ``"default"`` = the coord check's
    per-optimizer default (:data:`widthlimits.numerics.coordcheck.DEFAULT_ETA`, every layer);
    ``"default-input/d"`` = that default with the input layer's divided by d_in (as below);
    ``"input/d"`` = 1/d_in for the
    input layer.  The input layer sums over its d_in fixed coordinates, so its update carries a
    factor d_in (xi.xi = d_in for SGD, sum |xi_j| ~ 0.8 d_in for sign-like updates) that the
    other layers do not; 1/d_in gives it a unit prefactor (chosen a priori, not fitted)."""
    if constants == "unit":
        return (1.0,) * (depth + 1)
    if constants in ("default", "default-input/d"):  # DEFAULT_ETA[optimizer], set in _one
        return ()
    if constants == "input/d":
        return (1.0 / D_IN,) + (1.0,) * depth
    raise ValueError(f"unknown constants {constants!r}; choose 'unit', 'input/d', 'default' or "
                     "'default-input/d'")


_FORWARD = {"h", "x", "dh", "dx", "dWx", "W0dx", "f", "df"}


def scored(case: dict[str, Any], q: dict[str, Any]) -> bool:
    """Unstable cases are scored up to their first blow-up: forward quantities through that
    step, backward and update quantities before it (after a blow-up, saturating units change
    the power counting, which the engine does not follow)."""
    fb = case.get("first_blowup")
    if case["regime"] != "unstable" or fb is None:
        return True
    return q["step"] < fb or (q["step"] == fb and q["name"] in _FORWARD)


def cross_validate(n: int = 100, *, widths: Sequence[int] = (128, 256, 512, 1024), seeds: int = 4,
                   steps: int = 2, seed: int = 20261122, jobs: int = 2, constants: str = "unit",
                   outdir: str | Path | None = None) -> CrossValidation:
    """Run the study; with ``outdir``, write ``crossval.json`` case by case (resumable) and
    ``crossval.md`` with the agreement rate and every disagreement."""
    return run_cases(draw(random.Random(seed), n), widths=widths, seeds=seeds, steps=steps,
                     jobs=jobs, constants=constants, outdir=outdir)


def named_coordchecks(presets: Sequence[str] = ("mup", "ntp", "sp:1", "sp:1/2", "up:1/4"),
                      optimizers: Sequence[str] = ("sgd", "adam"), depth: int = 3, *,
                      widths: Sequence[int] = (256, 512, 1024, 2048, 4096), seeds: int = 6,
                      steps: int = 2, constants: str = "input/d", jobs: int = 1,
                      outdir: str | Path | None = None) -> CrossValidation:
    """Coord checks of the named parametrizations against the engine (issue 5's must-show)."""
    from widthlimits.theory.presets import preset

    pairs = []
    for name in presets:
        for opt in optimizers:
            p = preset(name, depth, opt)
            pairs.append((p.replace(name=f"{name}/{opt}"), opt))
    return run_cases(pairs, widths=widths, seeds=seeds, steps=steps, jobs=jobs,
                     constants=constants, outdir=outdir, dtype="float32")


#: the coord check command's defaults (``widthlimits coordcheck --help``)
COMMAND_WIDTHS = (256, 512, 1024, 2048, 4096)
COMMAND_SEEDS = 8
COMMAND_STEPS = 5
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop", "signsgd")


def default_presets() -> tuple[str, ...]:
    """The named parametrizations the coord check offers: ``widthlimits tables``' points
    (parametrized presets with their example) and TP5's three muP tables."""
    from widthlimits.theory.presets import NAMED_POINTS

    return tuple(NAMED_POINTS) + ("mup-table3", "mup-table8", "mup-table9")


def default_coordchecks(presets: Sequence[str] | None = None,
                        optimizers: Sequence[str] = OPTIMIZERS, depth: int = 2, *,
                        constants: str = "default", jobs: int = 1,
                        outdir: str | Path | None = None) -> CrossValidation:
    """``widthlimits coordcheck --preset NAME --optimizer OPT --depth 2`` at the command's
    defaults (widths 256..4096, 8 seeds, 5 steps, float32, tanh, MSE, every quantity the
    engine derives, the optimizer's default learning rate) for every named parametrization and
    optimizer; a preset an optimizer does not define (golikov-sym-default with entrywise
    optimizers) is skipped.  With ``outdir``: ``crossval.json`` (resumable), ``crossval.md`` and
    ``defaults.md`` (:func:`render_defaults`)."""
    from widthlimits.theory.presets import preset

    pairs = []
    for name in (default_presets() if presets is None else presets):
        for opt in optimizers:
            try:
                p = preset(name, depth, opt)
            except ValueError:
                continue
            pairs.append((p.replace(name=f"{name}/{opt}"), opt))
    cv = run_cases(pairs, widths=COMMAND_WIDTHS, seeds=COMMAND_SEEDS, steps=COMMAND_STEPS,
                   jobs=jobs, constants=constants, outdir=outdir, dtype="float32")
    if outdir is not None:
        (Path(outdir) / "defaults.md").write_text(render_defaults(cv, depth, constants))
    return cv


def render_defaults(cv: CrossValidation, depth: int, constants: str = "default") -> str:
    """Per preset x optimizer: rows agreeing / disagreeing / inconclusive (all rows, as the
    command reports them), the engine's regime, the first step's relative move of h^1; then
    every disagreeing row with its numbers."""
    lines = ["# The coord check at its defaults, every named parametrization", "",
             f"`widthlimits coordcheck --preset NAME --optimizer OPT --depth {depth}` at the "
             "command's defaults: widths 256..4096, 8 seeds, 5 steps, float32, tanh, MSE, every "
             "quantity the engine derives, learning rate `DEFAULT_ETA[OPT]`"
             + (" (every layer)" if constants == "default" else
                f", learning-rate constants '{constants}' (not the command's; see `eta_for`)")
             + ". Rows as the command "
             "prints them (no row left out). `first step` is the largest, over widths, of "
             "|dh^1_1| / |h^1_0| (the default rates keep it below 1/2; "
             "tests/numerics/test_coordcheck_defaults.py). Regime: the engine's "
             "(`widthlimits.theory.classify`).", "",
             "| preset | optimizer | regime | agree | disagree | inconclusive | rows | first step |",
             "|---|---|---|---|---|---|---|---|"]
    tot = {"agree": 0, "disagree": 0, "inconclusive": 0}
    for case in cv.cases:
        c = {"agree": 0, "disagree": 0, "inconclusive": 0}
        for q in case["quantities"]:
            c[q["verdict"]] += 1
        for k in tot:
            tot[k] += c[k]
        name, opt = case["name"].rsplit("/", 1)
        fs = [x for x in case.get("first_step", []) if x is not None]
        lines.append(f"| {name} | {opt} | {case['regime']} | {c['agree']} | {c['disagree']} | "
                     f"{c['inconclusive']} | {sum(c.values())} | "
                     + (f"{max(fs):.3g}" if fs else "n/a") + " |")
    lines += ["", _total_line("All rows", tot)]
    stable = CrossValidation(tuple(c for c in cv.cases if c["regime"] != "unstable"))
    unstable = CrossValidation(tuple(c for c in cv.cases if c["regime"] == "unstable"))
    if stable.cases:
        lines.append(_total_line(f"Stable by the engine ({len(stable.cases)} cases)",
                                 stable.counts(only_scored=False)))
    if unstable.cases:
        lines.append(_total_line(
            f"Unstable by the engine ({len(unstable.cases)} cases), rows up to the first "
            "blow-up (`scored`)", unstable.counts()))
    dis = cv.disagreements()
    diag: dict[str, int] = {}
    for d in dis:
        key = ("stable" if d["regime"] != "unstable" else "unstable") + ", " + d["diagnosis"]
        diag[key] = diag.get(key, 0) + 1
    lines += ["", "Disagreements by diagnosis (`diagnose`: a sum whose terms each agree and whose "
              "slope lies between theirs is a finite-width crossover): "
              + ", ".join(f"{k}: {v}" for k, v in sorted(diag.items())) + ".", ""]
    lines += [f"## Every disagreeing row ({len(dis)})", "",
              "| case | regime | quantity | layer | step | predicted | measured [95% CI] | "
              "diagnosis |", "|---|---|---|---|---|---|---|---|"]
    order = {"unexplained": 0, "crossover": 1}
    for d in sorted(dis, key=lambda d: (d["regime"] == "unstable", order.get(d["diagnosis"], 2))):
        meas = ("nan" if d["measured"] is None else
                f"{d['measured']:.3f} [{d['ci_low']:.3f}, {d['ci_high']:.3f}]")
        lines.append(f"| {d['case']} | {d['regime']} | {d['name']} | {d['layer']} | {d['step']} | "
                     f"{d['predicted']} | {meas} | {d['diagnosis']} |")
    return "\n".join(lines) + "\n"


def _total_line(label: str, c: dict[str, int]) -> str:
    n = sum(c.values())
    decided = c["agree"] + c["disagree"]
    return (f"- {label}: {c['agree']} agree, {c['disagree']} disagree, {c['inconclusive']} "
            f"inconclusive of {n} rows; agree / all rows = "
            + (f"{c['agree'] / n:.2%}" if n else "n/a") + ", agree / (agree + disagree) = "
            + (f"{c['agree'] / decided:.2%}" if decided else "n/a") + ".")


def run_settings(widths: Sequence[int], seeds: int, steps: int, constants: str,
                 dtype: str) -> dict[str, Any]:
    """What a stored case was computed with: the study's settings and the simulator's code
    version (:data:`widthlimits.numerics.store.CODE_VERSION`).  A stored case is reused only
    when these match, so a resumed study never mixes results of different settings or code."""
    from widthlimits.numerics.store import CODE_VERSION

    return {"widths": [int(w) for w in widths], "seeds": int(seeds), "steps": int(steps),
            "constants": constants, "dtype": dtype, "code_version": CODE_VERSION}


def read_stored_cases(path: Path) -> list[dict[str, Any]]:
    """The cases stored in ``crossval.json``; an unreadable file is refused in one line with the
    way out (move it aside; the cases are then recomputed)."""
    try:
        cases = json.loads(path.read_text())
        if not isinstance(cases, list) or not all(isinstance(c, dict) and "name" in c for c in cases):
            raise ValueError("not a list of stored cases")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"the stored cases {str(path)!r} are unreadable ({' '.join(str(exc).split())}); "
                         f"move the file aside to recompute them") from None
    return cases


def run_cases(pairs: Sequence[tuple[Parametrization, str]], *, widths: Sequence[int], seeds: int,
              steps: int, jobs: int, constants: str, outdir: str | Path | None,
              dtype: str = "float64") -> CrossValidation:
    """Run every (parametrization, optimizer) pair's coord check against the engine.  With
    ``outdir``, each finished case is written to ``crossval.json`` at once (atomic replace), and
    a rerun reuses the cases stored there with the same :func:`run_settings` (others are
    recomputed and replaced)."""
    done: dict[str, dict[str, Any]] = {}
    path = Path(outdir) / "crossval.json" if outdir is not None else None
    settings = run_settings(widths, seeds, steps, constants, dtype)
    if path is not None and path.exists():
        done = {c["name"]: c for c in read_stored_cases(path) if c.get("settings") == settings}
    eta_for(2, constants)  # validates
    todo = [(p, o, tuple(widths), seeds, steps, constants, dtype) for p, o in pairs
            if p.name not in done]
    if todo:
        from widthlimits.numerics.executors import watch_parent

        # workers end with this process even when it is killed (no orphans)
        with ProcessPoolExecutor(jobs, initializer=watch_parent, initargs=(os.getpid(),)) as ex:
            for res in (ex.map(_one, todo) if jobs > 1 else map(_one, todo)):
                done[res["name"]] = {**res, "settings": settings}
                if path is not None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(list(done.values()), indent=1))
                    tmp.replace(path)
    cv = CrossValidation(tuple(done[p.name] for p, _ in pairs))
    if outdir is not None:
        (Path(outdir) / "crossval.md").write_text(render(cv, widths, seeds, steps, constants, dtype))
    return cv


def render(cv: CrossValidation, widths: Sequence[int], seeds: int, steps: int,
           constants: str = "unit", dtype: str = "float64") -> str:
    c = cv.counts()
    regimes: dict[str, int] = {}
    for case in cv.cases:
        regimes[case["regime"]] = regimes.get(case["regime"], 0) + 1
    lines = ["# Engine vs measured exponents", "",
             f"{len(cv.cases)} abc-parametrizations (tanh, MSE), "
             f"regimes by the engine: {regimes}. Widths {list(widths)}, {seeds} seeds, {steps} steps, "
             f"{dtype}, learning-rate constants '{constants}' (see `eta_for`); every quantity the "
             "engine derives (h, x, dh, dx, dWx, W0dx, f, df, g, dW) at every layer and step.", "",
             f"Scored quantity verdicts: {c}. **Agreement rate (agree / (agree + disagree)): "
             f"{cv.agreement_rate:.1%}** (all quantities, including unstable runs after their first "
             f"blow-up: {cv.raw_agreement_rate:.1%}).", "",
             "## Per case", "", "| case | optimizer | regime | r | agreement |", "|---|---|---|---|---|"]
    for case in cv.cases:
        ar = case["agreement_rate"]
        lines.append(f"| {case['name']} | {case['optimizer']} | {case['regime']} | {case['r']} | "
                     + (f"{ar:.0%}" if ar is not None else "n/a") + " |")
    dis = cv.disagreements()
    n_cross = sum(d["diagnosis"] == "crossover" for d in dis)
    n_post = sum(d["diagnosis"].startswith("after blow-up") for d in dis)
    unexpl = [d for d in dis if d["diagnosis"] == "unexplained"]
    lines[lines.index("## Per case") - 1:lines.index("## Per case") - 1] = [
        f"Of all {len(dis)} disagreements, {n_post} are in unstable runs after their first blow-up "
        f"(not scored), {n_cross} are finite-width crossovers by the rule of "
        "`widthlimits.proofs_checks.crossval.diagnose` (every measured term of the sum agrees "
        "with the engine individually and the sum's slope lies between the terms' slopes), and "
        f"**{len(unexpl)} are unexplained**.", ""]
    lines += ["", f"## Every disagreement ({len(dis)}; unexplained first)", "",
              "| case | opt | regime | quantity | layer | step | predicted | measured [CI] | diagnosis |",
              "|---|---|---|---|---|---|---|---|---|"]
    order = {"unexplained": 0, "crossover": 1}
    for d in sorted(dis, key=lambda d: order.get(d["diagnosis"], 2)):
        lines.append(f"| {d['case']} | {d['optimizer']} | {d['regime']} | {d['name']} | {d['layer']} | "
                     f"{d['step']} | {d['predicted']} | {d['measured']:.3f} "
                     f"[{d['ci_low']:.3f}, {d['ci_high']:.3f}] | {d['diagnosis']} |")
    lines += ["", "Parametrizations of the cases with disagreements:", ""]
    for name in sorted({d["case"] for d in dis}):
        case = next(x for x in cv.cases if x["name"] == name)
        lines.append(f"- {name} ({case['optimizer']}): {case['parametrization']}")
    return "\n".join(lines) + "\n"
