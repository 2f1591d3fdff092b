"""Plain-text tables for the CLI (readable in a terminal, stable enough to paste in an issue)."""

from __future__ import annotations

from collections.abc import Sequence

from widthlimits.theory.classify import Classification
from widthlimits.theory.display import layer_table
from widthlimits.theory.exponents import fmt
from widthlimits.theory.parametrization import equal_runs


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def layer_runs(labels: Sequence[int], rows: Sequence[Sequence[str]]) -> list[tuple[str, list[str]]]:
    """Consecutive layers whose rows are equal, as one row labelled ``"first-last"`` (a deep
    net's hidden layers usually share one row: at depth 100, three rows instead of 101)."""
    return [(str(labels[i]) if i == j else f"{labels[i]}-{labels[j]}", list(rows[i]))
            for i, j in equal_runs([list(r) for r in rows])]


def classification_table(c: Classification) -> str:
    e = c.engine
    p = e.parametrization
    L = e.depth
    out = [c.headline, "",
           f"{p.name or 'parametrization'}: depth L={L}, optimizer {e.optimizer.name}, "
           f"activation {e.activation.name}, loss {e.loss}"]
    headers, rows = layer_table(c)  # equal consecutive layers in one row ("2-30  hidden ...")
    out.append(table(headers, [[label, *r] for label, r in
                               layer_runs([r[0] for r in rows], [r[1:] for r in rows])]))
    out.append("")
    out.append(f"regime: {c.regime}")
    out.append(f"stable: {c.stable}   stable at init: {c.stable_at_init}   "
               f"degenerate at init: {c.degenerate_at_init}   nontrivial: {c.nontrivial}")
    if c.stable:
        out.append(f"feature learning layers: {list(c.feature_learning_layers)}   "
                   f"maximal update layers: {list(c.maximal_update_layers)}   r = {fmt(c.r)}")
    else:
        v = c.first_blow_up
        out.append(f"blows up first: {v}" if v is not None else "blows up")
        out.append("feature learning / maximal update layers: none (unstable: there is no limit); "
                   f"r = {fmt(c.r)} by its formula")
    if c.discrete_time is not None:
        dt = ("discrete-time limit (f_{t+1} - f_t = Theta(1))" if c.discrete_time else
              f"per-step change n^{fmt(c.step_change_exponent)}: continuous-time limit after "
              f"t = n^{fmt(c.time_rescaling)} tau")
        out.append(f"time: {dt}")
    st = e.stationary_from
    out.append(f"steps computed: 0..{e.steps}" + (f" (stationary from step {st})" if st is not None
                                                  else ""))
    for b in c.binding:
        out.append(f"binding: {b}")
    for v in c.violations:
        out.append(f"violation: {v}")
    for n in c.notes:
        out.append(f"note: {n}")
    cf = c.closed_form
    if cf is not None and cf.applies and not c.closed_form_comparable:
        out.append(f"closed form ({cf.theorem}): {cf.regime}, r = {fmt(cf.r)} -- not compared: "
                   f"the engine's verdict covers steps 0..{e.steps} only")
    elif cf is not None and cf.applies:
        agree = "agrees" if cf.regime == c.regime else "DISAGREES"
        out.append(f"closed form ({cf.theorem}): {cf.regime}, r = {fmt(cf.r)} -- {agree} with the engine")
    elif cf is not None:
        out.append(f"closed form ({cf.theorem}): does not apply -- {cf.reason}")
    return "\n".join(out)
