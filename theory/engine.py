"""The exponent engine: power counting in width for an MLP trained for t steps.

For every step t and layer l it derives the exponent e of the RMS coordinate size
:math:`\\Theta(n^{e})` of the forward signals, backward signals, gradients, updates and output.
Exponents are exact (``Fraction``; ``-inf`` for identically zero); with sympy symbols for the
exponents the results are piecewise-linear ``Max`` expressions.

Model
-----
Every vector v (pre-activation, activation, backward signal) is a sum of *components*; each has an
exponent and a *correlation label*:

* ``F`` -- the forward (initialization) lineage of the layer: :math:`W_0 x_0`, and anything
  proportional to earlier feature vectors;
* ``B`` -- the backward lineage: the readout vector :math:`W^{L+1}_0` and what backprop makes of
  it through :math:`W_0^\\top`;
* ``M`` -- a mean component (a multiple of the all-ones vector), present only for non-odd
  activations (ReLU, GELU, ...);
* ``N`` -- the image under :math:`W_0^\\top` of a mean component (independent of everything else).

Two components are *correlated* iff their labels are equal or both in {F, M}.  Rules, each
recorded with its name in the trace:

``CLT`` (sum of n independent terms, +1/2)
    :math:`W^l_0 v` for an n x n i.i.d. matrix with entries :math:`n^{-a_l-b_l}`:
    :math:`e = \\tfrac12 - a_l - b_l + e(v)`.  This is also the exact order of the Tensor Programs
    :math:`\\dot Z` term (:math:`W_0 W_0^\\top g \\approx n\\sigma^2 g`), so the label is kept:
    F -> F, B -> B (TP4 App. H; Yang 2020, Tensor Programs III).
``LLN`` (sum of n correlated terms, +1)
    inner products of correlated vectors (:math:`x_s^\\top x_t`, :math:`g_s^\\top g_t`), hence the
    action of an accumulated low-rank update :math:`\\Delta W x`; and the readout
    :math:`W^{L+1}_0 \\Delta x^L` when :math:`\\Delta x^L` has a B component (TP4 Sec. 5:
    :math:`\\Delta x^L` is correlated with :math:`W^{L+1}_0` through backprop).  Inner products of
    uncorrelated components are CLT (+1/2): this is what makes a degenerate initialization lift
    one layer per step, the mechanism behind Golikov's depth result (arXiv:2003.05884, abstract:
    GD has no non-trivial discrete-time mean-field limit beyond two hidden layers; the power
    count is :mod:`widthlimits.theory.golikov`).
``finite fan-in``
    the input layer sums over d = O(1) input coordinates: +0.
``multiplier``
    :math:`W^l = n^{-a_l} w^l`: -a_l on the forward map and on the gradient of w.
``nonlinearity``
    :math:`x = \\phi(h)`: see :mod:`widthlimits.theory.activations`.
``optimizer``
    SGD-type: :math:`\\Delta W = -\\eta n^{-2a-c+d} \\chi\\, g \\otimes x`; entrywise
    (Adam/RMSProp/signSGD): entries :math:`n^{-a-c} Q(\\cdot)` with Q normalizing
    (:mod:`widthlimits.theory.optimizers`).
``induction``
    :math:`W_t = W_0 + \\sum_{s<t} \\Delta W_s`, each :math:`\\Delta W_s` kept as its low-rank
    structure (left factor: :math:`\\chi_s g_s`; right factor: :math:`x_s`), so
    :math:`\\Delta W_s v = (\\text{coef})\\, g_s\\, (x_s^\\top v)`.  The accumulated update is stored
    as a block matrix of exponents indexed by (left label, right label): the maximum over s is
    exact for exponents, and the cost per step is O(L).

Assumptions: no cancellations (generic data and hyper-parameters); the loss derivative
:math:`\\chi = \\Theta(1)` (MSE: :math:`\\Theta(\\max(1, |f|))`); a fixed batch of inputs of size
O(1); the number of steps fixed as n -> infinity (the standard setting of TP4, TP IVb, Golikov).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation, get_activation
from widthlimits.theory.exponents import (
    NEG_INF,
    Exponent,
    fmt,
    is_pos_inf,
    to_sympy,
)
from widthlimits.theory.optimizers import Optimizer, get_optimizer
from widthlimits.theory.parametrization import Parametrization

HALF = Fraction(1, 2)
Vec = dict[str, Exponent]

#: names of the per-step quantities (shared with widthlimits.numerics measurements)
QUANTITIES: dict[str, str] = {
    "h": "pre-activation h^l_t",
    "x": "activation x^l_t",
    "dh": "h^l_t - h^l_0",
    "dx": "x^l_t - x^l_0",
    "g": "backward signal df/dh^l_t",
    "grad": "gradient entries dL/dw^l at step t",
    "dW": "update entries W^l_{t+1} - W^l_t (effective weights)",
    "dWx": "(W^l_t - W^l_0) x^{l-1}_t (effective update)",
    "W0dx": "W^l_0 (x^{l-1}_t - x^{l-1}_0)",
    "f": "output f_t",
    "df": "f_t - f_0",
    "df_step": "f_{t+1} - f_t",
}

RULES = ("CLT", "LLN", "finite fan-in", "multiplier", "nonlinearity", "optimizer", "induction")


@dataclass(frozen=True, slots=True)
class Term:
    """One contribution to a quantity: what it is, the rule that sizes it, its exponent."""

    what: str
    rule: str
    exponent: Exponent


@dataclass(frozen=True, slots=True)
class Step:
    """A derivation step: ``quantity`` at ``layer`` and ``step`` is the max of ``terms``."""

    quantity: str
    layer: int | None
    step: int
    terms: tuple[Term, ...]
    result: Exponent
    components: tuple[tuple[str, Exponent], ...] = ()


@dataclass(frozen=True)
class EngineResult:
    """Exponents of every quantity at every step, and the derivation that produced them.

    Attributes
    ----------
    exponents : dict
        ``(quantity, layer, step) -> exponent``; ``layer`` is ``None`` for the output.
    steps : int
        The last step computed (steps are 0..steps).
    stationary_from : int or None
        First step from which all exponents repeat forever (None if not reached).
    trace : tuple of Step
        The derivation, in the order computed.
    """

    parametrization: Parametrization
    optimizer: Optimizer
    activation: Activation
    loss: str
    depth: int
    steps: int
    stationary_from: int | None
    exponents: dict[tuple[str, int | None, int], Exponent]
    trace: tuple[Step, ...] = field(repr=False, default=())
    normalizer: dict[int, Exponent] = field(default_factory=dict, repr=False)

    @property
    def last_distinct_step(self) -> int:
        """The last step whose exponents are not copies.  A run stationary from step ``s`` with
        more steps asked for has every exponent of the steps after ``s`` equal to (the same
        object as) its exponent at ``s`` (:func:`derive`), so a reading of steps ``1..steps``
        ("at some step", "at every step", the first step where) is the reading of steps
        ``1..min(steps, max(s, 1))``.  The exact cells run ``2 (L + 1) + 6`` steps and are
        stationary from step 2 for muP: reading the copies cost O(L^2) per cell."""
        s = self.stationary_from
        return self.steps if s is None else min(self.steps, max(s, 1))

    def get(self, quantity: str, layer: int | None, step: int) -> Exponent:
        if quantity not in QUANTITIES:
            raise KeyError(f"unknown quantity {quantity!r}")
        if step > self.steps and self.stationary_from is not None:
            step = max(self.stationary_from, min(step, self.steps))
        return self.exponents[(quantity, layer, step)]

    def series(self, quantity: str, layer: int | None) -> list[Exponent]:
        return [self.exponents[(quantity, layer, t)] for t in range(self.steps + 1)
                if (quantity, layer, t) in self.exponents]

    def as_rows(self) -> list[dict[str, Any]]:
        return [
            {"name": q, "layer": l, "step": t, "exponent": fmt(e)}
            for (q, l, t), e in sorted(
                self.exponents.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1] or 0)
            )
        ]


# ---------------------------------------------------------------------------- arithmetic
class MaxPlusOps:
    """max-plus arithmetic on exact exponents: the engine's default ``ops`` (see :func:`derive`).

    Numeric mode works on integers: every exponent is scaled by a common denominator ``D`` (the
    engine only adds exponents, takes maxima and adds 1/2 or 1, so this is exact) and converted
    back to ``Fraction`` at the boundary.  Symbolic mode works on sympy expressions.

    The interface an ``ops`` object passed to :func:`derive` implements (the exact cells of
    :mod:`widthlimits.theory.regions.cell` and the normal-form arithmetic of
    :mod:`widthlimits.theory.derivation.symbolic` are the other two): attributes ``symbolic,
    ninf, zero, half, one``; methods ``conv`` (public exponent -> internal), ``out`` (back),
    ``mx``, ``mn``, ``is_ninf``, ``add``, ``sub``, ``eq`` (True, False or None when undecided);
    optionally ``same_state(a, b)`` and ``mean_gate(e, q)`` (the mean component ``e`` of an
    entrywise update's input, present iff the normalized gradient ``q`` is not saturated, for
    ops that cannot decide ``q == 0`` while the engine runs: the SMT encoding of
    :mod:`widthlimits.theory.regions.smt_ops`).
    """

    def __init__(self, symbolic: bool, denominator: int = 2) -> None:
        self.symbolic = symbolic
        self.D = denominator
        if symbolic:  # sympy only for symbolic exponents: numeric work never loads it
            import sympy

            self._sympy = sympy
            self.ninf: Exponent = -sympy.oo
            self.zero: Exponent = sympy.Integer(0)
            self.half: Exponent = sympy.Rational(1, 2)
            self.one: Exponent = sympy.Integer(1)
        else:
            self.ninf = NEG_INF
            self.zero = 0
            self.half = denominator // 2
            self.one = denominator

    def conv(self, e: Exponent) -> Exponent:
        if self.symbolic:
            return to_sympy(e)
        if isinstance(e, float):
            return e
        return e.numerator * (self.D // e.denominator)  # type: ignore[union-attr]

    def out(self, e: Exponent) -> Exponent:
        """Back to the public representation (Fraction, +-inf, or sympy)."""
        if self.symbolic or isinstance(e, float):
            return e
        return Fraction(e, self.D)  # type: ignore[arg-type]

    def mx(self, *xs: Exponent) -> Exponent:
        if not xs:
            return self.ninf
        if self.symbolic:
            return self._sympy.Max(*xs)
        return max(xs)

    def mn(self, *xs: Exponent) -> Exponent:
        if self.symbolic:
            return self._sympy.Min(*xs)
        return min(xs)

    def is_ninf(self, e: Exponent) -> bool:
        return e == self.ninf

    def add(self, *xs: Exponent) -> Exponent:
        total = self.zero
        for x in xs:
            if x == self.ninf:
                return self.ninf
            total = total + x  # type: ignore[operator]
        return total

    def sub(self, x: Exponent, y: Exponent) -> Exponent:
        """x - y where y = -inf only if x = -inf (then the result is -inf)."""
        if x == self.ninf:
            return self.ninf
        return x - y  # type: ignore[operator]

    def eq(self, x: Exponent, y: Exponent) -> bool | None:
        if not self.symbolic:
            return x == y
        if x == y:
            return True
        d = self._sympy.simplify(x - y) if not (x == self.ninf or y == self.ninf) else None  # type: ignore[operator]
        if d is None:
            return False
        if d.is_zero:
            return True
        if d.is_nonzero:
            return False
        return None


def _common_denominator(p: Parametrization) -> int:
    if p.is_symbolic():
        return 1
    D = 2
    for v in (*p.a, *p.b, *p.c, *(p.d or ())):
        if isinstance(v, Fraction):
            D = math.lcm(D, v.denominator)
    return D


def _correlated(l1: str, l2: str) -> bool:
    return l1 == l2 or (l1 in "FM" and l2 in "FM")


# forward W_0 maps labels (Zdot-consistent): mean -> the init field; backward W_0^T: mean -> N
_FWD_LABEL = {"F": "F", "M": "F", "B": "B", "N": "N"}
_BWD_LABEL = {"F": "F", "B": "B", "M": "N", "N": "N"}


class _Engine:
    def __init__(
        self,
        p: Parametrization,
        optimizer: Optimizer,
        activation: Activation,
        loss: str,
        trace: bool,
        ops: Any = None,
        on_record: Callable[[str, int | None, int, Exponent], None] | None = None,
    ) -> None:
        self.p, self.opt, self.act, self.loss = p, optimizer, activation, loss
        self.L = p.depth
        self.ops = o = ops if ops is not None else MaxPlusOps(p.is_symbolic(), _common_denominator(p))
        self.on_record = on_record
        self.tracing = trace
        self.trace: list[Step] = []
        self.ex: dict[tuple[str, int | None, int], Exponent] = {}
        n = p.n_layers
        a = [o.conv(x) for x in p.a]
        self.a = a
        # entry exponent of W^l_0 = n^{-a} w_0:  -a - b  (-inf for zero init)
        self.w0 = [o.ninf if is_pos_inf(b) else o.conv(-x - b)  # type: ignore[operator]
                   for x, b in zip(p.a, p.b, strict=True)]
        self.neg_c = [o.ninf if is_pos_inf(c) else o.conv(-c) for c in p.c]  # type: ignore[operator]
        self.d = None if p.d is None else [o.conv(x) for x in p.d]
        # accumulated update blocks per layer: (left label, right label) -> exponent
        self.acc: list[dict[tuple[str, str], Exponent]] = [{} for _ in range(n)]
        # normalizer memory for RMSProp/Adam
        self.norm: list[Exponent] = [o.ninf for _ in range(n)]
        self.first_blowup: int | None = None

    # ------------------------------------------------------------------ helpers
    def record(self, q: str, layer: int | None, t: int,
               terms: list[Term] | Callable[[], list[Term]], value: Exponent,
               comps: Vec | None = None) -> None:
        """Store ``value`` as the exponent of ``q``; ``terms`` (or a function giving them, called
        only when tracing) explain it in the trace.  The terms' own exponents are computed
        only for the trace: a run without it makes no comparison the quantities do not need,
        so exact regions (cells, germs) are not cut where nothing they read changes."""
        self.ex[(q, layer, t)] = value
        if self.tracing and callable(terms):  # before the hook, as when built by the caller
            terms = terms()
        if self.on_record is not None:
            self.on_record(q, layer, t, value)
        if (q in ("h", "x", "f") and self.first_blowup is None and not self.ops.symbolic
                and value > 0):
            self.first_blowup = t
        if self.tracing:
            out = self.ops.out
            self.trace.append(
                Step(q, layer, t,
                     tuple(Term(tm.what, tm.rule, out(tm.exponent)) for tm in terms), out(value),
                     tuple(sorted((k, out(e)) for k, e in (comps or {}).items())))
            )

    def vexp(self, v: Vec) -> Exponent:
        return self.ops.mx(*v.values()) if v else self.ops.ninf

    def union(self, *vs: Vec) -> Vec:
        out: Vec = {}
        for v in vs:
            for k, e in v.items():
                if self.ops.is_ninf(e):
                    continue
                out[k] = self.ops.mx(out[k], e) if k in out else e
        return out

    def shift(self, v: Vec, s: Exponent) -> Vec:
        if self.ops.is_ninf(s):
            return {}
        return {k: self.ops.add(e, s) for k, e in v.items()}

    def w0_apply(self, i: int, v: Vec, transpose: bool) -> Vec:
        """W^l_0 v (or W^l_0^T v) for a hidden n x n layer: CLT, labels kept (Zdot)."""
        o = self.ops
        if o.is_ninf(self.w0[i]):
            return {}
        lab = _BWD_LABEL if transpose else _FWD_LABEL
        out: Vec = {}
        for k, e in v.items():
            nk = lab[k]
            ne = o.add(e, o.half, self.w0[i])
            out[nk] = o.mx(out[nk], ne) if nk in out else ne
        return out

    def blocks_apply(self, blocks: dict[tuple[str, str], Exponent], v: Vec | None,
                     transpose: bool) -> Vec:
        """(sum_s coef_s g_s x_s^T) v  or its transpose, from the block exponents.

        ``v is None`` means the finite-dimensional side (input xi, or the readout's scalar):
        the inner product there is over O(1) coordinates.
        """
        o = self.ops
        out: Vec = {}
        ips: dict[str, Exponent] = {}  # inner product of v with each source label, once
        for (ll, rl), be in blocks.items():
            src, dst = (ll, rl) if transpose else (rl, ll)
            if v is None:
                ie = o.zero
            elif src in ips:
                ie = ips[src]
            else:  # inner product over n coordinates: LLN (+1) if correlated, else CLT (+1/2)
                ie = ips[src] = o.mx(*[o.add(ev, o.one if _correlated(src, lv) else o.half)
                                       for lv, ev in v.items()]) if v else o.ninf
            e = o.add(be, ie)
            if o.is_ninf(e):
                continue
            if dst in ("in", "out"):
                dst = "S"  # scalar / finite side (only used for the readout output)
            out[dst] = o.mx(out[dst], e) if dst in out else e
        return out

    # ------------------------------------------------------------------ nonlinearity
    def phi(self, h: Vec) -> Vec:
        """x = phi(h): components pass through (phi' = Theta(1)), capped at 0 if bounded;
        phi(0) != 0 adds a Theta(1) mean; non-odd phi adds a mean component."""
        o = self.ops
        act = self.act
        x: Vec = {k: (o.mn(e, o.zero) if act.bounded else e) for k, e in h.items()}
        eh = self.vexp(h)
        if act.order_at_zero == 0:
            x = self.union(x, {"M": o.zero})
        elif not act.odd and not o.is_ninf(eh):
            m = eh if act.mean_order == "homogeneous" else o.mn(o.add(eh, eh), eh)
            if act.bounded:
                m = o.mn(m, o.zero)
            x = self.union(x, {"M": m})
        return x

    def phi_delta(self, h_ref: Vec, dh: Vec) -> Vec:
        """phi(h_ref + dh) - phi(h_ref): linear part phi'(h_ref) dh, plus the mean of the
        change for non-odd phi: 2e(dh) - max(e(h_ref), e(dh)) if piecewise linear (ReLU-like),
        2e(dh) if smooth (capped by e(dh))."""
        o = self.ops
        act = self.act
        if not dh:
            return {}
        dx: Vec = {k: (o.mn(e, o.zero) if act.bounded else e) for k, e in dh.items()}
        if not act.odd:
            ed = self.vexp(dh)
            if act.mean_order == "homogeneous":
                m = o.sub(o.add(ed, ed), o.mx(self.vexp(h_ref), ed))
            else:
                m = o.mn(o.add(ed, ed), ed)
            if act.bounded:
                m = o.mn(m, o.zero)
            dx = self.union(dx, {"M": m})
        return dx

    # ------------------------------------------------------------------ forward
    def forward(self, t: int, h0: list[Vec] | None) -> tuple[list[Vec], list[Vec], Vec]:
        """Forward pass at step t with W_t = W_0 + acc. Returns (h, x, f components)."""
        o = self.ops
        L = self.L
        hs: list[Vec] = []
        xs: list[Vec] = []
        dxs: list[Vec] = []
        for i in range(L):
            layer = i + 1
            terms: list[Term] = []
            if i == 0:
                init = {} if o.is_ninf(self.w0[0]) else {"F": self.w0[0]}
                if self.tracing:
                    terms.append(Term("W^1_0 xi", "finite fan-in", self.w0[0]))
                dwx = self.blocks_apply(self.acc[0], None, transpose=False)
                w0dx: Vec = {}
            else:
                init = {}
                w0dx = self.w0_apply(i, dxs[i - 1], transpose=False)
                dwx = self.blocks_apply(self.acc[i], xs[i - 1], transpose=False)
            dh = self.union(w0dx, dwx)
            if h0 is None:  # step 0
                h = init if i == 0 else self.w0_apply(i, xs[i - 1], transpose=False)
                if i > 0 and self.tracing:
                    terms.append(Term(f"W^{layer}_0 x^{layer - 1}_0", "CLT", self.vexp(h)))
                x = self.phi(h)
                dx: Vec = {}
            else:
                h = self.union(h0[i], dh)
                dx = self.phi_delta(h0[i], dh)
                x = self.union(self.x0[i], dx)
                if self.tracing:
                    if i > 0:
                        terms.append(Term(f"W^{layer}_0 dx^{layer - 1}_{t}", "CLT",
                                          self.vexp(w0dx)))
                    terms.append(Term(f"(W^{layer}_{t} - W^{layer}_0) x^{layer - 1}_{t}", "LLN"
                                      if i > 0 else "finite fan-in", self.vexp(dwx)))
            hs.append(h)
            xs.append(x)
            dxs.append(dx)
            if h0 is not None:
                e = self.vexp(dwx)
                self.record("dWx", layer, t, [Term("accumulated low-rank update", "induction",
                                                   e)], e, dwx)
                if i > 0:
                    e = self.vexp(w0dx)
                    self.record("W0dx", layer, t, [Term("i.i.d. part on the feature change",
                                                        "CLT", e)], e, w0dx)
                self.record("dh", layer, t, terms[-2:] if i > 0 else terms[-1:], self.vexp(dh), dh)
                e = self.vexp(dx)
                self.record("dx", layer, t, [Term(f"phi(h) change, {self.act.name}",
                                                  "nonlinearity", e)], e, dx)
            else:
                for q in ("dWx", "dh", "dx") + (("W0dx",) if i > 0 else ()):
                    self.record(q, layer, t, [], o.ninf)
            self.record("h", layer, t, terms, self.vexp(h), h)
            e = self.vexp(x)
            self.record("x", layer, t, [Term(f"phi = {self.act.name}", "nonlinearity", e)], e, x)
        # readout
        i = L
        xL = xs[-1]
        if h0 is None:
            self.x0 = xs
        f0_terms = self.readout_w0(self.x0[-1] if h0 is not None else xL)
        w0dx_out = self.readout_w0(dxs[-1]) if h0 is not None else {}
        dwx_out = self.blocks_apply(self.acc[i], xL, transpose=False) if h0 is not None else {}
        df = self.union(w0dx_out, dwx_out)
        f = self.union(f0_terms, df)
        if h0 is not None:
            e_w0dx, e_dwx = self.vexp(w0dx_out), self.vexp(dwx_out)
            self.record("W0dx", L + 1, t, [Term("readout on the feature change (LLN if "
                                                "backprop-aligned)", "LLN", e_w0dx)], e_w0dx,
                        w0dx_out)
            self.record("dWx", L + 1, t, [Term("readout update on features", "LLN", e_dwx)],
                        e_dwx, dwx_out)
            self.record("df", None, t, [Term(f"W^{L + 1}_0 dx^{L}_{t}", "LLN", e_w0dx),
                                        Term(f"(W^{L + 1}_{t} - W^{L + 1}_0) x^{L}_{t}", "LLN",
                                             e_dwx)], self.vexp(df), df)
        else:
            self.record("W0dx", L + 1, t, [], o.ninf)
            self.record("dWx", L + 1, t, [], o.ninf)
            self.record("df", None, t, [], o.ninf)
        self.record("f", None, t, lambda: [Term(f"W^{L + 1}_0 x^{L}_0", "CLT", self.vexp(f0_terms))]
                    + ([Term("f_t - f_0", "induction", self.vexp(df))] if h0 is not None else []),
                    self.vexp(f), f)
        self._dx = dxs
        return hs, xs, f

    def readout_w0(self, v: Vec) -> Vec:
        """W^{L+1}_0 v: LLN on backprop-aligned (B) components, CLT otherwise."""
        o = self.ops
        w = self.w0[self.L]
        if o.is_ninf(w):
            return {}
        out: Vec = {}
        for k, e in v.items():
            ne = o.add(e, w, o.one if k == "B" else o.half)
            out["S"] = o.mx(out["S"], ne) if "S" in out else ne
        return out

    # ------------------------------------------------------------------ backward
    def backward(self, t: int, xs: list[Vec]) -> list[Vec]:
        o = self.ops
        L = self.L
        gs: list[Vec] = [{} for _ in range(L)]
        # g^L = W^{L+1 T}_t * phi'(h^L): the readout vector (label B) and its updates
        g: Vec = {} if o.is_ninf(self.w0[L]) else {"B": self.w0[L]}
        g = self.union(g, self.blocks_apply(self.acc[L], None, transpose=True))
        gs[L - 1] = g
        self.record("g", L, t, lambda: [Term(f"W^{L + 1}_0 (readout entries)", "multiplier",
                                             o.ninf if o.is_ninf(self.w0[L]) else self.w0[L]),
                                        Term(f"(W^{L + 1}_{t} - W^{L + 1}_0)^T", "induction",
                                             self.vexp(self.blocks_apply(self.acc[L], None, True)))],
                    self.vexp(g), g)
        for i in range(L - 1, 0, -1):  # weight layer index i maps g^{i+1} -> g^{i}
            a = self.w0_apply(i, gs[i], transpose=True)
            b = self.blocks_apply(self.acc[i], gs[i], transpose=True)
            g = self.union(a, b)
            gs[i - 1] = g
            self.record("g", i, t, lambda a=a, b=b, i=i: [  # type: ignore[misc]
                Term(f"W^{i + 1}_0^T g^{i + 1}_{t}", "CLT", self.vexp(a)),
                Term(f"(W^{i + 1}_{t} - W^{i + 1}_0)^T g^{i + 1}_{t}", "LLN", self.vexp(b))],
                self.vexp(g), g)
        return gs

    # ------------------------------------------------------------------ update
    def update(self, t: int, xs: list[Vec], gs: list[Vec], f: Vec) -> list[dict]:
        """Add the step-t update to the accumulated blocks; return the step's own blocks."""
        o = self.ops
        L = self.L
        ef = self.vexp(f)
        chi = o.zero if self.loss == "logistic" else o.mx(o.zero, ef)
        step_blocks: list[dict[tuple[str, str], Exponent]] = []
        for i in range(L + 1):
            layer = i + 1
            left: Vec = {"out": chi} if i == L else self.shift(gs[i], chi)
            right: Vec = {"in": o.zero} if i == 0 else xs[i - 1]
            el, er = self.vexp(left), self.vexp(right)
            grad = o.add(-self.a[i], el, er)  # type: ignore[operator]
            self.record("grad", layer, t, [Term("multiplier n^{-a}", "multiplier", -self.a[i]),  # type: ignore[operator]
                                           Term("loss derivative x backward signal", "induction", el),
                                           Term("input feature", "induction", er)], grad)
            right_eff = right
            if not self.opt.entrywise:
                dterm = o.zero if self.d is None else self.d[i]
                coef = o.add(-self.a[i], -self.a[i], self.neg_c[i], dterm)  # type: ignore[operator]
                u = o.add(coef, el, er)
                rule_txt = "SGD: lr n^{-c} n^{d} times the gradient, times n^{-a}"
            else:
                if o.is_ninf(grad) or o.is_ninf(self.neg_c[i]):
                    u = o.ninf
                    coef = o.ninf
                else:
                    G = grad if self.d is None else o.add(grad, self.d[i])
                    if self.opt.memory == "max":
                        self.norm[i] = o.mx(self.norm[i], G)
                        N = self.norm[i]
                    else:
                        N = G
                    if self.d is not None:
                        N = o.mx(o.zero, N)
                    q = o.sub(G, N)
                    u = o.add(-self.a[i], self.neg_c[i], q)  # type: ignore[operator]
                    coef = o.sub(o.sub(u, el), er)
                    if "M" in right and len(right) > 1 and not self.act.sign_has_mean:
                        # sign(phi(h)) has no mean for leaky-ReLU / GELU: a saturated update
                        # (q = 0) drops the mean part.  Ops with ``mean_gate(e, q)`` keep the
                        # mean component as "present iff q != 0" instead of deciding here.
                        gate = getattr(o, "mean_gate", None)
                        if gate is not None:
                            right_eff = {k: (gate(e, q) if k == "M" else e) for k, e in right.items()}
                        elif o.eq(q, o.zero):
                            right_eff = {k: e for k, e in right.items() if k != "M"}
                rule_txt = (f"{self.opt.name}: entries n^{{-a-c}} Q(.), Q normalizes by its "
                            f"{'history max' if self.opt.memory == 'max' else 'own size'}")
            self.record("dW", layer, t, [Term(rule_txt, "optimizer", u)], u)
            sb: dict[tuple[str, str], Exponent] = {}
            if not o.is_ninf(coef):
                for ll, le in left.items():
                    for rl, re_ in right_eff.items():
                        e = o.add(coef, le, re_)
                        if o.is_ninf(e):
                            continue
                        sb[(ll, rl)] = e
            step_blocks.append(sb)
            acc = self.acc[i]
            for k, e in sb.items():
                acc[k] = o.mx(acc[k], e) if k in acc else e
        return step_blocks

    # ------------------------------------------------------------------ per-step output change
    def step_change(self, t: int, xs: list[Vec], hs: list[Vec], step_blocks: list[dict]) -> None:
        """First-order change f_{t+1} - f_t caused by the step-t update."""
        L = self.L
        dx_prev: Vec = {}
        for i in range(L):
            parts = [self.blocks_apply(step_blocks[i], None if i == 0 else xs[i - 1], False)]
            if i > 0:
                parts.append(self.w0_apply(i, dx_prev, False))
                parts.append(self.blocks_apply(self.acc[i], dx_prev, False))
            dh = self.union(*parts)
            dx_prev = self.phi_delta(hs[i], dh)
        parts = [self.readout_w0(dx_prev), self.blocks_apply(self.acc[L], dx_prev, False),
                 self.blocks_apply(step_blocks[L], xs[-1], False)]
        d = self.union(*parts)
        self.record("df_step", None, t, lambda: [
            Term("propagated change of the features", "LLN",
                 self.vexp(self.union(parts[0], parts[1]))),
            Term("readout update", "LLN", self.vexp(parts[2]))], self.vexp(d), d)

    # ------------------------------------------------------------------ driver
    def run(self, steps: int | None, max_steps: int, stop: Callable[[], bool]) -> tuple[int, int | None]:
        h0: list[Vec] | None = None
        t = 0
        stationary: int | None = None
        while True:
            self.t_now = t
            hs, xs, f = self.forward(t, h0)
            if h0 is None:
                h0 = hs
            gs = self.backward(t, xs)
            before = [dict(b) for b in self.acc]
            norm_before = list(self.norm)
            sb = self.update(t, xs, gs, f)
            self.step_change(t, xs, hs, sb)
            same = getattr(self.ops, "same_state", None)
            if same is not None:  # ops that can test "identical" without recording anything
                unchanged = same(before, self.acc) and same(norm_before, self.norm)
            else:
                unchanged = (not self.ops.symbolic and before == self.acc and norm_before == self.norm)
            if steps is not None:
                # later steps repeat this one; derive() copies them.  Numeric runs stop too unless
                # traced (a derivation document shows every step asked for): classify --steps
                # 1000 at depth 1000 is stationary from step 2
                if unchanged and t < steps and (same is not None or not self.tracing):
                    stationary = t
                    break
                if t >= steps:
                    break
            else:
                if unchanged:
                    stationary = t
                    break
                if t >= max_steps or stop():
                    break
            t += 1
        return t, stationary


class RepeatedSteps(Mapping):
    """The exponents of steps ``0..last`` of a run stationary from step ``s < last``: those of
    steps ``0..s`` (``base``), and every key ``(q, layer, t)`` with ``s < t <= last`` read as
    ``(q, layer, s)``.  A read-only mapping equal to the dict with the copies written out
    (same keys in the same order, same values) at the cost of ``base`` alone: the exact cells
    run ``2 (L + 1) + 6`` steps, so the copies were O(L^2) entries per cell."""

    __slots__ = ("base", "s", "last", "_at_s")

    def __init__(self, base: dict, s: int, last: int) -> None:
        self.base, self.s, self.last = base, s, last
        self._at_s = [k for k in base if k[2] == s]

    def __getitem__(self, key: tuple) -> Any:
        q, layer, t = key
        if isinstance(t, int) and self.s < t <= self.last:
            key = (q, layer, self.s)
            if key not in self.base:
                raise KeyError((q, layer, t))
        return self.base[key]

    def __iter__(self) -> Iterator[tuple]:
        yield from self.base
        for q, layer, _ in self._at_s:
            for t in range(self.s + 1, self.last + 1):
                yield (q, layer, t)

    def __len__(self) -> int:
        return len(self.base) + len(self._at_s) * (self.last - self.s)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return False
        return True


def same_structure(a: Any, b: Any, same_leaf: Callable[[Any, Any], bool]) -> bool:
    """Equality of two engine states (nested dicts/lists/tuples of exponents) with the leaves
    compared by ``same_leaf``: the building block of an ops object's ``same_state``."""
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(same_structure(v, b[k], same_leaf) for k, v in a.items()))
    if isinstance(a, list | tuple):
        return (isinstance(b, list | tuple) and len(a) == len(b)
                and all(same_structure(x, y, same_leaf) for x, y in zip(a, b, strict=True)))
    return same_leaf(a, b)


def default_horizon(depth: int) -> int:
    """The cap of a default run, ``T = 2 (L + 1) + 6`` steps: the run stops earlier only when
    its exponents are stationary or one step after a blow-up, so a stable run that is not
    stationary by then is reported over steps ``0..T``."""
    return 2 * (depth + 1) + 6


def derive(
    parametrization: Parametrization,
    optimizer: str | Optimizer = "sgd",
    activation: str | Activation = "tanh",
    *,
    loss: str = "mse",
    steps: int | None = None,
    trace: bool = True,
    ops: Any = None,
    on_record: Callable[[str, int | None, int, Exponent], None] | None = None,
    horizon: int | None = None,
) -> EngineResult:
    """Run the power counting for ``parametrization`` (depth = ``len(a) - 1``).

    Parameters
    ----------
    steps : int, optional
        Compute steps 0..steps exactly.  Default: run until the exponents are stationary (the
        accumulated update stops growing; then every later step repeats), stopping early once an
        exponent blows up, with a cap of ``2 (L + 1) + 6`` steps (a degenerate initialization can
        need about one step per layer to lift).  Symbolic exponents default to ``L + 3`` steps.
    horizon : int, optional
        The cap of a default run (``steps`` None) in place of :func:`default_horizon`; the run
        still stops at stationarity or one step after a blow-up.
    ops, on_record : optional
        Hooks for exact regions (the cells of :mod:`widthlimits.theory.regions.cell`): ``ops`` replaces
        the max-plus arithmetic (an object with the interface of ``MaxPlusOps``: ``symbolic, ninf,
        zero, half, one, conv, out, mx, mn, is_ninf, add, sub, eq``; optionally
        ``same_state(a, b)``, an exact "identical" test that records nothing: then the run stops
        at the first stationary step even with ``steps`` given, and the exponents of the later
        steps read as its own, :class:`RepeatedSteps`) and
        ``on_record(quantity, layer, step, exponent)`` is called for every recorded exponent (in
        the ops' internal representation).
        Both default to ``None``: the ordinary numeric or sympy arithmetic, no callback.

    Examples
    --------
    >>> from widthlimits.theory.presets import preset
    >>> r = derive(preset("mup", 2, "sgd"))
    >>> r.get("dx", 2, 1), r.get("df", None, 1), r.get("f", None, 0)
    (Fraction(0, 1), Fraction(0, 1), Fraction(-1, 2))
    """
    opt = get_optimizer(optimizer)
    act = get_activation(activation)
    if loss not in ("mse", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; choose 'mse' or 'logistic'")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 0):
        raise ValueError(f"`steps` must be an int >= 0, got {steps!r}")
    eng = _Engine(parametrization, opt, act, loss, trace, ops=ops, on_record=on_record)
    L = parametrization.depth
    if eng.ops.symbolic and steps is None and getattr(eng.ops, "same_state", None) is None:
        steps = L + 3  # without an exact "identical" test a symbolic run cannot detect stationarity
    if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int)
                                or horizon < 1):
        raise ValueError(f"`horizon` must be an int >= 1, got {horizon!r}")
    max_steps = default_horizon(L) if horizon is None else horizon

    def stop() -> bool:
        # stop one step after the first blow-up: instability is established
        return eng.first_blowup is not None and eng.t_now >= eng.first_blowup + 1

    last, stationary = eng.run(steps, max_steps, stop)
    repeat_to = None
    if steps is not None and last < steps and stationary is not None:
        # stopped at a stationary step although more were asked for (ops with ``same_state``):
        # every later step repeats step ``stationary`` exactly (induction over steps)
        repeat_to = last = steps
    conv = eng.ops.out
    memo: dict[Any, Exponent] = {}

    def memoized(e: Exponent) -> Exponent:  # one conversion per distinct value (copies repeat)
        v = memo.get(e)  # numeric: scaled ints and +-inf
        if v is None:
            v = memo[e] = conv(e)
        return v

    out = conv if eng.ops.symbolic else memoized  # affine values compare with side effects

    return EngineResult(
        parametrization=parametrization,
        optimizer=opt,
        activation=act,
        loss=loss,
        depth=L,
        steps=last,
        stationary_from=stationary,
        exponents=(RepeatedSteps({k: out(e) for k, e in eng.ex.items()}, stationary, repeat_to)
                   if repeat_to is not None else {k: out(e) for k, e in eng.ex.items()}),
        trace=tuple(eng.trace),
        normalizer={i: out(e) for i, e in enumerate(eng.norm)},
    )
