"""Run the bad-input corpus's in-process cases of one subcommand; print one JSON line per case.

Usage: ``python corpus_worker.py ROOT SUBCOMMAND`` (started by ``test_bad_input_corpus.py`` with
``RLIMIT_AS`` set).  Each case gets a fresh stderr buffer and a 10 s alarm; its exit code is
``main``'s return value or ``SystemExit`` code, and an exception escaping ``main`` is recorded
with its traceback (a failure).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import signal
import sys
import time
import traceback
from pathlib import Path

CASE_SECONDS = 10


class CaseTimeout(BaseException):
    pass


def _alarm(signum, frame):  # noqa: ANN001 - signal handler signature
    raise CaseTimeout()


def load_corpus():
    spec = importlib.util.spec_from_file_location("corpus", Path(__file__).with_name("corpus.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    root, command = Path(sys.argv[1]), sys.argv[2]
    corpus = load_corpus()
    values = corpus.materialize(root)
    from widthlimits.proofs_checks.cli import main as cli_main

    signal.signal(signal.SIGALRM, _alarm)
    real_out = sys.stdout
    for cmd, argv in corpus.CASES:
        if cmd != command:
            continue
        args = corpus.fill(argv, values)
        err, out = io.StringIO(), io.StringIO()
        code, escaped = None, None
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                try:
                    code = cli_main(args)
                except SystemExit as exc:
                    code = exc.code
        except CaseTimeout:
            escaped = f"timeout after {CASE_SECONDS} s"
        except BaseException:  # noqa: BLE001 - reported as the case's failure
            escaped = traceback.format_exc()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        real_out.write(json.dumps({"argv": args, "code": code, "stderr": err.getvalue(),
                                   "seconds": time.perf_counter() - t0,
                                   "escaped": escaped}) + "\n")
        real_out.flush()


if __name__ == "__main__":
    main()
