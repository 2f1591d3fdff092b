"""``widthlimits query``: the exact set of exponents with given properties (union of polyhedra)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from widthlimits.proofs_checks.commands._params import (
    OPTIMIZER_NAMES,
    CoverProgress,
    TimeLimitReached,
    add_activation_argument,
    add_depth_argument,
    add_workers_argument,
    check_workers,
    cover_mapper,
    cover_time_limit,
    deadline_from_args,
    parse_box,
    stopped_inside_a_cell,
)

NAME = "query"
HELP = ("exact set of exponents (union of rational polyhedra, modulo the width symmetry) whose "
        "limit has the wanted properties; named points inside; 'why not' if empty")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from widthlimits.theory.regions.frame import MAX_FREE

    add_depth_argument(p, required=False)
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZER_NAMES, help="default sgd")
    p.add_argument("--want", default=None, metavar="PROPS",
                   help="comma-separated conjunction: stable, unstable, stable_at_init, "
                        "degenerate_at_init, moves, nontrivial (default), trivial, "
                        "feature_learning, kernel, operator, fl_all, fl<l>, mu<l>, maximal_update, "
                        "discrete_time, mf_limit (Golikov's criterion); with --preset (residual "
                        "model): stable_depth, block_1_over_L, non_lazy (default), lazy, "
                        "output_theta1; prefix not- negates")
    p.add_argument("--preset", metavar="NAME", default=None,
                   help="residual model in (n, L): depth-mup or completep[:alpha]; the query runs "
                        "over --free (alpha and block L-exponents) instead of the width exponents; "
                        "--depth is then optional")
    p.add_argument("--free", default=None, metavar="LIST",
                   help="with --preset: free coordinates among alpha, c_L (block LR ~ L^-c_L), "
                        "d_L (block epsilon), wd_L (block weight decay), ln_c_L (LayerNorm "
                        "gain/bias LR), bias_c_L (bias LR); default alpha")
    p.add_argument("--tie", default=None, metavar="LIST",
                   help="with --preset: set these by the depth rules at every point: lr (every "
                        "block Theta(1/L): the transferring LR), eps, wd")
    p.add_argument("--fix", action="append", default=[], metavar="K=LIST",
                   help="fix a, b or c: e.g. --fix b=0,1/2,1/2 (L+1 values or input,hidden,readout; "
                        "* leaves a layer free: --fix c=*,1,1); d (adam, rmsprop, signsgd: TP IVb's "
                        "gradient exponents, epsilon ~ n^-d) adds them as coordinates: --fix d=*,*,* "
                        "frees every d (without it epsilon is negligible)")
    p.add_argument("--coords", default="abc", choices=["abc", "golikov"],
                   help="free coordinates: abc (exponents per layer, default) or golikov "
                        "(Golikov's q_sigma, q_w, q_v, q_a: init std of non-input weights "
                        "~ n^q_sigma, learning rates ~ n^q_w (input), n^(q_v + q_sigma) (hidden), "
                        "n^(q_a + 2 q_sigma) (readout); fix them one value each, e.g. --fix "
                        "q_sigma=-1)")
    p.add_argument("--init", metavar="PRESET",
                   help="fix a and b to those of a preset (e.g. golikov-mf)")
    p.add_argument("--gauge", default="sp", choices=["sp", "tp4"],
                   help="symmetry gauge: sp (a_l = 0) or tp4 (b_l = 1/2); default sp")
    p.add_argument("--shared-hidden", action="store_true",
                   help="hidden layers 2..L share their free coordinates (e.g. one c for all)")
    p.add_argument("--box", default="-4,4", metavar="LO,HI",
                   help="bound every free coordinate to [LO, HI] (default -4,4)")
    p.add_argument("--max-free", type=int, default=MAX_FREE,
                   help=f"refuse more free coordinates than this (default {MAX_FREE})")
    add_activation_argument(p, default=None,
                            help="activation (default tanh; with --preset the model's own: relu "
                                 "for depth-mup, gelu for completep)")
    p.add_argument("--loss", default=None, choices=["mse", "logistic"],
                   help="default mse; with --preset the depth engine's first step takes the loss "
                        "derivative as Theta(1), as both losses give while f = O(1)")
    p.add_argument("--exists", action="store_true",
                   help="only decide whether the set is empty and give a witness (no cover of the "
                        "box; no limit on the number of free coordinates)")
    p.add_argument("--method", default="search", choices=["search", "smt"],
                   help="with --exists: exact cells until the first witness (search, default) or "
                        "one linear-real-arithmetic formula decided by z3 (smt)")
    p.add_argument("--order", default="depth", choices=["depth", "breadth"],
                   help="with --exists --method search: visit the pending regions last found first "
                        "(depth, default) or first found first (breadth: reaches the box's large "
                        "regions sooner); the same answer")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop after SECONDS: print what is established, mark the JSON "
                        "\"complete\": false and exit with status 3")
    add_workers_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--later", action="store_true",
                   help="continue each piece still moving at the horizon T to step 4T: every "
                        "point blows up (certified on the whole piece) or a point still stable")
    p.add_argument("--format", default="txt", choices=["txt", "tex", "snippet"],
                   help="the answer as text (default), a LaTeX document (tex) or a LaTeX "
                        "snippet: each convex piece's conditions and verdict")


def _golikov_fixes(args: argparse.Namespace) -> dict[str, str]:
    """``--coords golikov``: ``--fix q_sigma=-1`` and the like, one value per exponent."""
    from widthlimits.theory.regions.golikov_frame import GOLIKOV_COORDS

    if args.init is not None:
        raise ValueError("`--init` fixes a and b per layer; with --coords golikov fix "
                         "q_sigma instead (e.g. --fix q_sigma=-1 for his mean-field init)")
    fix: dict[str, str] = {}
    for item in args.fix:
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in GOLIKOV_COORDS:
            raise ValueError(f"with --coords golikov, `--fix` wants one of "
                             f"{', '.join(k + '=VALUE' for k in GOLIKOV_COORDS)}, got {item!r}")
        if key in fix:
            raise ValueError(f"`--fix {key}=` is given twice")
        fix[key] = val.strip()
    return fix


def _fixes(args: argparse.Namespace, L: int) -> dict:
    from widthlimits.theory.parametrization import parse_layer_list
    from widthlimits.theory.presets import preset

    if args.coords == "golikov":
        return _golikov_fixes(args)
    fix: dict[str, list] = {}
    if args.init is not None:
        pp = preset(args.init, L, args.optimizer)
        fix["a"], fix["b"] = list(pp.a), list(pp.b)
    given: set[str] = set()
    for item in args.fix:
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in ("a", "b", "c", "d"):
            raise ValueError(f"`--fix` wants a=LIST, b=LIST, c=LIST or d=LIST, got {item!r}")
        if key in given:
            raise ValueError(f"`--fix {key}=` is given twice")
        if args.init is not None and key in ("a", "b"):
            raise ValueError(f"`--init {args.init}` fixes a and b; drop `--fix {key}=` or --init")
        given.add(key)
        # "*" leaves a layer free (e.g. c=*,1,1); the rest parses as in `classify`
        parts = [x.strip() for x in val.split(",")]
        stars = [x == "*" for x in parts]
        filled = parse_layer_list(",".join("0" if st else x for x, st in zip(parts, stars, strict=True)),
                                  L, key)
        if len(parts) == L + 1:
            free = stars
        else:  # input,hidden,readout
            free = [stars[0]] + [stars[1]] * (L - 1) + [stars[2]]
        fix[key] = [None if f else v for v, f in zip(filled, free, strict=True)]
    return fix


def _free_text(out: dict) -> str:
    """The free coordinates and their box, or "none" when every exponent is fixed."""
    if not out["variables"]:
        return "none (every exponent fixed: the answer is one point's verdict)"
    return f"{', '.join(out['variables'])} in [{out['box'][0]}, {out['box'][1]}]"


def _print_coordinates(frame: object) -> None:
    """Golikov's coordinates: what each exponent scales (his convention, SP form)."""
    meanings = getattr(frame, "meanings", None)
    if meanings is not None:
        print("Golikov's exponents (SP form, a = 0): " + "; ".join(meanings()))


