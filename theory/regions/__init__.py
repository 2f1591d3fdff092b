"""The region engine: exact sets of exponents (scalings) with wanted properties.

Every exponent the engine computes is a piecewise-affine function of the free exponents, so the
set of scalings with a property is a finite union of rational polyhedra.  The modules, in the
order a query uses them:

* :mod:`~widthlimits.theory.regions.linalg` -- exact rational linear algebra (GMP rationals,
  echelon form, the solutions of equalities, rank);
* :mod:`~widthlimits.theory.regions.lp` -- the one exact LP;
* :mod:`~widthlimits.theory.regions.polyhedra` -- rational polyhedra: points, emptiness,
  simplification, vertices;
* :mod:`~widthlimits.theory.regions.frame` -- the free coordinates (fixed exponents, gauge,
  shared hidden layers);
* :mod:`~widthlimits.theory.regions.golikov_frame` -- Golikov's exponents as the free
  coordinates;
* :mod:`~widthlimits.theory.regions.affine` -- exponents as affine forms on a cell, and the
  recorder of the conditions that keep them affine;
* :mod:`~widthlimits.theory.regions.properties` -- wanted properties as conditions on exponents
  (one definition for a point, a cell and a formula);
* :mod:`~widthlimits.theory.regions.cell` -- one cell: a polyhedron with a constant verdict;
* :mod:`~widthlimits.theory.regions.cover` -- an exact partition of a box into cells' pieces
  (serial, or in independent parts through any ``map``);
* :mod:`~widthlimits.theory.regions.merge` -- disjoint convex pieces merged where their union is
  convex;
* :mod:`~widthlimits.theory.regions.query` -- the set with the wanted properties, merged;
* :mod:`~widthlimits.theory.regions.why_not` -- for an empty set, conflicting conditions as
  sentences;
* :mod:`~widthlimits.theory.regions.planes` -- exact 2-D phase diagrams;
* :mod:`~widthlimits.theory.regions.smt_ops`, :mod:`~widthlimits.theory.regions.existence` --
  "is the set empty? give me a witness", exact, without enumerating the box.  A slice with shared
  hidden layers is certified empty on the per-layer frame containing it
  (:mod:`~widthlimits.theory.regions.lift`).

Names are imported lazily (PEP 562): ``import widthlimits.theory.regions.polyhedra`` does not
load the engine.  ``query``, ``cover``, ``why_not`` and ``golikov_frame`` are also the names of
their modules, which are callable (:mod:`widthlimits.theory.callable_module`), so
``from widthlimits.theory.regions import query`` calls the function whatever was imported
before.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PROPERTIES": "properties", "has_property": "properties", "parse_want": "properties",
    "wanted": "properties",
    "Existence": "existence", "exists": "existence",
    "CellFrame": "frame", "cell_frame": "frame", "MAX_FREE": "frame", "region_frame": "frame",
    "GolikovFrame": "golikov_frame", "golikov_frame": "golikov_frame",
    "Cover": "cover", "CoverPiece": "cover", "cover": "cover", "BOX": "cover",
    "QueryResult": "query", "RegionPiece": "query", "query": "query", "verdict_at": "query",
    "named_points_in": "query",
    "Conflict": "why_not", "why_not": "why_not",
    "phase_diagram": "planes", "phase_cover": "planes", "phase_diagram_data": "planes",
    "plane_frame": "planes", "PlaneFrame": "planes",
    "verdict_key": "cell", "verdict_label": "cell",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{mod}")
    if mod == name:  # a callable module (importing it bound it here)
        return module
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
