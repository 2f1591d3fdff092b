"""Power counting in width n and depth L for a residual MLP (:class:`.model.ResidualModel`).

Every quantity is a :class:`.scale.Scale` ``n^{e_n} L^{e_L}`` (RMS coordinate size; width first,
then depth, compared lexicographically).  The width rules are those of today's engine
(:mod:`widthlimits.theory.engine`): ``CLT`` (+1/2 in n) for an i.i.d. n x n matrix on a
vector, ``LLN`` (+1 in n) for an update ``g x^T`` applied to the features it was built from and
for the readout on a backprop-aligned change (TP4 Sec. 5), ``finite fan-in`` (+0) for the
embedding, ``multiplier`` and ``optimizer`` (SGD: LR times gradient; Adam: entries of size LR,
epsilon and coupled decay entering the normalizer; TP IVb Sec. 2.1).  The counting is the
steady state after O(1) steps (t >= 1), like the stationary exponents of today's engine, for a
representative block (all blocks share exponents).

The depth rules (cited in :mod:`.scale`):

``branch``
    the block's output carries the multiplier L^{-alpha} (TP VI Sec. 2, Eq. (1)).
``sum uncorrelated`` (+1/2 in L)
    the L branch outputs at initialization, forward and backward (independent W^l_0): the
    stream at init is x^0 + O(L^{1/2 - alpha}) and a perturbation of it is propagated by the
    factor max(1, L^{1/2 - alpha} * gain); stable iff alpha >= 1/2 for Theta(1) branch gains
    (TP VI Sec. 4; Hayou et al. 2021, arXiv 2106.03091).  Without LayerNorm the blocks multiply
    the stream, so a spread above Theta(1) is an exponential blow-up (``diverges``).
``sum correlated`` (+1 in L)
    the blocks' updates after training, driven by one loss gradient, add coherently in the
    stream and the output (TP VI Sec. 5; CompleteP Sec. 3).
``LayerNorm``
    pre-LN block inputs and the final LN have RMS Theta(1); their Jacobian divides by the RMS
    of the stream (Xiong et al. 2020, arXiv 2002.04745, for pre-LN; CompleteP Sec. 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.depth.model import LayerScaling, ResidualModel
from widthlimits.theory.depth.scale import (
    ONE,
    ZERO_SIZE,
    Scale,
    Size,
    cap_one,
    depth_sum,
    exceeds,
    fmt_size,
    is_diverging,
    is_zero,
    sdiv,
    smax,
    smul,
)

CLT = Scale(Fraction(1, 2), 0)  # i.i.d. sum over n coordinates
LLN = Scale(1, 0)  # correlated sum over n coordinates

#: the quantities the engine reports, with their meaning
QUANTITIES: dict[str, str] = {
    "x_stream": "residual stream x^L at init",
    "block_input": "block input LN(x^{l-1}) (or x^{l-1} without LN) at init",
    "branch": "branch output at init, before the multiplier L^{-alpha}",
    "g_stream": "backward signal df/dx^l at init",
    "block_features": "a block's internal features moved by its own parameters' update",
    "block_update": "a block's contribution L^{-alpha} delta(branch) to the stream's update",
    "block_update_grad": "its part driven by the gradient steps (the LR rule's quantity)",
    "block_update_decay": "its part driven by weight decay (W_0 shrinking)",
    "block_nonlinear": "second-order (nonlinear) part of that contribution",
    "linearization_ratio": "nonlinear / linear part of a block's update (CompleteP Sec. 4)",
    "dx_stream": "update of the residual stream x^L",
    "f": "output at init",
    "df": "update of the output f_t - f_0",
}


@dataclass(frozen=True)
class Quantity:
    name: str
    size: Size
    rule: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, **fmt_size(self.size), "rule": self.rule}


@dataclass(frozen=True)
class DepthRegime:
    """The depth-wise classification (module docstring of :mod:`.engine`; issue's four regimes)."""

    stable: bool
    block_contribution: str
    block_features: str
    output: str
    summary: str
    #: the comparisons behind the strings: "exact", "below", "above", "zero", "diverges",
    #: "vanishes in width", "blows up in width" (:func:`_cmp`); the depth query reads these
    contribution_state: str = ""
    features_state: str = ""
    output_state: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"stable_in_depth": self.stable, "block_contribution": self.block_contribution,
                "block_features": self.block_features, "output_update": self.output,
                "summary": self.summary}


