"""Depth rules solved from the engine, and the literature's rows beside them.

Each rule is a principle stated as an equation on an engine quantity, solved for one L-exponent
of a hyperparameter (the engine's exponents are affine in each hyperparameter's exponent, with a
known slope, so one evaluation at exponent 0 and one check at the solution suffice):

* **block learning rate** ``c_L``: every block contributes Theta(1/L) to the residual stream's
  update, ``e_L(block_update) = -1`` (TP VI Sec. 1 and 3.1 for SGD and Adam, Claim 7.2; CompleteP Table 1,
  desideratum that the update be Theta(1) and spread over all blocks).  The update is linear in
  the LR for SGD and for Adam (entries of size LR), slope -1 in the exponent.
* **LN and bias learning rates**: the same principle for their contribution to the stream.
* **Adam epsilon** ``d_L`` per role: epsilon at the scale of the gradient entries it is added to,
  ``e_L(epsilon) = e_L(grad)`` (TP IVb Remark 2.2.6 in width; CompleteP Table 1 in depth), so it
  neither dominates (SGD-like updates) nor vanishes.
* **weight decay** ``wd_L`` per block role: a depth-independent decay time-scale, ``e_L(decay) =
  0`` for the relative decay per step (LR x lambda for AdamW, Loshchilov & Hutter 2019, arXiv
  1711.05101; Wang & Aitchison 2024, arXiv 2405.13698, the EMA time-scale 1/(LR lambda); for
  coupled Adam the decay term is divided by the normalizer).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from widthlimits.theory.depth.engine import derive_depth
from widthlimits.theory.depth.model import DepthModelError, ResidualModel
from widthlimits.theory.depth.scale import Scale, is_diverging, is_zero
from widthlimits.theory.exponents import fmt


class RuleError(DepthModelError):
    """A rule has no solution for this model (e.g. the quantity does not depend on it)."""


def _finite(s: Any, what: str) -> Scale:
    if is_zero(s) or is_diverging(s):
        raise RuleError(f"{what} is {'zero' if is_zero(s) else 'diverging'}: the rule has no solution")
    return s


def block_lr_exponent(model: ResidualModel) -> Fraction:
    """``c_L`` of the block weights with every block contributing Theta(1/L)."""
    base = derive_depth(model.with_block(c_L=0))
    e0 = _finite(base.size("block_update_grad"), "the block update").L
    c_L = e0 + 1
    check = derive_depth(model.with_block(c_L=c_L)).size("block_update_grad")
    if _finite(check, "the block update").L != -1:
        raise RuleError(f"block LR rule not affine here (got L^{check.L} at c_L = {c_L})")
    return c_L


def param_lr_exponent(model: ResidualModel, which: str, quantity: str) -> Fraction:
    """LR exponent of LN ('norm') or bias ('bias') params with their stream contribution L^{-1}:
    contribution = L^{-alpha} x (update entries) x Theta(1) gains, linear in the LR."""
    m0 = model.with_(**{which: getattr(model, which).with_(c_L=0)})
    e0 = _finite(derive_depth(m0).size(quantity), quantity).L
    return e0 - model.alpha + 1


def epsilon_exponents(model: ResidualModel) -> dict[str, tuple[Fraction, Fraction]]:
    """Per weight role: ``(d, d_L)`` with epsilon = n^{-d} L^{-d_L} at the gradient's scale."""
    r = derive_depth(model.with_(weight_decay="none"))
    out = {}
    for name in model.roles():
        g = _finite(r.size(f"grad.{name}"), f"the gradient of {name}")
        out[name] = (-g.n, -g.L)
    return out


