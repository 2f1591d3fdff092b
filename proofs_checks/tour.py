"""The headline job: one folder with everything a new user should see first.

``widthlimits tour -o DIR`` writes, within a few minutes on 2 cores:

1. the classification of the named parametrizations for depths 1-4 under SGD and Adam;
2. Golikov's depth table (GD vs RMSProp, L = 1..6) derived by the engine, with reasons;
3. one derivation (muP, SGD, depth 2) as LaTeX, Markdown and, when TeX is installed, PDF;
4. one coord check (muP, SGD, depth 2): every engine exponent against its measured slope;
5. the quick theorem checks, each with a verdict and a report page;
6. ``index.md`` / ``index.html``: the page to open first.
"""

from __future__ import annotations

import html
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from widthlimits.proofs_checks.format import table


def _md_table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _classification(out: Path) -> dict[str, Any]:
    from widthlimits.proofs_checks.tables import classification_rows

    rows = classification_rows([1, 2, 3, 4], ["sgd", "adam"])
    (out / "classification.json").write_text(json.dumps(rows, indent=2))
    md = ["# Classification of the named parametrizations", "",
          "Engine verdicts (tanh, MSE); `r` is the feature-learning exponent "
          "(x^L_t - x^L_0 = Theta(n^-r)); 'first df' is the first step with f_t - f_0 = Theta(1).", "",
          _md_table(["preset", "optimizer", "L", "regime", "r", "f_0 exponent", "discrete time",
                     "first df", "reason / note"],
                    [[r["preset"], r["optimizer"], r["depth"], r["regime"], r["r"], r["f0"],
                      r["discrete_time"], r["first_nontrivial_step"], r["reason"]] for r in rows])]
    (out / "classification.md").write_text("\n".join(md) + "\n")
    fl = sum(r["regime"] == "feature_learning" for r in rows)
    return {"page": "classification.md", "summary": f"{len(rows)} cases, {fl} feature learning"}


def _golikov(out: Path) -> dict[str, Any]:
    from widthlimits.theory.golikov import depth_table

    rows = depth_table(range(1, 7), ("sgd", "rmsprop"))
    (out / "golikov_depth.json").write_text(json.dumps([r.as_dict() for r in rows], indent=2))
    md = ["# Golikov (2020): GD vs RMSProp with mean-field initialization, by the engine", "",
          "Claim: for more than two hidden layers RMSProp has a non-trivial discrete-time "
          "mean-field limit and GD does not. Every entry below is derived by the exponent engine "
          "(not typed in).", "",
          _md_table(["L", "optimizer", "regime", "MF limit", "f_t - f_0 exponents by step", "reason"],
                    [[r.depth, r.optimizer, r.classification.regime, r.mf_limit,
                      ", ".join(r.as_dict()["df"]), r.reason] for r in rows])]
    (out / "golikov_depth.md").write_text("\n".join(md) + "\n")
    gd = [r.depth for r in rows if r.optimizer == "sgd" and r.mf_limit]
    rms = [r.depth for r in rows if r.optimizer == "rmsprop" and r.mf_limit]
    return {"page": "golikov_depth.md",
            "summary": f"GD has a mean-field limit for L in {gd}; RMSProp for L in {rms}"}


def _derivation(out: Path) -> dict[str, Any]:
    from widthlimits.proofs_checks.derive_job import write_derivation

    return write_derivation(out / "derivation")


def _coordcheck(out: Path, quick: bool) -> dict[str, Any]:
    from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine
    from widthlimits.theory.presets import preset

    widths = (256, 512, 1024, 2048) if quick else (256, 512, 1024, 2048, 4096)
    rep = coordcheck_against_engine(preset("mup", 2, "sgd"), "sgd", "tanh", widths=widths,
                                    seeds=4 if quick else 8, steps=3, outdir=out / "coordcheck",
                                    executor="serial", progress=False)
    rate = rep.agreement_rate
    return {"page": "coordcheck/table.txt",
            "summary": f"muP/SGD depth 2, widths {widths[0]}..{widths[-1]}: agreement "
                       f"{rate:.1%} over {len(rep.checks)} quantities"
                       + (f", {len(rep.disagreements())} disagreements"
                          if rep.disagreements() else "")}


