"""The ``widthlimits`` command: one entry point, one thin subcommand per Python function.

Every subcommand lives in its own module under ``widthlimits.proofs_checks.commands`` and
exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.  The work is
done by a public Python function that a notebook can call directly; the command only parses
arguments, calls it and prints.

Bad input (a ``ValueError``/``TypeError`` raised by the validators, or an argparse error)
becomes one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence
from typing import Any

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


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage + message; we print one line and exit 2.

    Exponent lists such as ``-1/2,0,1/2`` or ``-inf`` start with a dash: they are values, not
    options, so the negative-number pattern is widened accordingly.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d|\.\d|inf|oo|nan)", re.IGNORECASE)

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="widthlimits",
        description="Infinite-width limits: derive, classify, simulate and check width scalings.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    for name in COMMAND_MODULES:
        mod = importlib.import_module(f"widthlimits.proofs_checks.commands.{name}")
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except (ValueError, TypeError, KeyError) as exc:
        msg = exc.args[0] if exc.args else repr(exc)
        sys.stderr.write(f"widthlimits {args.command}: error: {msg}\n")
        return 2
    except BrokenPipeError:  # e.g. `widthlimits classify ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
