"""The coord check of a user's own ``nn.Module``, with the engine's exponents and verdicts.

:func:`coordcheck` trains the model built by ``make_model(width)`` at every width and seed,
records every ``nn.Linear``'s output, input and update sizes per step with forward hooks
(:mod:`widthlimits.numerics.torch_bridge.recording`), fits each quantity's width exponent with
a seed-bootstrap CI (:func:`widthlimits.numerics.fits.fit_exponent`) and, where the module is an
MLP the engine reads (an ``nn.Sequential`` of bias-free ``nn.Linear`` layers and one activation
the engine knows, built by :func:`widthlimits.torch.parametrize` or with a ``parametrization``
given), puts the engine's predicted exponent (:func:`widthlimits.theory.engine.derive`) and the
verdict (:func:`widthlimits.numerics.verdicts.compare_detail`) beside every fit, with the
engine's classification (:func:`widthlimits.theory.classify.classify_result`).

A quantity whose measured size grows with width (the CI of its slope above the verdicts'
``tolerance``, 0.1 by default) is *flagged*, with
the engine's reason when the engine finds the parametrization unstable (its violations, e.g.
``f_1 = Theta(n^1): violates e(f) <= 0 (output blows up)``).

The plot follows ``mup``'s coord-check layout (Yang et al. 2022, TP5, arXiv:2203.03466,
App. D.1): one panel per step, coordinate size against width on log-log axes, one line per
layer, here with the engine's predicted slope drawn dashed through the measured points.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from widthlimits.numerics.coordcheck import QuantityCheck, predicted_string
from widthlimits.numerics.fits import fit_exponent
from widthlimits.numerics.torch_bridge.apply import Bridge
from widthlimits.numerics.torch_bridge.recording import mse, record
from widthlimits.numerics.torch_bridge.scaling import BridgeError, engine_optimizer
from widthlimits.numerics.verdicts import DEFAULT_TOLERANCE, Verdict, compare_detail
from widthlimits.proofs_checks.coordcheck import engine_predictions_for
from widthlimits.theory.classify import Classification, classify_result
from widthlimits.theory.engine import derive
from widthlimits.theory.parametrization import Parametrization
from widthlimits.torch.bridge import resolve_parametrization

#: torch activation modules the engine reads, by class name
ENGINE_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu", "GELU": "gelu", "Sigmoid": "sigmoid",
                      "Identity": "linear"}
_GROWTH = ("h", "x", "dh", "dx", "dWx", "f", "df")


@dataclass(frozen=True)
class Flag:
    """A quantity that grows with width, with the engine's reason (or why there is none)."""

    name: str
    layer: int | None
    step: int
    slope: float
    ci: tuple[float, float]
    predicted: str | None
    reason: str

    def __str__(self) -> str:
        where = self.name + (f"^{self.layer}" if self.layer is not None else "") + f"_{self.step}"
        return (f"{where} grows with width: slope {self.slope:.2f} [{self.ci[0]:.2f}, "
                f"{self.ci[1]:.2f}], engine n^{self.predicted}; {self.reason}")


