"""Where the two halves meet: the ``widthlimits`` command, the coord check against the engine,
the theorem catalogue with verdicts and reports, cross-validation, and the headline tour."""

from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine
from widthlimits.proofs_checks.tour import run_tour

__all__ = ["coordcheck_against_engine", "run_tour"]
