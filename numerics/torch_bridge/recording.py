"""Record the coordinate sizes of a user's own ``nn.Module`` over widths, seeds and steps.

Forward hooks on every ``nn.Linear`` (registered after the bridge's multiplier hooks, so they
see :math:`W^l x = m_l w^l x`) record, at steps :math:`t = 0..T` of full-batch training:

==========  ============================================================  ===========
name        RMS of (over batch and coordinates)                           layers
==========  ============================================================  ===========
``h``       output of Linear ``l`` (:math:`h^l_t`)                        1..L
``dh``      :math:`h^l_t - h^l_0`                                         1..L
``x``       input of Linear ``l + 1`` (:math:`x^l_t`)                     1..L
``dx``      :math:`x^l_t - x^l_0`                                         1..L
``dWx``     :math:`m_l (w^l_t - w^l_0) x^{l-1}_t` (the layer's update)     1..L+1
``f``       output of the last Linear (:math:`f_t`)                      None
``df``      :math:`f_t - f_0`                                             None
==========  ============================================================  ===========

with Linear layers numbered ``1..L+1`` in registration order, the names the engine uses
(:mod:`widthlimits.numerics.quantities`).  Measurements at step ``t`` are taken before the
``t``-th update, as the simulator does.  Seed ``s`` calls ``torch.manual_seed(s)`` before
building the model, so widths and seeds are reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from widthlimits.numerics.torch_bridge.apply import Bridge
from widthlimits.numerics.torch_bridge.scaling import BridgeError

Key = tuple[str, int | None, int]


def _rms(t: Any) -> float:
    return float(t.double().pow(2).mean().sqrt())


def model_of(obj: Any) -> Any:
    return obj.model if isinstance(obj, Bridge) else obj


def make_optimizer(obj: Any, optimizer: Any) -> Any:
    """``optimizer`` is a callable ``(model_or_bridge) -> torch.optim.Optimizer``, or, for a
    :class:`Bridge`, ``None``/a keyword dict for ``bridge.optimizer(**kw)``."""
    if callable(optimizer):
        return optimizer(obj)
    if isinstance(obj, Bridge):
        return obj.optimizer(**(optimizer or {}))
    raise BridgeError("`optimizer` must be a callable model -> torch.optim.Optimizer when "
                      "make_model returns a plain nn.Module")


def mse(f: Any, y: Any) -> Any:
    """:math:`\\frac{1}{2N}\\sum_i \\|f_i - y_i\\|^2`, the simulator's and the engine's loss."""
    return 0.5 * (f - y.reshape(f.shape)).pow(2).sum(-1).mean()


def run_once(obj: Any, X: Any, y: Any, optimizer: Any, steps: int,
             loss_fn: Callable[[Any, Any], Any]) -> dict[Key, float]:
    """Train one model for ``steps`` full-batch updates; RMS sizes per (name, layer, step)."""
    import torch.nn as nn

    model = model_of(obj)
    lins = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not lins:
        raise BridgeError(f"the model ({type(model).__name__}) has no nn.Linear layer")
    mult = [1.0] * len(lins)
    if isinstance(obj, Bridge):
        names = {id(m): n for n, m in model.named_modules()}
        mult = [obj.multiplier(names[id(m)] or "<root>") for m in lins]
    seen: dict[int, tuple[Any, Any]] = {}
    hooks = [lin.register_forward_hook(
        lambda mod, inp, out, k=k: seen.__setitem__(k, (inp[0].detach(), out.detach())))
        for k, lin in enumerate(lins)]
    opt = make_optimizer(obj, optimizer)
    w0 = [lin.weight.detach().clone() for lin in lins]
    L = len(lins) - 1
    out: dict[Key, float] = {}
    first: dict[int, tuple[Any, Any]] = {}
    try:
        for t in range(steps + 1):
            seen.clear()
            f = model(X)
            if t == 0:
                first = dict(seen)
            for k in range(L + 1):
                inp, o = seen[k]
                inp0, o0 = first[k]
                if k < L:
                    out[("h", k + 1, t)] = _rms(o)
                    out[("dh", k + 1, t)] = _rms(o - o0)
                else:
                    out[("f", None, t)] = _rms(o)
                    out[("df", None, t)] = _rms(o - o0)
                if k > 0:
                    out[("x", k, t)] = _rms(inp)
                    out[("dx", k, t)] = _rms(inp - inp0)
                dw = lins[k].weight.detach() - w0[k]
                out[("dWx", k + 1, t)] = _rms(inp @ dw.T) * abs(mult[k])
            if t == steps:
                break
            opt.zero_grad()
            loss_fn(f, y).backward()
            opt.step()
    finally:
        for h in hooks:
            h.remove()
    return out


def record(make_model: Callable[[int], Any], widths: Sequence[int], data: Any, optimizer: Any,
           steps: int, seeds: Sequence[int], loss_fn: Callable[[Any, Any], Any] = mse
           ) -> dict[Key, np.ndarray]:
    """Per (name, layer, step) an array ``(len(widths), len(seeds))`` of RMS sizes (NaN where a
    run produced a non-finite value: divergence is data)."""
    import torch

    try:
        X, y = data
    except (TypeError, ValueError):
        raise BridgeError("`data` must be a pair (inputs, targets) of tensors") from None
    vals: dict[Key, np.ndarray] = {}
    for i, n in enumerate(widths):
        for j, s in enumerate(seeds):
            torch.manual_seed(int(s))
            obj = make_model(int(n))
            res = run_once(obj, X, y, optimizer, steps, loss_fn)
            for k, v in res.items():
                arr = vals.setdefault(k, np.full((len(widths), len(seeds)), np.nan))
                arr[i, j] = v if math.isfinite(v) else np.nan
    return vals
