"""Infinite-width limit references paired with finite-width models, and convergence-order estimators.

Each reference is computed exactly where theory gives it (NTK/NNGP recursions, the CCFF path-space
ODE) or by a controlled solver (quasi-Monte-Carlo particle populations for mean-field dynamics);
:func:`convergence_study` measures how fast finite widths approach it, with a bootstrap CI over
seeds, separate bias and fluctuation orders, and the predicted order beside the measured one.
"""

from widthlimits.numerics.limits._fit import (
    DegenerateFitWarning,
    OrderFit,
    ReferenceErrorWarning,
    fit_bias_and_spread,
    fit_order,
)
from widthlimits.numerics.limits.deep_linear import DeepLinearProblem
from widthlimits.numerics.limits.extrapolation import (
    SuccessiveDifferences,
    richardson,
    successive_differences,
)
from widthlimits.numerics.limits.kernels import (
    FiniteMLP,
    KernelGDLimit,
    KernelPair,
    mlp_kernels,
    monte_carlo_kernels,
)
from widthlimits.numerics.limits.mean_field import IsotropicGaussianMF, TwoLayerMF
from widthlimits.numerics.limits.multilayer import ThreeLayerMF
from widthlimits.numerics.limits.study import (
    MODELS,
    ConvergenceModel,
    ConvergenceResult,
    convergence_study,
)

__all__ = [
    "MODELS",
    "ConvergenceModel",
    "ConvergenceResult",
    "DeepLinearProblem",
    "DegenerateFitWarning",
    "FiniteMLP",
    "IsotropicGaussianMF",
    "KernelGDLimit",
    "KernelPair",
    "OrderFit",
    "ReferenceErrorWarning",
    "SuccessiveDifferences",
    "ThreeLayerMF",
    "TwoLayerMF",
    "convergence_study",
    "fit_bias_and_spread",
    "fit_order",
    "mlp_kernels",
    "monte_carlo_kernels",
    "richardson",
    "successive_differences",
]