@dataclass(frozen=True)
class DepthResult:
    model: ResidualModel
    quantities: dict[str, Quantity]
    regime: DepthRegime = field(repr=False)

    def size(self, name: str) -> Size:
        if name not in self.quantities:
            raise KeyError(f"unknown quantity {name!r}; known: {', '.join(self.quantities)}")
        return self.quantities[name].size

    def e_L(self, name: str) -> Fraction | float:
        s = self.size(name)
        return s if isinstance(s, float) else s.L

    def e_n(self, name: str) -> Fraction | float:
        s = self.size(name)
        return s if isinstance(s, float) else s.n

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model.as_dict(),
                "quantities": [q.as_dict() for q in self.quantities.values()],
                "regime": self.regime.as_dict()}


def multiplier(s: LayerScaling) -> Scale:
    return Scale(-s.a, -s.a_L)


def raw_init(s: LayerScaling) -> Scale:
    return Scale(-s.b, -s.b_L)


def init_entry(s: LayerScaling) -> Scale:
    """Entries of the effective weight n^{-a} L^{-a_L} w_0."""
    return multiplier(s) + raw_init(s)


def learning_rate(s: LayerScaling) -> Scale:
    return Scale(-s.c, -s.c_L)


def phi(model: ResidualModel, h: Size) -> Size:
    """phi(h): Theta(h) for activations of order 1 at zero (capped at 1 if bounded),
    Theta(1) when phi(0) != 0 (activations.py)."""
    act = model.act
    if act.order_at_zero == 0:
        return ONE
    return cap_one(h) if act.bounded else h


def weight_update(model: ResidualModel, s: LayerScaling, grad: Size) -> tuple[Size, Size]:
    """(entries of the step's update of the effective weight, relative decay per step).

    SGD: mult * LR * grad (+ LR * lambda * w for either decay, the same for SGD).  Adam/AdamW:
    mult * LR * Q with Q = g / max(|g|, eps) where g includes lambda * w for coupled decay;
    decoupled (AdamW, Loshchilov & Hutter 2019, arXiv 1711.05101): w <- w - LR * lambda * w.
    """
    m, lr, w0 = multiplier(s), learning_rate(s), raw_init(s)
    decay_raw: Size = ZERO_SIZE if s.wd is None or model.weight_decay == "none" else smul(
        lr, Scale(-s.wd, -s.wd_L), w0)
    if not model.entrywise:
        step = smul(m, lr, grad)
        decay = decay_raw
    else:
        eps: Size = ZERO_SIZE if s.d is None else Scale(-s.d, -s.d_L)
        coupled: Size = ZERO_SIZE
        if model.weight_decay == "coupled" and s.wd is not None:
            coupled = smul(Scale(-s.wd, -s.wd_L), w0)
        normalizer = smax(grad, coupled, eps)
        if is_zero(normalizer):
            return ZERO_SIZE, ZERO_SIZE
        step = smul(m, lr, sdiv(grad, normalizer))  # type: ignore[arg-type]
        if model.weight_decay == "coupled":
            decay = smul(lr, sdiv(coupled, normalizer))  # type: ignore[arg-type]
        else:
            decay = decay_raw
    relative = ZERO_SIZE if is_zero(decay) else sdiv(decay, w0)
    return step, relative


