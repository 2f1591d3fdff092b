"""Named depth parametrizations: the literature's rows, typed from the papers (with citations).

:mod:`.rules` derives the same exponents from the engine; the tests check that the two agree.

``depth-mup`` (TP VI, Yang, Yu, Zhu, Hayou 2023, arXiv 2310.02244, Table 1 and Sec. 3.1: the
learning rates for SGD and Adam; the block W phi(x) is its "pre-nonlin" variant, Sec. 8.2): one
weight layer per block, ``x^l = x^{l-1} + a L^{-1/2} W^l phi(x^{l-1})``,
no LayerNorm; block learning rate ``eta`` (SGD) and ``eta L^{-1/2}`` (Adam); muP in width.

``completep[:alpha]`` (Dey et al. 2025, arXiv 2505.01618, Table 1; reference code: EleutherAI
nanoGPT-mup, branch ``completep``, ``model.py`` lines 113 and 331-363): pre-LN blocks with
LayerNorm gain and bias, biases, two weight layers per block (the transformer MLP block),
branch multiplier ``L^{-alpha}`` with ``alpha`` in [1/2, 1] (default 1 = CompleteP); hidden
weight, bias and LN learning rates ``* L^{alpha - 1}``; Adam epsilon ``* n^{-1} L^{-alpha}``
(Table 1 gives it for the residual blocks; the reference code applies one global epsilon to every
parameter group, and so does this preset); AdamW with hidden weight decay ``* n`` (``weight_decay /
width_lr_scaling``), no depth factor; embedding and readout as muP.  Defined for AdamW only.

Width exponents are muP's, taken from :func:`widthlimits.theory.presets.preset` (``mup``, TP4
form) for the input, hidden and readout roles, so no width rule is typed twice.
"""

from __future__ import annotations

from fractions import Fraction

from widthlimits.theory.depth.model import DepthModelError, LayerScaling, ResidualModel, exact
from widthlimits.theory.presets import preset

H = Fraction(1, 2)
DEPTH_PRESETS = ("depth-mup", "completep")


def mup_roles(optimizer: str) -> tuple[LayerScaling, LayerScaling, LayerScaling]:
    """muP's width exponents (TP4 form) for embedding, hidden and readout roles."""
    p = preset("mup", 2, "adam" if optimizer in ("adam", "adamw") else "sgd")
    emb, hid, out = (LayerScaling(a=p.a[i], b=p.b[i], c=p.c[i]) for i in range(3))
    return emb, hid, out


def depth_mup(optimizer: str, depth: int | None = None) -> ResidualModel:
    if optimizer not in ("sgd", "adam"):
        raise DepthModelError(f"depth-mup is given for SGD and Adam (TP VI Table 1, Sec. 3.1), "
                              f"not {optimizer!r}")
    emb, hid, out = mup_roles(optimizer)
    c_L = 0 if optimizer == "sgd" else H
    return ResidualModel(emb, (hid.with_(c_L=c_L),), out, alpha=H, optimizer=optimizer,
                         activation="relu", depth=depth, name="depth-mup")


def completep(optimizer: str, depth: int | None = None, alpha: Fraction = Fraction(1)) -> ResidualModel:
    if optimizer not in ("adam", "adamw"):
        raise DepthModelError(f"completep is defined for AdamW (Dey et al. 2025, Table 1), "
                              f"not {optimizer!r}: use --optimizer adam")
    if not H <= alpha <= 1:
        raise DepthModelError(f"completep needs alpha in [1/2, 1], got {alpha}")
    emb, hid, out = mup_roles("adam")
    # The reference code is in SP form (multipliers a = 0): epsilon n^{-1} on every role
    # (model.py line 335), weight decay lambda on the embedding (line 339) and lambda * n on
    # hidden weights (line 349, weight_decay / width_lr_scaling), none on LN/bias/readout.
    # Moving a role from SP form to TP4 form shifts a by theta = a_TP4 and, to keep the same
    # training run, c -> c - theta, d -> d + theta (TP IVb Prop. 2.2.3) and lambda's exponent
    # wd -> wd + theta (the decoupled decay LR * lambda * w must stay LR * lambda relative to w).
    def sp(s: LayerScaling, d_sp: int, wd_sp: int | None) -> LayerScaling:
        return s.with_(d=d_sp + s.a, d_L=alpha, wd=None if wd_sp is None else wd_sp + s.a, wd_L=0)

    hid = sp(hid, 1, -1).with_(c_L=1 - alpha)
    return ResidualModel(
        sp(emb, 1, 0), (hid, hid), sp(out, 1, None), alpha=alpha, optimizer="adamw",
        weight_decay="decoupled", layernorm="gain_bias", biases=True,
        bias=LayerScaling(c_L=1 - alpha, d=1, d_L=alpha),
        norm=LayerScaling(c_L=1 - alpha, d=1, d_L=alpha),
        activation="gelu", depth=depth,
        name="completep" if alpha == 1 else f"completep:{alpha}",
    )


def depth_preset(name: str, optimizer: str = "adam", depth: int | None = None) -> ResidualModel:
    """``depth-mup`` or ``completep[:alpha]`` (module docstring).

    >>> depth_preset("completep:1/2", "adamw").alpha
    Fraction(1, 2)
    """
    key, _, arg = name.strip().lower().partition(":")
    if key == "depth-mup":
        if arg:
            raise DepthModelError("depth-mup takes no parameter (alpha = 1/2)")
        return depth_mup(optimizer, depth)
    if key == "completep":
        alpha = exact(arg, "alpha") if arg else Fraction(1)
        return completep(optimizer, depth, alpha)
    raise DepthModelError(f"unknown depth preset {name!r}; choose one of {', '.join(DEPTH_PRESETS)}")


def is_depth_preset(name: str | None) -> bool:
    return name is not None and name.strip().lower().partition(":")[0] in DEPTH_PRESETS
