"""Benchmark: derivation documents, median timing.

1. A depth-10 derivation document (engine + classification + LaTeX).  Target (issue 4): under 2 s.
2. ``--symbolic``: ``symbolic_derivation("tp4", L, opt)`` at the default horizon (the
   classification's), each exponent simplified on the stability conditions established so far
   (``theory/derivation/restricted_forms.py``), checked equal to TP4 / TP IVb's theorem as a
   set.  Baseline, measured in the same run: the same derivation without the simplification
   (``restrict=False``) over steps 0..2, at the depths where it finishes (``--baseline-depths``;
   it grows past minutes at depth 3 for entrywise optimizers).  Target (issue 12): depth 1..6
   under 10 s, depth 8 under 60 s.  ``--family tp4-layers``: one learning-rate exponent per layer
   also for SGD-type optimizers (every non-degenerate parametrization, up to the gauge).

Prints wall and CPU seconds (medians over ``--repeats``) and ratios; no asserts.

    python benchmarks/bench_derive.py [--symbolic 1,2,3,4,5,6,8] [--baseline-depths 1,2]
        [--optimizers sgd,momentum,adam,rmsprop,signsgd] [--repeats 1] [--skip-document]
        [--family tp4|tp4-layers]
"""

from __future__ import annotations

import argparse
import statistics
import time

from widthlimits.theory.derivation import derivation, symbolic_derivation
from widthlimits.theory.derivation.closed_form_conditions import (
    closed_form_conditions,
    same_conditions,
)
from widthlimits.theory.presets import preset


def document(repeats: int = 5) -> None:
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


def _timed(fn, repeats: int):  # type: ignore[no-untyped-def]
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return out, statistics.median(walls), statistics.median(cpus)


def symbolic(depths: list[int], baseline: list[int], optimizers: list[str], repeats: int,
             family: str = "tp4") -> None:
    print(f"derive --symbolic ({family} family): restricted at the default horizon vs unrestricted "
          "over steps 0..2 (baseline)")
    print(f"{'L':>2} {'optimizer':>9} {'wall s':>7} {'cpu s':>7} {'steps':>5} {'ineq':>4} "
          f"{'= theorem':>9} {'base cpu s':>10} {'ratio':>6}")
    for L in depths:
        for opt in optimizers:
            d, wall, cpu = _timed(lambda L=L, opt=opt: symbolic_derivation(family, L, opt),
                                  repeats)
            cf = closed_form_conditions(d.parametrization, opt, d.symbolic.symbols)
            same = all(v is True for v in same_conditions(d.symbolic, cf).values())
            base = ratio = ""
            if L in baseline:
                _, _, bcpu = _timed(lambda L=L, opt=opt: symbolic_derivation(
                    family, L, opt, steps=2, restrict=False), repeats)
                base, ratio = f"{bcpu:.2f}", f"{bcpu / cpu:.1f}x"
            print(f"{L:>2} {opt:>9} {wall:>7.2f} {cpu:>7.2f} {d.steps:>5} "
                  f"{len(d.symbolic.stability.clauses):>4} {str(same):>9} {base:>10} {ratio:>6}",
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--symbolic", default="1,2,3,4,5,6,8")
    ap.add_argument("--baseline-depths", default="1,2")
    ap.add_argument("--optimizers", default="sgd,momentum,adam,rmsprop,signsgd")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--skip-document", action="store_true")
    ap.add_argument("--family", default="tp4", choices=["tp4", "tp4-layers"])
    args = ap.parse_args()
    if not args.skip_document:
        document()
    ints = [int(x) for x in args.symbolic.split(",") if x]
    symbolic(ints, [int(x) for x in args.baseline_depths.split(",") if x],
             args.optimizers.split(","), args.repeats, args.family)


if __name__ == "__main__":
    main()
