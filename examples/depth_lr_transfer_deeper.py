"""The `depth-lr-transfer` check's sweep for the derived depth rule, at depths of your choice.

Runs :func:`widthlimits.proofs_checks.catalogue.depth.lr_transfer_sweep` with the check's own
design (alpha = 1/2, Adam, pre-LN, two layers per block, GELU, block LR L^{-1/2}, 10 full-batch
steps on 8 inputs, grid 2^{k/2} with parabola refinement per seed, width 128) and writes the
per-seed optimal multipliers, the slope in L with its BCa CI (``numerics.fits.fit_exponent``),
the slope over the last four depths and the local slopes between neighbouring depths, as JSON.
The check itself is not changed.

Run (depths 4..128, 8 seeds)::

    OMP_NUM_THREADS=1 nice -n 5 python examples/depth_lr_transfer_deeper.py \\
        4,8,16,32,64,128 8 docs/depth_lr_transfer_128.json
"""

from __future__ import annotations

import json
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from widthlimits.numerics.fits import fit_exponent
from widthlimits.proofs_checks.catalogue.depth import adam_model, lr_transfer_sweep


def main(argv: list[str]) -> None:
    try:
        depths_text, seeds_text, out_path = argv
        depths = tuple(int(x) for x in depths_text.split(","))
        seeds = tuple(range(int(seeds_text)))
    except ValueError:
        depths, seeds, out_path = (), (), ""
    if len(depths) < 4 or min(depths) < 1 or len(seeds) < 2:
        print("usage: depth_lr_transfer_deeper.py DEPTHS SEEDS OUT.json (at least four depths "
              ">= 1, comma-separated, and at least 2 seeds)", file=sys.stderr)
        raise SystemExit(2)
    t0, c0 = time.time(), time.process_time()
    kappa = lr_transfer_sweep(adam_model(Fraction(1, 2)), 128, depths, seeds)
    slope, lo, hi = _slope(depths, kappa)
    means = np.nanmean(kappa, axis=1)
    out = {"model": "alpha = 1/2, Adam, pre-LN, 2 layers/block, GELU; block LR L^{-1/2}",
           "width": 128, "depths": depths, "seeds": len(seeds),
           "optima_log2 (depth, seed; null = not bracketed)":
               [[None if not np.isfinite(v) else float(np.log2(v)) for v in row] for row in kappa],
           "seed_mean_log2": [float(np.log2(m)) for m in means],
           "slope": slope, "ci": [lo, hi],
           "local_slopes": [float(np.log2(means[i] / means[i - 1])) for i in range(1, len(depths))],
           "slope_last4": list(_slope(depths[-4:], kappa[-4:])),
           "wall_s": time.time() - t0, "cpu_s": time.process_time() - c0}
    text = json.dumps(out, indent=1)
    Path(out_path).write_text(text + "\n")
    print(text)


def _slope(depths: tuple[int, ...], kappa: np.ndarray) -> tuple[float, float, float]:
    fit = fit_exponent(list(depths), kappa, rng=0)
    return fit.slope, fit.ci_low, fit.ci_high


if __name__ == "__main__":
    main(sys.argv[1:])
