"""The tour's HTML: the index page (every result inline) and one HTML page per part.

Pages are self-contained: inline CSS, MathML for formulas, images as PNG files beside the
page, no script and no network.  Every link on a page points at a file the tour wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from widthlimits.proofs_checks import html_pages as H

#: the classification rows shown on the index (the full table has its own page)
INDEX_DEPTH = 3


# ------------------------------------------------------------------------------ parts
def classification_html(rows: list[dict[str, Any]], *, depth: int | None = None) -> str:
    sel = [r for r in rows if depth is None or r["depth"] == depth] or rows
    return H.table(["preset", "optimizer", "L", "regime", "r", "f_0 exponent", "discrete time",
                    "first step with f_t - f_0 = Theta(1)", "reason / note"],
                   [[H.esc(r["preset"]), H.esc(r["optimizer"]), r["depth"],
                     H.verdict_span(r["regime"]), H.esc(r["r"]), H.esc(r["f0"]),
                     H.esc(r["discrete_time"]), H.esc(r["first_nontrivial_step"]), H.esc(r["reason"])]
                    for r in sel], raw=True)


def golikov_html(rows: list[dict[str, Any]]) -> str:
    return H.table(["L", "optimizer", "regime", "mean-field limit", "f_t - f_0 exponents by step",
                    "reason"],
                   [[r["depth"], H.esc(r["optimizer"]), H.verdict_span(r["regime"]),
                     "yes" if r["nontrivial_discrete_time_mf_limit"] else "<b>no</b>",
                     H.esc(", ".join(r["df"])), H.esc(r["reason"])] for r in rows], raw=True)


def derivation_page(d: Any, files: list[str]) -> str:
    """The whole derivation in MathML: setup, every step's lines, conditions, conclusion."""
    p = d.parametrization
    out = [f"<p>{H.esc(len(d.blocks))} steps computed; {H.esc(d.stop_reason)}</p>",
           "<h2>Parametrization</h2><p>Weights W<sup>l</sup> = n<sup>-a_l</sup> w<sup>l</sup>, "
           "w<sup>l</sup> ~ N(0, n<sup>-2 b_l</sup>), learning rate &eta; n<sup>-c_l</sup>; a size "
           + H.math(H.size_ml("e")) + " is written with its exponent e.</p>",
           H.table(["layer", "a", "b", "c"],
                   [[i + 1] + [H.math(H.exponent_ml(v[i])) for v in (p.a, p.b, p.c)]
                    for i in range(d.depth + 1)], raw=True),
           "<h2>Assumptions</h2><ul>" + "".join(f"<li>{H.esc(a)}</li>" for a in d.assumptions)
           + "</ul>"]
    for b in d.blocks:
        out.append(f"<h2>Step t = {b.step}</h2>")
        if b.zero:
            out.append("<p>Identically zero (nothing updated yet): "
                       + ", ".join(H.math(H.quantity_ml(z.quantity, z.layer, z.step)) for z in b.zero)
                       + "</p>")
        out.append("<ul class=lines>" + "".join(
            f"<li>{H.line_ml(ln)} <span class=muted>({H.esc(H.rules_text(ln))})</span></li>"
            for ln in b.lines) + "</ul>")
    if d.conditions:
        out.append("<h2>Conditions</h2>")
        out.append(H.table(["group", "quantity", "exponent", "needs", "holds", "meaning"],
                           [[H.esc(c.group),
                             H.math(H.quantity_ml(c.quantity, c.layer, c.step if c.step is not None
                                                  else "t")),
                             H.math(H.exponent_ml(c.exponent)), H.esc(c.relation + " 0"),
                             H.esc(c.holds), H.esc(c.meaning)] for c in d.conditions], raw=True))
    out.append("<h2>Conclusion</h2>" + conclusion_html(d))
    if files:
        out.append("<h2>Files</h2><ul>" + "".join(f'<li><a href="{H.esc(f)}">{H.esc(f)}</a></li>'
                                                  for f in files) + "</ul>")
    return "\n".join(out)


def conclusion_html(d: Any) -> str:
    c = d.conclusion
    if c is None:
        return "<p>symbolic derivation: see the conditions</p>"
    items = [f"regime: {H.verdict_span(c.regime)}",
             "feature learning in layers " + (H.esc(list(c.feature_learning_layers)) or "none")]
    if c.r is not None:
        items.append("r = " + H.math(H.exponent_ml(c.r)) + " (x<sup>L</sup><sub>t</sub> - "
                     "x<sup>L</sup><sub>0</sub> = " + H.math(H.size_ml(-c.r)) + ", TP4 Def. 3.2)")
    if c.step_change_exponent is not None:
        items.append("per-step output change " + H.math(H.quantity_ml("df_step", None, "t")
                                                        + "<mo>=</mo>" + H.size_ml(c.step_change_exponent))
                     + (": discrete-time limit" if c.discrete_time else ""))
    items += [H.esc(n) for n in c.notes]
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def key_steps_html(d: Any) -> str:
    """The derivation's key lines for the index: sizes at init (forward and readout), the
    first step's feature changes, and the conclusion."""
    keep = []
    for b in d.blocks[:2]:
        for ln in b.lines:
            if (b.step == 0 and ln.phase in ("forward", "readout")) or \
               (b.step == 1 and ln.quantity in ("dx", "df")):
                keep.append(ln)
    return ("<ul class=lines>" + "".join(
        f"<li>{H.line_ml(ln)} <span class=muted>({H.esc(H.rules_text(ln))})</span></li>"
        for ln in keep) + "</ul>" + conclusion_html(d))


