"""Checks of published theorems: a symbolic prediction, an experiment that can refute it, a verdict.

The protocol (every check in the catalogue follows it; a new check must too)
----------------------------------------------------------------------------

A :class:`Check` is data (id, statement, source, assumptions), a declared :class:`Design` and a
function ``run(ctx) -> Outcome``.  The design is fixed in code *before* any number is seen:

* ``Design.window``: the headline's prediction window ``[lo, hi]`` (or ``Design.tolerance``, the
  half-width of the window around a prediction the experiment derives, e.g. from the engine).
  The headline is the first :class:`Evidence` of the outcome; the runner refuses (the check is
  inconclusive with an error) an outcome whose headline window is not the declared one.
* ``Design.control``: a wrong prediction (:class:`ControlDesign`): by default the headline's
  window shifted by +- 1/4 ("the order +- 1/4"); or an explicit window (the neighbouring regime,
  or the complement of a one-sided window).  The control is judged on the *same* measurement, in
  the same run, by the same rule as the prediction.

The runner turns the outcome into a :class:`CheckResult` (:func:`judge`):

* ``refuted``: some decisive evidence is outside its window (its whole confidence interval
  excludes the window);
* ``confirmed``: every decisive evidence passes **and the control is refuted**;
* ``inconclusive``: a decisive measurement is missing (a run diverged, the experiment failed), or
  every decisive evidence passes but the control is not refuted: "inconclusive (design too
  weak)" -- the experiment could not have told the prediction from a wrong one.
  Non-decisive evidence is reported, and named as a caveat when outside its window.

Every evidence row carries its *power* (:func:`power_of`): the smallest shift of its window that
this run's CI would refute in both directions, ``max(ci_high - lo, hi - ci_low)`` (for a
one-sided window, the CI's width).  A ``+-d`` control is refuted exactly when ``power < d``.
The CIs come from :mod:`widthlimits.numerics.fits` (one slope fitter, small-sample corrected),
over seeds: full mode uses at least :data:`FULL_MIN_SEEDS` (``Context.seeds``, the one place an
experiment's seed count is chosen).

Expected failures are explicit data (``expected_failure``, a reason); an expected failure that
passes is reported as such, never hidden (after scikit-learn's ``expected_failed_checks``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class Verdict(enum.StrEnum):
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Evidence:
    """One compared number: ``measured`` (with CI) against a prediction window ``[lo, hi]``.

    ``passed`` is True when the CI intersects the window (or the value lies in it when no CI),
    False when the whole CI misses it, None when the measurement is missing.
    """

    name: str
    predicted: str
    measured: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    window: tuple[float, float] | None = None
    note: str = ""
    decisive: bool = True

    @property
    def passed(self) -> bool | None:
        if self.measured is None or not math.isfinite(self.measured):
            return None
        if self.window is None:
            return None
        lo, hi = self.window
        if self.ci_low is not None and self.ci_high is not None and math.isfinite(self.ci_low) \
                and math.isfinite(self.ci_high):
            return not (self.ci_high < lo or self.ci_low > hi)
        return lo <= self.measured <= hi

    @property
    def power(self) -> float | None:
        """Smallest window shift this measurement would refute (:func:`power_of`)."""
        return power_of(self)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "predicted": self.predicted, "measured": _num(self.measured),
                "ci_low": _num(self.ci_low), "ci_high": _num(self.ci_high),
                "window": list(self.window) if self.window else None, "passed": self.passed,
                "decisive": self.decisive, "power": _num(self.power), "note": self.note}


#: a window bound at or beyond this magnitude is "unbounded" (a one-sided prediction)
ONE_SIDED = 1e5


def _one_sided(window: tuple[float, float]) -> bool:
    return abs(window[0]) >= ONE_SIDED or abs(window[1]) >= ONE_SIDED


def _ci(e: Evidence) -> tuple[float, float] | None:
    if e.measured is None or not math.isfinite(e.measured):
        return None
    if e.ci_low is not None and e.ci_high is not None and math.isfinite(e.ci_low) \
            and math.isfinite(e.ci_high):
        return (e.ci_low, e.ci_high)
    return (e.measured, e.measured)


def power_of(e: Evidence) -> float | None:
    """The smallest deviation the design detects at its widths and seeds, from this run's CI.

    For a two-sided window ``[lo, hi]`` and CI ``[a, b]``: ``max(b - lo, hi - a)``, the smallest
    shift ``d`` such that both ``[lo + d, hi + d]`` and ``[lo - d, hi - d]`` miss the CI.  For a
    one-sided window (a bound beyond ``ONE_SIDED``): ``b - a``, the CI's width (a true value that
    far past the bound would put the whole CI on the other side).  None without a measurement.
    """
    ci = _ci(e)
    if ci is None or e.window is None:
        return None
    a, b = ci
    lo, hi = e.window
    if _one_sided(e.window):
        return float(b - a)
    return float(max(b - lo, hi - a))


@dataclass(frozen=True)
class ControlDesign:
    """The wrong prediction a check's experiment must refute in the same run.

    ``shift``: the headline window shifted by ``+-shift`` (both must be refuted); ``window``: an
    explicit wrong window (the neighbouring regime; the complement of a one-sided window) with
    ``prediction`` saying it in words.  A one-sided headline window with no explicit control
    window is controlled by its complement.
    """

    shift: float = 0.25
    window: tuple[float, float] | None = None
    prediction: str = ""
    reason: str = "the order +- 1/4"


@dataclass(frozen=True)
class Design:
    """A check's declared design: its headline window (or tolerance) and its control.

    ``full_tolerance`` overrides ``tolerance`` in full mode (a window that is a function of the
    sample size, e.g. three standard errors of a sample moment).
    """

    window: tuple[float, float] | None = None
    tolerance: float | None = None
    control: ControlDesign = ControlDesign()
    full_tolerance: float | None = None

    def __post_init__(self) -> None:
        if (self.window is None) == (self.tolerance is None):
            raise ValueError("a Design declares exactly one of `window` and `tolerance`")

    def tolerance_in(self, mode: str) -> float | None:
        if mode == "full" and self.full_tolerance is not None:
            return self.full_tolerance
        return self.tolerance

    def describe(self, mode: str = "quick") -> str:
        if self.window is not None:
            return f"[{self.window[0]:g}, {self.window[1]:g}]"
        return f"prediction +- {self.tolerance_in(mode):.4g}"

    def matches(self, window: tuple[float, float] | None, mode: str = "quick") -> bool:
        """Whether an outcome's headline window is the declared one."""
        if window is None:
            return False
        if self.window is not None:
            return all(math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)
                       for u, v in zip(window, self.window, strict=True))
        return math.isclose(window[1] - window[0], 2 * float(self.tolerance_in(mode) or 0),
                            rel_tol=1e-9)