def derive_depth(model: ResidualModel) -> DepthResult:
    """Every quantity of :data:`QUANTITIES` (and per-role gradients/updates) as ``n^{e_n} L^{e_L}``.

    >>> from widthlimits.theory.depth.presets import depth_preset
    >>> r = derive_depth(depth_preset("completep", "adam"))
    >>> str(r.size("block_features")), str(r.size("df"))
    ('n^0 L^0', 'n^0 L^0')
    """
    q: dict[str, Quantity] = {}

    def put(name: str, size: Size, rule: str) -> Size:
        q[name] = Quantity(name, size, rule)
        return size

    emb, readout, blk = model.embedding, model.readout, model.block
    two = len(blk) == 2
    ln = model.layernorm != "none"
    bm = Scale(0, -model.alpha)  # branch multiplier L^{-alpha}

    # ---------------------------------------------------------------- forward at init
    x0 = put("x_embedding", init_entry(emb), "finite fan-in")

    def branch_of(u: Size) -> tuple[Size, dict[str, Size]]:
        if two:
            z = smul(init_entry(blk[0]), CLT, u)
            v = phi(model, z)
            return smul(init_entry(blk[1]), CLT, v), {"block.1": u, "block.2": v, "z": z}
        v = phi(model, u)
        return smul(init_entry(blk[0]), CLT, v), {"block.1": v}

    unit_branch, _ = branch_of(ONE)
    gain = unit_branch  # branch size per unit input (phi' = Theta(1))
    if ln:
        u = ONE
        branch, inputs = branch_of(u)
        xL = smax(x0, depth_sum(smul(bm, branch), correlated=False))
        jac_gain = sdiv(gain, xL) if not is_diverging(xL) else ZERO_SIZE  # LN Jacobian: / RMS(x)
    else:
        spread = depth_sum(smul(bm, gain), correlated=False)
        xL = float("inf") if exceeds(spread) else x0  # the blocks multiply the stream
        u = x0
        branch, inputs = branch_of(u)
        jac_gain = gain
    put("block_input", u, "LayerNorm: RMS 1" if ln else "stream (no LayerNorm)")
    put("branch", branch, "CLT through the block's layers")
    put("x_stream", xL, "sum uncorrelated over blocks (+1/2 in L); exponential if the spread "
        "exceeds Theta(1) without LayerNorm")
    prop_spread = depth_sum(smul(bm, jac_gain), correlated=False) if not is_zero(jac_gain) else ZERO_SIZE
    if not ln and exceeds(prop_spread):
        propagation: Size = float("inf")
    else:
        propagation = smax(ONE, prop_spread)
    put("propagation", propagation, "factor by which later blocks amplify a stream perturbation "
        "(sum uncorrelated, +1/2 in L)")
    xr = ONE if ln else xL  # the readout's input (final LN)
    put("f", smul(init_entry(readout), CLT, xr), "CLT")

    # ---------------------------------------------------------------- backward at init
    gL = smul(init_entry(readout), ONE if not ln else sdiv(ONE, xL) if not is_diverging(xL) else ONE)
    g_stream = smul(gL, propagation)
    put("g_stream", g_stream, "readout entries, through the final LN, propagated back through "
        "the blocks (sum uncorrelated)")
    g_branch = smul(bm, g_stream)
    if two:
        lefts = {"block.1": smul(init_entry(blk[1]), CLT, g_branch), "block.2": g_branch}
    else:
        lefts = {"block.1": g_branch}
    lefts["embedding"] = g_stream
    lefts["readout"] = ONE
    rights = dict(inputs)
    rights["embedding"] = ONE
    rights["readout"] = xr

    # ---------------------------------------------------------------- updates
    roles = model.roles()
    dW: dict[str, Size] = {}
    dWx: dict[str, Size] = {}
    decay_out: dict[str, Size] = {}
    for name, s in roles.items():
        grad = put(f"grad.{name}", smul(multiplier(s), lefts[name], rights[name]),
                   "multiplier x backward signal x input")
        step, rel_decay = weight_update(model, s, grad)
        dW[name] = put(f"dW.{name}", step, f"{model.optimizer}: optimizer rule")
        put(f"decay.{name}", rel_decay, "relative weight decay per step (LR x lambda; Adam "
            "coupled: divided by the normalizer)")
        fan_in = ONE if name == "embedding" else LLN
        out_init = ONE if name == "embedding" else smul(init_entry(s), CLT, rights[name])
        dWx[name] = put(f"dWx.{name}", smul(step, rights[name], fan_in),
                        "LLN: the update applied to the features it was built from"
                        if name != "embedding" else "finite fan-in")
        # the decay shrinks W_0 itself: its effect is the layer's init output times the
        # relative decay, correlated with W_0 (independent across blocks), not with the gradient
        decay_out[name] = put(f"decay_out.{name}", smul(rel_decay, out_init),
                              "relative decay x the layer's output at init")
    # LayerNorm gain/bias and biases (LR exponents in model.norm / model.bias)
    extra_u: Size = ZERO_SIZE
    if model.layernorm in ("gain", "gain_bias"):
        grad_u = smul(init_entry(blk[0]), CLT, lefts["block.1"])
        extra_u = put("dW.norm", weight_update(model, model.norm, grad_u)[0],
                      "LN gain/bias update (entries)")
    bias_in: Size = ZERO_SIZE
    bias_out: Size = ZERO_SIZE
    if model.biases:
        bias_out = put("dW.bias_out", weight_update(model, model.bias, g_branch)[0],
                       "bias of the branch output")
        if two:
            bias_in = put("dW.bias_in", weight_update(model, model.bias, lefts["block.1"])[0],
                          "bias of the block's hidden layer")
    # a block's internal features and its own update of the branch (linear part)
    if two:
        internal = smax(dWx["block.1"], bias_in, smul(init_entry(blk[0]), CLT, extra_u))
        lin = smax(dWx["block.2"], smul(init_entry(blk[1]), CLT, internal), bias_out)
        second = [smul(dW["block.2"], internal, LLN)]
        if not model.act.linear:
            second.append(smul(init_entry(blk[1]), CLT, internal, internal))  # phi'' (dz)^2
        nonlinear = smax(*second)
    else:
        internal = smax(dWx["block.1"], bias_out, smul(init_entry(blk[0]), CLT, extra_u))
        lin = internal
        nonlinear = ZERO_SIZE  # W phi(u): linear in the block's own weights
    put("block_features", internal, "the block's own update on its features (LLN)")
    contrib = put("block_update_grad", smul(bm, lin),
                  "branch multiplier x linear change of the branch from the gradient steps")
    decay_branch = decay_out["block.1"] if not two else smax(
        decay_out["block.2"], smul(init_entry(blk[1]), CLT, decay_out["block.1"]))
    decay_contrib = put("block_update_decay", smul(bm, decay_branch),
                        "branch multiplier x change of the branch from weight decay")
    put("block_update", smax(contrib, decay_contrib), "a block's contribution: gradient steps "
        "and weight decay")
    put("block_nonlinear", smul(bm, nonlinear),
        "second order in the block's own update: dW_2 . dz (LLN) and phi''(z) dz^2")
    put("linearization_ratio", ZERO_SIZE if is_zero(nonlinear) else sdiv(nonlinear, lin),  # type: ignore[arg-type]
        "nonlinear / linear part of the block's update")
    summed = depth_sum(contrib, correlated=True)
    decayed = depth_sum(decay_contrib, correlated=False)
    dx = put("dx_stream", smul(smax(dWx["embedding"], decay_out["embedding"], summed, decayed),
                               propagation),
             "gradient parts summed correlated over blocks (+1 in L), decay parts uncorrelated "
             "(+1/2), propagated through later blocks")
    dxr = dx if not ln else (sdiv(dx, xL) if not is_diverging(xL) else dx)  # type: ignore[arg-type]
    put("df", smax(smul(init_entry(readout), LLN, dxr), dWx["readout"], decay_out["readout"]),
        "readout on the backprop-aligned stream change (LLN) and readout update (LLN)")
    return DepthResult(model, q, classify_depth(q, model))