# ------------------------------------------------------------------------------ checks
def _num(x: Any) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def measured(r: dict[str, Any]) -> str:
    s = _num(r.get("measured"))
    if r.get("measured") is not None and r.get("ci_low") is not None and r.get("ci_high") is not None:
        s += f" [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
    return s


def control_cells(r: dict[str, Any]) -> tuple[str, str]:
    """(control prediction and verdict, power) -- 'not reported' when the check JSON has no
    ``control`` / ``power`` field."""
    ctl = r.get("control")
    if isinstance(ctl, dict):
        c = f"{H.esc(ctl.get('prediction'))}: {H.verdict_span(ctl.get('verdict'))}"
    else:
        c = '<span class=muted>not reported</span>'
    pw = r.get("power")
    if pw is None:
        p = '<span class=muted>not reported</span>'
    elif isinstance(pw, dict):
        p = H.esc(", ".join(f"{k}: {v}" for k, v in pw.items()))
    else:
        p = H.esc(pw if isinstance(pw, str) else f"{pw:.3g}")
    return c, p


def counts(results: list[dict[str, Any]]) -> dict[str, int]:
    out = {"confirmed": 0, "inconclusive": 0, "refuted": 0}
    for r in results:
        out[r["verdict"]] = out.get(r["verdict"], 0) + 1
    return out


def checks_table(results: list[dict[str, Any]], prefix: str) -> str:
    rows = []
    for r in results:
        c, p = control_cells(r)
        rows.append([f'<a href="{prefix}{H.esc(r["id"])}/index.html">{H.esc(r["id"])}</a>',
                     H.verdict_span(r["verdict"]), H.esc(r["predicted"]), H.esc(measured(r)), c, p,
                     H.esc(r["source"])])
    cnt = counts(results)
    head = ("<p class=counts>" + "".join(f"<span class={k}>{v} {k}</span>" for k, v in cnt.items())
            + f"<span>of {len(results)}</span></p>")
    return head + H.table(["check", "verdict", "predicted", "measured [CI]",
                           "control: prediction: verdict", "power", "source"], rows, raw=True)


def check_page(r: dict[str, Any], figures: list[str]) -> str:
    c, p = control_cells(r)
    out = [f"<p><b>{H.esc(r.get('title'))}</b></p>",
           H.table(["", ""], [["check id", H.esc(r["id"])], ["source", H.esc(r["source"])],
                              ["mode", H.esc(f"{r.get('mode')} ({r.get('seconds', 0):.1f} s)")],
                              ["verdict", H.verdict_span(r["verdict"])],
                              ["why", H.esc(r.get("explanation"))],
                              ["predicted", H.esc(r["predicted"])], ["measured [CI]", H.esc(measured(r))],
                              ["negative control", c], ["power", p]], raw=True)]
    ev = r.get("evidence") or []
    if ev:
        out.append("<h2>Evidence</h2>")
        out.append(H.table(["quantity", "predicted", "measured [CI]", "window", "passes", "decisive",
                            "note"],
                           [[H.esc(e["name"]), H.esc(e["predicted"]), H.esc(measured(e)),
                             H.esc(e["window"]), H.esc(e["passed"]), H.esc(e["decisive"]),
                             H.esc(e["note"])] for e in ev], raw=True))
    if r.get("error"):
        out.append(f"<h2>Error</h2><pre>{H.esc(r['error'])}</pre>")
    for f in figures:
        out.append(f"<p>{H.img(f, f)}</p>")
    return "\n".join(out)


def write_check_pages(folder: Path, results: list[dict[str, Any]]) -> Path:
    """``folder/<id>/index.html`` per check and ``folder/index.html``; returns the latter."""
    for r in results:
        sub = folder / r["id"]
        figs = sorted(p.name for p in sub.glob("*.png")) if sub.is_dir() else []
        H.write(sub / "index.html", f"check {r['id']}", check_page(r, figs), home="../../index.html")
    return H.write(folder / "index.html", "Theorem checks", checks_table(results, ""),
                   home="../index.html")


# ------------------------------------------------------------------------------ index
def index_page(sections: list[dict[str, Any]], total: float) -> str:
    """``sections``: dicts with ``title``, ``status``, ``seconds``, ``summary``, ``html`` (inline
    result) and optionally ``page`` (an HTML page of the part)."""
    toc = H.table(["part", "status", "time", "result"],
                  [[f'<a href="#s{i}">{H.esc(s["title"])}</a>', H.verdict_span(s["status"]),
                    f"{s['seconds']:.0f} s", H.esc(s["summary"])] for i, s in enumerate(sections)],
                  raw=True)
    body = ["<p>What the toolkit derives and how the numbers agree: each section shows its "
            "result; the links open the full pages.</p>", toc, f"<p class=muted>Total: {total:.0f} s."
            "</p>"]
    for i, s in enumerate(sections):
        link = f' <a href="{H.esc(s["page"])}">full page</a>' if s.get("page") else ""
        body.append(f'<h2 id="s{i}">{H.esc(s["title"])}</h2><p>{H.esc(s["summary"])}{link}</p>'
                    + s.get("html", ""))
    return H.page("widthlimits tour", "\n".join(body))
