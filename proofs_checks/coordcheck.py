"""The coord check by numbers: the engine's exponent for every quantity, layer and step, against
the slope measured over widths with a bootstrap CI (numerics.coordcheck)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from widthlimits.numerics.coordcheck import CoordCheckReport, coordcheck
from widthlimits.numerics.plots import coordcheck_figure_paths
from widthlimits.numerics.quantities import layers_of
from widthlimits.theory.engine import QUANTITIES, EngineResult, derive
from widthlimits.theory.parametrization import Parametrization

#: the summary figure in ``outdir``; the detail pages are named after it
SUMMARY_FIGURE = "coordcheck.png"
#: written into ``outdir`` instead of the figures when matplotlib is missing
NO_PLOT = "NO_PLOT.txt"
#: every file :func:`coordcheck_against_engine` writes into ``outdir`` (besides the store,
#: ``sweep/``): none may be a folder, checked before the sweep (``check_output_dir``'s ``files``)
OUTPUT_FILES: tuple[str, ...] = (
    "report.json", "table.txt", *(p.name for p in coordcheck_figure_paths(SUMMARY_FIGURE)), NO_PLOT)

_DIFFERENCES = {"dh", "dx", "dWx", "W0dx", "df"}
_UNDEFINED_AT_END = {"dW", "df_step"}


def engine_predictions_for(res: EngineResult, steps: int,
                           names: Sequence[str] | None = None) -> dict[tuple[str, int | None, int], Any]:
    """The engine's exponents in the coord check's keys: differences from step 1 on, updates and
    per-step changes up to step T-1."""
    out: dict[tuple[str, int | None, int], Any] = {}
    for (q, layer, t), e in res.exponents.items():
        if names is not None and q not in names:
            continue
        if t > steps or (t == 0 and q in _DIFFERENCES) or (t == steps and q in _UNDEFINED_AT_END):
            continue
        if layer not in layers_of(q, res.depth):
            continue
        out[(q, layer, t)] = e
    return out


def coordcheck_against_engine(
    param: Parametrization,
    optimizer: str = "sgd",
    activation: str = "tanh",
    *,
    widths: Sequence[int] = (256, 512, 1024, 2048, 4096),
    seeds: int = 8,
    steps: int = 5,
    quantities: Sequence[str] | None = None,
    loss: str = "mse",
    outdir: str | Path | None = None,
    scheduler: str | None = None,
    executor: Any = "process",
    progress: bool | None = None,
    **options: Any,
) -> CoordCheckReport:
    """Derive the exponents, measure them, compare quantity by quantity; optionally write
    ``report.json``, ``table.txt``, the summary figure ``coordcheck.png`` and the detail pages
    ``coordcheck_detail.png`` / ``coordcheck_detail_backward.png`` into ``outdir``
    (:data:`OUTPUT_FILES`; any of them that is a folder is refused before the sweep)."""
    res = derive(param, optimizer, activation, loss=loss, steps=steps, trace=False)
    names = list(quantities) if quantities is not None else [q for q in QUANTITIES]
    predicted = engine_predictions_for(res, steps, names)
    store = None
    if outdir is not None:
        from widthlimits.numerics.validation import check_output_dir

        check_output_dir(outdir, "outdir", files=OUTPUT_FILES).mkdir(exist_ok=True)
        store = str(Path(outdir) / "sweep")
    rep = coordcheck(param, param.depth, optimizer, activation, widths=widths, seeds=seeds,
                     steps=steps, predicted=predicted, loss=loss, scheduler=scheduler,
                     executor=executor, store=store, progress=progress, **options)
    if outdir is not None:
        out = Path(outdir)
        (out / "report.json").write_text(rep.to_json(indent=2))
        (out / "table.txt").write_text(rep.table() + "\n")
        try:
            rep.plot(str(out / SUMMARY_FIGURE))
        except ImportError:
            (out / NO_PLOT).write_text("matplotlib not installed: pip install "
                                             "'widthlimits[plots]' for the plot\n")
    return rep