def _cmp(s: Size, target: Fraction) -> str:
    if is_zero(s):
        return "zero"
    if is_diverging(s):
        return "diverges"
    if s.n != 0:  # type: ignore[union-attr]
        return "vanishes in width" if s.n < 0 else "blows up in width"  # type: ignore[union-attr]
    if s.L == target:  # type: ignore[union-attr]
        return "exact"
    return "below" if s.L < target else "above"  # type: ignore[union-attr]


def classify_depth(q: dict[str, Quantity], model: ResidualModel) -> DepthRegime:
    """Depth regimes: stable in depth; each block Theta(1/L); block features Theta(L^{alpha-1})
    (complete at Theta(1), lazy below: TP VI Claim 7.6, CompleteP Sec. 4); the output update."""
    watched = ("x_stream", "g_stream", "f", "dx_stream", "df", "block_features")
    stable = not any(exceeds(q[k].size) for k in watched)
    c = _cmp(q["block_update_grad"].size, Fraction(-1))
    contribution = {
        "exact": "every block contributes Theta(1/L) to the stream's update",
        "below": "each block contributes o(1/L): the blocks' updates vanish in the sum",
        "above": "each block contributes more than 1/L: the stream's update blows up",
    }.get(c, f"block update {c}")
    fstate = _cmp(q["block_features"].size, Fraction(0))
    features = {
        "exact": "complete feature learning: each block's features move Theta(1) (alpha = 1 "
                 "regime, CompleteP)",
        "below": "lazy blocks: each block's features move o(1), the block is locally linear "
                 "(TP VI Claim 7.6)",
        "above": "block features blow up",
        "zero": "blocks frozen",
    }.get(fstate, f"block features {fstate}")
    ostate = _cmp(q["df"].size, Fraction(0))
    output = {"exact": "output moves Theta(1) (depth-wise maximal update)",
              "below": "output update vanishes with depth",
              "above": "output update blows up with depth"}.get(ostate, f"output update {ostate}")
    bits = ["stable" if stable else "unstable", "Theta(1/L) per block" if c == "exact" else c,
            {"exact": "complete", "below": "lazy"}.get(fstate, fstate) + " blocks",
            "output Theta(1)" if ostate == "exact" else "output " + ostate]
    return DepthRegime(stable, contribution, features, output, ", ".join(bits), c, fstate, ostate)
