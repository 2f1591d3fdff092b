"""Shared argument handling: a parametrization from ``--preset`` or ``--a/--b/--c[/--d]``, and the
command-line side of every validated concept (depth, steps, widths, seeds, output paths,
``--time-limit``).

The validators themselves live in one place each: exponents in
:mod:`widthlimits.theory.exponents` (a grammar of its own, never ``sympify``), depth in
:func:`widthlimits.theory.parametrization.check_depth`, widths, seeds, steps, paths, memory and
the scheduler in :mod:`widthlimits.numerics.validation`; this module only calls them, so the
command line prints the same text the Python API raises.  Heavy modules (sympy through the
theory layer) are imported inside the functions: building the parser for ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from widthlimits.theory.parametrization import Parametrization

#: optimizer names (checked against :data:`widthlimits.theory.optimizers.OPTIMIZERS` by a test)
OPTIMIZER_NAMES = ("adam", "momentum", "rmsprop", "sgd", "signsgd")
#: activation names (checked against :data:`widthlimits.theory.activations.ACTIVATIONS` by a test)
ACTIVATION_NAMES = ("gelu", "leaky_relu", "linear", "relu", "sigmoid", "tanh")
#: exit code of bad input, and of a command stopped by its ``--time-limit``
EXIT_BAD_INPUT = 2
EXIT_TIME_LIMIT = 3
#: longest ``--time-limit`` accepted (a week)
MAX_TIME_LIMIT = 7 * 24 * 3600.0


def add_parametrization_arguments(p: argparse.ArgumentParser, *, need_c: bool = True,
                                  residual: bool = False) -> None:
    p.add_argument("--preset", metavar="NAME",
                   help="named parametrization: sp (constant learning rate), sp:<c> (learning rate "
                        "~ n^-c; TP4's SP is sp:1), ntp, mup, mfp, up:<s>, golikov-mf, "
                        "golikov-ntk, golikov-default, golikov-sym-default, "
                        "golikov-intermediate:<q>, mup-table3/8/9"
                        + ("; residual models in width and depth: depth-mup, completep[:<alpha>] "
                           "(docs/depth.md)" if residual else ""))
    p.add_argument("--a", metavar="LIST", help="multiplier exponents (L+1 values or input,hidden,readout)")
    p.add_argument("--b", metavar="LIST", help="init std exponents; inf = zero init")
    if need_c:
        p.add_argument("--c", metavar="LIST", help="learning-rate exponents; inf = frozen layer")
        p.add_argument("--d", metavar="LIST",
                       help="gradient/epsilon exponents of entrywise optimizers (adam, rmsprop, "
                            "signsgd; omit: eps negligible); refused for sgd/momentum, where n^d "
                            "is the learning-rate exponent c - d (TP IVb Remark 2.2.4)")
    add_depth_argument(p, required=True)
    p.add_argument("--optimizer", default="sgd", choices=OPTIMIZER_NAMES,
                   help="optimizer (default sgd)")


def add_depth_argument(p: argparse.ArgumentParser, *, required: bool = True,
                       default: int | None = None) -> None:
    from widthlimits.theory.parametrization import MAX_DEPTH

    p.add_argument("--depth", type=int, required=required, default=default, metavar="L",
                   help=f"number of hidden layers (1..{MAX_DEPTH})"
                        + (f"; default {default}" if default is not None else ""))


def add_activation_argument(p: argparse.ArgumentParser, default: str | None = "tanh",
                            help: str = "activation (default tanh)") -> None:
    p.add_argument("--activation", default=default, choices=ACTIVATION_NAMES, help=help)


def add_time_limit_argument(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help=help or "stop after SECONDS: print what is established, mark the JSON "
                                "incomplete, exit 3")


def deadline_from_args(args: argparse.Namespace) -> float | None:
    """``time.monotonic()`` at which ``--time-limit`` runs out (None without one)."""
    limit = getattr(args, "time_limit", None)
    if limit is None:
        return None
    if not (math.isfinite(limit) and 0 < limit <= MAX_TIME_LIMIT):
        raise ValueError(f"`--time-limit` must be seconds in (0, {MAX_TIME_LIMIT:g}], got {limit!r}")
    return time.monotonic() + limit


#: interval at which :func:`time_limit` repeats its interrupt until the block is left
REPEAT_SECONDS = 0.25


class TimeLimitReached(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """``--time-limit`` ran out inside work that has no finer stopping point.  A
    ``BaseException`` (like ``KeyboardInterrupt``), so code that reports an experiment's own
    errors (``except Exception``) lets it through."""


@contextlib.contextmanager
def time_limit(deadline: float | None) -> Iterator[None]:
    """Interrupt the block (``TimeLimitReached``) at ``deadline`` (``time.monotonic()``), for work
    without stopping points of its own; a timer signal in the main thread (POSIX).

    The signal repeats every :data:`REPEAT_SECONDS` until the block is left: an exception
    raised while the interpreter runs a finalizer or a callback is dropped there, and a single
    alarm would then let unbounded work run on (a symbolic derivation past its limit grows
    without bound).  Such a dropped interrupt is not printed either: inside the block,
    ``sys.unraisablehook`` passes over ``TimeLimitReached`` (Python would print "Exception
    ignored in ..." with a traceback; the next alarm interrupts the work instead).

    An exception other than ``TimeLimitReached`` that leaves the block after the interrupt fired
    is the interrupt's, translated by C code it went through (gmpy2's ``mpq(Fraction)`` turns it
    into "SystemError: Object does not appear to be Fraction"): it is raised as
    ``TimeLimitReached`` (chained), not shown as a traceback."""
    if deadline is None:
        yield
        return
    fired: list[bool] = []

    def expire(signum: int, frame: Any) -> None:
        fired.append(True)
        raise TimeLimitReached()

    old_hook = sys.unraisablehook

    def unraisable(u: Any) -> None:
        if not isinstance(u.exc_value, TimeLimitReached):  # ours is repeated, not reported
            old_hook(u)

    old = signal.signal(signal.SIGALRM, expire)
    sys.unraisablehook = unraisable
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-3), REPEAT_SECONDS)
    try:
        yield
    except TimeLimitReached:
        raise
    except Exception as e:
        if fired:
            raise TimeLimitReached() from e
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        sys.unraisablehook = old_hook


#: seconds past ``--time-limit`` at which a cover is interrupted by a signal, the last resort:
#: the cover itself stops between cells at the limit and abandons a cell still in the engine
#: ``CELL_GRACE_SECONDS`` (2 s) past it, keeping what it established; what is left is work
#: outside the engine (a cell's classification and LPs, seconds at depth 200 and more)
GRACE_SECONDS = 5.0


@contextlib.contextmanager
def cover_time_limit(deadline: float | None, workers: int) -> Iterator[None]:
    """:func:`time_limit` at ``deadline + GRACE_SECONDS`` for a serial cover (one worker: the
    signal reaches the work).  Parallel parts are stopped inside their worker processes instead
    (:func:`cover_mapper`): interrupting the parent while it waits on the executor leaves the
    executor's manager thread hung."""
    with time_limit(None if deadline is None or workers > 1 else deadline + GRACE_SECONDS):
        yield


