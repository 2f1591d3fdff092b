"""docs/architecture.md stays true to the layout: every path it names exists, every module of the
three layers is named (its own path, or its sub-package's folder; theory/regions/ module by
module), and every function of the query's data path exists where the list says."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text()
NAMED = set(re.findall(r"`((?:theory|numerics|proofs_checks)/[\w./]*)`", DOC))


def test_every_named_path_exists():
    missing = [p for p in NAMED if not (ROOT / p).exists()]
    assert not missing, missing


def test_every_module_is_named():
    unnamed = []
    for layer in ("theory", "numerics", "proofs_checks"):
        for f in sorted((ROOT / layer).rglob("*.py")):
            rel = f.relative_to(ROOT).as_posix()
            if f.name in ("__init__.py", "__main__.py") and rel != "theory/__init__.py":
                continue
            folder = f.parent.relative_to(ROOT).as_posix() + "/"
            if rel in NAMED or (folder in NAMED and folder != "theory/regions/"
                                and folder != layer + "/"):
                continue
            unnamed.append(rel)
    assert not unnamed, unnamed


def test_data_path_functions_exist():
    section = DOC.split("## One query, function by function", 1)[1]
    pairs = re.findall(r"`(theory/[\w/]+|proofs_checks/[\w/]+)\.py` `(\w+(?:\.\w+)?)`", section)
    assert len(pairs) >= 8
    for path, name in pairs:
        mod = importlib.import_module("widthlimits." + path.replace("/", "."))
        obj = mod
        for part in name.split("."):
            obj = getattr(obj, part)
        assert obj is not None
