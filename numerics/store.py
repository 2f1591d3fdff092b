"""A resumable result store: SQLite for records, ``.npz`` for arrays, no pickle.

Layout of a store directory::

    runs.sqlite          one row per finished run (key, config JSON, width, seeds, status, ...)
    arrays/<key>.npz     the run's measurement arrays (plain numeric/str arrays only)

A run is *finished* iff its row exists.  Writes are ordered so that a crash at any point
leaves no corrupt record: the ``.npz`` is written to a temporary file, flushed, fsynced and
atomically renamed into place; only then is the row inserted in a SQLite transaction
(``synchronous=FULL``).  A row's ``array_sha256`` is checked when the arrays are loaded; a
mismatch (or a missing file) makes the run count as not finished, so it is recomputed.

Runs are keyed by a SHA-256 hash of the config JSON, the width, the seeds and
:data:`CODE_VERSION` (package version plus a hash of the simulator's code, docstrings and
comments left out), so changing the simulator invalidates old results instead of silently
reusing them.  Driver processes are the only writers (the executors return results to them).

Several drivers may share one store: before computing a run a driver *claims* it (a row in
``claims`` with its pid, host and a heartbeat it refreshes), and a run claimed by a live holder
is left to it.  A claim is released when the run is stored or fails, and counts as abandoned
when its holder's process is gone (same host) or its heartbeat is older than
:data:`CLAIM_LEASE` seconds (any host), so a killed driver's runs are taken over.

A file that is not a readable SQLite store is refused in one line (:class:`StoreError`) with a
way out: ``ResultStore(path, fresh=True)`` (the command line's ``--fresh``) moves an unreadable
file aside (a readable one is kept) and starts afresh; the arrays it referenced stay in
``arrays/``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pathlib
import re
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from widthlimits.numerics.config import SimulationConfig
from widthlimits.numerics.measurements import Measurements
from widthlimits.numerics.validation import InvalidInput

_SIM_MODULES = ("simulator", "measurements", "mlp_arrays", "config", "activations", "losses", "data",
                "linalg", "quantities", "numeric_parametrization", "normals")


def code_fingerprint(source: str) -> str:
    """Hash of what a module *does*: its syntax tree without docstrings (comments are not in the
    tree), so editing documentation does not invalidate stored runs but any change of code does.
    The tree's dump can differ between Python versions, which only makes the key stricter."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def _code_version() -> str:
    try:
        version = metadata.version("widthlimits")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0+unknown"
    h = hashlib.sha256()
    here = pathlib.Path(__file__).resolve().parent
    for name in _SIM_MODULES:
        h.update(code_fingerprint((here / f"{name}.py").read_text()).encode())
    return f"{version}+sim.{h.hexdigest()[:12]}"


#: package version + hash of the simulator's code (:func:`code_fingerprint` of its modules)
CODE_VERSION: str = _code_version()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    config_json TEXT NOT NULL,
    width INTEGER NOT NULL,
    seeds TEXT NOT NULL,
    status TEXT NOT NULL,
    diverged TEXT NOT NULL,
    code_version TEXT NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    array_file TEXT NOT NULL,
    array_sha256 TEXT NOT NULL
)
"""
_CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    heartbeat REAL NOT NULL
)
"""
#: seconds after which a claim whose holder stopped refreshing it is abandoned
CLAIM_LEASE = 60.0
_HOST = socket.gethostname()
_HOST_TAG = hashlib.sha256(_HOST.encode()).hexdigest()[:8]