def _part_with_hard_stop(fn: Any, task: Any) -> Any:
    """Run one part ``fn(task)`` in a worker process under :func:`time_limit` at the part's own
    deadline plus :data:`GRACE_SECONDS`: a part still working then returns ``task.stopped()``
    (a cover part: :func:`~widthlimits.theory.regions.cover.stopped_part`, nothing established
    for its sub-box, instead of finishing the cell; a piece to simplify: None, the piece as
    found)."""
    if task.deadline is None:
        return fn(task)
    # the task's deadline is wall-clock (time.time()); time_limit takes time.monotonic()
    stop_at = time.monotonic() + (task.deadline - time.time()) + GRACE_SECONDS
    try:
        with time_limit(stop_at):
            return fn(task)
    except TimeLimitReached:
        return task.stopped()


def stopped_inside_a_cell(command: str, limit: float, as_json: bool,
                          progress: CoverProgress | None = None) -> int:
    """What a cover stopped by :func:`cover_time_limit` has established (nothing: the
    interrupted cover's pieces are not kept); exit 3.  ``progress``: the cover's progress, whose
    last report says how far it had come."""
    cells, covered = (0, 0.0) if progress is None else progress.last_report
    if cells == 0:
        note = (f"the time limit ({limit:g} s) ran out inside the first exact cells, before any "
                "piece was certified; nothing is established")
    else:
        note = (f"the time limit ({limit:g} s) ran out inside an exact cell after {cells} cells "
                f"had been certified ({covered:.0%} of the box's volume); the cover was "
                f"interrupted {GRACE_SECONDS:g} s past the limit and its pieces are not kept, "
                "so nothing is established")
    if as_json:
        import json

        print(json.dumps({"command": command, "complete": False, "empty": None, "note": note,
                          "cells_certified": cells, "covered": covered}, indent=2))
    else:
        print(f"INCOMPLETE: {note}")
    return EXIT_TIME_LIMIT


