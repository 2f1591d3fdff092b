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
    the block's output carries the multiplier L^{-alpha} (TP VI Sec. 1, Eq. (1); L^{-alpha} in
    Sec. 1.1 and 6.3).
``sum uncorrelated`` (+1/2 in L)
    the L branch outputs at initialization, forward and backward (independent W^l_0): the
    stream at init is x^0 + O(L^{1/2 - alpha}) and a perturbation of it is propagated by the
    factor max(1, L^{1/2 - alpha} * gain); stable iff alpha >= 1/2 for Theta(1) branch gains
    (TP VI Sec. 1 and Claim 7.1; Hayou et al. 2021, Stable ResNet, arXiv 2010.12859).  Without
    LayerNorm the blocks multiply the stream, so a spread above Theta(1) is an exponential
    blow-up (``diverges``).
``sum correlated`` (+1 in L)
    the blocks' updates after training, driven by one loss gradient, add coherently in the
    stream and the output (TP VI Sec. 1 and the summary of Sec. 3.1; CompleteP Table 1, LR L^{alpha-1}).
``LayerNorm``
    pre-LN block inputs and the final LN have RMS Theta(1); their Jacobian divides by the RMS
    of the stream (Xiong et al. 2020, arXiv 2002.04745, for pre-LN; CompleteP Table 1).
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
    "linearization_ratio": "nonlinear / linear part of a block's update (CompleteP's relative "
                           "distance from linearization)",
    "dx_stream": "update of the residual stream x^L",
    "f": "output at init",
    "df": "update of the output f_t - f_0",
}


#: how a quantity's size is obtained from its inputs (:class:`Quantity`)
COMBINES: dict[str, str] = {
    "given": "set by the model",
    "normalized": "LayerNorm output: RMS Theta(1)",
    "product": "product: the exponents add",
    "max": "sum without cancellation: the (lexicographically) largest term",
    "ratio": "quotient: the first input's exponents minus the second's",
    "sum_correlated": "sum over the L blocks of correlated terms (product of the inputs): +1 in L",
    "sum_uncorrelated": "sum over the L blocks of independent mean-zero terms: +1/2 in L",
    "blowup": "exponential in L (diverges) if the first input exceeds Theta(1), else the second",
}


@dataclass(frozen=True)
class Quantity:
    """One quantity: its size, the rule (prose) and how it was computed (``combine`` of the
    labelled ``inputs``: :data:`COMBINES`; the L-block factor of a sum is one of the inputs)."""

    name: str
    size: Size
    rule: str
    combine: str = "given"
    inputs: tuple[tuple[str, Size], ...] = ()

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


def weight_update(model: ResidualModel, s: LayerScaling, grad: Size
                  ) -> tuple[Size, Size, tuple[tuple[str, Size], ...], tuple[tuple[str, Size], ...]]:
    """(entries of the step's update of the effective weight, relative decay per step, and the
    factors of each: labelled sizes whose product it is).

    SGD: mult * LR * grad (+ LR * lambda * w for either decay, the same for SGD).  Adam/AdamW:
    mult * LR * Q with Q = g / max(|g|, eps) where g includes lambda * w for coupled decay;
    decoupled (AdamW, Loshchilov & Hutter 2019, arXiv 1711.05101): w <- w - LR * lambda * w.
    """
    m, lr, w0 = multiplier(s), learning_rate(s), raw_init(s)
    decay_raw: Size = ZERO_SIZE if s.wd is None or model.weight_decay == "none" else smul(
        lr, Scale(-s.wd, -s.wd_L), w0)
    factors: tuple[tuple[str, Size], ...] = (("multiplier", m), ("learning rate", lr),
                                             ("gradient", grad))
    lam: Size = ZERO_SIZE if s.wd is None or model.weight_decay == "none" else Scale(-s.wd, -s.wd_L)
    dfac: tuple[tuple[str, Size], ...] = () if is_zero(lam) else (("learning rate", lr),
                                                                  ("weight decay lambda", lam))
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
            return ZERO_SIZE, ZERO_SIZE, factors, ()
        factors += (("1 / Adam's normalizer max(|g|, eps, lambda w)", -normalizer),)  # type: ignore[operator]
        step = smul(m, lr, sdiv(grad, normalizer))  # type: ignore[arg-type]
        if model.weight_decay == "coupled":
            decay = smul(lr, sdiv(coupled, normalizer))  # type: ignore[arg-type]
            if dfac:
                dfac += (("1 / Adam's normalizer", -normalizer),)  # type: ignore[operator]
        else:
            decay = decay_raw
    relative = ZERO_SIZE if is_zero(decay) else sdiv(decay, w0)
    return step, relative, factors, dfac


