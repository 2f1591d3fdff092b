"""The `mup-lr-transfer` check's sweep for one (optimizer, preset) at widths of your choice.

Runs :func:`widthlimits.proofs_checks.catalogue.lr_transfer.lr_sweep` (the check's own design:
3-hidden-layer tanh MLP, MSE on 128 digits, 20 full-batch steps, grid 2^{k/2}, parabola
refinement per seed) and writes the losses, the per-seed optima, the slope of the optimum in
width with its BCa CI (``numerics.fits.fit_exponent``), the slope over the last four widths and
the local slope between neighbouring widths, as JSON.  The check itself is not changed.

Run (muP/SGD at 128..4096, 8 seeds: 1,143 s wall, 934 s CPU on one core of the 2-core machine)::

    OMP_NUM_THREADS=1 nice -n 5 python examples/lr_transfer_wider.py sgd mup \\
        128,256,512,1024,2048,4096 8 docs/lr_transfer_mup_sgd_4096.json
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from widthlimits.numerics.fits import fit_exponent
from widthlimits.proofs_checks.catalogue.lr_transfer import lr_sweep


def main(argv: list[str]) -> None:
    opt, name, widths_text, seeds_text, out_path = argv
    widths = tuple(int(x) for x in widths_text.split(","))
    seeds = int(seeds_text)
    t0, c0 = time.time(), time.process_time()
    sw = lr_sweep(opt, name, widths, seeds)
    eta = sw.optima()
    fit = fit_exponent(list(widths), eta, rng=0)
    out = {"optimizer": opt, "preset": name, "widths": widths, "seeds": seeds,
           "log2_eta_grid": sw.log2_eta.tolist(),
           "losses (width, grid point, seed; -1 = diverged or skipped)":
               np.where(np.isfinite(sw.losses), sw.losses, -1.0).tolist(),
           "optima_log2 (width, seed)": np.log2(eta).tolist(),
           "slope": fit.slope, "ci": [fit.ci_low, fit.ci_high],
           "local_slopes": [float(np.log2(np.nanmean(eta[i]) / np.nanmean(eta[i - 1])))
                            for i in range(1, len(widths))],
           "wall_s": time.time() - t0, "cpu_s": time.process_time() - c0}
    if len(widths) >= 4:
        last = fit_exponent(list(widths[-4:]), eta[-4:], rng=0)
        out["slope_last4"] = [last.slope, last.ci_low, last.ci_high]
    with open(out_path, "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps({k: v for k, v in out.items() if not k.startswith("losses")}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