def weight_decay_exponent(model: ResidualModel) -> Fraction:
    """``wd_L`` of the block weights with a depth-independent relative decay per step.

    Decoupled (AdamW) and SGD: the relative decay is LR x lambda, slope -1 in ``wd_L``.
    Coupled Adam: LR x lambda w / max(|g|, lambda w) relative to w, slope -1 while the decay
    term is below the gradient; the width exponent of lambda is set so that lambda w matches the
    gradient in n, the engine is probed far in that branch (``wd_L = 16``) and the solution is
    checked by a second derivation (RuleError if it left the branch).
    """
    if model.weight_decay == "none":
        raise RuleError("the model has no weight decay")
    blk = model.block[0]
    wd_n = blk.wd if blk.wd is not None else Fraction(0)
    if model.weight_decay == "coupled":
        g = _finite(derive_depth(model).size("grad.block.1"), "the block's gradient")
        wd_n = -(g.n + blk.b)  # lambda n^{-wd} n^{-b} = n^{g.n}
    probe_at = Fraction(16)
    probe = model.with_block(wd=wd_n, wd_L=probe_at)
    s = _finite(derive_depth(probe).size("decay.block.1"), "the block's decay")
    wd_L = s.L + probe_at
    got = _finite(derive_depth(model.with_block(wd=wd_n, wd_L=wd_L)).size("decay.block.1"),
                  "the block's decay")
    if got.L != 0:
        raise RuleError(f"weight-decay rule has no depth-free solution here (L^{got.L} at wd_L = {wd_L})")
    return wd_L


@dataclass(frozen=True)
class DerivedRules:
    """The L-exponents the principles give for one model (alpha, optimizer, decay mode)."""

    alpha: Fraction
    optimizer: str
    block_lr: Fraction  # LR proportional to L^{-block_lr}
    norm_lr: Fraction | None
    bias_lr: Fraction | None
    epsilon: dict[str, Fraction]  # role -> d_L (epsilon ~ L^{-d_L})
    weight_decay: Fraction | None  # lambda ~ L^{-wd_L}; None: no decay, or no solution (notes)
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"alpha": fmt(self.alpha), "optimizer": self.optimizer,
                "block_lr_L": fmt(-self.block_lr),
                "norm_lr_L": None if self.norm_lr is None else fmt(-self.norm_lr),
                "bias_lr_L": None if self.bias_lr is None else fmt(-self.bias_lr),
                "epsilon_L": {k: fmt(-v) for k, v in self.epsilon.items()},
                "weight_decay_L": None if self.weight_decay is None else fmt(-self.weight_decay),
                "notes": list(self.notes)}


def derive_rules(model: ResidualModel) -> DerivedRules:
    """Solve every rule for ``model`` (the block LR first; the others use the solved LR).

    The returned exponents are those of ``L^{-x}``; :meth:`DerivedRules.as_dict` prints them as
    powers of L (``L^{alpha - 1}`` for CompleteP's block LR, etc.).
    """
    # the LR principle concerns the gradient steps: solved without decay (a coupled decay term
    # in Adam's normalizer would otherwise shift it); the decay is then solved at that LR
    c_L = block_lr_exponent(model.with_(weight_decay="none"))
    m = model.with_block(c_L=c_L)
    norm = bias = None
    if model.layernorm in ("gain", "gain_bias"):
        norm = param_lr_exponent(m, "norm", "dW.norm")
    if model.biases:
        bias = param_lr_exponent(m, "bias", "dW.bias_out")
    eps = {}
    if model.entrywise:
        eps = {k: dl for k, (_, dl) in epsilon_exponents(m.with_block(d=None)).items()}
    wd = None
    notes: list[str] = []
    if model.weight_decay != "none":
        try:
            wd = weight_decay_exponent(m)
        except RuleError as err:
            notes.append(str(err))
    return DerivedRules(model.alpha, model.optimizer, c_L, norm, bias, eps, wd, tuple(notes))


def literature_rules(model: ResidualModel) -> dict[str, Any]:
    """The L-exponents the named model (a preset) sets, in the same form as DerivedRules.as_dict."""
    blk = model.block[0]
    roles = model.roles()
    return {
        "alpha": fmt(model.alpha), "optimizer": model.optimizer, "block_lr_L": fmt(-blk.c_L),
        "norm_lr_L": fmt(-model.norm.c_L) if model.layernorm in ("gain", "gain_bias") else None,
        "bias_lr_L": fmt(-model.bias.c_L) if model.biases else None,
        "epsilon_L": {k: (fmt(-s.d_L) if s.d is not None else None) for k, s in roles.items()}
        if model.entrywise else {},
        "weight_decay_L": fmt(-blk.wd_L) if model.weight_decay != "none" else None,
    }
