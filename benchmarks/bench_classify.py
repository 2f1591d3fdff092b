"""Classification time against depth (issue 2): goal linear growth, depth 100 under one second.

Prints medians over repeats and the ratio time(L) / time(L/2) (2.0 = linear).  No asserts:
these machines are noisy; read the figures.

    python benchmarks/bench_classify.py
"""

from __future__ import annotations

import statistics
import time

from widthlimits.theory.classify import classify
from widthlimits.theory.presets import preset


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    depths = [1, 2, 4, 8, 16, 32, 64, 100, 128, 256]
    cases = [("mup", "sgd", "tanh"), ("ntp", "adam", "relu"), ("golikov-mf", "rmsprop", "tanh")]
    print(f"{'case':28s} " + " ".join(f"{'L=' + str(L):>9s}" for L in depths))
    for name, opt, act in cases:
        row = []
        for L in depths:
            p = preset(name, L, opt)
            t = median_time(lambda p=p, o=opt, a=act: classify(p, o, a), 5 if L <= 128 else 3)
            row.append(t)
        print(f"{name + ' ' + opt + ' ' + act:28s} " + " ".join(f"{t * 1e3:8.1f}m" for t in row))
        ratios = [row[i] / row[i - 1] for i in range(1, len(row)) if depths[i] == 2 * depths[i - 1]]
        print(f"{'  ratio t(2L)/t(L)':28s} " + " ".join(f"{r:9.2f}" for r in ratios))
        per_layer = " ".join(f"{t * 1e3 / L:9.3f}" for t, L in zip(row, depths, strict=True))
        print(f"{'  per layer (ms)':28s} " + per_layer)
    print("\n(m = milliseconds; goal: depth 100 < 1000 ms, ratio near 2 = linear growth)")


if __name__ == "__main__":
    main()