def check_steps_arg(steps: int | None) -> int | None:
    """``--steps``: None (until stationary) or an int in 0..MAX_STEPS (same rule as the
    simulator's :func:`widthlimits.numerics.validation.check_steps`)."""
    if steps is None:
        return None
    from widthlimits.numerics.validation import check_steps

    return check_steps(steps)


def check_d_for_optimizer(d: Any, optimizer: str) -> None:
    """``--d`` is the gradient (epsilon) exponent of entrywise optimizers.

    For SGD-type updates ``w -= eta n^{-c} n^{d} g`` the factor ``n^d`` is nothing but a
    learning-rate exponent ``c - d`` (TP IVb, arXiv:2308.01814, Remark 2.2.4), so a separate
    ``d`` would be silently redundant: it is refused with the way to write it."""
    from widthlimits.theory.optimizers import get_optimizer

    if d is not None and not get_optimizer(optimizer).entrywise:
        raise ValueError(f"`--d` applies to entrywise optimizers (adam, rmsprop, signsgd); with "
                         f"{optimizer} a gradient factor n^d is the learning-rate exponent c - d "
                         f"(TP IVb Remark 2.2.4): fold d into --c")


def parametrization_from_args(args: argparse.Namespace, *, need_c: bool = True) -> Parametrization:
    """Build the parametrization; raises ValueError with a one-line message on bad input."""
    from widthlimits.theory.parametrization import Parametrization, check_depth, parse_layer_list
    from widthlimits.theory.presets import preset

    L = check_depth(args.depth)
    explicit = [x for x in ("a", "b", "c", "d") if getattr(args, x, None) is not None]
    if args.preset is not None:
        if explicit:
            raise ValueError(f"give either --preset or --a/--b/--c, not both (got --preset and "
                             f"--{explicit[0]})")
        return preset(args.preset, L, args.optimizer)
    needed = ("a", "b", "c") if need_c else ("a", "b")
    missing = [x for x in needed if getattr(args, x, None) is None]
    if missing:
        raise ValueError(f"give --preset NAME, or all of {', '.join('--' + x for x in needed)} "
                         f"(missing --{missing[0]})")
    check_d_for_optimizer(getattr(args, "d", None), args.optimizer)
    a = parse_layer_list(args.a, L, "a")
    b = parse_layer_list(args.b, L, "b")
    c = parse_layer_list(args.c, L, "c") if need_c else (0,) * (L + 1)
    d = parse_layer_list(args.d, L, "d") if getattr(args, "d", None) is not None else None
    return Parametrization(a, b, c, d)


#: most worker processes a set-valued command accepts
MAX_WORKERS = 64


