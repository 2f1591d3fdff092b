"""Benchmark: a depth-10 derivation document (engine + classification + LaTeX), median timing.

Target (issue 4): under 2 s.  Prints timings; no asserts.  Run: python benchmarks/bench_derive.py
"""

from __future__ import annotations

import statistics
import time

from widthlimits.theory.derivation import derivation
from widthlimits.theory.presets import preset


def main(repeats: int = 5) -> None:
    for name, opt in (("mup", "sgd"), ("golikov-mf", "sgd"), ("mup", "adam")):
        times = []
        size = 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            tex = derivation(preset(name, 10, opt), opt).to_latex()
            times.append(time.perf_counter() - t0)
            size = len(tex)
        print(f"{name:>11} {opt:>5} depth 10: median {statistics.median(times):.3f} s "
              f"(min {min(times):.3f}, {repeats} runs), {size} characters")


if __name__ == "__main__":
    main()
