"""The depth classification of a named model: exponents per layer in (n, L), the engine's
quantities, the depth regime, and the literature row the derived rules reproduce.

Used by ``widthlimits classify --preset depth-mup|completep`` (text and ``--json``).
"""

from __future__ import annotations

from typing import Any

from widthlimits.theory.depth.engine import derive_depth
from widthlimits.theory.depth.model import ResidualModel
from widthlimits.theory.depth.presets import depth_preset
from widthlimits.theory.depth.rules import derive_rules, literature_rules
from widthlimits.theory.exponents import fmt

#: the published source of each preset's row
SOURCES = {
    "depth-mup": "TP VI (Yang, Yu, Zhu, Hayou 2023, arXiv 2310.02244), Depth-muP: Table 1 and "
                 "Sec. 3.1 (SGD and Adam)",
    "completep": "CompleteP (Dey et al. 2025, arXiv 2505.01618), Table 1; reference code "
                 "EleutherAI/nanoGPT-mup@completep model.py l. 113, 331-363",
}
#: the rows compared between derivation and paper
COMPARED = ("block_lr_L", "norm_lr_L", "bias_lr_L", "weight_decay_L")


def layer_rows(model: ResidualModel) -> list[dict[str, Any]]:
    """Per weight role: (e_n, e_L) of the multiplier, init std, LR, epsilon, weight decay."""
    rows = []
    for name, s in model.roles().items():
        def pair(n: Any, L: Any) -> dict[str, str | None]:
            return {"e_n": fmt(n), "e_L": fmt(L)}

        rows.append({
            "layer": name,
            "multiplier": pair(-s.a, -s.a_L - (model.alpha if name.startswith("block") and
                                                  name == f"block.{len(model.block)}" else 0)),
            "init_std": pair(-s.b, -s.b_L),
            "lr": pair(-s.c, -s.c_L),
            "epsilon": None if s.d is None or not model.entrywise else pair(-s.d, -s.d_L),
            "weight_decay": None if s.wd is None or model.weight_decay == "none" else pair(-s.wd, -s.wd_L),
        })
    return rows


def depth_classification(name: str, optimizer: str, depth: int | None = None) -> dict[str, Any]:
    """Everything ``classify`` prints for a depth preset, as JSON-ready data."""
    model = depth_preset(name, optimizer, depth)
    result = derive_depth(model)
    derived = derive_rules(model).as_dict()
    paper = literature_rules(model)
    agree = {k: derived[k] == paper[k] for k in COMPARED if paper[k] is not None}
    eps_agree = {k: derived["epsilon_L"].get(k) == v for k, v in paper["epsilon_L"].items()
                 if v is not None}
    base = name.strip().lower().partition(":")[0]
    out = result.to_json()
    out["layers"] = layer_rows(model)
    out["rules"] = {"derived": derived, "literature": paper, "source": SOURCES[base],
                    "agree": agree, "epsilon_agree": eps_agree}
    if depth is not None:
        out["at_depth"] = {"L": depth, "branch_multiplier": depth ** -float(model.alpha),
                           "block_lr_factor": depth ** -float(model.block[0].c_L)}
    return out


def _p(d: dict[str, str | None] | None) -> str:
    if d is None:
        return "-"
    return f"n^{d['e_n']} L^{d['e_L']}"


def render_depth_classification(data: dict[str, Any]) -> str:
    m = data["model"]
    lines = [f"model: {m['name']}  alpha = {m['alpha']}  optimizer = {m['optimizer']}  "
             f"layernorm = {m['layernorm']}  biases = {m['biases']}  "
             f"weight decay = {m['weight_decay']}  block layers = {len(m['layers']) - 2}"]
    if "at_depth" in data:
        a = data["at_depth"]
        lines.append(f"at L = {a['L']}: branch multiplier {a['branch_multiplier']:.4g}, "
                     f"block LR factor {a['block_lr_factor']:.4g}")
    lines.append("")
    lines.append(f"{'layer':<10} {'multiplier':<16} {'init std':<16} {'LR':<16} {'epsilon':<16} weight decay")
    for r in data["layers"]:
        lines.append(f"{r['layer']:<10} {_p(r['multiplier']):<16} {_p(r['init_std']):<16} "
                     f"{_p(r['lr']):<16} {_p(r['epsilon']):<16} {_p(r['weight_decay'])}")
    lines.append("")
    lines.append(f"{'quantity':<22} {'e_n':>5} {'e_L':>5}  rule")
    for q in data["quantities"]:
        lines.append(f"{q['name']:<22} {q['e_n']:>5} {q['e_L']:>5}  {q['rule']}")
    reg = data["regime"]
    lines += ["", f"depth regime: {reg['summary']}",
              f"  stable in depth: {reg['stable_in_depth']}",
              f"  {reg['block_contribution']}", f"  {reg['block_features']}", f"  {reg['output_update']}"]
    rules = data["rules"]
    lines += ["", f"literature row: {rules['source']}",
              f"{'rule (power of L)':<22} {'derived':>8} {'paper':>8}"]
    for k in COMPARED:
        pv = rules["literature"][k]
        if pv is None:
            continue
        lines.append(f"{k:<22} {str(rules['derived'][k]):>8} {pv:>8}  "
                     f"{'reproduced' if rules['agree'][k] else 'differs (docs/depth.md)'}")
    for k, v in rules["literature"]["epsilon_L"].items():
        if v is None:
            continue
        lines.append(f"{'epsilon_L ' + k:<22} {rules['derived']['epsilon_L'].get(k, '-'):>8} {v:>8}  "
                     f"{'reproduced' if rules['epsilon_agree'][k] else 'differs (docs/depth.md)'}")
    for note in rules["derived"].get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)
