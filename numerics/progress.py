"""Progress of long work: a tqdm bar on a terminal, plain lines with elapsed time elsewhere.

``tqdm(disable=None)`` is silent when stderr is not a terminal, so in a CI log, a notebook's
captured output or a file nothing showed for minutes.  :class:`Progress` writes a tqdm bar when
stderr is a terminal and otherwise one line per step (``[sweep] 3/12 runs, 41.2 s: width
4096``), at most one every :data:`MIN_INTERVAL` seconds except the last; :func:`stage` writes
one line when a named stage starts and one with its elapsed time when it ends.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: shortest time between two progress lines off a terminal (the last one is always written)
MIN_INTERVAL = 2.0


def on_terminal(stream: TextIO | None = None) -> bool:
    s = sys.stderr if stream is None else stream
    try:
        return bool(s.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Count ``total`` steps (``initial`` already done).

    ``enabled``: ``None`` or ``True`` = a bar on a terminal, lines elsewhere; ``False`` = silent.
    """

    def __init__(self, total: int, initial: int = 0, desc: str = "progress", *, unit: str = "step",
                 enabled: bool | None = None, stream: TextIO | None = None) -> None:
        self.total, self.n, self.desc, self.unit = total, initial, desc, unit
        self.stream = sys.stderr if stream is None else stream
        self.t0 = time.perf_counter()
        self._last = -MIN_INTERVAL
        self.bar: Any = None
        self.lines = enabled is not False and not on_terminal(self.stream)
        if enabled is not False and not self.lines:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, file=self.stream)
        if self.lines:
            self._line(f"{initial}/{total} {unit}s done at start" if initial else
                       f"{total} {unit}s to do")

    def _line(self, text: str) -> None:
        elapsed = time.perf_counter() - self.t0
        self.stream.write(f"[{self.desc}] {text} ({elapsed:.1f} s)\n")
        self.stream.flush()
        self._last = elapsed

    def update(self, what: str = "") -> None:
        self.n += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.lines:
            elapsed = time.perf_counter() - self.t0
            if self.n >= self.total or elapsed - self._last >= MIN_INTERVAL:
                self._line(f"{self.n}/{self.total} {self.unit}s" + (f": {what}" if what else ""))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def stage(name: str, *, enabled: bool = True, stream: TextIO | None = None) -> Iterator[None]:
    """One line when stage ``name`` starts and one with its elapsed time when it ends."""
    out = sys.stderr if stream is None else stream
    t0 = time.perf_counter()
    if enabled:
        out.write(f"[{name}] started\n")
        out.flush()
    try:
        yield
    except BaseException:
        if enabled:
            out.write(f"[{name}] stopped after {time.perf_counter() - t0:.1f} s\n")
            out.flush()
        raise
    if enabled:
        out.write(f"[{name}] done in {time.perf_counter() - t0:.1f} s\n")
        out.flush()
