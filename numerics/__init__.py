"""Numeric layer: finite-width simulation, width sweeps and measured exponents.

Takes concrete numbers only: no sympy, no ``widthlimits.theory`` (layering rule).  A
parametrization is any object with ``a, b, c`` (and optionally ``d``) attributes whose values
convert with ``float()``.

Main entry points: :func:`simulate` (one width, all seeds batched), :func:`sweep` (widths x
seeds x configs through an executor, resumable with a :class:`ResultStore`),
:func:`fit_exponent` (log-log slope with a seed-bootstrap CI), :func:`compare` (verdict
against a predicted exponent) and :func:`coordcheck` (the whole coord check as a report);
:func:`stability_edge` measures the largest stable learning rate per seed.
Names are imported on first use, so a submodule can be imported alone.
"""

import importlib
from typing import Any

#: public name -> module defining it; imported on first use (PEP 562), so importing one
#: submodule (e.g. ``widthlimits.numerics.validation``) does not import numpy, scipy or the simulator
_WHERE: dict[str, str] = {
    "ACTIVATION_NAMES": "widthlimits.numerics.activations",
    "CODE_VERSION": "widthlimits.numerics.store",
    "Comparison": "widthlimits.numerics.verdicts",
    "CoordCheckReport": "widthlimits.numerics.coordcheck",
    "DataConfig": "widthlimits.numerics.data",
    "DegenerateFitWarning": "widthlimits.numerics.fits",
    "Divergence": "widthlimits.numerics.measurements",
    "EXECUTOR_KINDS": "widthlimits.numerics.executors",
    "ExponentFit": "widthlimits.numerics.fits",
    "LOSS_NAMES": "widthlimits.numerics.losses",
    "Measurements": "widthlimits.numerics.measurements",
    "NUMERIC_ONLY": "widthlimits.numerics.quantities",
    "NumericParametrization": "widthlimits.numerics.numeric_parametrization",
    "OPTIMIZER_NAMES": "widthlimits.numerics.config",
    "QUANTITY_NAMES": "widthlimits.numerics.quantities",
    "QuantityCheck": "widthlimits.numerics.coordcheck",
    "ResultStore": "widthlimits.numerics.store",
    "SerialExecutor": "widthlimits.numerics.executors",
    "SimulationConfig": "widthlimits.numerics.config",
    "StabilityEdge": "widthlimits.numerics.stability_edge",
    "SweepResult": "widthlimits.numerics.sweeps",
    "Verdict": "widthlimits.numerics.verdicts",
    "as_numeric_parametrization": "widthlimits.numerics.numeric_parametrization",
    "compare": "widthlimits.numerics.verdicts",
    "compare_detail": "widthlimits.numerics.verdicts",
    "coordcheck": "widthlimits.numerics.coordcheck",
    "fit_exponent": "widthlimits.numerics.fits",
    "get_activation": "widthlimits.numerics.activations",
    "layers_of": "widthlimits.numerics.quantities",
    "local_slopes": "widthlimits.numerics.fits",
    "make_data": "widthlimits.numerics.data",
    "make_executor": "widthlimits.numerics.executors",
    "run_key": "widthlimits.numerics.store",
    "simulate": "widthlimits.numerics.simulator",
    "stability_edge": "widthlimits.numerics.stability_edge",
    "sweep": "widthlimits.numerics.sweeps",
}


__all__ = [
    "ACTIVATION_NAMES",
    "CODE_VERSION",
    "EXECUTOR_KINDS",
    "LOSS_NAMES",
    "NUMERIC_ONLY",
    "OPTIMIZER_NAMES",
    "QUANTITY_NAMES",
    "Comparison",
    "CoordCheckReport",
    "DataConfig",
    "DegenerateFitWarning",
    "Divergence",
    "ExponentFit",
    "Measurements",
    "NumericParametrization",
    "QuantityCheck",
    "ResultStore",
    "SerialExecutor",
    "SimulationConfig",
    "StabilityEdge",
    "SweepResult",
    "Verdict",
    "as_numeric_parametrization",
    "compare",
    "compare_detail",
    "coordcheck",
    "fit_exponent",
    "get_activation",
    "layers_of",
    "local_slopes",
    "make_data",
    "make_executor",
    "run_key",
    "simulate",
    "stability_edge",
    "sweep",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'widthlimits.numerics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
