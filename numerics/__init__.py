"""Numeric layer: finite-width simulation, width sweeps and measured exponents.

Takes concrete numbers only: no sympy, no ``widthlimits.theory`` (layering rule).  A
parametrization is any object with ``a, b, c`` (and optionally ``d``) attributes whose values
convert with ``float()``.

Main entry points: :func:`simulate` (one width, all seeds batched), :func:`sweep` (widths x
seeds x configs through an executor, resumable with a :class:`ResultStore`),
:func:`fit_exponent` (log-log slope with a seed-bootstrap CI), :func:`compare` (verdict
against a predicted exponent) and :func:`coordcheck` (the whole coord check as a report).
"""

from widthlimits.numerics.activations import ACTIVATION_NAMES, get_activation
from widthlimits.numerics.config import OPTIMIZER_NAMES, SimulationConfig
from widthlimits.numerics.coordcheck import CoordCheckReport, QuantityCheck, coordcheck
from widthlimits.numerics.data import DataConfig, make_data
from widthlimits.numerics.executors import EXECUTOR_KINDS, SerialExecutor, make_executor
from widthlimits.numerics.fits import DegenerateFitWarning, ExponentFit, fit_exponent, local_slopes
from widthlimits.numerics.losses import LOSS_NAMES
from widthlimits.numerics.numeric_parametrization import (
    NumericParametrization,
    as_numeric_parametrization,
)
from widthlimits.numerics.quantities import NUMERIC_ONLY, QUANTITY_NAMES, layers_of
from widthlimits.numerics.simulator import Divergence, Measurements, simulate
from widthlimits.numerics.store import CODE_VERSION, ResultStore, run_key
from widthlimits.numerics.sweeps import SweepResult, sweep
from widthlimits.numerics.verdicts import Comparison, Verdict, compare, compare_detail

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
    "sweep",
]
