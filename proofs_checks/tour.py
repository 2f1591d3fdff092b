"""The headline job: one folder with everything a new user should see first.

``widthlimits tour -o DIR`` writes, within a few minutes on 2 cores:

1. the classification of the named parametrizations for depths 1-4 under SGD and Adam;
2. Golikov's depth table (GD vs RMSProp, L = 1..6) derived by the engine, with reasons;
3. an exact phase diagram (Golikov's plane, one hidden layer, SGD);
4. two derivations as LaTeX, Markdown, HTML with MathML and, when TeX is installed, PDF;
5. one coord check (muP, SGD, depth 2): every engine exponent against its measured slope;
6. the quick theorem checks, each with its verdict, negative control and power when the check
   reports them, and an HTML page;
7. ``index.html``: the page to open first, every result inline (``index.md``: a plain summary).

``--tiny`` (:data:`TOUR_SIZES`) runs the same parts on a small configuration in seconds.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from widthlimits.proofs_checks import html_pages as H
from widthlimits.proofs_checks import tour_page as P
from widthlimits.proofs_checks.format import table


def _md_table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


@dataclass(frozen=True)
class TourSize:
    """How much the tour computes.  ``TOUR_SIZES`` holds the named sizes: ``quick`` (the
    default, a few minutes on 2 cores), ``full`` (full-mode checks) and ``tiny`` (seconds; for CI
    and a first look: two depths, small widths, two engine-only checks)."""

    depths: tuple[int, ...]
    golikov_depths: tuple[int, ...]
    widths: tuple[int, ...]
    seeds: int
    steps: int
    check_mode: str
    checks: tuple[str, ...] | None  # None: the whole catalogue


TOUR_SIZES = {
    "quick": TourSize((1, 2, 3, 4), tuple(range(1, 7)), (256, 512, 1024, 2048), 4, 3, "quick", None),
    "full": TourSize((1, 2, 3, 4), tuple(range(1, 7)), (256, 512, 1024, 2048, 4096), 8, 3, "full",
                     None),
    "tiny": TourSize((1, 3), (1, 2, 3), (64, 128, 256), 3, 2, "quick",
                     ("tp4-dynamical-dichotomy", "golikov-depth-gd-vs-rmsprop")),
}


def _classification(out: Path, size: TourSize) -> dict[str, Any]:
    from widthlimits.proofs_checks.tables import classification_rows

    rows = classification_rows(list(size.depths), ["sgd", "adam"])
    (out / "classification.json").write_text(json.dumps(rows, indent=2))
    md = ["# Classification of the named parametrizations", "",
          "Engine verdicts (tanh, MSE); `r` is the feature-learning exponent "
          "(x^L_t - x^L_0 = Theta(n^-r)); 'first df' is the first step with f_t - f_0 = Theta(1).", "",
          _md_table(["preset", "optimizer", "L", "regime", "r", "f_0 exponent", "discrete time",
                     "first df", "reason / note"],
                    [[r["preset"], r["optimizer"], r["depth"], r["regime"], r["r"], r["f0"],
                      r["discrete_time"], r["first_nontrivial_step"], r["reason"]] for r in rows])]
    (out / "classification.md").write_text("\n".join(md) + "\n")
    H.write(out / "classification.html", "Classification of the named parametrizations",
            "<p>Engine verdicts (tanh, MSE); r is the feature-learning exponent "
            "(x<sup>L</sup><sub>t</sub> - x<sup>L</sup><sub>0</sub> = &Theta;(n<sup>-r</sup>), "
            "TP4 Def. 3.2).</p>" + P.classification_html(rows), home="index.html")
    fl = sum(r["regime"] == "feature_learning" for r in rows)
    depth = P.INDEX_DEPTH if P.INDEX_DEPTH in size.depths else size.depths[-1]
    return {"page": "classification.html",
            "summary": f"{len(rows)} cases, {fl} feature learning",
            "html": f"<p>Depth L = {depth} shown; the full page has L = "
                    f"{', '.join(map(str, size.depths))}.</p>"
                    + P.classification_html(rows, depth=depth)}


def _golikov(out: Path, size: TourSize) -> dict[str, Any]:
    from widthlimits.theory.golikov import depth_table

    rows = depth_table(size.golikov_depths, ("sgd", "rmsprop"))
    data = [r.as_dict() for r in rows]
    (out / "golikov_depth.json").write_text(json.dumps(data, indent=2))
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
    claim = ("<p>Golikov (arXiv:2003.05884, abstract and Sec. 4): with more than two hidden "
             "layers RMSProp has a non-trivial discrete-time mean-field limit and GD does not. "
             "Every entry is derived by the exponent engine (not typed in).</p>")
    table = P.golikov_html(data)
    H.write(out / "golikov_depth.html", "Golikov's depth table", claim + table, home="index.html")
    return {"page": "golikov_depth.html",
            "summary": f"GD has a mean-field limit for L in {gd}; RMSProp for L in {rms}",
            "html": claim + table}


def _phase_diagram(out: Path) -> dict[str, Any]:
    from widthlimits.proofs_checks.phase_plot import plot_phase_diagram
    from widthlimits.theory.regions.planes import phase_diagram

    data = phase_diagram("golikov", 1, "sgd")
    named = f"{len(data['named_points'])} named parametrizations placed"
    text = ("<p>Golikov's plane (one hidden layer, SGD, tanh): the exponent plane cut into exact "
            "regions by the limit they give; the named parametrizations are stars.</p>")
    try:
        plot_phase_diagram(data, out / "phase_golikov.png")
        fig = "<p>" + H.img("phase_golikov.png", "phase diagram, Golikov's plane", width=600) + "</p>"
    except ImportError:
        (out / "phase_golikov.json").write_text(json.dumps(data, indent=2))
        fig = "<p class=muted>no figure: matplotlib is not installed (pip install 'widthlimits[plots]')</p>"
    return {"page": None, "summary": f"{len(data['pieces'])} exact pieces; {named}",
            "html": text + fig}


def _derivation(out: Path) -> dict[str, Any]:
    from widthlimits.proofs_checks.derive_job import JOBS, write_derivation
    from widthlimits.theory.derivation import derivation
    from widthlimits.theory.presets import preset

    info = write_derivation(out / "derivation")
    first = None
    for stem, name, opt, L, title in JOBS:
        d = derivation(preset(name, L, opt), opt, "tanh", title=title)
        files = [f"{stem}.{ext}" for ext in ("pdf", "tex") if (out / "derivation" / f"{stem}.{ext}").exists()]
        H.write(out / "derivation" / f"{stem}.html", title, P.derivation_page(d, files),
                home="../index.html")
        if first is None:
            first = (stem, title, d)
    assert first is not None
    stem, title, d = first
    others = ", ".join(f'<a href="derivation/{s}.html">{H.esc(t)}</a>' for s, _n, _o, _L, t in JOBS)
    return {"page": f"derivation/{stem}.html", "summary": info["summary"],
            "html": f"<p>Key steps of <i>{H.esc(title)}</i> (every exponent is the engine's); "
                    f"full derivations: {others}.</p>" + P.key_steps_html(d)}


def _coordcheck(out: Path, size: TourSize) -> dict[str, Any]:
    from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine
    from widthlimits.theory.presets import preset

    widths = size.widths
    folder = out / "coordcheck"
    rep = coordcheck_against_engine(preset("mup", 2, "sgd"), "sgd", "tanh", widths=widths,
                                    seeds=size.seeds, steps=size.steps, outdir=folder,
                                    executor="serial", progress=False)
    figs = [p.name for p in sorted(folder.glob("coordcheck*.png"))]
    page = ("<p>muP, SGD, depth 2: every exponent the engine derives against the slope measured "
            f"over widths {', '.join(map(str, widths))} ({size.seeds} seeds).</p>"
            + "".join(f"<p>{H.img(f, f)}</p>" for f in figs)
            + f"<pre>{H.esc(rep.table())}</pre>")
    H.write(folder / "index.html", "Coord check by numbers", page, home="../index.html")
    inline = ("<p>" + H.img("coordcheck/coordcheck.png", "coord check summary", width=640) + "</p>"
              if "coordcheck.png" in figs else
              "<p class=muted>no figure: matplotlib is not installed</p>")
    return {"page": "coordcheck/index.html",
            "summary": f"muP/SGD depth 2, widths {widths[0]}..{widths[-1]}: "
                       + rep.counts_text(),
            "html": inline}


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


def _checks(out: Path, size: TourSize, jobs: int, progress: bool = False,
            deadline: float | None = None) -> dict[str, Any]:
    from widthlimits.proofs_checks.catalogue.registry import catalogue
    from widthlimits.proofs_checks.catalogue.runner import write_index_from_json

    ids = list(size.checks) if size.checks is not None else list(catalogue())
    folder = out / "checks"
    folder.mkdir(parents=True, exist_ok=True)
    args = [(i, size.check_mode, str(folder)) for i in ids]
    t0 = time.perf_counter()
    by_id: dict[str, dict[str, Any]] = {}

    def done(r: dict[str, Any]) -> None:  # one line per finished check, terminal or not
        by_id[r["id"]] = r
        if progress:
            print(f"[tour]   check {len(by_id)}/{len(args)} {r['id']}: {r['verdict']} "
                  f"({time.perf_counter() - t0:.0f} s elapsed)", flush=True)

    if jobs > 1 and len(args) > 1:
        from widthlimits.numerics.executors import watch_parent

        # workers end with this process even when it is killed (no orphans)
        with ProcessPoolExecutor(min(jobs, len(args)), initializer=watch_parent,
                                 initargs=(os.getpid(),)) as ex:
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
    results = [by_id[i] for i in ids if i in by_id]
    write_index_from_json(folder, results)
    P.write_check_pages(folder, results)
    cnt = P.counts(results)
    return {"page": "checks/index.html",
            "summary": ", ".join(f"{v} {k}" for k, v in cnt.items()) + f" of {len(results)}"
                       + ("" if len(results) == len(ids) else
                          f" (time limit: {len(ids) - len(results)} of {len(ids)} not run)"),
            "html": P.checks_table(results, "checks/"), "results": results}


def run_tour(outdir: str | Path = "widthlimits-tour", *, quick: bool = True, jobs: int = 2,
             progress: bool = True, size: str | TourSize | None = None,
             deadline: float | None = None) -> Path:
    """Run the headline job; returns the path of ``index.html`` (``index.md`` beside it).

    ``size`` is one of :data:`TOUR_SIZES` (``"quick"``, ``"full"``, ``"tiny"``) or a
    :class:`TourSize`; without it ``quick`` chooses between ``"quick"`` and ``"full"``.  After
    ``deadline`` (``time.monotonic()``) no new part or check starts; what ran is on the index page
    and the parts not run are marked ``skipped (time limit)`` in ``tour.json``.
    """
    if jobs < 1:
        raise ValueError(f"`jobs` must be >= 1, got {jobs}")
    if size is None:
        size = "quick" if quick else "full"
    if isinstance(size, str):
        if size not in TOUR_SIZES:
            raise ValueError(f"tour size must be one of {', '.join(TOUR_SIZES)}, got {size!r}")
        size = TOUR_SIZES[size]
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    sz = size
    parts = [
        ("Classification of named parametrizations", lambda: _classification(out, sz)),
        ("Golikov's depth table (engine)", lambda: _golikov(out, sz)),
        ("A phase diagram (Golikov's plane, exact)", lambda: _phase_diagram(out)),
        ("A derivation, step by step (muP, SGD, depth 2)", lambda: _derivation(out)),
        ("Coord check by numbers (muP, SGD, depth 2)", lambda: _coordcheck(out, sz)),
        (f"Theorem checks ({sz.check_mode} mode)", lambda: _checks(out, sz, jobs, progress, deadline)),
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
    """``index.html`` (every result inline), ``index.md`` (a plain summary for terminals) and
    ``tour.json``; returns the HTML page."""
    lines = ["# widthlimits tour", "",
             "What the toolkit derives and how the numbers agree. Open index.html for the "
             "results with figures and formulas.", "",
             _md_table(["part", "status", "time", "result"],
                       [[t, s, f"{sec:.0f} s", info["summary"]] for t, s, sec, info in done]), "",
             f"Total: {total:.0f} s."]
    (out / "index.md").write_text("\n".join(lines) + "\n")
    sections = [{"title": t, "status": s, "seconds": sec, "summary": info["summary"],
                 "page": info.get("page"), "html": info.get("html", "")}
                for t, s, sec, info in done]
    (out / "index.html").write_text(P.index_page(sections, total))
    (out / "tour.json").write_text(json.dumps(
        [{"part": t, "status": s, "seconds": round(sec, 1),
          **{k: v for k, v in info.items() if k not in ("results", "html")}}
         for t, s, sec, info in done], indent=2))
    return out / "index.html"


def print_summary(index: Path) -> str:
    data = json.loads((index.parent / "tour.json").read_text())
    return table(["part", "status", "seconds", "summary"],
                 [[d["part"], d["status"], d["seconds"], d["summary"]] for d in data])
