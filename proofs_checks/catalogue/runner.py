"""Run checks and write their reports: one Markdown page per check and an index page.

Each check's JSON and page are written as soon as it finishes (an interrupted run keeps what
it finished).  A check that raises is reported as ``inconclusive`` with its error, never
skipped.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from widthlimits.proofs_checks.catalogue.base import (
    Check,
    CheckResult,
    Context,
    Verdict,
    judge,
)
from widthlimits.proofs_checks.catalogue.registry import catalogue, get_check


@dataclass(frozen=True)
class CheckRun:
    results: tuple[CheckResult, ...]
    outdir: Path
    index: Path

    def to_json(self) -> list[dict]:
        return [r.to_json() for r in self.results]

    @property
    def counts(self) -> dict[str, int]:
        """How many checks were confirmed / inconclusive / refuted."""
        return verdict_counts(self.to_json())

    def _repr_html_(self) -> str:
        c = self.counts
        head = ", ".join(f"{k} {v}" for k, v in c.items())
        return f"<div><p>{head}</p>" + "".join(r._repr_html_() for r in self.results) + "</div>"


def verdict_counts(results: Sequence[dict]) -> dict[str, int]:
    """``{"confirmed": k, "inconclusive": k, "refuted": k}`` from checks' JSON records."""
    counts = {v.value: 0 for v in (Verdict.CONFIRMED, Verdict.INCONCLUSIVE, Verdict.REFUTED)}
    for r in results:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return counts


def run_check(check: Check, mode: str = "quick", outdir: Path | str = "widthlimits-checks",
              *, latex: bool = True) -> CheckResult:
    """Run one check; write ``result.json``, ``report.md`` and ``report.tex`` (``report.pdf`` when
    TeX is installed) into ``outdir/<id>``."""
    if mode not in ("quick", "full"):
        raise ValueError(f"`mode` must be 'quick' or 'full', got {mode!r}")
    folder = Path(outdir) / check.id
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(mode=mode, outdir=folder)
    t0 = time.perf_counter()
    error = None
    control = None
    try:
        out = check.run(ctx)
        verdict, why, control = judge(check.design, out.evidence, mode)
    except Exception as exc:  # a failing experiment is a result, reported with its error
        from widthlimits.proofs_checks.catalogue.base import Outcome

        out = Outcome(evidence=())
        verdict, why = Verdict.INCONCLUSIVE, f"the experiment raised {type(exc).__name__}: {exc}"
        error = traceback.format_exc(limit=3)
    secs = time.perf_counter() - t0
    if check.expected_failure:
        why += f" (expected failure: {check.expected_failure}" + \
            ("; it passed unexpectedly)" if verdict is Verdict.CONFIRMED else ")")
    res = CheckResult(
        id=check.id, title=check.title, paper=check.paper, source=check.source,
        statement=check.statement, assumptions=check.assumptions, verdict=verdict,
        explanation=why, evidence=out.evidence, prediction=out.prediction, mode=mode,
        seconds=secs, figures=out.figures, notes=out.notes, tables=out.tables,
        expected_failure=check.expected_failure, error=error,
        design=check.design.describe(mode) if check.design else "undeclared", control=control,
    )
    (folder / "result.json").write_text(json.dumps(res.to_json(), indent=2))
    (folder / "report.md").write_text(render_markdown(res))
    if latex:
        from widthlimits.proofs_checks.catalogue.latex_report import write_latex_report

        write_latex_report(res, folder)
    return res


def run_checks(ids: Sequence[str] | None = None, mode: str = "quick",
               outdir: Path | str = "widthlimits-checks", *, progress: bool = False) -> CheckRun:
    """Run the named checks (all when ``ids`` is None) and write the reports under ``outdir``."""
    checks = list(catalogue().values()) if not ids else [get_check(i) for i in ids]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for chk in checks:
        if progress:
            print(f"[check] {chk.id} ({mode}) ...", file=sys.stderr, flush=True)
        r = run_check(chk, mode, out)
        results.append(r)
        if progress:
            print(f"[check] {chk.id}: {r.verdict.value} in {r.seconds:.1f}s -- {r.explanation}",
                  flush=True)
        _write_index(out, results)
    index = _write_index(out, results)
    return CheckRun(tuple(results), out, index)


