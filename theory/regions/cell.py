"""One cell: a convex polyhedron around a rational point on which the verdict is constant.

Run the engine at a rational point :math:`z_0` of the free coordinates on affine values
(:mod:`widthlimits.theory.regions.affine`); the classification is then evaluated by the
unmodified :func:`widthlimits.theory.classify.classify_result` on those values, and each
comparison it makes records the sign of an affine difference that keeps its outcome.  The cell
:math:`C(z_0)` is the set where the recorded conditions hold: a convex rational polyhedron
containing :math:`z_0` on which every verdict of the classifier is constant (its control flow
only depends on the outcomes of its comparisons).  The verdict carried is the ordinary
:class:`~widthlimits.theory.classify.Classification` of the exact exponents at :math:`z_0`;
:func:`verdict_key` lists the fields that are constant on the cell.

Collapse.  An unstable verdict needs only one blown-up exponent ``e > 0`` under its own
provenance (and the step-0 facts it reports); a stable cell whose verdict lacks a wanted
property may certify just that failure (``Cell.partial``: the signs of one failing condition's
exponents), so it is much larger than the full-verdict cell.

Horizon.  The engine runs for ``T = 2 (L + 1) + 6`` steps (:func:`horizon_steps`), the cap of its
default run.  Its default stops earlier only when the exponents are stationary (later steps
repeat, so every verdict over ``0..T`` is the same) or one step after a blow-up (then the verdict
is "unstable" either way), so the verdicts agree with
:func:`~widthlimits.theory.classify.classify` (tested on random points).

Loss.  For MSE the engine runs the logistic loss: on the stable set :math:`f_t = O(1)` at every
step, so the loss derivative is :math:`\\Theta(1)` for both and the runs coincide step by step;
a run is stable for one loss iff it is for the other.  The logistic run avoids the feedback
terms that cut the unstable region into many cells.

Definitions of the properties: :mod:`widthlimits.theory.regions.properties` (TP4 Sec. 3; TP IVb,
Yang & Littwin 2023, arXiv:2308.01814, Sec. 2.8; Golikov 2020, arXiv:2003.05884, Sec. 4).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from widthlimits.theory.activations import Activation
from widthlimits.theory.classify import Classification, classify_result
from widthlimits.theory.engine import RepeatedSteps, default_horizon, derive
from widthlimits.theory.exponents import is_pos_inf
from widthlimits.theory.golikov import is_mf_limit
from widthlimits.theory.parametrization import layer_list
from widthlimits.theory.regions.affine import AffineValue, Recorder, linear_form
from widthlimits.theory.regions.frame import CellFrame
from widthlimits.theory.regions.partition import CellInterrupted
from widthlimits.theory.regions.polyhedra import Constraint, satisfies, tightest
from widthlimits.theory.regions.properties import wanted


class PieceStationarity:
    """Whether a piece's verdict holds at every step (``RegionPiece.all_steps``, a phase
    diagram's pieces): the cell's own run says so (:attr:`Classification.all_steps`), or, for a
    piece of lower dimension, one more run is stationary on its equalities
    (:meth:`CellEngine.stationary_on`).  The engine for those runs is made on first use."""

    def __init__(self, frame: CellFrame, activation: Activation, loss: str, horizon: int) -> None:
        self._args = (frame, activation, loss, horizon)
        self._engine: CellEngine | None = None

    def __call__(self, verdict: Classification, piece: Sequence[Constraint],
                 point: Sequence[Fraction]) -> bool:
        if verdict.all_steps:
            return True
        if not any(r == "==" for _, r in piece):
            return False
        if self._engine is None:
            self._engine = CellEngine(*self._args)
        return self._engine.stationary_on(piece, point)


def horizon_steps(depth: int, steps: int | None = None) -> int:
    """Steps ``0..T`` every region verb classifies over: ``steps`` when given, else the
    engine's default horizon :func:`~widthlimits.theory.engine.default_horizon`,
    ``T = 2 (L + 1) + 6``."""
    return default_horizon(depth) if steps is None else steps


def verdict_key(c: Classification) -> tuple:
    """The fields of a cell's verdict that are constant on the cell, as a hashable key (the
    grouping of pieces by verdict): regime, stability at init and later, degeneracy,
    non-triviality, feature-learning and maximal-update layers, discrete time, Golikov's
    mean-field criterion."""
    return (c.regime, c.stable, c.stable_at_init, c.degenerate_at_init, c.nontrivial,
            tuple(c.feature_learning_layers), tuple(c.maximal_update_layers),
            bool(c.discrete_time) if c.stable else False, is_mf_limit(c))


def verdict_label(c: Classification) -> str:
    """Short text of every field of :func:`verdict_key`, so that two pieces with one label have
    one verdict: regime, feature-learning and maximal-update layers, discrete/continuous time,
    an unstable initialization and a degenerate one, e.g. ``"feature_learning (FL layers 1,2;
    MU layers 1-3), discrete-time"`` (``"FL layers 1-30"`` at depth 30:
    :func:`~widthlimits.theory.parametrization.layer_list`).  Golikov's criterion
    (``is_mf_limit``) is a function of these."""
    s = str(c.regime)
    layers = []
    if c.feature_learning_layers:  # also in a trivial limit whose output does not see them
        layers.append("FL layers " + layer_list(c.feature_learning_layers))
    if c.stable and c.maximal_update_layers:
        layers.append("MU layers " + layer_list(c.maximal_update_layers))
    if layers:
        s += " (" + "; ".join(layers) + ")"
    if not c.stable and not c.stable_at_init:
        s += " at init"
    if c.stable and c.nontrivial:
        s += ", discrete-time" if c.discrete_time else ", continuous-time"
    if c.degenerate_at_init:
        s += ", degenerate at init"
    return s


def verdict_record(c: Classification) -> dict[str, Any]:
    """The fields of :func:`verdict_key` and the label, JSON-ready."""
    regime, st, st0, deg, nt, fl, mu, dt, mf = verdict_key(c)
    return {"regime": str(regime), "stable": st, "stable_at_init": st0, "degenerate_at_init": deg,
            "nontrivial": nt, "moves": nt, "feature_learning_layers": list(fl),
            "maximal_update_layers": list(mu), "discrete_time": dt, "mf_limit": mf,
            "label": verdict_label(c)}


#: affine exponents that the cells of one engine keep as :attr:`Cell.forms`, in computation order
#: (about 300 bytes each): why-not reads the first cells of a cover (12 by default), and
#: recomputing a cell costs seconds at depth 40.  Depth 10: every cell's forms up to the 12th
#: (about 2,000 exponents each); depth 40: 7 cells (32,600); depth 100: 1 cell (189,000)
FORMS_KEPT = 250_000
#: cells a why-not reads (:func:`widthlimits.theory.regions.why_not.why_not`'s ``max_cells``)
WHY_NOT_CELLS = 12


@dataclass(frozen=True)
class Cell:
    """A convex polyhedron (``constraints``, containing ``point``) on which every exponent is
    affine and the verdict is constant.

    ``verdict`` is the exact :class:`~widthlimits.theory.classify.Classification` at ``point``;
    the fields of :func:`verdict_key` are constant on the cell (when ``partial``: only the
    failure of one wanted property is certified).  ``forms``: the exponents' affine forms on the
    cell and the constraints under which they are affine (:meth:`CellEngine.forms`, what why-not
    reads), kept by the first cells of an engine only, :data:`FORMS_KEPT` exponents in all (None
    on the others: megabytes per cell at depth 40, recomputed on demand).  For the MSE loss the run
    classified is the logistic one (``verdict.engine.loss``; see the module docstring): its
    exponents are those of MSE on the stable set, and its verdict fields are the same everywhere."""

    constraints: tuple[Constraint, ...]
    point: tuple[Fraction, ...]
    verdict: Classification
    partial: bool = False
    forms: tuple[dict, tuple[Constraint, ...]] | None = field(default=None, repr=False,
                                                              compare=False)

    def contains(self, z: Sequence[Fraction]) -> bool:
        return satisfies(z, self.constraints)


class CellEngine:
    """Runs the engine and the classifier on cells of one frame (caches the sympy conversions
    of the parametrization's exponents to affine forms)."""

    def __init__(self, frame: CellFrame, activation: Activation, loss: str,
                 steps: int | None = None, deadline: float | None = None) -> None:
        #: a ``time.time()`` value: a cell still in the engine then raises CellInterrupted
        self.deadline = deadline
        self.frame = frame
        self.act = activation
        self.loss = loss
        self.p_sym = frame.parametrization()
        self.symbols = frame.symbols()
        self.d = len(self.symbols)
        self.T = horizon_steps(frame.depth, steps)
        self.cache: dict[Any, tuple[int, ...]] = {}
        D = 2
        for v in (*self.p_sym.a, *self.p_sym.b, *self.p_sym.c, *(self.p_sym.d or ())):
            if is_pos_inf(v):
                continue
            for k in linear_form(v, self.symbols):
                D = math.lcm(D, k.denominator)
        self.D = D
        self.runs = 0
        self.seconds = 0.0
        # one object per key and per exact value across the cells: every cell's verdict keeps
        # its engine run's exponents (what wanted() reads): up to L * T of them (depth 40:
        # 32,600 keys, 2,400 distinct values per cell, 6.8 MB per cell unshared, 1.3 MB
        # shared), those of the steps up to stationarity when the run is stationary
        # (RepeatedSteps reads the later steps as copies)
        self._forms_left = FORMS_KEPT  # affine exponents the next cells may keep as forms
        self._keys: dict[tuple, tuple] = {}
        self._values: dict[Any, Any] = {}

    def _exact(self, rec: Recorder, exponents: dict) -> dict:
        """The exact exponents at the recorder's point, keys and values shared across cells."""
        keys = self._keys
        scale = rec.D * rec.Dz  # an affine value's exponent at z0 is v / scale
        if isinstance(exponents, RepeatedSteps):  # the steps after stationarity stay copies
            return RepeatedSteps({keys.setdefault(k, k): self._exact_value(e, scale)
                                  for k, e in exponents.base.items()}, exponents.s, exponents.last)
        return {keys.setdefault(k, k): self._exact_value(e, scale) for k, e in exponents.items()}

    def _exact_value(self, e: Any, scale: int) -> Any:
        if not isinstance(e, AffineValue):
            return e
        g = math.gcd(e.v, scale)  # keyed by ints in lowest terms (a Fraction's hash is slow)
        key = (e.v // g, scale // g)
        x = self._values.get(key)
        if x is None:
            x = self._values[key] = Fraction(*key)
        return x

    def _run(self, z0: tuple[Fraction, ...], hull: Sequence[tuple[Fraction, ...]] = ()
             ) -> tuple[Recorder, Any, dict[tuple, int]]:
        """The engine on affine values at ``z0``: the recorder, the result and, per recorded
        exponent, how many constraints had been recorded before it.  ``hull``: equalities
        of a set containing z0 on which stationarity is tested (:meth:`Recorder.same_state`)."""
        rec = Recorder(self.d, z0, self.cache, self.symbols, self.D, hull)
        # MSE: on the stable set f_t = O(1) at every step, so the loss derivative max(1, |f|) is
        # Theta(1) as for the logistic loss and the two runs coincide step by step; a run is
        # stable for one loss iff it is for the other.  The logistic run avoids the feedback
        # terms k (1 - c) that cut the unstable region into many cells.
        eff_loss = "logistic" if self.loss == "mse" else self.loss
        pos: dict[tuple, int] = {}
        deadline = self.deadline

        def on_record(q: str, layer: int | None, t: int, value: Any) -> None:
            pos[(q, layer, t)] = len(rec.cons)
            if deadline is not None and not len(pos) % 64 and time.time() > deadline:
                raise CellInterrupted

        res = derive(self.p_sym, self.frame.optimizer, self.act, loss=eff_loss, steps=self.T,
                     trace=False, ops=rec, on_record=on_record)
        res = dataclasses.replace(res, parametrization=self.frame.parametrization_at(z0))
        return rec, res, pos

    def stationary_on(self, constraints: Sequence[Constraint], z0: Sequence[Fraction]) -> bool:
        """Whether the run at ``z0`` is stationary on the whole piece ``constraints`` (a subset
        of z0's cell, with its equalities explicit, e.g. simplified): its engine state repeats
        on the piece's affine hull from some step within the horizon, so every later step
        repeats too and the verdict holds at every step (:attr:`Classification.all_steps`).

        A cell's own run only sees identical forms as a repeat; on a piece of lower dimension
        forms that differ off the piece can agree on it.  One engine run."""
        hull = [f for f, r in constraints if r == "=="]
        if not hull:
            return False
        _, res, _ = self._run(tuple(Fraction(x) for x in z0), hull)
        return res.stationary_from is not None

    def forms(self, z0: Sequence[Fraction]) -> tuple[dict, tuple[Constraint, ...]]:
        """The exponents at ``z0`` as affine forms (with their values at ``z0``; no provenance)
        and the constraints under which every one of them is affine: what why-not reads.  Only
        the first cells of an engine keep them (:attr:`Cell.forms`; at depth 40 they are
        megabytes per cell, and a cover has hundreds of cells); the run is deterministic, so for
        the others they are recomputed here, those of ``z0``'s cell."""
        rec, res, _ = self._run(tuple(Fraction(x) for x in z0))
        return self._forms(rec, res)

    @staticmethod
    def _forms(rec: Recorder, res: Any, n_cons: int | None = None) -> tuple[dict, tuple[Constraint, ...]]:
        # the engine's constraints only (the first ``n_cons`` recorded, before the classifier's)
        ex = {k: AffineValue(e.f, e.v, None) if isinstance(e, AffineValue) else e  # type: ignore[arg-type]
              for k, e in res.exponents.items()}
        cons = list(itertools.islice(rec.cons, n_cons))  # dict: in recording order
        return ex, tuple(tightest(cons))

    def cell(self, z0: Sequence[Fraction], want: Sequence[str] | None = None) -> Cell:
        """The cell of ``z0``.  With ``want``: if the verdict at z0 lacks a wanted property, the
        cell only certifies that (``Cell.partial``): its constraints are those of one failing
        condition (the smallest), so it can be much larger than the full-verdict cell."""
        t0 = time.perf_counter()
        z0 = tuple(Fraction(x) for x in z0)
        rec, res, pos = self._run(z0)
        n_engine = len(rec.cons)
        c = classify_result(res)  # on affine values: records the sign of every comparison
        # the verdict carried: the ordinary classification of the exact exponents at z0
        v = classify_result(dataclasses.replace(
            res, exponents=self._exact(rec, res.exponents),
            normalizer=self._exact(rec, res.normalizer)))
        ex = res.exponents
        partial = False
        if c.stable:
            # the classifier's outcomes hold on the constraints their operands depend on
            mask = rec.verdict_mask | rec.global_mask
            if want is not None and not wanted(v, want):
                alt = self._failing_masks(rec, res.exponents, v, want)
                if alt:
                    mask = min(alt, key=int.bit_count) | rec.global_mask
                    partial = True
        else:
            # collapse: an unstable verdict only needs the step-0 facts it reports and one
            # blown-up exponent e > 0 (a violation of the classifier's stability test), valid
            # under its own provenance; take the one with the fewest constraints
            cands = [(ex[k].lo.bit_count(), pos[k], k) for k in pos if k[0] in ("h", "x", "f")
                     and isinstance(ex[k], AffineValue) and ex[k].v > 0]
            vexp = ex[min(cands)[2]] if cands else c.violations[0].exponent
            mask = rec.global_mask | _keep_sign(rec, vexp, positive=True)
            for l in range(1, self.frame.depth + 1):
                for q in ("h", "x"):
                    mask |= _keep_sign(rec, ex[(q, l, 0)], positive=True)
                mask |= _keep_sign(rec, ex[("h", l, 0)], positive=False)
            mask |= _keep_sign(rec, ex[("f", None, 0)], positive=True)
        self.runs += 1
        self.seconds += time.perf_counter() - t0
        forms = None
        if self.runs <= WHY_NOT_CELLS and self._forms_left >= len(res.exponents):
            self._forms_left -= len(res.exponents)
            forms = self._forms(rec, res, n_engine)
        return Cell(tuple(tightest(rec.select(mask))), z0, v, partial, forms)

    def _failing_masks(self, rec: Recorder, ex: dict, v: Classification, want: Sequence[str]) -> list[int]:
        """Certificates (constraint masks) of wanted conditions that fail at z0 on a stable
        cell: "f_t - f_0 != Theta(1) at every step", "x^l_t - x^l_0 != Theta(1) at every step",
        "f_{t+1} - f_t != Theta(1)" -- each the signs of those exponents and their provenance."""
        L, T = self.frame.depth, v.engine.last_distinct_step  # later steps repeat it

        def never_zero(keys: list[tuple]) -> int | None:
            m = 0
            for k in keys:
                e = ex[k]
                if not isinstance(e, AffineValue):
                    continue
                if e.v == 0:
                    return None
                m |= rec.sign(e.f, e.v) | e.cert(e.v > 0)
            return m

        ws = set(want)
        out: list[int] = []
        needs_moves = ws & {"nontrivial", "moves", "mf_limit", "feature_learning", "kernel", "operator"}
        if needs_moves and not v.nontrivial:
            m = never_zero([("df", None, t) for t in range(1, T + 1)])
            if m is not None:
                out.append(m)
        fl_layers = set()
        if ws & {"fl_all", "mf_limit"}:
            fl_layers |= set(range(1, L + 1))
        fl_layers |= {int(w[2:]) for w in ws if w.startswith("fl") and w[2:].isdigit()}
        for l in sorted(fl_layers - set(v.feature_learning_layers)):
            m = never_zero([("dx", l, t) for t in range(1, T + 1)])
            if m is not None:
                out.append(m)
        if ws & {"discrete_time", "mf_limit"} and not v.discrete_time:
            m = never_zero([("df_step", None, T)])
            if m is not None:
                out.append(m)
        return out


def _keep_sign(rec: Recorder, e: Any, positive: bool) -> int:
    """Record the condition that keeps the outcome of ``e > 0`` (``positive``) or ``e < 0``;
    returns its bit together with the provenance of ``e``."""
    if not isinstance(e, AffineValue):
        return 0
    neg = tuple(-x for x in e.f)
    if positive:
        holds = e.v > 0
        bit = rec.add_cons(neg, "<") if holds else rec.add_cons(e.f, "<=")
    else:
        holds = e.v < 0
        bit = rec.add_cons(e.f, "<") if holds else rec.add_cons(neg, "<=")
    # "e > 0" and "e >= 0" need e's lower certificate, "e < 0" and "e <= 0" its upper one
    return bit | e.cert(positive == holds)


__all__ = ["FORMS_KEPT", "WHY_NOT_CELLS", "Cell", "CellEngine", "PieceStationarity", "horizon_steps",
           "verdict_key", "verdict_label", "verdict_record"]
