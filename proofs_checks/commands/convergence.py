"""``widthlimits convergence MODEL``: measured convergence order of finite widths to the limit.

A thin shell over :func:`widthlimits.numerics.limits.convergence_study`.  It prints every measured
order with its CI beside the predicted one (a mismatch is printed, and the exit code stays 0:
it is a measurement, not a failure), optionally writes ``result.json`` and ``error_vs_width.png``
into ``-o DIR``, and ``--json`` prints the JSON on stdout instead of the summary.

Arguments are checked before any model is built: widths are integers in ``1..MAX_WIDTH`` (step
sizes in ``[MIN_STEP, 1]`` for a step-axis model), seeds in ``3..MAX_SEEDS``, and the memory of the
largest width is estimated and refused above what is available.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from widthlimits.proofs_checks.commands._params import (
    EXIT_TIME_LIMIT,
    TimeLimitReached,
    add_time_limit_argument,
    deadline_from_args,
    time_limit,
)

NAME = "convergence"
HELP = "measure the convergence order of finite widths to an infinite-width limit"

#: ids the issue asks for; every one listed here must be implemented or rejected clearly
REQUIRED_IDS = ("ntk", "deep-linear", "mf-two-layer", "mf-multilayer", "golikov-discrete-mf")
#: models that hold width x width matrices (two hidden layers or a middle matrix); the others
#: hold width x (input or particle) arrays
SQUARE_MODELS = frozenset({"ntk", "deep-linear", "mf-multilayer"})
#: float64 arrays of the largest width alive at once (weights, gradients, RK4 stages)
ARRAYS_AT_ONCE = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL",
                        help="model id: ntk, deep-linear, mf-two-layer, mf-two-layer-measure, "
                             "mf-two-layer-step, mf-multilayer, golikov-discrete-mf, golikov-icmf")
    parser.add_argument("--widths", nargs="+", default=None,
                        help="widths (step sizes for mf-two-layer-step); >= 3 values")
    parser.add_argument("--seeds", type=int, default=None, help="networks per width (>= 3)")
    parser.add_argument("--rng", type=int, default=0, help="root seed (default 0)")
    parser.add_argument("-o", "--output", metavar="DIR", default=None,
                        help="write result.json and error_vs_width.png (needs matplotlib) here")
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")


#: the smallest step size of a step-axis model (5 / step GD steps: 50,000, about 10 s)
MIN_STEP = 1e-4


def check_widths_for(model_id: str, axis: str, texts: list[str] | None) -> list[float] | None:
    """``--widths`` of a model: integers within the width bound, strictly increasing, or step
    sizes in [MIN_STEP, 1]."""
    from widthlimits.numerics.validation import MAX_WIDTH, check_int, check_memory

    if texts is None:
        return None
    if len(texts) < 3 or len(set(texts)) != len(texts):
        comma = " (separate them with spaces: --widths 16 32 64)" if any("," in t for t in texts) else ""
        raise ValueError(f"`widths` needs at least 3 distinct values for a slope, got "
                         f"{texts[:8]}{comma}")
    if axis == "step":
        out = []
        for t in texts:
            try:
                v = float(t)
            except ValueError:
                raise ValueError(f"`widths` (step sizes) must be numbers, got {t[:30]!r}") from None
            if not (math.isfinite(v) and MIN_STEP <= v <= 1):
                raise ValueError(f"`widths` (step sizes) must be in [{MIN_STEP:g}, 1] (a run takes "
                                 f"5 / step GD steps), got {t[:30]!r}")
            out.append(v)
        return out
    ws = []
    for t in texts:
        try:  # 1e3 and 512.0 are integers too
            v = int(t) if t.strip().lstrip("+-").isdigit() and t.isascii() else float(t)
        except ValueError:
            raise ValueError(f"`widths` must be integers, got {t[:30]!r}") from None
        if isinstance(v, float) and not (math.isfinite(v) and v == int(v)):
            raise ValueError(f"`widths` must be integers in 1..{MAX_WIDTH}, got {t[:30]!r}")
        ws.append(check_int(int(v), "widths", minimum=1, maximum=MAX_WIDTH))
    if any(b <= a for a, b in zip(ws, ws[1:], strict=False)):
        raise ValueError(f"`widths` must be strictly increasing, got {texts[:8]}")
    n = max(ws)
    per = n * n if model_id in SQUARE_MODELS else n * 4096
    check_memory(8.0 * ARRAYS_AT_ONCE * per, f"convergence {model_id} at width {n}",
                 hint="use smaller widths")
    return [float(w) for w in ws]


def run(args: argparse.Namespace) -> int:
    import pathlib

    from widthlimits.numerics.limits import MODELS, convergence_study
    from widthlimits.numerics.limits.study import check_study_seeds
    from widthlimits.numerics.validation import check_int, check_output_dir

    if args.model not in MODELS:
        raise ValueError(f"model {args.model!r} is not implemented; implemented: "
                         f"{', '.join(MODELS)}")
    widths = check_widths_for(args.model, MODELS[args.model].axis, args.widths)
    if args.seeds is not None:  # the rule and text of convergence_study (>= 3: the spread's CI)
        check_study_seeds(args.seeds)
    check_int(args.rng, "rng", minimum=0, maximum=2**63 - 1)
    out = check_output_dir(args.output) if args.output is not None else None
    deadline = deadline_from_args(args)
    from widthlimits.numerics.progress import stage

    finished: list[dict] = []  # the widths measured before a time limit

    def on_width(x: float, errors: Any) -> None:
        finished.append({"width": x, "errors": [float(e) for e in errors],
                         "rms_error": float((errors ** 2).mean() ** 0.5)})

    try:  # the study has no stopping point of its own: the limit interrupts it
        with stage(f"convergence {args.model}"), time_limit(deadline):
            result = convergence_study(args.model, widths, args.seeds, rng=args.rng,
                                       on_width=on_width)
    except TimeLimitReached:
        axis = MODELS[args.model].axis
        msg = (f"time limit of {args.time_limit:g} s reached before the study finished; "
               f"{len(finished)} {axis}{'s' if len(finished) != 1 else ''} measured, no order fitted")
        if args.json:
            sys.stdout.write(json.dumps({"complete": False, "model": args.model, "reason": msg,
                                         "finished": finished}) + "\n")
        else:
            print(f"incomplete: {msg}")
            for f in finished:
                print(f"  {axis} {f['width']:g}: rms error over seeds {f['rms_error']:.3g}")
        sys.stderr.write(f"widthlimits convergence: {msg}\n")
        return EXIT_TIME_LIMIT
    if out is not None:
        out = pathlib.Path(out)
        out.mkdir(exist_ok=True)
        (out / "result.json").write_text(result.to_json() + "\n")
        try:
            result.plot(str(out / "error_vs_width.png"))
        except ImportError as exc:
            sys.stderr.write(f"widthlimits convergence: {exc}; plot skipped\n")
    if args.json:
        sys.stdout.write(result.to_json() + "\n")
    else:
        sys.stdout.write(result.summary() + "\n")
    return 0
