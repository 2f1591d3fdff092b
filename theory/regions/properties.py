"""Wanted properties as conditions on the engine's exponents: one definition for a point and
for a region.

A property (``stable``, ``nontrivial``, ``feature_learning``, ``mf_limit``, ...) is a
conjunction of :class:`Condition` s, each a sentence about layers and steps and a Boolean
combination of sign conditions on exponents (``e > 0``, ``e = 0``, ``e < 0``).  The definitions
are those of :mod:`widthlimits.theory.classify` (TP4 Sec. 3; TP IVb Sec. 2.8; Golikov 2020,
arXiv:2003.05884, Sec. 4 for ``mf_limit``), over the steps ``0..T`` of one engine run:

* stable: :math:`h^l_t, x^l_t, f_t = O(1)` for ``t <= T`` and :math:`f_{T+1} - f_T = O(1)`;
* nontrivial: stable and :math:`f_t - f_0 = \\Theta(1)` at some step ``1..T``;
* feature learning in layer l: :math:`x^l_t - x^l_0 = \\Theta(1)` at some step; the regime
  ``feature_learning``: nontrivial and some layer learns features; ``kernel`` / ``operator``:
  nontrivial and none does (SGD-type / entrywise optimizers);
* maximal update of layer l: :math:`(W^l_t - W^l_0) x^{l-1}_t = \\Theta(1)` at some step;
* discrete time: stable and :math:`f_{T+1} - f_T = \\Theta(1)`;
* ``mf_limit`` (Golikov): stable, nontrivial, discrete time, every hidden layer learns features.

The same code evaluates them on numbers (:class:`NumericLogic`, a classified point: see
:func:`has_property`) and builds formulas over SMT terms (``Z3Logic`` in
:mod:`widthlimits.theory.regions.existence`); the tests check the two against
:func:`~widthlimits.theory.classify.classify` on thousands of points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: properties accepted in ``want`` (conjunction; prefix ``not-`` negates; also ``fl<l>``, ``mu<l>``)
PROPERTIES = ("stable", "unstable", "stable_at_init", "degenerate_at_init", "moves", "nontrivial",
              "trivial", "feature_learning", "kernel", "operator", "fl_all", "maximal_update",
              "discrete_time", "mf_limit")

_WHAT = {"h": "the pre-activation h^{l}", "x": "the activation x^{l}", "f": "the output f",
         "df": "the output change f_t - f_0", "dx": "the feature change x^{l}_t - x^{l}_0",
         "dWx": "the effective update (W^{l}_t - W^{l}_0) x^{l-1}_t",
         "df_step": "the per-step change f_{t+1} - f_t"}


class Logic(Protocol):
    """Sign conditions on exponents and Boolean connectives (numbers or formulas)."""

    def pos(self, e: Any) -> Any: ...
    def zero(self, e: Any) -> Any: ...
    def neg(self, e: Any) -> Any: ...
    def nonneg(self, e: Any) -> Any: ...
    def all(self, xs: Sequence[Any]) -> Any: ...
    def any(self, xs: Sequence[Any]) -> Any: ...
    def not_(self, x: Any) -> Any: ...


class NumericLogic:
    """The logic on exact exponents (``Fraction`` or ``-inf``): plain booleans."""

    def pos(self, e: Any) -> bool:
        return e > 0

    def zero(self, e: Any) -> bool:
        return e == 0

    def neg(self, e: Any) -> bool:
        return e < 0

    def nonneg(self, e: Any) -> bool:
        return e >= 0

    def all(self, xs: Sequence[Any]) -> bool:
        return all(xs)

    def any(self, xs: Sequence[Any]) -> bool:
        return any(xs)

    def not_(self, x: Any) -> bool:
        return not x


@dataclass(frozen=True)
class Condition:
    """One condition of a property: a sentence and its truth (a bool or a formula)."""

    text: str
    holds: Any


def _name(q: str, layer: int | None) -> str:
    return _WHAT[q].replace("{l}", str(layer)).replace("{l-1}", str((layer or 1) - 1))


def parse_want(want: str | Sequence[str], depth: int) -> tuple[str, ...]:
    """``"nontrivial,fl_all"`` -> ``("nontrivial", "fl_all")``, validated (ValueError)."""
    items = [w.strip() for w in (want.split(",") if isinstance(want, str) else want)]
    if not items or any(not w for w in items):
        raise ValueError(f"`want` has an empty entry: {want!r}")
    for w in items:
        base = w[4:] if w.startswith("not-") else w
        if base in PROPERTIES:
            continue
        for pre, hi in (("fl", depth), ("mu", depth + 1)):
            if base.startswith(pre) and base[len(pre):].isascii() and base[len(pre):].isdigit():
                l = int(base[len(pre):])
                if not 1 <= l <= hi:
                    raise ValueError(f"`want` {w!r}: layer must be in 1..{hi}")
                break
        else:
            raise ValueError(f"unknown property {w!r} in `want`; choose from "
                             f"{', '.join(PROPERTIES)}, fl<l>, mu<l> (or not-<property>)")
    return tuple(items)


def contradiction(wants: Sequence[str]) -> tuple[str, str] | None:
    """A property wanted together with its own negation (``p`` and ``not-p``): no point has
    both, so the answer is empty without looking at any exponent."""
    ws = set(wants)
    for w in wants:
        if f"not-{w}" in ws:
            return w, f"not-{w}"
    return None


def conditions(name: str, ex: Mapping[tuple[str, int | None, int], Any], depth: int, steps: int,
               entrywise: bool, logic: Logic, distinct: int | None = None) -> list[Condition]:
    """The conditions whose conjunction is property ``name`` for exponents ``ex`` over steps
    ``0..steps`` (``ex[(quantity, layer, step)]``, layer ``None`` for the output).

    ``distinct``: the last step whose exponents are not copies of an earlier step's
    (:attr:`~widthlimits.theory.engine.EngineResult.last_distinct_step`); the conditions read steps up to
    it only, which decides the same (every later exponent repeats it).  Default: ``steps``."""
    L, T, lg = depth, steps, logic
    Tc = T if distinct is None else min(T, distinct)

    def at_most_one(q: str, l: int | None, t: int) -> Condition:
        return Condition(f"stability: {_name(q, l)} stays O(1) at step {t}",
                         lg.not_(lg.pos(ex[(q, l, t)])))

    def stability(ts: range) -> list[Condition]:
        out = [at_most_one(q, l, t) for t in ts for l in range(1, L + 1) for q in ("h", "x")]
        out += [at_most_one("f", None, t) for t in ts]
        return out

    def stable() -> list[Condition]:
        return stability(range(Tc + 1)) + [Condition(
            f"stability: {_name('df_step', None)} stays O(1) (step {T})",
            lg.not_(lg.pos(ex[("df_step", None, T)])))]

    def moves_at(q: str, l: int | None) -> Any:
        # Theta(1) is "e >= 0" here: every caller conjoins stability, under which e <= 0 (f_t -
        # f_0, x_t - x_0, (W_t - W_0) x and f_{t+1} - f_t are terms of the maxima that make
        # f_t, x_t, h_t and the stable per-step change), so e == 0 iff e >= 0; the one-sided
        # form lets the region engine emit one side of each max (smt_ops, polarity)
        return lg.any([lg.nonneg(ex[(q, l, t)]) for t in range(1, Tc + 1)])

    def moves() -> Condition:
        return Condition(f"non-trivial: {_name('df', None)} is Theta(1) at some step 1..{T}",
                         moves_at("df", None))

    def fl(l: int) -> Condition:
        return Condition(f"feature learning in layer {l}: {_name('dx', l)} is Theta(1) at some "
                         f"step 1..{T}", moves_at("dx", l))

    def mu(l: int) -> Condition:
        return Condition(f"maximal update of layer {l}: {_name('dWx', l)} is Theta(1) at some "
                         f"step 1..{T}", moves_at("dWx", l))

    def some_fl() -> Condition:
        return Condition("feature learning: some hidden layer's features move Theta(1)",
                         lg.any([fl(l).holds for l in range(1, L + 1)]))

    def discrete() -> Condition:
        # callers conjoin stability, which bounds this exponent by 0 (see moves_at)
        return Condition(f"discrete time: {_name('df_step', None)} is Theta(1) (step {T})",
                         lg.nonneg(ex[("df_step", None, T)]))

    def conj(cs: list[Condition]) -> Any:
        return lg.all([c.holds for c in cs])

    if name.startswith("not-"):
        return [Condition(f"not {name[4:]}",
                          lg.not_(conj(conditions(name[4:], ex, L, T, entrywise, lg,
                                                  distinct))))]
    table: dict[str, Callable[[], list[Condition]]] = {
        "stable": stable,
        "unstable": lambda: [Condition("unstable: some exponent of h, x, f blows up",
                                       lg.not_(conj(stable())))],
        "stable_at_init": lambda: stability(range(1)),
        "degenerate_at_init": lambda: [Condition(
            "degenerate at init: some pre-activation h^l_0 vanishes",
            lg.any([lg.neg(ex[("h", l, 0)]) for l in range(1, L + 1)]))],
        "moves": lambda: stable() + [moves()],
        "nontrivial": lambda: stable() + [moves()],
        "trivial": lambda: stable() + [Condition(
            f"trivial: {_name('df', None)} vanishes at every step 1..{T}",
            lg.not_(moves_at("df", None)))],
        "feature_learning": lambda: stable() + [moves(), some_fl()],
        "kernel": lambda: stable() + [moves(), Condition(
            "kernel: no hidden layer's features move Theta(1)", lg.not_(some_fl().holds)),
            Condition("kernel: an SGD-type optimizer", not entrywise)],
        "operator": lambda: stable() + [moves(), Condition(
            "operator: no hidden layer's features move Theta(1)", lg.not_(some_fl().holds)),
            Condition("operator: an entrywise optimizer", entrywise)],
        "fl_all": lambda: stable() + [fl(l) for l in range(1, L + 1)],
        "maximal_update": lambda: stable() + [mu(l) for l in range(1, L + 2)],
        "discrete_time": lambda: stable() + [discrete()],
        "mf_limit": lambda: stable() + [moves(), discrete()] + [fl(l) for l in range(1, L + 1)],
    }
    if name in table:
        return table[name]()
    for pre, make in (("fl", fl), ("mu", mu)):
        if name.startswith(pre) and name[len(pre):].isascii() and name[len(pre):].isdigit():
            return stable() + [make(int(name[len(pre):]))]
    raise ValueError(f"unknown property {name!r}")


def has_property(classification: Any, name: str) -> bool:
    """Property ``name`` at one classified point (a
    :class:`~widthlimits.theory.classify.Classification`), over the steps its engine run
    computed."""
    e = classification.engine
    cs = conditions(name, e.exponents, e.depth, e.steps, e.optimizer.entrywise, NumericLogic(),
                    e.last_distinct_step)
    return all(c.holds for c in cs)


def wanted(classification: Any, want: Sequence[str]) -> bool:
    """Every property of ``want`` holds at the classified point."""
    return all(has_property(classification, w) for w in want)


def minimal_conflict(want: Sequence[str], holds_somewhere: Callable[[list[str]], bool]
                     ) -> tuple[str, ...]:
    """A minimal subset of ``want`` that never holds together (deletion filter: drop each
    property in turn while the rest still never holds).  ``holds_somewhere(props)``: some
    point of the space has every property of ``props``; ``want`` itself must never hold."""
    keep = list(want)
    i = 0
    while i < len(keep):
        trial = keep[:i] + keep[i + 1:]
        if not holds_somewhere(trial):
            keep = trial
        else:
            i += 1
    return tuple(keep)


def needs_stability(want: Sequence[str]) -> bool:
    """Every wanted property implies stability (then the MSE and logistic runs coincide)."""
    return all(not w.startswith("not-") and w not in ("unstable", "stable_at_init",
                                                       "degenerate_at_init") for w in want)
