"""Region engine (issue 12): existence questions ("is the set empty? a witness?") against depth.

Cases: a and b fixed (muP's init, and Golikov's mean-field init a = 0, b = (0, 1, ..., 1)),
every c_l free (L + 1 coordinates, no sharing), box [-4, 4]; want each of ``nontrivial,stable``,
``feature_learning``, ``mf_limit``; optimizers sgd, rmsprop, adam; activations tanh, leaky_relu.
Methods: ``search`` (exact cells visited until the first wanted one, or the box covered:
theory.regions.existence, the default) and ``smt`` (one LRA formula decided by z3); ``old`` is
the full cover of theory.regions.query.query (every cell of the box), run only with ``--old``.
Every answer that is not empty is checked by classify at its witness (inside ``exists``).
Each case runs under ``--time-limit`` seconds (default 60); a case that hits it prints
"did not finish in N s".  Prints medians over ``--repeats`` (wall and CPU), one process.  No asserts.

    python benchmarks/bench_regions.py [--depths 4,6] [--methods search,smt] [--old]
        [--time-limit 60] [--repeats 1] [--only sgd] [--max-lr 10,20,50,100] [--classify 1000]
    python benchmarks/bench_regions.py --derive 1,2,3 [--time-limit 600]
    python benchmarks/bench_regions.py --describe [--repeats 1]
    python benchmarks/bench_regions.py --deep-query 20,50,100 [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from widthlimits.theory.presets import preset
from widthlimits.theory.regions import exists

WANTS = ("nontrivial,stable", "feature_learning", "mf_limit")
OPTIMIZERS = ("sgd", "rmsprop", "adam")
ACTIVATIONS = ("tanh", "leaky_relu")


def _fix(init: str, L: int, opt: str) -> dict:
    if init == "mup":
        p = preset("mup", L, opt)
        return {"a": list(p.a), "b": list(p.b)}
    return {"a": [0] * (L + 1), "b": [0] + [1] * L}


def _old(L: int, opt: str, want: str, act: str, init: str, limit: float) -> tuple[str, float]:
    """The full cover (theory.regions.query.query), in a subprocess killed at the limit."""
    import multiprocessing as mp

    def work(q: mp.Queue) -> None:
        from widthlimits.theory.regions.query import query
        r = query(L, opt, want, activation=act, fix=_fix(init, L, opt), max_free=L + 1,
                  describe=False, explain=False)
        q.put("empty" if r.empty else "non-empty")

    q: mp.Queue = mp.Queue()
    t0 = time.perf_counter()
    pr = mp.Process(target=work, args=(q,))
    pr.start()
    pr.join(limit)
    if pr.is_alive():
        pr.kill()
        pr.join()
        return f"did not finish in {limit:g} s", limit
    return q.get(), time.perf_counter() - t0


def _derive_section(depths: str, limit: float) -> None:
    """derive / closed forms: the engine's sets equal TP4's and TP IVb's over the whole
    gauge-fixed space (theory.regions.equivalence, z3), beside the current ``derive --symbolic
    tp4-layers`` (sympy normal forms and LP; per-layer rates, every non-degenerate
    parametrization up to the gauge), run as a subprocess under ``limit`` seconds."""
    import subprocess
    import sys

    from widthlimits.theory.regions.equivalence import closed_form_equivalence

    print("derive: closed-form set equality (both differences unsat) and derive --symbolic")
    for L in (int(x) for x in depths.split(",")):
        for opt in ("sgd", "adam"):
            regime = "operator" if opt == "adam" else "kernel"
            for prop in ("stable", "nontrivial", "feature_learning", regime):
                t0, c0 = time.perf_counter(), time.process_time()
                eq = closed_form_equivalence(L, opt, prop, time_limit=limit)
                w, c = time.perf_counter() - t0, time.process_time() - c0
                ans = {True: "equal", False: "DIFFERENT", None: "did not finish"}[eq.equal]
                cases = sum(ch.cases for ch in eq.checks)
                print(f"L={L} {opt:5} {prop:17} {eq.theorem:7} {ans:15} {w:8.2f} s wall "
                      f"{c:8.2f} s CPU  ({cases} solver calls)", flush=True)
            t0 = time.perf_counter()
            try:
                rc = subprocess.run([sys.executable, "-m", "widthlimits.proofs_checks", "derive",
                                "--symbolic", "tp4-layers", "--depth", str(L), "--optimizer", opt],
                               capture_output=True, timeout=limit, check=False).returncode
                took = f"{time.perf_counter() - t0:.2f} s wall" + (f" (exit {rc})" if rc else "")
            except subprocess.TimeoutExpired:
                took = f"did not finish in {limit:.0f} s"
            print(f"L={L} {opt:5} derive --symbolic tp4-layers (sympy normal forms): {took}",
                  flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depths", default="4,6")
    ap.add_argument("--methods", default="search")
    ap.add_argument("--old", action="store_true")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--only", default=None, help="restrict to one optimizer")
    ap.add_argument("--order", default="depth", choices=["depth", "breadth"],
                    help="the search's visiting order (exists(order=...))")
    ap.add_argument("--no-seeds", action="store_true",
                    help="search without first trying the named parametrizations")
    ap.add_argument("--golikov", default="", metavar="DEPTHS",
                    help="Golikov's depth statement instead: GD vs RMSProp at mean-field init, "
                         "every c_l free, want mf_limit, tanh, e.g. --golikov 2,3,4,5,6")
    ap.add_argument("--golikov-coords", default="", metavar="DEPTHS",
                    help="Golikov's depth statement in his own exponents instead: q_sigma = -1, "
                         "q_w, q_v, q_a free in the box, want mf_limit, GD and RMSProp, each "
                         "without (old) and with the lift to the per-layer frame, e.g. "
                         "--golikov-coords 3,4,5,6")
    ap.add_argument("--max-lr", default="", metavar="DEPTHS",
                    help="also time max-lr at these depths, e.g. 10,20,50,100 (sgd, adam; presets "
                         "mup, sp, golikov-default, golikov-mf, golikov-ntk)")
    ap.add_argument("--max-lr-old", default="", metavar="DEPTHS",
                    help="also time the earlier method (1-D covers; Everett's LP as now) at these "
                         "depths, e.g. 3,10,20")
    ap.add_argument("--classify", type=int, default=0, help="also time classify at this depth")
    ap.add_argument("--whole-adam", default="", metavar="DEPTHS",
                    help="the whole gauge-fixed space of adam and rmsprop instead: every b, c and "
                         "d free (a = 0), each want, tanh, with and without the named-point seeds, "
                         "e.g. --whole-adam 2,4,6,8")
    ap.add_argument("--derive", default="", metavar="DEPTHS",
                    help="the derive section instead: closed-form set equality and derive "
                         "--symbolic for sgd and adam, e.g. --derive 1,2,3")
    ap.add_argument("--describe", action="store_true",
                    help="the full-description section instead: the stages of three queries "
                         "(cover, simplifying the pieces, merging them and the rest)")
    ap.add_argument("--deep-query", default="", metavar="DEPTHS",
                    help="the deep query section instead: muP init, hidden layers sharing their "
                         "c, want feature_learning, at these depths, beside the same query with "
                         "every step after stationarity written out and read (the earlier "
                         "code), e.g. --deep-query 20,50,100")
    args = ap.parse_args()
    if args.deep_query:
        _deep_query(args.deep_query, args.repeats)
        return
    if args.describe:
        _describe(args.repeats)
        return
    if args.derive:
        _derive_section(args.derive, args.time_limit)
        return
    opts = (args.only,) if args.only else OPTIMIZERS
    if args.whole_adam:
        _whole_entrywise(args.whole_adam, args.time_limit, (args.only,) if args.only else
                         ("adam", "rmsprop"), args.order)
        return
    if args.golikov_coords:
        _golikov_coords(args.golikov_coords, args.time_limit, not args.no_seeds)
        return
    if args.golikov:
        for L in (int(x) for x in args.golikov.split(",")):
            for opt in ("sgd", "rmsprop"):
                t0, c0 = time.perf_counter(), time.process_time()
                r = exists(L, opt, "mf_limit", fix=_fix("mf", L, opt), time_limit=args.time_limit,
                           seeds=not args.no_seeds, order=args.order)
                w, c = time.perf_counter() - t0, time.process_time() - c0
                ans = ("did not finish" if r.empty is None else "empty" if r.empty else
                       "witness c = (" + ", ".join(str(x) for x in r.witness) + ")")
                print(f"golikov L={L} {opt:8} mf_limit: {ans}; {w:.2f} s wall, {c:.2f} s CPU",
                      flush=True)
        return
    print(f"{'L':>2} {'init':5} {'optimizer':8} {'activation':10} {'want':18} {'method':6} "
          f"{'answer':12} {'wall s':>8} {'cpu s':>8}  witness / cells")
    for L in (int(x) for x in args.depths.split(",") if x):  # --depths "": only the sections below
        totals: dict[str, list[float]] = {}
        for init in ("mup", "mf"):
            for opt in opts:
                for act in ACTIVATIONS:
                    for want in WANTS:
                        for method in args.methods.split(","):
                            walls, cpus = [], []
                            r = None
                            for _ in range(args.repeats):
                                t0, c0 = time.perf_counter(), time.process_time()
                                r = exists(L, opt, want, activation=act, fix=_fix(init, L, opt),
                                           time_limit=args.time_limit, method=method,
                                           explain=False, seeds=not args.no_seeds,
                                           order=args.order)
                                walls.append(time.perf_counter() - t0)
                                cpus.append(time.process_time() - c0)
                            w, c = statistics.median(walls), statistics.median(cpus)
                            totals.setdefault(method, []).append(w)
                            ans = ("did not finish" if r.empty is None else
                                   "empty" if r.empty else "non-empty")
                            extra = ("" if r.witness is None else
                                     "c=(" + ",".join(str(x) for x in r.witness) + ")")
                            if "cells" in r.stats:
                                extra += f" cells={r.stats['cells']}"
                            print(f"{L:>2} {init:5} {opt:8} {act:10} {want:18} {method:6} "
                                  f"{ans:12} {w:8.2f} {c:8.2f}  {extra}", flush=True)
                        if args.old:
                            ans, w = _old(L, opt, want, act, init, args.time_limit)
                            print(f"{L:>2} {init:5} {opt:8} {act:10} {want:18} {'old':6} "
                                  f"{ans:12} {w:8.2f} {'':>8}", flush=True)
        for method, ws in totals.items():
            print(f"L={L} {method}: {len(ws)} questions, median {statistics.median(ws):.2f} s, "
                  f"max {max(ws):.2f} s, total {sum(ws):.1f} s", flush=True)
    if args.max_lr or args.max_lr_old:
        _max_lr(args.max_lr, args.max_lr_old, args.repeats)
    if args.classify:
        from widthlimits.theory.classify import classify
        p = preset("mup", args.classify, "sgd")
        t0 = time.perf_counter()
        classify(p, "sgd")
        print(f"classify --preset mup --depth {args.classify}: {time.perf_counter() - t0:.2f} s",
              flush=True)


def _copies_written_out():
    """A context in which a run stationary before its last step writes its later steps out as
    copies and every reader reads them (before engine.RepeatedSteps and last_distinct_step)."""
    import contextlib

    from widthlimits.theory import engine

    @contextlib.contextmanager
    def ctx():
        def written(base, s, last):
            out = dict(base)
            for (q, layer, t), v in base.items():
                if t == s:
                    for t2 in range(s + 1, last + 1):
                        out[(q, layer, t2)] = v
            return out

        keep_cls, keep_prop = engine.RepeatedSteps, engine.EngineResult.last_distinct_step
        engine.RepeatedSteps = written
        engine.EngineResult.last_distinct_step = property(lambda self: self.steps)
        try:
            yield
        finally:
            engine.RepeatedSteps = keep_cls
            engine.EngineResult.last_distinct_step = keep_prop

    return ctx()


def _deep_query(depths: str, repeats: int) -> None:
    """query at depth L (muP init, shared hidden c, want feature_learning), now and with the
    copies written out, interleaved; medians of wall and CPU seconds, and the answers compared."""
    import contextlib

    from widthlimits.theory.regions.query import query

    for L in (int(x) for x in depths.split(",")):
        p = preset("mup", L, "sgd")
        times: dict[str, list[tuple[float, float]]] = {"now": [], "copies": []}
        answers = {}
        for _ in range(repeats):
            for label in ("copies", "now"):
                ctx = _copies_written_out() if label == "copies" else contextlib.nullcontext()
                with ctx:
                    t0, c0 = time.perf_counter(), time.process_time()
                    r = query(L, "sgd", "feature_learning", fix={"a": list(p.a), "b": list(p.b)},
                              shared_hidden=True)
                    times[label].append((time.perf_counter() - t0, time.process_time() - c0))
                answers[label] = [(str(pc.verdict.regime), pc.constraints) for pc in r.pieces]
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
               for k, v in times.items()}
        print(f"query depth {L} (mup init, shared hidden, feature_learning): now "
              f"{med['now'][0]:.2f} s wall / {med['now'][1]:.2f} s CPU, copies written out "
              f"{med['copies'][0]:.2f} / {med['copies'][1]:.2f} s, ratio "
              f"{med['copies'][1] / med['now'][1]:.2f}x CPU; same answer: "
              f"{answers['now'] == answers['copies']}", flush=True)


#: full descriptions timed by --describe: (label, query arguments)
DESCRIBE_CASES = (
    ("golikov L=2 sgd nontrivial,stable", dict(depth=2, optimizer="sgd", want="nontrivial,stable",
                                               coords="golikov", box=(-2, 2))),
    ("golikov L=2 sgd stable", dict(depth=2, optimizer="sgd", want="stable", coords="golikov",
                                    box=(-2, 2))),
    ("L=2 adam feature_learning (6 free)", dict(depth=2, optimizer="adam",
                                                want="feature_learning", max_free=6)),
)


def _describe(repeats: int) -> None:
    """The stages of a full description (``query``): the cover (until the first piece is
    written), simplifying the answer's pieces (until the first merge test), and merging them
    with the vertices and the rest; medians of CPU seconds over ``repeats``."""
    from widthlimits.theory.regions import query

    print(f"{'describe':36} {'cover':>7} {'simplify':>9} {'merge+rest':>11} {'total':>7} "
          f"{'wall':>7}  pieces", flush=True)
    for label, kw in DESCRIBE_CASES:
        rows = []
        r = None
        for _ in range(max(repeats, 1)):
            marks: dict[str, float] = {}

            def mark(name: str, *_: object, marks: dict[str, float] = marks) -> None:
                marks.setdefault(name, time.process_time())

            c0, w0 = time.process_time(), time.perf_counter()
            r = query(writing=lambda *a: mark("written", *a),
                      merging=lambda *a: mark("merging", *a), **kw)
            c1, w1 = time.process_time(), time.perf_counter()
            t_cover = marks.get("written", c1) - c0
            t_simp = marks.get("merging", c1) - marks.get("written", c1)
            rows.append((t_cover, t_simp, c1 - marks.get("merging", c1), c1 - c0, w1 - w0))
        med = [statistics.median(x) for x in zip(*rows, strict=True)]
        print(f"{label:36} {med[0]:7.1f} {med[1]:9.1f} {med[2]:11.1f} {med[3]:7.1f} "
              f"{med[4]:7.1f}  {len(r.pieces)}", flush=True)  # type: ignore[union-attr]


def _whole_entrywise(depths: str, limit: float, opts: tuple[str, ...], order: str) -> None:
    """Existence over the whole gauge-fixed space of an entrywise optimizer: a = 0 (SP gauge),
    every b, c and d (TP IVb's gradient exponents) free: 3(L + 1) coordinates."""
    for L in (int(x) for x in depths.split(",")):
        for opt in opts:
            for want in WANTS:
                for seeds in (True, False):
                    t0, c0 = time.perf_counter(), time.process_time()
                    r = exists(L, opt, want, fix={"d": [None] * (L + 1)}, time_limit=limit,
                               seeds=seeds, explain=False, order=order)
                    w, c = time.perf_counter() - t0, time.process_time() - c0
                    ans = ("did not finish" if r.empty is None else "empty" if r.empty else
                           f"witness ({r.stats.get('seed') or str(r.stats.get('cells')) + ' cells'})")
                    print(f"whole L={L} {opt:8} {want:18} seeds={'yes' if seeds else 'no ':3} "
                          f"{3 * (L + 1):3} coords: {ans}; {w:.2f} s wall, {c:.2f} s CPU", flush=True)


MAX_LR_PRESETS = ("mup", "sp", "golikov-default", "golikov-mf", "golikov-ntk")


def _golikov_coords(depths: str, time_limit: float, seeds: bool) -> None:
    """Golikov's statement in his exponents (``coords="golikov"``, q_sigma = -1, box [-4, 4]):
    the search on his 3-D slice alone (``lift=False``, the method before) beside the search that
    first certifies emptiness on the per-layer frame containing it; wall and CPU seconds."""
    print(f"{'golikov-coords':14} {'L':>2} {'optimizer':8} {'method':6} {'answer':18} "
          f"{'wall s':>8} {'cpu s':>8}  cells", flush=True)
    for L in (int(x) for x in depths.split(",") if x):
        for opt in ("sgd", "rmsprop"):
            for lift in (False, True):
                t0, c0 = time.perf_counter(), time.process_time()
                r = exists(L, opt, "mf_limit", coords="golikov", fix={"q_sigma": -1},
                           time_limit=time_limit, seeds=seeds, lift=lift, explain=False)
                w, c = time.perf_counter() - t0, time.process_time() - c0
                ans = ("did not finish" if r.empty is None else "empty" if r.empty else
                       "(" + ", ".join(str(x) for x in r.witness) + ")")
                print(f"{'golikov-coords':14} {L:>2} {opt:8} {'lift' if lift else 'slice':6} "
                      f"{ans:18} {w:8.2f} {c:8.2f}  {r.stats.get('cells', 0)}", flush=True)


def _max_lr(depths: str, old_depths: str, repeats: int) -> None:
    """max-lr (the whole answer: TP rule, both Everett LPs, the check by classify) per preset,
    optimizer and depth: medians of wall and CPU seconds; ``old`` is the TP rule by 1-D covers
    (method="cover"), the route before the germ-cell walk."""
    from widthlimits.theory.max_lr import max_lr

    runs = [(int(x), "line") for x in depths.split(",") if x]
    runs += [(int(x), "cover") for x in old_depths.split(",") if x]
    print(f"{'max-lr':8} {'L':>4} {'preset':16} {'optimizer':9} {'method':6} {'wall s':>8} "
          f"{'cpu s':>8}  c (first, second, last)", flush=True)
    for L, method in runs:
        for name in MAX_LR_PRESETS:
            for opt in ("sgd", "adam"):
                try:
                    p = preset(name, L, opt)
                except ValueError as e:
                    print(f"{'max-lr':8} {L:>4} {name:16} {opt:9} {method:6} (preset: {e})",
                          flush=True)
                    continue
                walls, cpus = [], []
                r = None
                for _ in range(max(repeats, 1)):
                    t0, c0 = time.perf_counter(), time.process_time()
                    r = max_lr(p.a, p.b, opt, preset_name=name, method=method)
                    walls.append(time.perf_counter() - t0)
                    cpus.append(time.process_time() - c0)
                c = ", ".join(str(x) for x in (r.c[0], r.c[1], r.c[-1]))  # type: ignore[union-attr]
                print(f"{'max-lr':8} {L:>4} {name:16} {opt:9} {method:6} "
                      f"{statistics.median(walls):8.2f} {statistics.median(cpus):8.2f}  {c}",
                      flush=True)


if __name__ == "__main__":
    main()
