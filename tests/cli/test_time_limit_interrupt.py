"""``time_limit`` stops work that has no stopping points of its own, even when its first
interrupt is swallowed (as Python does for an exception raised in a finalizer or callback)."""

from __future__ import annotations

import signal
import time

import pytest

from widthlimits.proofs_checks.commands._params import TimeLimitReached, time_limit


@pytest.mark.timeout(30, method="thread")  # without the repeat it would loop forever
def test_a_swallowed_interrupt_is_repeated() -> None:
    swallowed = 0
    start = time.monotonic()
    with pytest.raises(TimeLimitReached):
        with time_limit(time.monotonic() + 0.05):
            try:
                while True:
                    pass
            except TimeLimitReached:
                swallowed += 1  # what a finalizer's "Exception ignored" amounts to
            while True:  # without the repeat, this would never end
                pass
    assert swallowed == 1 and time.monotonic() - start < 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing left armed


def test_no_interrupt_after_the_block() -> None:
    with time_limit(time.monotonic() + 0.2):
        pass
    time.sleep(0.4)  # an alarm left armed would raise here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.timeout(30, method="thread")
def test_an_interrupt_translated_by_c_code_is_still_the_time_limit() -> None:
    # gmpy2 turns an exception raised while it converts a Fraction into a SystemError; after
    # the alarm, any exception leaving the block is the interrupt's
    with pytest.raises(TimeLimitReached) as info:
        with time_limit(time.monotonic() + 0.05):
            try:
                while True:
                    pass
            except TimeLimitReached:
                raise SystemError("Object does not appear to be Fraction") from None
    assert isinstance(info.value.__cause__, SystemError)


def test_an_error_before_the_interrupt_is_not_the_time_limit() -> None:
    with pytest.raises(ValueError):
        with time_limit(time.monotonic() + 5):
            raise ValueError("a real error")
