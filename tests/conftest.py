"""Test-session settings shared by every test folder.

One BLAS thread per test process.  The suite runs on ``pytest -n 2`` (two worker processes on a
2-core machine) and several tests start processes of their own; OpenBLAS's default of one thread
per core then oversubscribes the cores and its threads spin while they wait: the mup-lr-transfer
quick check took 652 s in a CI run instead of about 30 s alone.  Subprocesses inherit the
environment variables; the process itself is limited through threadpoolctl when numpy's BLAS is
already loaded (threadpoolctl comes with scikit-learn, in the ``dev`` extra).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - without the dev extra the variables above suffice
    threadpool_limits = None

if threadpool_limits is not None:
    _LIMITS = threadpool_limits(limits=1, user_api="blas")