@dataclass(frozen=True)
class ControlResult:
    """The control's prediction (words and windows) and its verdict on the headline measurement."""

    prediction: str
    windows: tuple[tuple[float, float], ...]
    verdict: Verdict

    def as_dict(self) -> dict[str, Any]:
        return {"prediction": self.prediction, "verdict": self.verdict.value,
                "windows": [[_num(lo), _num(hi)] for lo, hi in self.windows]}


def run_control(design: ControlDesign, headline: Evidence) -> ControlResult:
    """Judge the headline measurement against the control's wrong prediction (same rule)."""
    w = headline.window
    if design.window is not None:
        windows: tuple[tuple[float, float], ...] = (design.window,)
        text = (design.prediction or f"window [{design.window[0]:g}, {design.window[1]:g}]") \
            + f" ({design.reason})"
    elif w is None:
        return ControlResult("none (the headline has no window)", (), Verdict.INCONCLUSIVE)
    elif _one_sided(w):
        windows = ((-math.inf, w[0]),) if abs(w[1]) >= ONE_SIDED else ((w[1], math.inf),)
        text = f"< {w[0]:g}" if abs(w[1]) >= ONE_SIDED else f"> {w[1]:g}"
    else:
        s = design.shift
        windows = ((w[0] + s, w[1] + s), (w[0] - s, w[1] - s))
        text = f"{headline.predicted} +- {s:g} ({design.reason})"
    passed = [replace(headline, window=win).passed for win in windows]
    if any(p is None for p in passed):
        v = Verdict.INCONCLUSIVE
    elif all(p is False for p in passed):
        v = Verdict.REFUTED
    else:
        v = Verdict.CONFIRMED
    return ControlResult(text, windows, v)


