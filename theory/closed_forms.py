"""The closed-form conditions of Tensor Programs IV and IVb: a second route, independent of the
engine, used to cross-check it.

TP4 (Yang & Hu 2021), SGD, with per-layer learning rates (the "[derived]" extension consistent with
TP IVb Remark 2.8.6; TP4 Prop. 5.3 with c -> c_l):

.. math::
    r_l = \\min(a_{L+1}+b_{L+1},\\ 2a_{L+1}+c_{L+1}) + c_l - 1 + 2a_l + \\mathbb I(l=1),
    \\qquad r = \\min_{l \\le L} r_l .

Stable (Thm 3.3) iff :math:`a_1+b_1=0`, :math:`a_l+b_l=\\tfrac12` (:math:`2\\le l\\le L`),
:math:`a_{L+1}+b_{L+1}\\ge\\tfrac12`, :math:`r\\ge0`, :math:`2a_{L+1}+c_{L+1}\\ge1`,
:math:`a_{L+1}+b_{L+1}+r\\ge1`.  Nontrivial (Thm 3.4) iff :math:`a_{L+1}+b_{L+1}+r=1` or
:math:`2a_{L+1}+c_{L+1}=1`.  Feature learning iff r = 0, kernel iff r > 0 (Thm 3.6/3.8).

TP IVb (Yang & Littwin 2023), entrywise optimizers with :math:`\\epsilon` negligible:
:math:`r_l = c_l + a_l - 1` (:math:`l > 1`, including L+1), :math:`r_1 = c_1 + a_1`,
:math:`r = \\min_{l\\le L} r_l`; stable (Thm 2.8.12, faithfulness condition dropped per Remark
2.8.13 since scale-invariant updates have no faithfulness constraint) iff stable at init,
:math:`r_l \\ge 0` for all :math:`l \\le L+1` and :math:`a_{L+1}+b_{L+1}+r \\ge 1`; nontrivial
(Thm 2.8.15) iff :math:`r_{L+1} = 0` or :math:`a_{L+1}+b_{L+1}+r = 1`; feature learning iff r = 0,
operator regime iff r > 0 (Thm 2.8.19).

TP IVb's conditions are those of the :math:`\\epsilon \\to 0` limit, where :math:`Q` is scale
invariant.  With a gradient prefactor :math:`n^{d_l}` and :math:`\\epsilon = \\Theta(1)` (the
abcd form, Def. 2.2.1; equivalently :math:`\\epsilon` scaled as :math:`n^{-d_l}`, Remark 2.2.6)
that limit holds iff the input of every :math:`Q` is :math:`\\Omega(1)`.  At a stable
initialization the gradient of :math:`w^l` has entries :math:`n^{-a_l-a_{L+1}-b_{L+1}}`
(:math:`l \\le L`; the backward signal is :math:`n^{-(a_{L+1}+b_{L+1})}` in every hidden layer)
and :math:`n^{-a_{L+1}}` (readout), so the condition is

.. math::
    d_l \\ge a_l + a_{L+1} + b_{L+1}\\ (l \\le L), \\qquad d_{L+1} \\ge a_{L+1},

TP IVb's faithfulness at init (Lemma 2.8.11) with equality relaxed to an inequality (a larger
input saturates :math:`Q`, which is then scale invariant).  Without cancellations gradients never
shrink during training (the initial terms persist), so the condition at init holds at every step.
Below it some :math:`Q` acts linearly (:math:`\\epsilon` dominates) and the closed form does not
apply: :func:`closed_form` says so rather than give a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from widthlimits.theory.exponents import Exponent, is_pos_inf
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization, layer_list
from widthlimits.theory.regime import Regime

HALF = Fraction(1, 2)


@dataclass(frozen=True)
class ClosedFormResult:
    """Verdict of the closed-form theorem; ``conditions`` lists ``(name, lhs, relation, rhs,
    holds)`` for every inequality of the theorem.  When the theorem does not apply,
    ``applies`` is False, ``reason`` says why and ``regime`` is None."""

    theorem: str
    applies: bool
    reason: str
    r: Exponent | None
    r_layers: tuple[Exponent, ...]
    stable_at_init: bool
    stable: bool
    nontrivial: bool
    regime: Regime | None
    conditions: tuple[tuple[str, Exponent, str, Exponent, bool], ...]

    def _repr_html_(self) -> str:
        from widthlimits.theory.display import closed_form_html

        return closed_form_html(self)


def faithful_d(a: Sequence[Exponent], b: Sequence[Exponent]) -> tuple[Exponent, ...]:
    """TP IVb's faithful gradient exponents at init (Lemma 2.8.11; module docstring): the ``d``
    that makes every entrywise optimizer's input :math:`n^{d_l} g` exactly :math:`\\Theta(1)`,
    :math:`d_l = a_l + a_{L+1} + b_{L+1}` (:math:`l \\le L`), :math:`d_{L+1} = a_{L+1}`.
    A readout with zero init (``b_{L+1} = inf``) has no finite faithful ``d``: ValueError."""
    L = len(a) - 1
    if is_pos_inf(b[L]):
        raise ValueError("zero-initialized readout: the hidden gradients vanish at init, no "
                         "finite faithful d")
    ab = a[L] + b[L]
    return tuple(a[l] + ab for l in range(L)) + (a[L],)


def applies(p: Parametrization, optimizer: str | Optimizer = "sgd") -> tuple[bool, str]:
    """The theorems assume Theta(1) pre-activations at init; a degenerate initialization
    (some :math:`h^l_0 \\to 0`, i.e. :math:`a_1 + b_1 > 0` or :math:`a_l + b_l > 1/2`) is
    outside them (TP4 would call it unstable by definition; the engine treats it as data)."""
    if p.is_symbolic():
        return False, "symbolic exponents (use the engine's symbolic mode)"
    if any(is_pos_inf(x) for x in (*p.b, *p.c)):
        return False, "zero initialization or frozen layers are outside the theorems"
    if p.a[0] + p.b[0] > 0 or any(a + b > HALF for a, b in zip(p.a[1:-1], p.b[1:-1], strict=True)):
        return False, ("degenerate initialization (vanishing pre-activations) is outside TP4/TP IVb, "
                       "whose stability requires Theta(1) pre-activations")
    opt = get_optimizer(optimizer)
    if opt.entrywise and p.d is not None:
        L = p.depth
        need = faithful_d(p.a, p.b)
        small = [l + 1 for l in range(L + 1) if p.d[l] < need[l]]
        if small:
            return False, (
                f"epsilon is not negligible: d_l < a_l + a_{{L+1}} + b_{{L+1}} (readout: d < a) "
                f"for layers {layer_list(small)}, so {opt.name} acts linearly on their small "
                "gradients; "
                "TP IVb's closed form holds in the scale-invariant limit (Q's input Omega(1), "
                "Lemma 2.8.11)")
    return True, ""


def r_exponents(a: Sequence[Any], b: Sequence[Any], c: Sequence[Any], entrywise: bool,
                mn: Callable[..., Any] = min) -> tuple[tuple[Any, ...], Any]:
    """``(r_1, ..., r_L)`` and the readout's ``r_{L+1}`` (module docstring): TP4's for SGD-type
    optimizers (``r_{L+1} = 2a_{L+1} + c_{L+1} - 1``), TP IVb's for entrywise ones.  ``mn`` is
    the minimum of the exponents' kind: ``min`` on numbers, ``sympy.Min`` on symbols."""
    L = len(a) - 1
    if not entrywise:
        m = mn(a[L] + b[L], 2 * a[L] + c[L])
        rl = tuple(m + c[l] - 1 + 2 * a[l] + (1 if l == 0 else 0) for l in range(L))
        return rl, 2 * a[L] + c[L] - 1
    return tuple(c[l] + a[l] - (0 if l == 0 else 1) for l in range(L)), c[L] + a[L] - 1


