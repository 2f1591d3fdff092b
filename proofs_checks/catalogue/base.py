"""Checks of published theorems: a symbolic prediction, an experiment that can refute it, a verdict.

A :class:`Check` is data (id, statement, source, assumptions) plus a function
``run(ctx) -> Outcome``.  The runner turns the outcome into a :class:`CheckResult` with a verdict:

* ``confirmed``: every decisive piece of evidence passes its stated tolerance;
* ``refuted``: some decisive evidence is outside its tolerance (its whole confidence interval
  excludes the prediction window);
* ``inconclusive``: a decisive measurement is missing (a run diverged, the experiment failed).
  Non-decisive evidence is reported, and named as a caveat when outside its window.

Expected failures are explicit data (``expected_failure``, a reason); an expected failure that
passes is reported as such, never hidden (after scikit-learn's ``expected_failed_checks``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "predicted": self.predicted, "measured": _num(self.measured),
                "ci_low": _num(self.ci_low), "ci_high": _num(self.ci_high),
                "window": list(self.window) if self.window else None, "passed": self.passed,
                "decisive": self.decisive, "note": self.note}


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


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    paper: str
    source: str
    statement: str  # LaTeX
    assumptions: tuple[str, ...]
    run: Callable[[Context], Outcome] = field(repr=False)
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
            "evidence": [e.as_dict() for e in self.evidence], "figures": list(self.figures),
        }


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


def _fmt(e: Evidence) -> str:
    if e.measured is None:
        return "n/a"
    s = f"{e.measured:.3g}"
    if e.ci_low is not None and e.ci_high is not None:
        s += f" [{e.ci_low:.3g}, {e.ci_high:.3g}]"
    return s