#: what the counting assumes of the loss (the readout's backward signal is Theta(1) at the first
#: step), and why the answer does not depend on it
LOSS_ASSUMPTION = ("the depth engine takes dloss/df = Theta(1) at the first step, true of mse and "
                   "logistic alike while f = O(1); where f_0 blows up the model is unstable under "
                   "either, so the answer does not depend on the loss")


def derive_depth(model: ResidualModel) -> DepthResult:
    """Every quantity of :data:`QUANTITIES` (and per-role gradients/updates) as ``n^{e_n} L^{e_L}``.

    Each quantity records how it was obtained (``combine`` of labelled ``inputs``, see
    :data:`COMBINES`): :mod:`.derivation` prints these lines.

    >>> from widthlimits.theory.depth.presets import depth_preset
    >>> r = derive_depth(depth_preset("completep", "adam"))
    >>> str(r.size("block_features")), str(r.size("df"))
    ('n^0 L^0', 'n^0 L^0')
    """
    q: dict[str, Quantity] = {}

    def put(name: str, size: Size, rule: str, combine: str = "given",
            inputs: tuple[tuple[str, Size], ...] = ()) -> Size:
        q[name] = Quantity(name, size, rule, combine, inputs)
        return size

    emb, readout, blk = model.embedding, model.readout, model.block
    two = len(blk) == 2
    ln = model.layernorm != "none"
    bm = Scale(0, -model.alpha)  # branch multiplier L^{-alpha}
    BM = "branch multiplier L^{-alpha}"
    UNC = ("L blocks, uncorrelated", Scale(0, Fraction(1, 2)))
    COR = ("L blocks, correlated", Scale(0, 1))

    # ---------------------------------------------------------------- forward at init
    x0 = put("x_embedding", init_entry(emb), "finite fan-in", "product",
             (("embedding entries n^{-a-b} L^{-a_L-b_L}", init_entry(emb)),))

    def branch_of(u: Size, record: bool = False) -> tuple[Size, dict[str, Size]]:
        if two:
            z = smul(init_entry(blk[0]), CLT, u)
            v = phi(model, z)
            out = smul(init_entry(blk[1]), CLT, v)
            if record:
                put("hidden", z, "CLT: i.i.d. entries on a Theta(1)-correlated input", "product",
                    (("block.1 entries", init_entry(blk[0])), ("CLT over n", CLT), ("block input", u)))
                put("branch", out, "CLT through the block's second layer", "product",
                    (("block.2 entries", init_entry(blk[1])), ("CLT over n", CLT),
                     ("phi(hidden)", v)))
            return out, {"block.1": u, "block.2": v, "z": z}
        v = phi(model, u)
        out = smul(init_entry(blk[0]), CLT, v)
        if record:
            put("branch", out, "CLT through the block's layer", "product",
                (("block.1 entries", init_entry(blk[0])), ("CLT over n", CLT), ("phi(block input)", v)))
        return out, {"block.1": v}

    unit_branch, _ = branch_of(ONE)
    gain = unit_branch  # branch size per unit input (phi' = Theta(1))
    if ln:
        u = put("block_input", ONE, "LayerNorm: RMS 1", "normalized")
        branch, inputs = branch_of(u, record=True)
        spread = put("sum.branches_init", depth_sum(smul(bm, branch), correlated=False),
                     "sum uncorrelated over blocks (+1/2 in L): independent W^l_0",
                     "sum_uncorrelated", ((BM, bm), ("branch", branch), UNC))
        xL = put("x_stream", smax(x0, spread), "embedding plus the blocks' sum (no cancellation)",
                 "max", (("x_embedding", x0), ("sum.branches_init", spread)))
        jac_gain = sdiv(gain, xL) if not is_diverging(xL) else ZERO_SIZE  # LN Jacobian: / RMS(x)
    else:
        spread = put("sum.branches_init", depth_sum(smul(bm, gain), correlated=False),
                     "sum uncorrelated over blocks (+1/2 in L) of the relative branch sizes",
                     "sum_uncorrelated", ((BM, bm), ("branch per unit input", gain), UNC))
        xL = put("x_stream", float("inf") if exceeds(spread) else x0,
                 "no LayerNorm: the blocks multiply the stream, exponential in L if the spread "
                 "exceeds Theta(1), else the embedding", "blowup",
                 (("sum.branches_init", spread), ("x_embedding", x0)))
        u = put("block_input", x0, "stream (no LayerNorm)", "max", (("x_embedding", x0),))
        branch, inputs = branch_of(u, record=True)
        jac_gain = gain
    prop_spread = depth_sum(smul(bm, jac_gain), correlated=False) if not is_zero(jac_gain) else ZERO_SIZE
    put("sum.propagation", prop_spread, "sum uncorrelated over the later blocks (+1/2 in L) of "
        "their Jacobians", "sum_uncorrelated",
        ((BM, bm), ("block Jacobian" + (" / RMS(x) (LayerNorm)" if ln else ""), jac_gain), UNC))
    if not ln and exceeds(prop_spread):
        propagation: Size = float("inf")
        put("propagation", propagation, "exponential: the spread exceeds Theta(1) without "
            "LayerNorm", "blowup", (("sum.propagation", prop_spread),
                                    ("identity plus sum.propagation", smax(ONE, prop_spread))))
    else:
        propagation = put("propagation", smax(ONE, prop_spread), "factor by which later blocks "
                          "amplify a stream perturbation: identity plus their sum", "max",
                          (("identity", ONE), ("sum.propagation", prop_spread)))
    xr = ONE if ln else xL  # the readout's input (final LN)
    put("f", smul(init_entry(readout), CLT, xr), "CLT", "product",
        (("readout entries", init_entry(readout)), ("CLT over n", CLT),
         ("readout input" + (" (final LN: RMS 1)" if ln else " (stream)"), xr)))

    # ---------------------------------------------------------------- backward at init
    ln_back = ONE if not ln else sdiv(ONE, xL) if not is_diverging(xL) else ONE
    gL = smul(init_entry(readout), ln_back)
    g_stream = smul(gL, propagation)
    put("g_stream", g_stream, "readout entries, through the final LN, propagated back through "
        "the blocks (sum uncorrelated)", "product",
        (("readout entries", init_entry(readout)), ("final LN: 1 / RMS(x^L)", ln_back),
         ("propagation", propagation)))
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
                   "multiplier x backward signal x input", "product",
                   (("multiplier", multiplier(s)), ("backward signal" + (
                       f" (L^{{-alpha}} g_stream{' through block.2' if two and name == 'block.1' else ''})"
                       if name.startswith("block") else ""), lefts[name]),
                    ("layer input", rights[name])))
        step, rel_decay, factors, dfac = weight_update(model, s, grad)
        dW[name] = put(f"dW.{name}", step, f"{model.optimizer}: optimizer rule", "product", factors)
        put(f"decay.{name}", rel_decay, "relative weight decay per step (LR x lambda; Adam "
            "coupled: divided by the normalizer)" if dfac else "no weight decay on this role",
            "product" if dfac else "given", dfac)
        fan_in = ONE if name == "embedding" else LLN
        out_init = ONE if name == "embedding" else smul(init_entry(s), CLT, rights[name])
        dWx[name] = put(f"dWx.{name}", smul(step, rights[name], fan_in),
                        "LLN: the update applied to the features it was built from"
                        if name != "embedding" else "finite fan-in", "product",
                        ((f"dW.{name}", step), ("layer input", rights[name]),
                         ("LLN over n" if name != "embedding" else "finite fan-in", fan_in)))
        # the decay shrinks W_0 itself: its effect is the layer's init output times the
        # relative decay, correlated with W_0 (independent across blocks), not with the gradient
        decay_out[name] = put(f"decay_out.{name}", smul(rel_decay, out_init),
                              "relative decay x the layer's output at init", "product",
                              ((f"decay.{name}", rel_decay), ("layer output at init", out_init)))
    # LayerNorm gain/bias and biases (LR exponents in model.norm / model.bias)
    extra_u: Size = ZERO_SIZE
    if model.layernorm in ("gain", "gain_bias"):
        grad_u = smul(init_entry(blk[0]), CLT, lefts["block.1"])
        step, _, factors, _ = weight_update(model, model.norm, grad_u)
        extra_u = put("dW.norm", step, "LN gain/bias update (entries)", "product", factors)
    bias_in: Size = ZERO_SIZE
    bias_out: Size = ZERO_SIZE
    if model.biases:
        step, _, factors, _ = weight_update(model, model.bias, g_branch)
        bias_out = put("dW.bias_out", step, "bias of the branch output", "product", factors)
        if two:
            step, _, factors, _ = weight_update(model, model.bias, lefts["block.1"])
            bias_in = put("dW.bias_in", step, "bias of the block's hidden layer", "product", factors)
    # a block's internal features and its own update of the branch (linear part)
    ln_term = smul(init_entry(blk[0]), CLT, extra_u)
    if two:
        internal = smax(dWx["block.1"], bias_in, ln_term)
        feat_in = (("dWx.block.1", dWx["block.1"]), ("dW.bias_in", bias_in),
                   ("block.1 entries x CLT x dW.norm", ln_term))
        lin = smax(dWx["block.2"], smul(init_entry(blk[1]), CLT, internal), bias_out)
        lin_in = (("dWx.block.2", dWx["block.2"]),
                  ("block.2 entries x CLT x block_features", smul(init_entry(blk[1]), CLT, internal)),
                  ("dW.bias_out", bias_out))
        second = [smul(dW["block.2"], internal, LLN)]
        if not model.act.linear:
            second.append(smul(init_entry(blk[1]), CLT, internal, internal))  # phi'' (dz)^2
        nonlinear = smax(*second)
    else:
        internal = smax(dWx["block.1"], bias_out, ln_term)
        feat_in = (("dWx.block.1", dWx["block.1"]), ("dW.bias_out", bias_out),
                   ("block.1 entries x CLT x dW.norm", ln_term))
        lin = internal
        lin_in = (("block_features", internal),)
        nonlinear = ZERO_SIZE  # W phi(u): linear in the block's own weights
    put("block_features", internal, "the block's own update on its features (LLN)", "max", feat_in)
    put("branch_linear", lin, "linear change of the branch from the gradient steps", "max", lin_in)
    contrib = put("block_update_grad", smul(bm, lin),
                  "branch multiplier x linear change of the branch from the gradient steps",
                  "product", ((BM, bm), ("branch_linear", lin)))
    decay_branch = decay_out["block.1"] if not two else smax(
        decay_out["block.2"], smul(init_entry(blk[1]), CLT, decay_out["block.1"]))
    decay_contrib = put("block_update_decay", smul(bm, decay_branch),
                        "branch multiplier x change of the branch from weight decay", "product",
                        ((BM, bm), ("branch change from decay", decay_branch)))
    put("block_update", smax(contrib, decay_contrib), "a block's contribution: gradient steps "
        "and weight decay", "max", (("block_update_grad", contrib), ("block_update_decay", decay_contrib)))
    put("block_nonlinear", smul(bm, nonlinear),
        "second order in the block's own update: dW_2 . dz (LLN) and phi''(z) dz^2", "product",
        ((BM, bm), ("second-order change of the branch", nonlinear)))
    put("linearization_ratio", ZERO_SIZE if is_zero(nonlinear) else sdiv(nonlinear, lin),  # type: ignore[arg-type]
        "nonlinear / linear part of the block's update", "ratio",
        (("second-order change of the branch", nonlinear), ("branch_linear", lin)))
    summed = put("sum.block_updates", depth_sum(contrib, correlated=True),
                 "sum correlated over blocks (+1 in L): one loss gradient drives every block",
                 "sum_correlated", (("block_update_grad", contrib), COR))
    decayed = put("sum.block_decays", depth_sum(decay_contrib, correlated=False),
                  "sum uncorrelated over blocks (+1/2 in L): the decay shrinks independent W^l_0",
                  "sum_uncorrelated", (("block_update_decay", decay_contrib), UNC))
    moved = smax(dWx["embedding"], decay_out["embedding"], summed, decayed)
    put("stream_change", moved, "embedding's change plus the blocks' sums (no cancellation)",
        "max", (("dWx.embedding", dWx["embedding"]), ("decay_out.embedding", decay_out["embedding"]),
                ("sum.block_updates", summed), ("sum.block_decays", decayed)))
    dx = put("dx_stream", smul(moved, propagation),
             "gradient parts summed correlated over blocks (+1 in L), decay parts uncorrelated "
             "(+1/2), propagated through later blocks", "product",
             (("stream_change", moved), ("propagation", propagation)))
    dxr = dx if not ln else (sdiv(dx, xL) if not is_diverging(xL) else dx)  # type: ignore[arg-type]
    readout_on_dx = smul(init_entry(readout), LLN, dxr)
    put("df", smax(readout_on_dx, dWx["readout"], decay_out["readout"]),
        "readout on the backprop-aligned stream change (LLN) and readout update (LLN)", "max",
        (("readout entries x LLN x (final LN) dx_stream", readout_on_dx),
         ("dWx.readout", dWx["readout"]), ("decay_out.readout", decay_out["readout"])))
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
    (complete at Theta(1), lazy below: TP VI Claim 7.6, CompleteP's lazy-learning argument); the
    output update."""
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