def closed_form(p: Parametrization, optimizer: str | Optimizer) -> ClosedFormResult:
    """TP4 (SGD-type) or TP IVb (entrywise) verdict for ``p``; see the module docstring."""
    opt = get_optimizer(optimizer)
    L = p.depth
    a, b = list(p.a), list(p.b)
    c = list(p.c)
    if not opt.entrywise and p.d is not None:  # TP IVb Remark 2.2.4: c <- c - d for SGD
        c = [ci - di for ci, di in zip(c, p.d, strict=True)]
    ok, why = applies(p, opt)
    conds: list[tuple[str, Exponent, str, Exponent, bool]] = []
    if not ok:
        return ClosedFormResult("TP IVb" if opt.entrywise else "TP4", False, why, None, (),
                                False, False, False, None, ())

    def cond(name: str, lhs: Exponent, rel: str, rhs: Exponent) -> bool:
        holds = {"=": lhs == rhs, ">=": lhs >= rhs, "<=": lhs <= rhs}[rel]
        conds.append((name, lhs, rel, rhs, holds))
        return holds

    init_ok = cond("a_1 + b_1 = 0", a[0] + b[0], "=", 0)
    for l in range(1, L):
        init_ok &= cond(f"a_{l + 1} + b_{l + 1} = 1/2", a[l] + b[l], "=", HALF)
    ab = a[L] + b[L]
    init_ok &= cond(f"a_{L + 1} + b_{L + 1} >= 1/2", ab, ">=", HALF)
    rl, readout_r = r_exponents(a, b, c, opt.entrywise)
    r = min(rl)
    if not opt.entrywise:
        theorem = "TP4"
        st = cond("r >= 0", r, ">=", 0)
        st &= cond(f"2a_{L + 1} + c_{L + 1} >= 1", 2 * a[L] + c[L], ">=", 1)
        st &= cond(f"a_{L + 1} + b_{L + 1} + r >= 1", ab + r, ">=", 1)
        nontriv = (ab + r == 1) or (2 * a[L] + c[L] == 1)
    else:
        theorem = "TP IVb"
        st = True
        for l in range(L):
            st &= cond(f"r_{l + 1} >= 0", rl[l], ">=", 0)
        st &= cond(f"r_{L + 1} = a_{L + 1} + c_{L + 1} - 1 >= 0", readout_r, ">=", 0)
        st &= cond(f"a_{L + 1} + b_{L + 1} + r >= 1", ab + r, ">=", 1)
        nontriv = readout_r == 0 or ab + r == 1
    stable = bool(init_ok and st)
    nontrivial = stable and nontriv
    if not stable:
        regime = Regime.UNSTABLE
    elif not nontrivial:
        regime = Regime.TRIVIAL
    elif r == 0:
        regime = Regime.FEATURE_LEARNING
    else:
        regime = Regime.OPERATOR if opt.entrywise else Regime.KERNEL
    return ClosedFormResult(theorem, True, "", r, rl, bool(init_ok), stable, nontrivial, regime,
                            tuple(conds))
