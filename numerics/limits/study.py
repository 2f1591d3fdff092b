r"""Convergence studies: finite widths against their infinite-width reference, with fitted orders.

:func:`convergence_study` runs one registered model at several widths and seeds, records the
signed deviation :math:`D_s(t, j)` (finite minus reference, over recorded times ``t`` and outputs
``j``) and reports

* the error :math:`e_s = \sup_t \mathrm{rms}_j |D_s(t, j)|` and its fitted order (log-log slope
  of the RMS over seeds, bootstrap CI over seeds);
* the bias :math:`\sup_t\mathrm{rms}_j|\bar D(t,j)|` and the fluctuation
  :math:`\sup_t\mathrm{rms}_j\,\mathrm{sd}_s D_s(t,j)` with their own orders;
* the predicted order, whether it lies in the CI, and warnings (reference error too large,
  bias at its noise floor).  A mismatch is reported in ``agrees``/``warnings``, never adjusted.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from widthlimits.numerics.limits._fit import (
    MIN_SPREAD_SEEDS,
    OrderFit,
    ReferenceErrorWarning,
    fit_bias_and_spread,
    fit_order,
)
from widthlimits.numerics.limits.deep_linear import DeepLinearProblem
from widthlimits.numerics.limits.kernels import FiniteMLP, KernelGDLimit
from widthlimits.numerics.limits.mean_field import TwoLayerMF, run_particles
from widthlimits.numerics.limits.multilayer import ThreeLayerMF
from widthlimits.numerics.verdicts import DEFAULT_MAX_CI_WIDTH, Verdict


@dataclass(frozen=True)
class ConvergenceModel:
    """A finite-width model paired with its limit, as used by :func:`convergence_study`.

    Attributes
    ----------
    model_id : str
    description : str
        What is compared with what, and the reference paper/theorem.
    predicted_order : float
        Predicted order ``p`` (error ~ width^-p, or step^p when ``axis == "step"``).
    axis : {"width", "step"}
    default_widths : tuple
    default_seeds : int
    assumptions : tuple of str
    factory : callable
        ``factory() -> (deviation(x, seed_seq) -> ndarray (t, j), reference_error: float)``.
    """

    model_id: str
    description: str
    predicted_order: float
    axis: str
    default_widths: tuple
    default_seeds: int
    assumptions: tuple[str, ...]
    factory: Callable[[], tuple[Callable[[float, np.random.SeedSequence], np.ndarray], float]] = \
        field(repr=False)


def _ntk_factory() -> tuple[Callable, float]:
    gen = np.random.default_rng(20240611)
    X = gen.standard_normal((8, 4))
    X *= 2.0 / np.linalg.norm(X, axis=1, keepdims=True)  # |x|^2 = d
    y = np.sin(X[:, 0] + X[:, 1])
    kw = {"depth": 2, "activation": "relu", "weight_var": 2.0, "bias_var": 0.1}
    lim = KernelGDLimit.build(X, y, **kw)
    lr = len(y) / np.linalg.eigvalsh(lim.kernels.ntk).max()
    n_steps, every = 100, 5

    def deviation(width: float, ss: np.random.SeedSequence) -> np.ndarray:
        net = FiniteMLP.init(X.shape[1], int(width), kw["depth"], activation="relu",
                             weight_var=2.0, bias_var=0.1, rng=np.random.default_rng(ss))
        ref = lim.steps(n_steps, lr, net(X))[::every]
        out = [net(X)]
        for k in range(1, n_steps + 1):
            net = net.gd_step(X, y, lr)
            if k % every == 0:
                out.append(net(X))
        return np.array(out) - ref

    return deviation, 0.0


def _deep_linear_factory() -> tuple[Callable, float]:
    pr = DeepLinearProblem.random(rng=0)
    _, b_ref, _ = pr.limit()
    _, b_half, _ = pr.limit(P=pr.P // 2)
    ref_err = float(np.abs(b_ref - b_half).max())

    def deviation(width: float, ss: np.random.SeedSequence) -> np.ndarray:
        _, b, _ = pr.finite(int(width), np.random.default_rng(ss))
        return (b - b_ref)[::10]

    return deviation, ref_err


def _mf_factory(**kw: object) -> Callable[[], tuple[Callable, float]]:
    def factory() -> tuple[Callable, float]:
        pr = TwoLayerMF.random(rng=0, **kw)  # type: ignore[arg-type]

        def deviation(width: float, ss: np.random.SeedSequence) -> np.ndarray:
            f, offset = pr.finite(int(width), np.random.default_rng(ss))
            return f - pr.limit(offset)

        errs = [pr.reference_error()]
        if pr.init_corrected:  # the reference depends on the offset; use a typical one
            errs = [pr.reference_error(np.zeros(len(pr.y)))]
        return deviation, max(errs)

    return factory


def _mf_measure_factory() -> tuple[Callable, float]:
    from widthlimits.numerics.limits.distances import sliced_wasserstein

    pr = TwoLayerMF.random(rng=0)
    pops = pr.limit_particles()
    ref = np.concatenate(pops)

    def deviation(width: float, ss: np.random.SeedSequence) -> np.ndarray:
        P = pr.final_particles(int(width), np.random.default_rng(ss))
        return np.array([[sliced_wasserstein(P, ref, rng=1)]])  # shape (t, j) = (1, 1)

    half = len(pops) // 2
    ref_err = sliced_wasserstein(np.concatenate(pops[:half]), np.concatenate(pops[half:]), rng=1)
    return deviation, ref_err


def _mf_step_factory() -> tuple[Callable, float]:
    pr = TwoLayerMF.random(rng=0)
    N, t_max, fine = 256, 5.0, 0.005

    def deviation(step: float, ss: np.random.SeedSequence) -> np.ndarray:
        a, W = pr.init_particles(N, np.random.default_rng(ss))
        every = round(1.0 / step)
        if not np.isclose(every * step, 1.0) or not np.isclose(round(t_max / step) * step, t_max):
            raise ValueError(f"steps must divide 1 (e.g. 0.1, 0.05, 0.025), got step={step}")
        gd = run_particles(a, W, pr.X, pr.y, dt=step, n_steps=round(t_max / step),
                           scheme="euler", record_every=every)
        flow = run_particles(a, W, pr.X, pr.y, dt=fine, n_steps=round(t_max / fine),
                             scheme="rk4", record_every=round(1.0 / fine))
        return gd - flow

    return deviation, 0.0  # RK4 at dt=0.005: error O(dt^4), far below the Euler error


def _mf_multilayer_factory() -> tuple[Callable, float]:
    m = ThreeLayerMF.random(rng=0, t_max=20.0, dt=0.1, record_every=5)

    def deviation(width: float, ss: np.random.SeedSequence) -> np.ndarray:
        fr, fd = m.coupled(int(width), np.random.default_rng(ss))
        return fr - fd

    return deviation, 0.0


MODELS: dict[str, ConvergenceModel] = {
    m.model_id: m
    for m in (
        ConvergenceModel(
            "ntk",
            "ReLU MLP (2 hidden layers, NTK parametrization) trained by full-batch GD on MSE vs "
            "the infinite-width linearized GD f_k = y + (I - eta Theta/p)^k (f_0 - y) from the "
            "same f_0 (Jacot et al. 2018 Thm 2; Lee et al. 2019 Thm 2.1)",
            0.5, "width", (64, 128, 256, 512, 1024), 8,
            ("kernel (NTK) parametrization; lr = p / lambda_max(Theta); 100 steps",
             "deviation on the training outputs; limit conditioned on the network's own f_0"),
            _ntk_factory),
        ConvergenceModel(
            "deep-linear",
            "mu-P deep linear net (1 middle matrix) vs the CCFF path-space limit, predictor beta(t)"
            " on t <= 4 (Chizat, Colombo, Fernandez-Real, Figalli 2022, Sec. 6)",
            0.5, "width", (64, 128, 256, 512, 1024), 6,
            ("RK4 dt = 0.01 for both; chain truncation P = 30 (reference error = |P - P/2|)",
             "order 1/2 is the CLT rate; CCFF's quantitative bound is not assumed sharp"),
            _deep_linear_factory),
        ConvergenceModel(
            "mf-two-layer",
            "two-layer tanh MF net (a and w trained, MF time, MSE) vs a quasi-Monte-Carlo "
            "large-population particle solution of the distributional dynamics (MMN Thm 3; MMM)",
            0.5, "width", (64, 128, 256, 512, 1024), 8,
            ("same RK4 time grid for finite and reference (dt = 0.02, t <= 5)",
             "reference = mean of 4 scrambled-Sobol populations of 4096; its error from their "
             "spread"),
            _mf_factory()),
        ConvergenceModel(
            "mf-two-layer-measure",
            "two-layer tanh MF net: sliced W1 between the empirical measure of its N neurons "
            "(a, w) at t = 5 and the large-population solution of the distributional dynamics "
            "(MMN Thm 3: propagation of chaos)",
            0.5, "width", (64, 128, 256, 512, 1024), 6,
            ("sliced W1 over 64 fixed random directions (numerics.limits.distances)",
             "reference = 4 scrambled-Sobol populations of 4096 neurons; its error = sliced W1 "
             "between two halves of it"),
            _mf_measure_factory),
        ConvergenceModel(
            "mf-two-layer-step",
            "two-layer MF net, full-batch GD with step eps vs gradient flow (RK4 dt=0.005) from "
            "the same N = 256 particles: the Euler error of MMN Thm 3's sqrt(eps) term is O(eps)"
            " for deterministic GD",
            1.0, "step", (0.1, 0.05, 0.025, 0.0125), 4,
            ("axis = step size in MF time; errors at t = 1, 2, ..., 5",),
            _mf_step_factory),
        ConvergenceModel(
            "mf-multilayer",
            "3-layer MF net with i.i.d. w2 ~ N(1, 1) vs its derandomized twin w2 = 1 (same w1, "
            "w3): both converge to the Nguyen-Pham limit; their gap is O(1/n)",
            1.0, "width", (50, 100, 200, 400), 6,
            ("phi = tanh(. + 0.5); GD dt = 0.1 to t = 20 in MF time",
             "measures the derandomization gap, not the distance to the limit (that is O(n^-1/2) "
             "from w1, w3 sampling)"),
            _mf_multilayer_factory),
        ConvergenceModel(
            "golikov-discrete-mf",
            "Golikov's discrete-time MF limit: two-layer MF classifier, logistic loss, finite "
            "learning rate 0.5 (20 GD steps), N -> inf at fixed step, vs a QMC large population "
            "with the same step (Golikov ICML 2020)",
            0.5, "width", (64, 128, 256, 512, 1024), 8,
            ("the learning rate stays finite: no time-continuum limit is taken",),
            _mf_factory(loss="logistic", scheme="euler", dt=0.5, t_max=10.0, record_every=1)),
        ConvergenceModel(
            "golikov-icmf",
            "Golikov's initialization-corrected MF model f_MF(t) - f_MF(0) + f_std(0) (arXiv "
            "2006.06574, InitCorrectedModel) vs the discrete MF limit driven by the same Gaussian "
            "offset f_std(0)",
            0.5, "width", (64, 128, 256, 512, 1024), 8,
            ("logistic loss, learning rate 0.5, 20 steps; the reference is recomputed per seed",),
            _mf_factory(loss="logistic", scheme="euler", dt=0.5, t_max=10.0, record_every=1,
                        init_corrected=True)),
    )
}


@dataclass(frozen=True)
class ConvergenceResult:
    """Outcome of :func:`convergence_study`.

    Attributes
    ----------
    model_id, description : str
    axis : {"width", "step"}
    widths : numpy.ndarray
        Widths (or step sizes).
    errors : numpy.ndarray, shape (k, S)
        Per-seed sup-rms errors.
    fit, bias_fit, spread_fit : OrderFit
        Orders of the RMS error, the bias and the spread over seeds.
    predicted_order : float
    reference_error : float
        Estimated error of the reference itself (same units as ``errors``).
    agrees : bool
        Whether ``predicted_order`` lies in ``fit``'s CI.
    verdict : Verdict
        ``agree`` / ``disagree`` as ``agrees``, or ``inconclusive`` when the CI is wider
        than :data:`widthlimits.numerics.verdicts.DEFAULT_MAX_CI_WIDTH` (too noisy to tell the
        predicted order from its neighbours; the coord check's rule 4).
    assumptions, warnings : tuple of str
    """

    model_id: str
    description: str
    axis: str
    widths: np.ndarray
    errors: np.ndarray
    fit: OrderFit
    bias_fit: OrderFit
    spread_fit: OrderFit
    predicted_order: float
    reference_error: float
    agrees: bool
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def verdict(self) -> Verdict:
        if not self.fit.ci_high - self.fit.ci_low <= DEFAULT_MAX_CI_WIDTH:  # NaN: inconclusive
            return Verdict.INCONCLUSIVE
        return Verdict.AGREE if self.agrees else Verdict.DISAGREE

    def summary(self) -> str:
        """Human-readable lines: every order with its CI beside the predicted one."""
        verdict = {Verdict.AGREE: "agrees", Verdict.DISAGREE: "MISMATCH",
                   Verdict.INCONCLUSIVE: f"inconclusive (CI wider than {DEFAULT_MAX_CI_WIDTH:g})"
                   }[self.verdict]
        lines = [f"{self.model_id}: {self.description}",
                 f"  {self.axis}s: {', '.join(f'{w:g}' for w in self.widths)};"
                 f" seeds: {self.errors.shape[1]}",
                 f"  error (rms over seeds): "
                 f"{', '.join(f'{e:.3g}' for e in self.fit.values)}",
                 f"  measured {self.fit}  predicted {self.predicted_order:g}  -> {verdict}",
                 f"  bias      {self.bias_fit}",
                 f"  spread    {self.spread_fit}",
                 f"  reference error ~ {self.reference_error:.2g}"]
        lines += [f"  assumption: {a}" for a in self.assumptions]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (``order``, ``ci_low``, ``ci_high``, ``predicted_order``, ...)."""
        f = self.fit
        return {"model": self.model_id, "description": self.description, "axis": self.axis,
                "widths": self.widths.tolist(), "n_seeds": int(self.errors.shape[1]),
                "order": f.order, "ci_low": f.ci_low, "ci_high": f.ci_high,
                "confidence_level": f.confidence_level, "predicted_order": self.predicted_order,
                "agrees": self.agrees, "verdict": self.verdict.value, "errors_rms": f.values.tolist(),
                "errors_per_seed": self.errors.tolist(),
                "bias": {"order": self.bias_fit.order, "ci_low": self.bias_fit.ci_low,
                         "ci_high": self.bias_fit.ci_high, "values": self.bias_fit.values.tolist()},
                "spread": {"order": self.spread_fit.order, "ci_low": self.spread_fit.ci_low,
                           "ci_high": self.spread_fit.ci_high,
                           "values": self.spread_fit.values.tolist()},
                "reference_error": self.reference_error, "assumptions": list(self.assumptions),
                "warnings": list(self.warnings)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=True)

    def plot(self, path: str) -> None:
        """Save error vs width (per seed and RMS) with the fitted line (needs matplotlib)."""
        try:
            import matplotlib
        except ImportError as exc:  # pragma: no cover - optional extra
            raise ImportError("plotting needs matplotlib: pip install 'widthlimits[plots]'") \
                from exc
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 4))
        for s in range(self.errors.shape[1]):
            ax.plot(self.widths, self.errors[:, s], ".", color="0.7")
        ax.plot(self.widths, self.fit.values, "o", label="rms over seeds")
        xs = np.geomspace(self.widths.min(), self.widths.max(), 50)
        ax.plot(xs, self.fit.predict(xs), "-",
                label=f"fit p={self.fit.order:.2f} [{self.fit.ci_low:.2f}, {self.fit.ci_high:.2f}]")
        sign = -1 if self.axis == "width" else 1
        c = self.fit.values[0] / self.widths[0] ** (sign * self.predicted_order)
        ax.plot(xs, c * xs ** (sign * self.predicted_order), "--",
                label=f"predicted p={self.predicted_order:g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(self.axis)
        ax.set_ylabel("sup_t rms error")
        ax.set_title(self.model_id)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def _study_iv(model_id: str, widths: Sequence[float] | None, seeds: int | None
              ) -> tuple[ConvergenceModel, np.ndarray, int]:
    if model_id not in MODELS:
        raise ValueError(f"unknown model {model_id!r}; implemented: {', '.join(MODELS)}")
    model = MODELS[model_id]
    w = np.asarray(model.default_widths if widths is None else widths, dtype=float)
    if w.ndim != 1 or w.size < 3:
        raise ValueError(f"need >= 3 widths, got widths={w.tolist()!r}")
    if np.any(w <= 0) or np.any(np.diff(w) == 0):
        raise ValueError(f"widths must be positive and distinct, got widths={w.tolist()!r}")
    if model.axis == "width" and np.any(w != np.round(w)):
        raise ValueError(f"widths must be integers for {model_id!r}, got widths={w.tolist()!r}")
    seeds = check_study_seeds(model.default_seeds if seeds is None else seeds)
    return model, (np.sort(w) if model.axis == "width" else w[np.argsort(-w)]), seeds


def check_study_seeds(seeds: object) -> int:
    """Seeds per width of a study (the command's ``--seeds`` and :func:`convergence_study`'s
    ``seeds``): an int in ``MIN_SPREAD_SEEDS..MAX_SEEDS``.  The spread over seeds gets a
    bootstrap CI over seeds, which 2 seeds cannot give (``_fit.MIN_SPREAD_SEEDS``)."""
    from widthlimits.numerics.validation import MAX_SEEDS, InvalidInput, check_int

    if isinstance(seeds, bool) or not isinstance(seeds, int | np.integer):
        raise InvalidInput(f"`seeds` must be an int, got seeds={seeds!r}")
    if seeds < MIN_SPREAD_SEEDS:
        raise InvalidInput(f"`seeds` must be >= {MIN_SPREAD_SEEDS}, got {seeds}: the spread over "
                           "seeds gets a bootstrap CI over seeds, and with 2 every resample that "
                           "has a spread is the sample itself (a CI of zero width)")
    return check_int(seeds, "seeds", minimum=MIN_SPREAD_SEEDS, maximum=MAX_SEEDS)


def convergence_study(
    model_id: str,
    widths: Sequence[float] | None = None,
    seeds: int | None = None,
    *,
    rng: int = 0,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    on_width: Callable[[float, np.ndarray], None] | None = None,
) -> ConvergenceResult:
    """Measure the convergence order of a registered model (see :data:`MODELS`).

    Parameters
    ----------
    model_id : str
        One of :data:`MODELS` (``ntk``, ``deep-linear``, ``mf-two-layer``,
        ``mf-two-layer-step``, ``mf-multilayer``, ``golikov-discrete-mf``, ``golikov-icmf``).
    widths : sequence, optional
        Widths (step sizes for ``axis == "step"``); >= 3 values.
    seeds : int, optional
        Independent networks per width (>= 3: the spread's bootstrap CI needs them).
    rng : int
        Root entropy; network ``s`` at width ``N`` uses ``SeedSequence([rng, s, N])``.
    confidence_level, n_resamples : float, int
        Bootstrap settings.
    on_width : callable, optional
        ``on_width(width, errors)`` after each width, ``errors`` its per-seed sup-rms errors (what
        a run stopped part-way has established).

    Returns
    -------
    ConvergenceResult

    Raises
    ------
    ValueError
        Unknown model, fewer than 3 or non-distinct widths, fewer than 3 seeds.

    Warns
    -----
    ReferenceErrorWarning
        When the reference's own error exceeds a quarter of the smallest measured error.
    """
    model, w, n_seeds = _study_iv(model_id, widths, seeds)
    with single_thread_blas():
        deviation, ref_err = model.factory()
        devs, errs = [], []
        for x in w:
            key = int(x) if model.axis == "width" else round(float(x) * 1e9)
            devs.append(np.array([deviation(x, np.random.SeedSequence([rng, s, key]))
                                  for s in range(n_seeds)]))
            errs.append(np.sqrt(np.mean(devs[-1] ** 2, axis=-1)).max(axis=-1))  # sup-rms per seed
            if on_width is not None:
                on_width(float(x), errs[-1])
    errors = np.array(errs)
    fit = fit_order(w, errors, axis=model.axis, confidence_level=confidence_level,
                    n_resamples=n_resamples, rng=rng)
    bias_fit, spread_fit, bias, spread = fit_bias_and_spread(
        w, devs, axis=model.axis, confidence_level=confidence_level,
        n_resamples=min(n_resamples, 1000), rng=rng)
    notes = []
    if ref_err > 0.25 * fit.values.min():
        msg = (f"reference error {ref_err:.2g} exceeds 1/4 of the smallest error "
               f"{fit.values.min():.2g}: the fitted slope may be flattened")
        warnings.warn(msg, ReferenceErrorWarning, stacklevel=2)
        notes.append(msg)
    floor = spread[-1] / np.sqrt(n_seeds)
    if bias[-1] < 2 * floor:
        notes.append(f"bias at the last {model.axis} ({bias[-1]:.2g}) is within 2x its noise "
                     f"floor spread/sqrt(S) = {floor:.2g}; its order is not resolved")
    agrees = fit.contains(model.predicted_order)
    if not agrees:
        notes.append(f"predicted order {model.predicted_order:g} is outside the "
                     f"{round(100 * confidence_level)}% CI [{fit.ci_low:.3f}, {fit.ci_high:.3f}]")
    return ConvergenceResult(model.model_id, model.description, model.axis, w, errors, fit,
                             bias_fit, spread_fit, model.predicted_order, ref_err, agrees,
                             model.assumptions, tuple(notes))


@contextlib.contextmanager
def single_thread_blas():  # type: ignore[no-untyped-def]
    """Limit BLAS to one thread if threadpoolctl is present (tiny matmuls oversubscribe badly;
    also used by the theorem checks)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