def _one_check(args: tuple[str, str, str]) -> dict[str, Any]:
    check_id, mode, outdir = args
    try:
        from threadpoolctl import threadpool_limits

        limiter: Any = threadpool_limits(1)
    except ImportError:  # pragma: no cover - optional
        limiter = None
    from widthlimits.proofs_checks.catalogue.registry import get_check
    from widthlimits.proofs_checks.catalogue.runner import run_check

    try:
        return run_check(get_check(check_id), mode, outdir).to_json()
    finally:
        if limiter is not None:
            limiter.unregister()


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _checks(out: Path, quick: bool, jobs: int, deadline: float | None = None) -> dict[str, Any]:
    from widthlimits.proofs_checks.catalogue.registry import catalogue
    from widthlimits.proofs_checks.catalogue.runner import write_index_from_json

    ids = list(catalogue())
    folder = out / "checks"
    folder.mkdir(parents=True, exist_ok=True)
    mode = "quick" if quick else "full"
    args = [(i, mode, str(folder)) for i in ids]
    results: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def done(r: dict[str, Any]) -> None:  # one line per finished check, also off a terminal
        results.append(r)
        print(f"[tour]   check {len(results)}/{len(ids)} {r['id']}: {r['verdict']} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)

    if jobs > 1:
        from widthlimits.numerics.executors import watch_parent

        # workers end with this process even when it is killed (no orphans)
        with ProcessPoolExecutor(jobs, initializer=watch_parent, initargs=(os.getpid(),)) as ex:
            futs = {ex.submit(_one_check, a): a for a in args}
            try:
                for fut in as_completed(futs, timeout=_left(deadline)):
                    done(fut.result())
            except TimeoutError:
                for f in futs:
                    f.cancel()
    else:
        for a in args:
            if deadline is not None and time.monotonic() >= deadline:
                break
            done(_one_check(a))
    order = {i: k for k, i in enumerate(ids)}
    results.sort(key=lambda r: order[r["id"]])
    write_index_from_json(folder, results)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return {"page": "checks/index.md",
            "summary": ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f" of {len(results)}"
                       + ("" if len(results) == len(ids) else
                          f" (time limit: {len(ids) - len(results)} of {len(ids)} not run)"),
            "results": results}


def run_tour(outdir: str | Path = "widthlimits-tour", *, quick: bool = True, jobs: int = 2,
             progress: bool = True, deadline: float | None = None) -> Path:
    """Run the headline job; returns the path of ``index.md``.  After ``deadline``
    (``time.monotonic()``) no new part or check starts; what ran is on the index page and the
    parts not run are marked ``skipped (time limit)`` in ``tour.json``."""
    if jobs < 1:
        raise ValueError(f"`jobs` must be >= 1, got {jobs}")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    parts = [
        ("Classification of named parametrizations", lambda: _classification(out)),
        ("Golikov's depth table (engine)", lambda: _golikov(out)),
        ("A derivation in LaTeX (muP, SGD, depth 2)", lambda: _derivation(out)),
        ("Coord check by numbers (muP, SGD, depth 2)", lambda: _coordcheck(out, quick)),
        ("Theorem checks" + (" (quick mode)" if quick else " (full mode)"),
         lambda: _checks(out, quick, jobs, deadline)),
    ]
    done = []
    t_all = time.perf_counter()
    for title, fn in parts:
        if deadline is not None and time.monotonic() >= deadline:
            done.append((title, "skipped (time limit)", 0.0, {"page": None, "summary": "not run"}))
            continue
        t0 = time.perf_counter()
        if progress:
            print(f"[tour] {title} ...", flush=True)
        try:
            info = fn()
            status = "ok"
        except Exception as exc:  # reported on the index page, never hidden
            info = {"page": None, "summary": f"FAILED: {type(exc).__name__}: {exc}"}
            status = "failed"
        secs = time.perf_counter() - t0
        done.append((title, status, secs, info))
        if progress:
            print(f"[tour]   {info['summary']} ({secs:.0f} s)", flush=True)
    index = _write_index(out, done, time.perf_counter() - t_all)
    if progress:
        print(f"[tour] open {index}", flush=True)
    return index


def _write_index(out: Path, done: list, total: float) -> Path:
    lines = ["# widthlimits tour", "",
             "What the toolkit derives and how the numbers agree. Start here.", "",
             _md_table(["part", "status", "time", "result", "page"],
                       [[t, s, f"{sec:.0f} s", info["summary"],
                         f"[{info['page']}]({info['page']})" if info.get("page") else ""]
                        for t, s, sec, info in done]), "",
             f"Total: {total:.0f} s."]
    for _t, _s, _sec, info in done:
        if "results" in info:
            lines += ["", "## Theorem checks", "",
                      _md_table(["check", "verdict", "predicted", "measured [CI]", "source"],
                                [[f"[{r['id']}](checks/{r['id']}/report.md)", r["verdict"],
                                  r["predicted"], _meas(r), r["source"]] for r in info["results"]])]
    md = "\n".join(lines) + "\n"
    (out / "index.md").write_text(md)
    (out / "index.html").write_text(_html(done, total))
    (out / "tour.json").write_text(json.dumps(
        [{"part": t, "status": s, "seconds": round(sec, 1),
          **{k: v for k, v in info.items() if k != "results"}} for t, s, sec, info in done], indent=2))
    return out / "index.md"


def _meas(r: dict[str, Any]) -> str:
    if r.get("measured") is None:
        return "n/a"
    s = f"{r['measured']:.3g}"
    if r.get("ci_low") is not None and r.get("ci_high") is not None:
        s += f" [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
    return s


def _html(done: list, total: float) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(t)}</td><td>{s}</td><td>{sec:.0f} s</td>"
        f"<td>{html.escape(str(info['summary']))}</td><td>"
        + (f"<a href=\"{html.escape(info['page'])}\">{html.escape(info['page'])}</a>"
           if info.get("page") else "") + "</td></tr>"
        for t, s, sec, info in done)
    return ("<!doctype html><meta charset=utf-8><title>widthlimits tour</title>"
            "<h1>widthlimits tour</h1><p>What the toolkit derives and how the numbers agree.</p>"
            f"<table border=1 cellpadding=4><tr><th>part</th><th>status</th><th>time</th>"
            f"<th>result</th><th>page</th></tr>{rows}</table><p>Total: {total:.0f} s.</p>")


def print_summary(index: Path) -> str:
    data = json.loads((index.parent / "tour.json").read_text())
    return table(["part", "status", "seconds", "summary"],
                 [[d["part"], d["status"], d["seconds"], d["summary"]] for d in data])
