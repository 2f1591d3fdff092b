"""Exact regions (issue 3): time of a full cover of the box [-4, 4]^k against depth.

Case "mup-c": SGD, a and b fixed to muP's, every c_l free (k = L + 1 coordinates): the full
partition of the box into convex pieces with constant verdicts (theory.cells.cover), i.e. every
region at once.  Case "mup-c-shared": the same with the hidden layers sharing one c (k = 3).
Case "golikov-rmsprop": Golikov's mean-field init, RMSProp, shared hidden c, want mf_limit.
Case "golikov-gd": the same with GD (empty from L = 3 on: the whole box must be covered; run up
to depth 3 unless ``--gd-depth`` says more; depth 4 takes about 100 s).
Prints medians over repeats, the cell counts and the ratio to the previous depth.  No asserts.

    python benchmarks/bench_regions.py [max_depth] [--gd-depth D]
"""

from __future__ import annotations

import statistics
import sys
import time

from widthlimits.theory.cells import cell_frame, cover, query
from widthlimits.theory.presets import preset


def _run(case: str, L: int):
    if case.startswith("mup"):
        p = preset("mup", L, "sgd")
        fr = cell_frame(L, "sgd", fix={"a": list(p.a), "b": list(p.b)},
                        shared_hidden=case.endswith("shared"))
        cv = cover(fr)
        return cv.cells, len(cv.pieces)
    opt = "sgd" if case == "golikov-gd" else "rmsprop"
    p = preset("golikov-mf", L, opt)
    r = query(L, opt, "mf_limit", fix={"a": list(p.a), "b": list(p.b)}, shared_hidden=True,
              box=(-2, 2), describe=False)
    return r.stats["cells"], r.stats["cover_pieces"]


def main() -> None:
    args = sys.argv[1:]
    gd_depth = 3
    if "--gd-depth" in args:
        i = args.index("--gd-depth")
        gd_depth = int(args[i + 1])
        del args[i:i + 2]
    max_depth = int(args[0]) if args else 4
    for case in ("mup-c", "mup-c-shared", "golikov-rmsprop", "golikov-gd"):
        prev = None
        for L in range(1, (gd_depth if case == "golikov-gd" else max_depth) + 1):
            times = []
            repeats = 3 if L <= 2 else 1
            for _ in range(repeats):
                t0 = time.perf_counter()
                cells, pieces = _run(case, L)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            ratio = f"x{med / prev:.1f}" if prev else ""
            print(f"{case:16s} L={L}: {med:8.2f} s  cells={cells:5d} pieces={pieces:5d} {ratio}",
                  flush=True)
            prev = med


if __name__ == "__main__":
    main()