def _pieces_header(n: int, stats: dict) -> str:
    """The line above an answer's pieces, saying what the time limit left unsimplified or
    unmerged (the width and the residual-model query alike)."""
    raw = stats.get("pieces_not_simplified", 0)
    return (f"{n} convex piece(s)"
            + (f" ({raw} as the cover found them: the time limit ended the simplification)"
               if raw else "")
            + (" (the time limit ended the merging: the same set, in more pieces)"
               if stats.get("merge_stopped") else "") + ":")


def _stage(name: str, seconds: float) -> None:
    """Progress: one line per stage with the elapsed time, on stderr."""
    print(f"[{seconds:7.2f} s] {name}", file=sys.stderr, flush=True)


def _run_exists(args: argparse.Namespace, L: int, box: tuple, deadline: float | None) -> int:
    from widthlimits.theory.regions import exists

    cells = CoverProgress("query --exists")
    try:
        with cover_time_limit(deadline, 1):
            r = exists(L, args.optimizer, args.want, activation=args.activation, loss=args.loss,
                       gauge=args.gauge, fix=_fixes(args, L), shared_hidden=args.shared_hidden,
                       box=box, time_limit=args.time_limit, method=args.method,
                       progress=_stage, cover_progress=cells, order=args.order,
                       coords=args.coords)
    except TimeLimitReached:
        return stopped_inside_a_cell("query --exists", args.time_limit, args.json, cells)
    finally:
        cells.close()
    out = r.to_json()
    code = 0 if r.complete else 3
    if args.json:
        print(json.dumps(out, indent=2))
        return code
    fixed = fixed_text(out["fixed"])
    print(f"depth {L}, {out['optimizer']}, want {', '.join(r.want)}; free: "
          f"{_free_text(out)}; fixed: "
          f"{fixed or 'none'}")
    _print_coordinates(r.frame)
    if r.empty is None:
        print(f"NOT DECIDED within the time limit ({args.time_limit} s): no witness found yet; "
              f"{out['stats'].get('cells', 0)} cells certified without the wanted properties")
    elif r.empty:
        print("EMPTY (certified): no exponents in the box have these properties.")
        for t in r.why_not:
            print(f"  - {t}")
    else:
        print("NON-EMPTY; witness: " + (", ".join(f"{k} = {v}" for k, v in out["witness"].items())
                                         or "the fixed point itself")
              + f"  (classify at the witness: {out['witness_check']['regime']})")
        if not out["witness_check"]["all_steps"]:
            print("note on the witness: " + out["witness_check"]["horizon_note"])
    print(f"({out['stats']['seconds']} s, method {args.method})")
    return code