def _write_index(out: Path, results: Sequence[CheckResult]) -> Path:
    return write_index_from_json(out, [r.to_json() for r in results])


def write_index_from_json(out: Path, results: Sequence[dict]) -> Path:
    """The index page (and results.json) from checks' JSON records."""
    lines = ["# Theorem checks", "",
             "| check | paper, source | verdict | headline: predicted | measured [CI] | window "
             "| control: prediction -> verdict | power | time |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        meas = "n/a"
        if r.get("measured") is not None:
            meas = f"{r['measured']:.3g}"
            if r.get("ci_low") is not None and r.get("ci_high") is not None:
                meas += f" [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
        ctrl = r.get("control") or {}
        power = r.get("power")
        win = r.get("window")
        lines.append(f"| [{r['id']}]({r['id']}/report.md) | {r['source']} | **{r['verdict']}** "
                     f"| {r['predicted']} | {meas} | {_win(win)} "
                     f"| {ctrl.get('prediction', 'none')} -> {ctrl.get('verdict', 'n/a')} "
                     f"| {'n/a' if power is None else f'{power:.3g}'} | {r['seconds']:.1f} s |")
    counts = verdict_counts(results)
    lines += ["", "Totals: " + ", ".join(f"{k} {v}" for k, v in counts.items())]
    p = out / "index.md"
    p.write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(json.dumps(list(results), indent=2))
    (out / "counts.json").write_text(json.dumps(counts, indent=2))
    return p


def _win(w: Sequence[float | None] | None) -> str:
    if not w:
        return "-"
    return "[" + ", ".join("inf" if x is None else f"{x:.3g}" for x in w) + "]"


def render_markdown(r: CheckResult) -> str:
    L = [f"# {r.title}", "", f"**Check id:** `{r.id}`  ", f"**Source:** {r.paper}, {r.source}  ",
         f"**Mode:** {r.mode} ({r.seconds:.1f} s)  ", f"**Verdict:** **{r.verdict.value}** -- "
         f"{r.explanation}", "", "## Statement", "", f"$$ {r.statement} $$", "", "## Assumptions", ""]
    L += [f"- {a}" for a in r.assumptions] or ["- none stated"]
    if r.prediction:
        L += ["", "## Prediction", "", r.prediction]
    ctrl = r.control
    L += ["", "## Design (declared before the run)", "",
          f"- headline window: {r.design}",
          f"- control: {ctrl.prediction if ctrl else 'none'} -> "
          f"**{ctrl.verdict.value if ctrl else 'n/a'}**",
          f"- power (smallest deviation this run detects, headline): "
          f"{'n/a' if r.power is None else f'{r.power:.3g}'}"]
    L += ["", "## Evidence", "",
          "| quantity | predicted | measured | CI | window | power | passes |",
          "|---|---|---|---|---|---|---|"]
    for e in r.evidence:
        ci = f"[{e.ci_low:.3g}, {e.ci_high:.3g}]" if e.ci_low is not None and e.ci_high is not None \
            else ""
        meas = f"{e.measured:.4g}" if e.measured is not None else "n/a"
        win = f"[{e.window[0]:.3g}, {e.window[1]:.3g}]" if e.window else ""
        pw = "" if e.power is None else f"{e.power:.3g}"
        L.append(f"| {e.name} | {e.predicted} | {meas} | {ci} | {win} | {pw} | {e.passed} |"
                 + (f" {e.note}" if e.note else ""))
    for title, headers, rows in r.tables:
        L += ["", f"### {title}", "", "| " + " | ".join(headers) + " |",
              "|" + "---|" * len(headers)]
        L += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    for fig in r.figures:
        L += ["", f"![{fig}]({fig})"]
    if r.notes:
        L += ["", "## Notes", ""] + [f"- {n}" for n in r.notes]
    if r.error:
        L += ["", "## Error", "", "```", r.error, "```"]
    return "\n".join(L) + "\n"