@dataclass(frozen=True, eq=False)
class TorchCoordCheck:
    """Result of :func:`coordcheck`.

    Attributes
    ----------
    checks : tuple of QuantityCheck
        One per (quantity, layer, step): fit, engine's prediction (None where the engine cannot
        read the module), verdict and its reason.
    flags : tuple of Flag
    classification : Classification or None
        The engine's verdict on the parametrization (None where it cannot read the module).
    engine_note : str
        Why there are no predictions, or the parametrization and activation the engine read.
    widths, seeds : tuple of int
    steps : int
    values : dict
        Raw per-(width, seed) sizes per (name, layer, step).
    """

    checks: tuple[QuantityCheck, ...]
    flags: tuple[Flag, ...]
    classification: Classification | None
    engine_note: str
    widths: tuple[int, ...]
    seeds: tuple[int, ...]
    steps: int
    values: dict[Any, np.ndarray] = field(repr=False)

    def check(self, name: str, layer: int | None, step: int) -> QuantityCheck:
        for c in self.checks:
            if (c.name, c.layer, c.step) == (name, layer, step):
                return c
        raise KeyError(f"no check for {name} layer {layer} step {step}")

    def verdicts(self) -> dict[str, int]:
        out = {str(v): 0 for v in Verdict}
        for c in self.checks:
            out[str(c.verdict)] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no pickle): the checks' rows, the flags and the engine's note."""
        return {"widths": list(self.widths), "seeds": list(self.seeds), "steps": self.steps,
                "engine": self.engine_note,
                "regime": None if self.classification is None else self.classification.regime,
                "verdicts": self.verdicts(),
                "checks": [c.to_dict() for c in self.checks],
                "flags": [{"name": f.name, "layer": f.layer, "step": f.step, "slope": f.slope,
                           "ci": list(f.ci), "predicted": f.predicted, "reason": f.reason}
                          for f in self.flags]}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, **kwargs)

    def table(self) -> str:
        lines = [f"{'quantity':<10} {'step':>4} {'measured':>9} {'95% CI':>17} {'engine':>7}  verdict"]
        for c in self.checks:
            q = c.name + (f"^{c.layer}" if c.layer is not None else "")
            f = c.fit
            lines.append(f"{q:<10} {c.step:>4} {f.slope:>9.3f} [{f.ci_low:>6.3f}, {f.ci_high:>6.3f}] "
                         f"{c.predicted or '-':>7}  {c.verdict}")
        lines.append(self.engine_note)
        lines += [f"FLAG: {fl}" for fl in self.flags]
        return "\n".join(lines)

    def plot(self, path: str, quantities: Sequence[str] = ("h", "f"), *, dpi: int = 110) -> str:
        """``mup``'s layout: one panel per step, size vs width (log-log), one line per layer of
        the given quantities, the engine's slope dashed.  Needs matplotlib (``plots`` extra)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("plots need matplotlib: pip install 'widthlimits[plots]'") from exc
        ws = np.asarray(self.widths, dtype=float)
        fig, axes = plt.subplots(1, self.steps + 1, squeeze=False, sharey=True,
                                 figsize=(2.6 * (self.steps + 1) + 1, 3.0))
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        rows = [c for c in self.checks if c.name in quantities]
        keys = list(dict.fromkeys((c.name, c.layer) for c in rows))
        for t in range(self.steps + 1):
            ax = axes[0][t]
            for k, (name, layer) in enumerate(keys):
                c = next((r for r in rows if (r.name, r.layer, r.step) == (name, layer, t)), None)
                if c is None:
                    continue
                col = colors[k % len(colors)]
                with np.errstate(invalid="ignore"):
                    m = np.nanmean(c.fit.values, axis=1)
                ok = m > 0
                if not ok.any():
                    continue
                label = name + (f"^{layer}" if layer is not None else "")
                ax.plot(ws[ok], m[ok], "o-", color=col, ms=3, lw=1, label=label)
                if c.predicted is not None and c.predicted not in ("-inf", "inf"):
                    pv = float(Fraction(c.predicted))
                    lw = np.log(ws[ok])
                    anchor = np.mean(np.log(m[ok])) - pv * np.mean(lw)
                    ax.plot(ws[ok], np.exp(anchor + pv * lw), "--", color=col, lw=0.8)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_title(f"t={t}", fontsize=9)
            ax.set_xlabel("width")
        axes[0][0].set_ylabel("RMS coordinate size")
        axes[0][-1].legend(fontsize=7, loc="best")
        fig.suptitle("coord check (dashed: engine's slope)", fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        return path


def engine_reading(model: Any) -> tuple[str | None, str]:
    """The engine's activation name for an MLP it can read, else ``None`` and why not."""
    import torch.nn as nn

    if not isinstance(model, nn.Sequential):
        return None, f"the engine reads nn.Sequential MLPs; this is a {type(model).__name__}"
    kids = list(model)
    acts = set()
    for i, m in enumerate(kids):
        if i % 2 == 0:
            if not isinstance(m, nn.Linear):
                return None, f"layer {i!r} ({type(m).__name__}): the engine reads Linear/activation pairs"
            if m.bias is not None:
                return None, f"layer {i!r} has a bias; the engine's MLP has none"
        else:
            name = ENGINE_ACTIVATIONS.get(type(m).__name__)
            if name is None:
                return None, f"layer {i!r} ({type(m).__name__}) is no activation the engine knows"
            acts.add(name)
    if len(kids) % 2 == 0 or len(kids) < 3:
        return None, "the engine reads Linear, activation, ..., Linear with at least 2 Linear layers"
    if len(acts) != 1:
        return None, "the engine reads one activation for every layer"
    return acts.pop(), ""


def _exact(x: float) -> Fraction | float:
    return x if math.isinf(x) else Fraction(x).limit_denominator(1000)


def bridge_parametrization(b: Bridge) -> Parametrization:
    """The bridge's weight exponents as an exact :class:`Parametrization`."""
    ws = [s for s in b.scalings if s.kind == "weight"]
    ds = [s.exponents.d for s in ws]
    return Parametrization(tuple(_exact(s.exponents.a) for s in ws),
                           tuple(_exact(s.exponents.b) for s in ws),
                           tuple(_exact(s.exponents.c) for s in ws),
                           None if any(d is None for d in ds) else tuple(_exact(d) for d in ds))


def coordcheck(make_model: Callable[[int], Any], widths: Sequence[int], data: Any,
               optimizer: Any = None, steps: int = 3, *, seeds: Sequence[int] | int = 4,
               loss: str | Callable[[Any, Any], Any] = "mse", parametrization: Any = None,
               engine_optimizer_name: str | None = None, tolerance: float = DEFAULT_TOLERANCE,
               rng: int = 0) -> TorchCoordCheck:
    """Coord check of the user's module (module docstring).

    Parameters
    ----------
    make_model : callable width -> nn.Module or Bridge
        Builds (and initializes) the model at a width; return :func:`parametrize`'s bridge to
        let the engine know the parametrization.
    widths : sequence of int
    data : (inputs, targets)
        The full batch, trained on and measured on.
    optimizer : callable or None
        ``(model_or_bridge) -> torch.optim.Optimizer``; ``None`` (or a keyword dict) uses the
        bridge's ``optimizer()``.
    steps : int
        Updates; sizes are measured at ``t = 0..steps``.
    seeds : int or sequence of int
    loss : "mse" or callable ``(f, y) -> loss``
        ``"mse"`` is the engine's loss :math:`\\frac{1}{2N}\\sum_i \\|f_i - y_i\\|^2`.
    parametrization : preset name, Parametrization or mapping, optional
        For a plain module (not a bridge): the parametrization it implements, for the engine.
    engine_optimizer_name : {"sgd", "adam"}, optional
        The engine's optimizer family; default from the bridge.
    """
    ws = tuple(int(w) for w in widths)
    if len(ws) < 2 or any(b <= a for a, b in zip(ws, ws[1:], strict=False)):
        raise BridgeError(f"`widths` must be at least 2 increasing widths, got {list(widths)}")
    sd = tuple(range(seeds)) if isinstance(seeds, int) else tuple(int(s) for s in seeds)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise BridgeError(f"`steps` must be an int >= 1, got {steps!r}")
    loss_fn = mse if loss == "mse" else loss
    if not callable(loss_fn):
        raise BridgeError(f"`loss` must be 'mse' or a callable (f, y) -> loss, got {loss!r}")
    vals = record(make_model, ws, data, optimizer, steps, sd, loss_fn)

    # the engine's reading of the module (one extra build at the smallest width)
    import torch

    torch.manual_seed(sd[0])
    probe = make_model(ws[0])
    model = probe.model if isinstance(probe, Bridge) else probe
    act, why = engine_reading(model)
    param, eng_opt = None, engine_optimizer_name
    if isinstance(probe, Bridge):
        param = bridge_parametrization(probe) if parametrization is None else None
        eng_opt = eng_opt or engine_optimizer(probe.optimizer_name)
    if parametrization is not None:
        n_lin = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
        param = resolve_parametrization(parametrization, n_lin, eng_opt or "sgd")
    if loss != "mse":
        act, why = None, "the engine's predictions assume the MSE loss"
    if param is None and act is not None:
        act, why = None, ("no parametrization known: return parametrize(...)'s bridge or give "
                          "`parametrization`")
    predicted: dict[Any, Any] = {}
    classification = None
    if act is not None and param is not None:
        res = derive(param, eng_opt or "sgd", act, loss="mse", steps=steps, trace=False)
        predicted = engine_predictions_for(res, steps)
        classification = classify_result(res)
        note = f"engine: {param} with {eng_opt or 'sgd'}, {act}: regime {classification.regime}"
    else:
        note = f"engine: no predictions ({why})"

    checks, flags = [], []
    for key in sorted(vals, key=lambda k: (k[2], _GROWTH.index(k[0]), k[1] or 0)):
        name, layer, t = key
        if t == 0 and name in ("dh", "dx", "dWx", "df"):
            continue  # zero by definition at the start
        fit = fit_exponent(ws, vals[key], rng=rng)
        pv = predicted.get(key)
        comp = compare_detail(pv, fit, tolerance=tolerance)
        checks.append(QuantityCheck(name, layer, t, predicted_string(pv), fit, comp.verdict,
                                    comp.reason))
        if math.isfinite(fit.ci_low) and fit.ci_low > tolerance:
            if classification is not None and classification.violations:
                reason = "engine: unstable: " + "; ".join(str(v) for v in classification.violations)
            elif classification is not None:
                reason = f"engine predicts stability ({classification.regime}): a disagreement"
            else:
                reason = note
            flags.append(Flag(name, layer, t, fit.slope, (fit.ci_low, fit.ci_high),
                              predicted_string(pv), reason))
    return TorchCoordCheck(tuple(checks), tuple(flags), classification, note, ws, sd, steps, vals)
