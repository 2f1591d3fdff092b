"""The coord check's `up:1/4` readout-gradient rows (docs/checks.md): a kernel-regime net's
feature kernel still moves at finite width, by a relative amount that vanishes like n^{-1/2} but
is O(1) at n = 256 after a few steps, and the readout gradient's fitted slope steepens with it.
At a smaller rate the kernel barely moves and the slope is the engine's -1/2."""

from __future__ import annotations

import numpy as np

from widthlimits.numerics.coordcheck import coordcheck
from widthlimits.numerics.fits import fit_exponent
from widthlimits.theory.presets import preset

WIDTHS = (256, 512, 1024)


def _run(eta):  # type: ignore[no-untyped-def]
    p = preset("up:1/4", 2, "sgd")
    param = {k: [str(x) for x in getattr(p, k)] for k in "abc"}
    rep = coordcheck(param, 2, "sgd", widths=WIDTHS, seeds=4, eta=eta, executor="serial",
                     quantities=["grad", "feature_kernel_change"], progress=False)
    res = rep.result
    grad = [fit_exponent(WIDTHS, res.values("grad", 3, t), rng=0).slope for t in range(6)]
    kernel = np.nanmean(res.values("feature_kernel_change", None, 5), axis=1)  # per width
    return grad, kernel


def test_the_readout_gradient_steepens_as_the_feature_kernel_moves() -> None:
    grad, kernel = _run(None)  # the coord check's default rate
    assert abs(grad[0] + 0.5) < 0.05  # the engine's exponent at step 0
    assert grad[5] < grad[3] < grad[1] and grad[5] < -0.58  # steeper with every step
    assert kernel[0] > 0.4 and kernel[0] > 1.6 * kernel[-1]  # O(1) at n = 256, vanishing in n


def test_at_a_smaller_rate_the_kernel_is_still_and_the_slope_is_the_engines() -> None:
    grad, kernel = _run(0.1)
    assert kernel[0] < 0.15
    assert all(abs(g + 0.5) < 0.05 for g in grad)