def parse_box(text: str) -> tuple[Any, Any]:
    """``--box LO,HI``: two finite exact exponents (a box of exponent space), LO < HI."""
    from widthlimits.theory.exponents import as_exponent

    parts = [x.strip() for x in text.split(",")]
    if len(parts) != 2:
        raise ValueError(f"`--box` wants LO,HI, got {text!r}")
    lo, hi = (as_exponent(x, name="box") for x in parts)
    if isinstance(lo, float) or isinstance(hi, float):
        raise ValueError(f"`--box` needs finite bounds, got {text!r}")
    if not lo < hi:
        raise ValueError(f"`--box` needs LO < HI, got {text!r}")
    return lo, hi


def add_workers_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="cover the box in independent parts on N worker processes (1..64; "
                        "default 1: serial in this process); the answer is the same set")


def check_workers(n: int) -> int:
    if not 1 <= n <= MAX_WORKERS:
        raise ValueError(f"`--workers` must be in 1..{MAX_WORKERS}, got {n}")
    return n


@contextlib.contextmanager
def cover_mapper(workers: int) -> Iterator[tuple[int, Any]]:
    """``(parts, mapper)`` for :func:`widthlimits.theory.regions.cover.cover`: serial for one
    worker, else four parts per worker on the project's process executor."""
    if check_workers(workers) == 1:
        yield 1, None
        return
    from widthlimits.numerics.executors import make_executor

    with make_executor("process", n_workers=workers) as ex:
        yield 4 * workers, lambda fn, tasks: ex.map(functools.partial(_part_with_hard_stop, fn),
                                                    tasks)


class CoverProgress:
    """Progress of a cover, ``progress(cells, covered, pending)``: a bar in percent of the box's
    volume on a terminal (:class:`widthlimits.numerics.progress.Progress`), plain lines elsewhere
    (at most one every ``MIN_INTERVAL`` seconds, and the last at :meth:`close`)."""

    def __init__(self, desc: str, stream: Any = None) -> None:
        from widthlimits.numerics.progress import Progress, on_terminal

        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.bar = (Progress(100, desc=desc, unit="%", stream=self.stream)
                    if on_terminal(self.stream) else None)
        self.t0 = time.perf_counter()
        self.last = -math.inf
        self.unwritten = ""
        #: the last ``(cells, covered)`` reported (what an interrupted cover had reached)
        self.last_report: tuple[int, float] = (0, 0.0)

    def __call__(self, cells: int, covered: float, pending: int) -> None:
        self.last_report = (cells, covered)
        from widthlimits.numerics.progress import MIN_INTERVAL

        what = (f"{cells} cells certified, {covered:.0%} of the box's volume covered, "
                f"{pending} regions pending")
        if self.bar is not None:
            while self.bar.n < min(100, int(covered * 100)):
                self.bar.update(what)
            if self.bar.bar is not None:
                self.bar.bar.set_postfix_str(f"{cells} cells, {pending} pending")
            return
        now = time.perf_counter() - self.t0
        self.unwritten = f"[{self.desc}] {what} ({now:.1f} s)\n"
        if now - self.last >= MIN_INTERVAL:
            self._write()
            self.last = now

    def _write(self) -> None:
        if self.unwritten:
            self.stream.write(self.unwritten)
            self.stream.flush()
            self.unwritten = ""

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self._write()


def check_float_range(p: object, widths: Sequence[int], what: str = "the simulation") -> None:
    """Every finite exponent ``e`` of ``p`` (a, b, c and d) must give a float ``n^{+-e}`` at
    every width ``n`` (a simulation multiplies by them): else a one-line ValueError, before any
    work, instead of an OverflowError inside a worker."""
    from fractions import Fraction

    n = max(widths)
    for key in ("a", "b", "c", "d"):
        for l, e in enumerate(getattr(p, key, None) or (), start=1):
            if isinstance(e, Fraction) and abs(e) * math.log(n) > 700:
                raise ValueError(f"{key}_{l} = {e} at width {n}: n^{abs(e)} overflows a float "
                                 f"in {what}; use exponents of size at most "
                                 f"{700 / math.log(n):.0f} at this width")
