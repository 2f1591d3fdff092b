"""The ``widthlimits`` command: one entry point, one thin subcommand per Python function.

Every subcommand lives in its own module under ``widthlimits.proofs_checks.commands`` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.  The work is
done by a public Python function that a notebook can call directly; the command only parses
arguments, calls it and prints.

Start-up is kept short: a command module imports nothing heavy at its top (sympy, numpy and
scipy are imported inside ``add_arguments``/``run``), and only the chosen subcommand's
arguments are built, so ``widthlimits --help`` imports neither sympy nor numpy.

Exit codes: 0 done; 2 bad input (a ``ValueError``/``TypeError``/``KeyError`` raised by the
validators, an ``OSError`` about a path, or an argparse error) as one line on stderr, never a
traceback; 3 a ``--time-limit`` ran out (what was established is printed and the JSON is marked
incomplete); 130 interrupted by Ctrl-C (one line, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import unicodedata
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor
from types import ModuleType
from typing import Any

from widthlimits.proofs_checks.commands._params import EXIT_BAD_INPUT, EXIT_TIME_LIMIT

#: exit code after Ctrl-C (128 + SIGINT, as shells report it)
EXIT_INTERRUPTED = 130
#: a worker process of --workers died (killed by the operating system, usually for memory)
EXIT_WORKER_KILLED = 1
#: the process ran out of memory (a MemoryError): one line, as for a killed worker
EXIT_OUT_OF_MEMORY = 1

#: subcommand modules, in the order ``widthlimits --help`` lists them
COMMAND_MODULES: tuple[str, ...] = (
    "tour",
    "classify",
    "tables",
    "check",
    "coordcheck",
    "convergence",
    "max_lr",
    "torch_lr",
    "derive",
    "query",
    "phase_diagram",
)

__all__ = ["COMMAND_MODULES", "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_TIME_LIMIT",
           "EXIT_WORKER_KILLED", "OneLineParser", "build_parser", "main"]


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage + message; we print one line and exit 2.

    Exponent lists such as ``-1/2,0,1/2`` or ``-inf`` start with a dash: they are values, not
    options, so the negative-number pattern is widened accordingly.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d|\.\d|inf|oo|nan)", re.IGNORECASE)

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {' '.join(message.split())}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"widthlimits.proofs_checks.commands.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser.  With ``only`` (a subcommand's name, or ``""`` for none) only that
    subcommand's arguments are built (the others are listed with their help), which keeps
    start-up short; ``None`` builds every subcommand."""
    parser = OneLineParser(
        prog="widthlimits",
        description="Infinite-width limits: derive, classify, simulate and check width scalings.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    for name in COMMAND_MODULES:
        mod = command_module(name)
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        if only is None or only == mod.NAME:
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def _chosen(argv: Sequence[str]) -> str | None:
    names = {command_module(n).NAME for n in COMMAND_MODULES}
    return argv[0] if argv and argv[0] in names else None


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    msg = " ".join((str(exc.args[0]) if exc.args else repr(exc)).split())
    return msg if len(msg) <= 400 else msg[:397] + "..."  # one line, even for a 30,000-value list


def _given_twice(parser: argparse.ArgumentParser, command: str | None,
                 args_list: Sequence[str]) -> str | None:
    """The first option of ``command`` given twice that keeps one value (``--depth 2 --depth
    3``: argparse silently keeps the last); options that collect (``--fix``) may repeat."""
    if command is None:
        return None
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    p = None if sub is None else sub.choices.get(command)
    if p is None:
        return None
    single = {o for a in p._actions if not isinstance(a, (argparse._AppendAction,
                                                           argparse._CountAction))
              for o in a.option_strings}
    seen: set[str] = set()
    for tok in args_list[1:]:
        if tok == "--":
            break
        opt = tok.split("=", 1)[0]
        if opt in single:
            if opt in seen:
                return opt
            seen.add(opt)
    return None


def _foreign_digit(args_list: Sequence[str]) -> str | None:
    """The first argument holding a digit that is not 0-9 (Arabic-Indic, fullwidth, ...):
    Python's ``int``, ``float`` and ``Fraction`` read those as numbers, so every number on the
    command line is ASCII."""
    for a in args_list:
        if not a.isascii() and any(not ch.isascii() and unicodedata.category(ch) == "Nd"
                                   for ch in a):
            return a
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    bad = _foreign_digit(args_list)
    if bad is not None:
        name = _chosen(args_list)
        sys.stderr.write(f"widthlimits{' ' + name if name else ''}: error: {bad[:40]!r} has a "
                         "digit outside 0-9; write numbers in ASCII digits\n")
        return EXIT_BAD_INPUT
    parser = build_parser(_chosen(args_list) or "")
    args, extra = parser.parse_known_args(args_list)
    twice = _given_twice(parser, getattr(args, "command", None), args_list)
    if twice is not None:
        sys.stderr.write(f"widthlimits {args.command}: error: {twice} is given twice; give it "
                         "once\n")
        return EXIT_BAD_INPUT
    if extra and getattr(args, "command", None):  # named by the subcommand, as every error
        sys.stderr.write(f"widthlimits {args.command}: error: unrecognized arguments: "
                         f"{' '.join(extra)[:200]}\n")
        return EXIT_BAD_INPUT
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)[:200]}")
    if getattr(args, "_run", None) is None:
        sys.stderr.write("widthlimits: error: give a command; `widthlimits --help` lists them\n")
        return EXIT_BAD_INPUT
    try:
        return int(args._run(args) or 0)
    except (ValueError, TypeError, KeyError, OSError, OverflowError) as exc:
        if isinstance(exc, BrokenPipeError):  # e.g. `widthlimits classify ... | head`
            return 0
        sys.stderr.write(f"widthlimits {args.command}: error: {_one_line(exc)}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # Ctrl-C: finished sweep runs are already stored
        sys.stderr.write(f"widthlimits {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    except MemoryError:  # a memory limit (ulimit -v, RLIMIT_AS) reached in this process
        sys.stderr.write(f"widthlimits {args.command}: error: out of memory (the process's "
                         "memory limit was reached); try a smaller depth, fewer free "
                         "coordinates, a --time-limit, or more memory\n")
        return EXIT_OUT_OF_MEMORY
    except BrokenExecutor as exc:  # a worker process died (the OS's out-of-memory killer, ...)
        sys.stderr.write(f"widthlimits {args.command}: error: a worker process was killed "
                         f"({type(exc).__name__}), most likely out of memory; run with fewer "
                         "--workers or a --time-limit\n")
        return EXIT_WORKER_KILLED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