class StoreError(InvalidInput):
    """The store's database is unreadable (not SQLite, truncated, or of another schema)."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def run_key(config: SimulationConfig, width: int, seeds: Sequence[int],
            code_version: str = CODE_VERSION) -> str:
    """Hash identifying one run (config, width, seeds, code version)."""
    blob = json.dumps({"config": config.to_dict(), "width": int(width),
                       "seeds": [int(s) for s in seeds], "code": code_version},
                      sort_keys=True, allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RunRecord:
    """One finished run as stored (see the module docstring for the columns)."""

    key: str
    config_json: str
    width: int
    seeds: tuple[int, ...]
    status: str
    diverged: tuple[str, ...]
    code_version: str
    seconds: float
    created: float
    array_file: str
    array_sha256: str


def _sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ResultStore:
    """Resumable store of simulation results in a directory.

    Parameters
    ----------
    path : str or path-like
        Directory (created if missing).

    Examples
    --------
    >>> import tempfile
    >>> from widthlimits.numerics.config import SimulationConfig
    >>> from widthlimits.numerics.simulator import simulate
    >>> cfg = SimulationConfig({"a": [0, 0], "b": [0, 0.5], "c": [1, 1]}, steps=1)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = ResultStore(d)
    ...     k = run_key(cfg, 16, (0,))
    ...     store.put(k, cfg, simulate(cfg, 16, (0,)))
    ...     store.get(k).width, len(store)
    (16, 1)
    """

    def __init__(self, path: str | os.PathLike[str], *, fresh: bool = False) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`store` must be a directory path, got {path!r}")
        self.path = pathlib.Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise InvalidInput(f"`store` {str(self.path)!r} is an existing file, not a folder")
        self.arrays = self.path / "arrays"
        self.arrays.mkdir(parents=True, exist_ok=True)
        self.db = self.path / "runs.sqlite"
        self.holder = uuid.uuid4().hex
        self._lock = threading.Lock()
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()
        try:
            self._open()
        except StoreError:
            if not fresh:
                raise
            self.db.rename(self.db.with_name(f"runs.sqlite.broken-{int(time.time())}"))
            self._open()

    def _open(self) -> None:
        """Create the tables if needed and check the database is a readable result store."""
        try:
            with self._connect() as con:
                con.execute(_SCHEMA)
                con.execute(_CLAIMS)
                con.execute("SELECT key, config_json, width, seeds, status, diverged, code_version, "
                            "seconds, created, array_file, array_sha256 FROM runs LIMIT 1").fetchall()
                ok = con.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the store {str(self.db)!r} is not a readable result store ({exc}); "
                             f"rerun with --fresh (Python: ResultStore(path, fresh=True)) to move it "
                             f"aside and start afresh") from None
        if ok != "ok":
            raise StoreError(f"the store {str(self.db)!r} is damaged ({ok}); rerun with --fresh "
                             f"(Python: ResultStore(path, fresh=True)) to move it aside and start "
                             f"afresh")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db, timeout=30.0, isolation_level=None)
        con.execute("PRAGMA synchronous=FULL")
        return con

    # ----------------------------------------------------------------- claims
    def claim(self, key: str, *, redo: bool = False) -> str:
        """Claim run ``key`` for this store object's holder.

        Returns ``"claimed"``; ``"done"`` if the run's row exists (unless ``redo``: its arrays
        were found damaged and it is recomputed); ``"busy"`` if a live holder has claimed it
        (an abandoned claim is taken over)."""
        now = time.time()
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                if not redo and con.execute("SELECT 1 FROM runs WHERE key = ?", (key,)).fetchone():
                    return "done"
                row = con.execute("SELECT holder, pid, host, heartbeat FROM claims WHERE key = ?",
                                  (key,)).fetchone()
                if row is not None and row[0] != self.holder and not self._abandoned(row, now):
                    return "busy"
                con.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                            (key, self.holder, os.getpid(), _HOST, now))
            finally:
                con.execute("COMMIT")
        self._start_heartbeat()
        return "claimed"

    @staticmethod
    def _abandoned(row: tuple[Any, ...], now: float) -> bool:
        _holder, pid, host, beat = row
        return now - float(beat) > CLAIM_LEASE or (host == _HOST and not _pid_alive(int(pid)))

    def release(self, key: str | None = None) -> None:
        """Drop this holder's claim on ``key`` (all its claims when ``key`` is None)."""
        with self._connect() as con:
            if key is None:
                con.execute("DELETE FROM claims WHERE holder = ?", (self.holder,))
            else:
                con.execute("DELETE FROM claims WHERE key = ? AND holder = ?", (key, self.holder))

    def claimed_by_others(self) -> set[str]:
        """Keys claimed by live holders other than this one."""
        now = time.time()
        with self._connect() as con:
            rows = con.execute("SELECT key, holder, pid, host, heartbeat FROM claims").fetchall()
        return {r[0] for r in rows if r[1] != self.holder and not self._abandoned(r[1:], now)}

    def _start_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is not None and self._heartbeat.is_alive():
                return
            self._stop.clear()
            self._heartbeat = threading.Thread(target=self._beat, name="store-heartbeat",
                                               daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(CLAIM_LEASE / 4):
            try:
                with self._connect() as con:
                    con.execute("UPDATE claims SET heartbeat = ? WHERE holder = ?",
                                (time.time(), self.holder))
            except sqlite3.Error:  # a busy database: the next beat retries
                continue

    def stop_heartbeat(self) -> None:
        """Stop refreshing claims (call after :meth:`release`)."""
        self._stop.set()

    def __len__(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r}, runs={len(self)})"

    def keys(self) -> set[str]:
        with self._connect() as con:
            return {r[0] for r in con.execute("SELECT key FROM runs")}

    def records(self) -> list[RunRecord]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT key, config_json, width, seeds, status, diverged, code_version, "
                "seconds, created, array_file, array_sha256 FROM runs ORDER BY created"
            ).fetchall()
        return [RunRecord(r[0], r[1], int(r[2]), tuple(json.loads(r[3])), r[4],
                          tuple(json.loads(r[5])), r[6], float(r[7]), float(r[8]), r[9], r[10])
                for r in rows]

    def record(self, key: str) -> RunRecord | None:
        for r in self.records():
            if r.key == key:
                return r
        return None

    def get(self, key: str) -> Measurements | None:
        """The stored measurements, or ``None`` if absent or corrupt (then recompute)."""
        with self._connect() as con:
            row = con.execute("SELECT array_file, array_sha256 FROM runs WHERE key = ?",
                              (key,)).fetchone()
        if row is None:
            return None
        file = self.arrays / row[0]
        try:
            if _sha256(file) != row[1]:
                return None
            with np.load(file, allow_pickle=False) as z:
                return Measurements.from_arrays(z)
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, config: SimulationConfig, m: Measurements) -> None:
        """Write a finished run: arrays first (atomic rename), then the record."""
        name = f"{key}.npz"
        final = self.arrays / name
        # the writer's host and pid are in the name, so that another driver's
        # cleanup_temporaries() leaves a write in progress alone
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.{_HOST_TAG}-{os.getpid()}.", suffix=".tmp",
                                   dir=self.arrays)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **m.to_arrays())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        dfd = os.open(self.arrays, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        digest = _sha256(final)
        status = "diverged" if m.diverged else "ok"
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, config.to_json(), m.width, json.dumps(list(m.seeds)), status,
                 json.dumps([d.message for d in m.diverged]), CODE_VERSION, m.seconds,
                 time.time(), name, digest),
            )
            con.execute("DELETE FROM claims WHERE key = ?", (key,))
            con.execute("COMMIT")

    def verify(self) -> list[str]:
        """Keys whose arrays are missing or do not match their checksum (should be empty)."""
        bad = []
        for r in self.records():
            if self.get(r.key) is None:
                bad.append(r.key)
        return bad

    def cleanup_temporaries(self) -> int:
        """Delete leftover temporary files of interrupted writes; returns how many.

        A temporary is left over when its writer (host and pid are in its name) is a dead
        process on this host, or when it is older than :data:`CLAIM_LEASE`; a write in
        progress by a live driver sharing the store is left alone."""
        n = 0
        now = time.time()
        for p in self.arrays.glob(".*.tmp"):
            m = re.search(r"\.([0-9a-f]{8})-(\d+)\.[^.]*\.tmp$", p.name)
            try:
                old = now - p.stat().st_mtime > CLAIM_LEASE
            except FileNotFoundError:
                continue
            dead = m is not None and m.group(1) == _HOST_TAG and not _pid_alive(int(m.group(2)))
            if m is None or dead or old:
                p.unlink(missing_ok=True)
                n += 1
        return n

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "runs": len(self)}
