"""The catalogue: every check, by stable id, collected from one module per paper."""

from __future__ import annotations

import importlib

from widthlimits.proofs_checks.catalogue.base import Check

#: one module per paper (widthlimits.proofs_checks.catalogue.<name>), each exposing CHECKS
PAPER_MODULES: tuple[str, ...] = (
    "tensor_programs",
    "golikov",
    "chizat",
    "mei_montanari",
    "chen_vanden_eijnden_bruna",
    "nguyen_pham",
    "kernel_regime",
    "depth",
    "lr_transfer",
    "golikov_blowup",
    "lr_edge",
)


def catalogue() -> dict[str, Check]:
    out: dict[str, Check] = {}
    for name in PAPER_MODULES:
        mod = importlib.import_module(f"widthlimits.proofs_checks.catalogue.{name}")
        for chk in mod.CHECKS:
            if chk.id in out:
                raise RuntimeError(f"duplicate check id {chk.id!r}")
            if chk.design is None:
                raise RuntimeError(f"check {chk.id!r} declares no Design (window and control)")
            out[chk.id] = chk
    return out


def get_check(check_id: str) -> Check:
    cat = catalogue()
    if check_id not in cat:
        raise ValueError(f"unknown check {check_id!r}; `widthlimits check --list` shows the ids")
    return cat[check_id]