def _num(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


@dataclass(frozen=True)
class Outcome:
    """What a check's experiment returns: evidence (the first is the headline number), figures
    written into the context's folder, free-form notes and tables for the report."""

    evidence: tuple[Evidence, ...]
    figures: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tables: tuple[tuple[str, Sequence[str], Sequence[Sequence[Any]]], ...] = ()
    prediction: str = ""


@dataclass(frozen=True)
class Context:
    mode: str  # "quick" | "full"
    outdir: Path
    seed: int = 20261122

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def seeds(self, quick: int, full: int) -> int:
        """The experiment's number of seeds in this mode; full mode has at least
        :data:`FULL_MIN_SEEDS` (the protocol's statistics rule: the CIs are over seeds)."""
        return seeds_for(self.mode, quick, full)


#: fewest seeds a check may use in full mode (CIs over seeds, small-sample corrected)
FULL_MIN_SEEDS = 8


def seeds_for(mode: str, quick: int, full: int) -> int:
    """``quick`` or ``full`` by ``mode``; refuses a full-mode count below :data:`FULL_MIN_SEEDS`
    whatever the mode (the design is one declaration, checked wherever it runs)."""
    if full < FULL_MIN_SEEDS:
        raise ValueError(f"a check's full mode needs at least {FULL_MIN_SEEDS} seeds, not {full}")
    if min(quick, full) < 2:
        raise ValueError("a CI over seeds needs at least 2 seeds")
    return quick if mode == "quick" else full


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    paper: str
    source: str
    statement: str  # LaTeX display-math content (no $...$): rendered inside \[ \] and $$ $$
    assumptions: tuple[str, ...]
    run: Callable[[Context], Outcome] = field(repr=False)
    design: Design | None = None  # required by the protocol; judge() refuses a check without
    expected_failure: str | None = None
    quick_budget_s: float = 60.0
    full_budget_s: float = 600.0


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    paper: str
    source: str
    statement: str
    assumptions: tuple[str, ...]
    verdict: Verdict
    explanation: str
    evidence: tuple[Evidence, ...]
    prediction: str
    mode: str
    seconds: float
    figures: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tables: tuple[Any, ...] = ()
    expected_failure: str | None = None
    error: str | None = None
    design: str = ""
    control: ControlResult | None = None

    @property
    def power(self) -> float | None:
        return self.headline.power if self.headline else None

    @property
    def headline(self) -> Evidence | None:
        return self.evidence[0] if self.evidence else None

    def to_json(self) -> dict[str, Any]:
        h = self.headline
        return {
            "id": self.id, "verdict": self.verdict.value,
            "predicted": h.predicted if h else self.prediction,
            "measured": _num(h.measured) if h else None,
            "ci_low": _num(h.ci_low) if h else None, "ci_high": _num(h.ci_high) if h else None,
            "source": f"{self.paper}, {self.source}", "title": self.title,
            "explanation": self.explanation, "mode": self.mode, "seconds": round(self.seconds, 2),
            "expected_failure": self.expected_failure, "error": self.error,
            "window": list(h.window) if h and h.window else None, "design": self.design,
            "control": self.control.as_dict() if self.control else
            {"prediction": "none", "verdict": Verdict.INCONCLUSIVE.value, "windows": []},
            "power": _num(self.power),
            "evidence": [e.as_dict() for e in self.evidence], "figures": list(self.figures),
        }

    def _repr_html_(self) -> str:
        from html import escape

        h = self.headline
        meas = _fmt(h) if h else "n/a"
        ctrl = self.control
        rows = "".join(
            f"<tr><td>{escape(e.name)}</td><td>{escape(e.predicted)}</td><td>{escape(_fmt(e))}"
            f"</td><td>{escape(str(list(e.window)) if e.window else '')}</td>"
            f"<td>{'' if e.power is None else f'{e.power:.3g}'}</td><td>{e.passed}</td>"
            f"<td>{'yes' if e.decisive else 'no'}</td></tr>" for e in self.evidence)
        return (f"<div><b>{escape(self.id)}</b>: <b>{self.verdict.value}</b> "
                f"({escape(self.paper)}, {escape(self.source)})<br>"
                f"headline: predicted {escape(h.predicted if h else self.prediction)}, measured "
                f"{escape(meas)}, window {escape(self.design)}, power "
                f"{'n/a' if self.power is None else f'{self.power:.3g}'}<br>"
                f"control: {escape(ctrl.prediction if ctrl else 'none')} -> "
                f"<b>{ctrl.verdict.value if ctrl else 'n/a'}</b><br>"
                f"<small>{escape(self.explanation)}</small>"
                "<table><tr><th>quantity</th><th>predicted</th><th>measured [CI]</th>"
                f"<th>window</th><th>power</th><th>passes</th><th>decisive</th></tr>{rows}"
                "</table></div>")


def decide(evidence: Sequence[Evidence]) -> tuple[Verdict, str]:
    """Verdict from the evidence, with the reason in words.

    Decisive evidence decides: any decisive item whose CI misses its window refutes; a decisive
    item without a finite measurement makes the check inconclusive; otherwise it is confirmed.
    Non-decisive items (e.g. a sum of power laws whose fitted slope is biased at finite width)
    never decide, but every one outside its window is named in the explanation as a caveat.
    """
    decisive = [e for e in evidence if e.decisive]
    if not decisive:
        return Verdict.INCONCLUSIVE, "the experiment produced no decisive evidence"
    failed = [e for e in decisive if e.passed is False]
    missing = [e.name for e in decisive if e.passed is None]
    caveats = [e for e in evidence if not e.decisive and e.passed is False]
    caveat = ""
    if caveats:
        caveat = "; caveat (not decisive, see notes): " + "; ".join(
            f"{e.name}: measured {_fmt(e)} outside {list(e.window or ())}" for e in caveats)
    if failed:
        names = "; ".join(f"{e.name}: measured {_fmt(e)} outside {list(e.window or ())}"
                          for e in failed)
        return Verdict.REFUTED, f"refuted by {names}{caveat}"
    if missing:
        return Verdict.INCONCLUSIVE, f"no finite measurement for: {', '.join(missing)}{caveat}"
    return Verdict.CONFIRMED, ("every decisive measurement lies within its tolerance (CI "
                               "intersects the predicted window)" + caveat)


def judge(design: Design | None, evidence: Sequence[Evidence], mode: str = "quick"
          ) -> tuple[Verdict, str, ControlResult | None]:
    """The protocol's verdict: :func:`decide`, then the control (module docstring).

    Raises ValueError when the headline's window is not the declared one (the design moved).
    """
    if design is None:
        raise ValueError("the check declares no Design (window and control)")
    verdict, why = decide(evidence)
    if not evidence:
        return verdict, why, None
    head = evidence[0]
    if not design.matches(head.window, mode):
        raise ValueError(f"the headline window {head.window} is not the declared design "
                         f"{design.describe(mode)}")
    control = run_control(design.control, head)
    if verdict is Verdict.CONFIRMED and control.verdict is not Verdict.REFUTED:
        p = head.power
        return (Verdict.INCONCLUSIVE,
                f"inconclusive (design too weak): the control ({control.prediction}) is "
                f"{control.verdict.value}, not refuted; power {'n/a' if p is None else f'{p:.3g}'}"
                f" -- {why}", control)
    if verdict is Verdict.CONFIRMED:
        why += f"; control ({control.prediction}) refuted"
    return verdict, why, control


def _fmt(e: Evidence) -> str:
    if e.measured is None:
        return "n/a"
    s = f"{e.measured:.3g}"
    if e.ci_low is not None and e.ci_high is not None:
        s += f" [{e.ci_low:.3g}, {e.ci_high:.3g}]"
    return s
