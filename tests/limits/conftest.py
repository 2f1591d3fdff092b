"""Shared settings for the limit-reference tests: single-threaded BLAS (tiny matmuls on 2 shared
cores are 10-20x slower with OpenBLAS threading) when threadpoolctl is available."""

import pytest


@pytest.fixture(autouse=True)
def _single_thread_blas():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