def _run_depth(args: argparse.Namespace, box: tuple) -> int:
    """``--preset depth-mup|completep``: the depth query (:mod:`widthlimits.theory.depth.query`)."""
    from widthlimits.theory.depth.engine import LOSS_ASSUMPTION
    from widthlimits.theory.depth.presets import depth_preset
    from widthlimits.theory.depth.query import depth_query
    from widthlimits.theory.regions.frame import MAX_FREE

    width_only = [f for f, given in (("--fix", args.fix), ("--init", args.init),
                                     ("--coords", args.coords != "abc"),
                                     ("--exists", args.exists), ("--shared-hidden", args.shared_hidden),
                                     ("--gauge", args.gauge != "sp"), ("--workers", args.workers != 1),
                                     ("--max-free", args.max_free != MAX_FREE),
                                     ("--method", args.method != "search"),
                                     ("--order", args.order != "depth")) if given]
    if width_only:
        raise ValueError(f"{width_only[0]} is for the width query; the residual query takes "
                         f"--free, --tie, --want, --box, --time-limit")
    deadline_from_args(args)  # validates --time-limit, as every command does
    if args.free is not None and not args.free.strip():
        raise ValueError("`--free` needs coordinates, e.g. alpha,c_L")
    free = [x.strip() for x in (args.free or "alpha").split(",")]
    tie = [x.strip() for x in args.tie.split(",")] if args.tie else []
    model = depth_preset(args.preset, args.optimizer, args.depth)
    if args.activation is not None:
        model = model.with_(activation=args.activation)
    progress = CoverProgress("query")
    try:
        r = depth_query(model, free, "non_lazy" if args.want is None else args.want, tie=tie, box=box,
                        time_limit=args.time_limit, progress=progress)
    finally:
        progress.close()
    out = r.to_json()
    out["activation"] = model.activation
    out["loss"] = {"name": args.loss or "mse", "note": LOSS_ASSUMPTION}
    code = 0 if r.complete else 3
    if args.json:
        print(json.dumps(out, indent=2))
        return code
    if args.format != "txt":
        from widthlimits.theory.regions.query_tex import query_latex

        print(query_latex(r, document=args.format == "tex"), end="")
        return code
    if not r.complete:
        print(f"INCOMPLETE: the time limit ({args.time_limit} s) stopped the cover after "
              f"{out['stats']['cells']} cells; the pieces below are those found so far")
    fixed = "" if "alpha" in r.free else f", alpha = {out['fixed_alpha']}"
    print(f"residual model {out['model']}{fixed}, {out['optimizer']}, {model.activation}, "
          f"{out['loss']['name']} loss; tied to the depth rules: "
          f"{', '.join(r.tie) or 'none'}; want {', '.join(r.want)}; free: "
          + ", ".join(f"{v} in [{lo}, {hi}]" for v, (lo, hi) in out["box"].items()))
    if r.empty and r.complete:
        print("EMPTY: no point of the box has these properties.")
        if r.conflicting:
            print("minimal conflicting properties: " + ", ".join(r.conflicting))
    else:
        print(_pieces_header(len(r.pieces), r.stats))
        for i, pc in enumerate(out["regions"], 1):
            print(f"  [{i}] dim {pc['dimension']}: " + " and ".join(pc["conditions"])
                  + f"   ({pc['regime']})")
            w = ", ".join(f"{k} = {v}" for k, v in pc["witness"].items())
            print(f"      witness {w}: re-classified by the depth engine: "
                  + ("holds" if pc["witness_reclassified"] else "DOES NOT HOLD"))
    st = out["stats"]
    if args.loss is not None:
        print(f"loss: {LOSS_ASSUMPTION}")
    print(f"({st['cells']} cells, {st['seconds']} s)")
    return code


