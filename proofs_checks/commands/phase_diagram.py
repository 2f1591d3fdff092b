"""``widthlimits phase-diagram``: exact 2-D phase diagrams (Golikov's and TP4's planes)."""

from __future__ import annotations

import argparse
import sys

from widthlimits.proofs_checks.commands._params import (
    OPTIMIZER_NAMES,
    CoverProgress,
    TimeLimitReached,
    add_activation_argument,
    add_depth_argument,
    add_time_limit_argument,
    add_workers_argument,
    check_workers,
    cover_mapper,
    cover_time_limit,
    deadline_from_args,
    parse_box,
    stopped_inside_a_cell,
)

NAME = "phase-diagram"
HELP = ("exact 2-D phase diagram (regions labelled by limit, named points marked) as PNG/PDF/SVG "
        "plus JSON data beside it: Golikov's (q_sigma, q~) plane or TP4's (a_{L+1}+b_{L+1}, c) plane")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plane", required=True, choices=["golikov", "tp4"])
    add_depth_argument(p, required=False, default=1)
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZER_NAMES, help="default sgd")
    add_activation_argument(p)
    p.add_argument("--box", default="-2,2", metavar="LO,HI", help="both axes range (default -2,2)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="image file (.png, .pdf or .svg); the data goes to FILE with .json")
    add_time_limit_argument(p)
    add_workers_argument(p)


def run(args: argparse.Namespace) -> int:
    from widthlimits.numerics.validation import check_output_file
    from widthlimits.proofs_checks.phase_plot import plot_phase_diagram
    from widthlimits.theory.parametrization import check_depth
    from widthlimits.theory.regions.planes import phase_cover, phase_diagram_data

    check_depth(args.depth)
    check_output_file(args.output, "-o", suffixes=(".png", ".pdf", ".svg"), beside=(".json",))
    box = parse_box(args.box)
    deadline = deadline_from_args(args)  # validates --time-limit
    check_workers(args.workers)
    progress = CoverProgress("phase-diagram")
    try:
        with cover_time_limit(deadline, args.workers), cover_mapper(args.workers) as (parts, mapper):
            cv = phase_cover(args.plane, args.depth, args.optimizer, activation=args.activation,
                             box=box, time_limit=args.time_limit, parts=parts, mapper=mapper,
                             progress=progress)
    except TimeLimitReached:
        return stopped_inside_a_cell("phase-diagram", args.time_limit, False, progress)
    finally:
        progress.close()
    # writing what the cover established (simplified pieces, vertices) is not bound by the
    # limit: it takes time in proportion to the pieces found
    if not cv.complete:
        sys.stderr.write(f"[phase-diagram] writing the {len(cv.pieces)} pieces found\n")
    data = phase_diagram_data(cv, args.plane)
    path = plot_phase_diagram(data, args.output)
    if not data["complete"]:
        print(f"INCOMPLETE: the time limit ({args.time_limit} s) stopped the cover after "
              f"{data['stats']['cells']} cells; the picture and the JSON (\"complete\": false) "
              "hold the pieces found so far")
    print(f"wrote {path} and {path.with_suffix('.json')} ({len(data['pieces'])} pieces, "
          f"{data['stats']['cells']} cells)")
    for npt in data["named_points"]:
        print(f"  {npt['name']}: ({', '.join(npt['point'])}) {npt['label']}")
    return 0 if data["complete"] else 3