def fixed_text(fixed: dict[str, str]) -> str:
    """The fixed exponents, runs of equal values in consecutive layers written once:
    ``{"a1": "0", "a2": "0", "a3": "1/2"}`` -> ``"a1..a2=0, a3=1/2"``."""
    import re

    runs: list[list] = []  # [letter, first layer, last layer, value]
    for key, v in fixed.items():
        m = re.fullmatch(r"([a-z]+)(\d+)", key)
        if m is None:
            runs.append([key, None, None, v])
            continue
        letter, layer = m.group(1), int(m.group(2))
        last = runs[-1] if runs else None
        if last and last[0] == letter and last[2] == layer - 1 and last[3] == v:
            last[2] = layer
        else:
            runs.append([letter, layer, layer, v])
    return ", ".join(f"{k}={v}" if lo is None else f"{k}{lo}={v}" if lo == hi else
                     f"{k}{lo}..{k}{hi}={v}" for k, lo, hi, v in runs)


def run(args: argparse.Namespace) -> int:
    from widthlimits.theory.parametrization import check_depth
    from widthlimits.theory.regions.properties import parse_want
    from widthlimits.theory.regions.query import query

    box = parse_box(args.box)
    if args.later and (args.exists or args.preset is not None):
        raise ValueError("--later continues the pieces of a full description; it does not "
                         "combine with --exists or --preset")
    if args.format != "txt" and (args.json or args.exists or args.preset is not None):
        raise ValueError(f"--format {args.format} writes a full description in LaTeX; it does not "
                         "combine with --json, --exists or --preset")
    if args.preset is not None:
        return _run_depth(args, box)
    if args.free is not None or args.tie is not None:
        raise ValueError("--free and --tie need --preset (a residual model: depth-mup, completep)")
    if args.depth is None:
        raise ValueError("--depth is required (or --preset for a residual model)")
    L = check_depth(args.depth)
    args.want = "nontrivial" if args.want is None else args.want
    parse_want(args.want, L)  # an unknown property before the count of free coordinates
    args.activation = args.activation or "tanh"
    args.loss = args.loss or "mse"
    deadline = deadline_from_args(args)  # validates --time-limit
    check_workers(args.workers)
    if not args.exists and (args.method != "search" or args.order != "depth"):
        raise ValueError("--method and --order choose how --exists searches; add --exists")
    if args.exists and args.method == "smt" and args.order != "depth":
        raise ValueError("--order chooses how --method search visits the box; --method smt "
                         "decides one formula")
    if args.exists and args.workers != 1:
        raise ValueError("--workers splits a full description's cover; --exists searches in one "
                         "process")
    if args.exists:
        return _run_exists(args, L, box, deadline)
    progress = CoverProgress("query")
    t_write = [-math.inf, time.perf_counter()]

    def writing(done: int, total: int) -> None:
        # after the cover: its bar is closed, then a line at most every MIN_INTERVAL seconds
        from widthlimits.numerics.progress import MIN_INTERVAL

        progress.close()
        now = time.perf_counter()
        if total >= 50 and (now - t_write[0] >= MIN_INTERVAL or done == total):
            t_write[0] = now
            sys.stderr.write(f"[query] writing the answer: {done} of {total} pieces "
                             f"({now - t_write[1]:.1f} s)\n")
            sys.stderr.flush()

    def merging(left: int, before: int, tested: int) -> None:
        # at most a line every MIN_INTERVAL seconds: the scan is quadratic in the pieces
        from widthlimits.numerics.progress import MIN_INTERVAL

        now = time.perf_counter()
        if now - t_write[0] >= MIN_INTERVAL:
            t_write[0] = now
            sys.stderr.write(f"[query] merging pieces with one verdict: {left} left of {before} "
                             f"({tested} pairs tested, {now - t_write[1]:.1f} s)\n")
            sys.stderr.flush()

    try:
        with cover_time_limit(deadline, args.workers), cover_mapper(args.workers) as (parts, mapper):
            r = query(L, args.optimizer, args.want, activation=args.activation, loss=args.loss,
                      gauge=args.gauge, fix=_fixes(args, L), shared_hidden=args.shared_hidden,
                      box=box, max_free=args.max_free, time_limit=args.time_limit, parts=parts,
                      mapper=mapper, progress=progress, writing=writing, coords=args.coords,
                      merging=merging, later=args.later)
    except TimeLimitReached:
        return stopped_inside_a_cell("query", args.time_limit, args.json, progress)
    finally:
        progress.close()
    _stage("cover", r.stats["seconds"])
    out = r.to_json()
    code = 0 if r.complete else 3
    if args.json:
        print(json.dumps(out, indent=2))
        return code
    if args.format != "txt":
        from widthlimits.theory.regions.query_tex import query_latex

        print(query_latex(r, document=args.format == "tex"), end="")
        return code
    if not r.complete:
        print(f"INCOMPLETE: the time limit ({args.time_limit} s) stopped the cover after "
              f"{out['stats']['cells']} cells; the pieces below are those found so far")
    fixed = fixed_text(out["fixed"])
    print(f"depth {L}, {out['optimizer']}, want {', '.join(r.want)}; free: "
          f"{_free_text(out)}; fixed: "
          f"{fixed or 'none'}")
    _print_coordinates(r.frame)
    if r.empty and r.complete:
        print("EMPTY: no exponents in the box have these properties.")
        if r.conflicting_properties:
            cp = r.conflicting_properties
            print("minimal conflicting properties: " + ", ".join(cp)
                  + (" (never true in the box)" if len(cp) == 1 else
                     " (a property and its negation)" if cp[1] == f"not-{cp[0]}" else
                     " (each holds somewhere, never all together)"))
        for i, c in enumerate(r.why_not, 1):
            print(f"why not ({i}), on the cell around ({', '.join(c.cell_point)}): {c.sentence}.")
    else:
        print(_pieces_header(len(r.pieces), r.stats))
        for i, pc in enumerate(out["regions"], 1):
            conds = pc["equalities"] + pc["inequalities"]
            moving = ("" if pc["all_steps"] else
                      f"; over steps 0..{out['stats']['horizon_steps']} only, still moving"
                      + ("" if r.pieces[i - 1].later is None else
                         "; " + r.pieces[i - 1].later.text()))
            dim = "?" if pc["dimension"] is None else pc["dimension"]
            print(f"  [{i}] dim {dim}: " + " and ".join(conds)
                  + f"   ({pc['verdict']}{moving})")
            if pc["vertices"]:
                vs = "; ".join("(" + ", ".join(v.values()) + ")" for v in pc["vertices"])
                print(f"      vertices: {vs}")
        if out["stats"].get("pieces_moving_at_horizon"):
            print("note: " + next(n for n in r.notes if "still moving" in n))
    print("named points inside: " + (", ".join(r.named_points) or "none"))
    st = out["stats"]
    print(f"({st['cells']} cells, {st['cover_pieces']} pieces"
          + (f", {st['parts']} parts on {args.workers} workers" if st["parts"] > 1 else "")
          + f", {st['seconds']} s)")
    return code
