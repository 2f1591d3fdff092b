"""Exponent text is read by a grammar of our own (integer, p/q, inf), never evaluated.

User text reaches `as_exponent` from the command line, presets' parameters, ``--fix`` and
``--box``, and from any service that wraps the Python API; sympy's parser evaluates Python, so no
string may reach it.
"""

import builtins
import contextlib
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from widthlimits.theory import INF, NEG_INF, Parametrization, as_exponent, preset
from widthlimits.theory.parametrization import parse_layer_list


@contextlib.contextmanager
def _guarded():
    """Any call of sympify/eval/exec with a string fails the test."""

    def guard(real, what):
        def wrapped(x, *args, **kwargs):
            if isinstance(x, str):
                raise AssertionError(f"user text reached {what}: {x!r}")
            return real(x, *args, **kwargs)

        return wrapped

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sympy, "sympify", guard(sympy.sympify, "sympify"))
        mp.setattr(builtins, "eval", guard(builtins.eval, "eval"))
        mp.setattr(builtins, "exec", guard(builtins.exec, "exec"))
        yield


@pytest.fixture
def no_evaluation():
    with _guarded():
        yield


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", Fraction(0)), ("-1/2", Fraction(-1, 2)), ("+3", Fraction(3)), (" 2 / 4 ", Fraction(1, 2)),
     ("inf", INF), ("oo", INF), ("-inf", NEG_INF), ("007", Fraction(7))],
)
def test_the_grammar_reads_integers_fractions_and_inf(text, value, no_evaluation):
    assert as_exponent(text) == value


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('touch /tmp/widthlimits-pwned')", "x", "c_1", "10**10**10", "1/2 + 1",
     "0.5", "1e3", "1/0", "9" * 13, "1/" + "7" * 13, "", "nan", "Rational(1, 2)", "1//2", "--1"],
)
def test_everything_else_is_a_value_error(text, no_evaluation):
    with pytest.raises(ValueError):
        as_exponent(text, name="c")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=30))
def test_arbitrary_text_is_read_or_refused_without_evaluation(text):
    try:
        with _guarded():
            e = as_exponent(text)
    except ValueError:
        return
    assert isinstance(e, Fraction) or e in (INF, NEG_INF)


@settings(max_examples=200, deadline=None)
@given(st.fractions(max_denominator=10**6).filter(lambda f: abs(f.numerator) < 10**12))
def test_fractions_round_trip_through_text(f):
    with _guarded():
        assert as_exponent(str(f)) == f


def test_every_entry_point_for_text_uses_the_grammar(no_evaluation):
    with pytest.raises(ValueError):
        parse_layer_list("0,__import__('os'),0", 2, "a")
    with pytest.raises(ValueError):
        Parametrization(a=(0, "y"), b=(0, 0), c=(0, 0))
    with pytest.raises(ValueError):
        preset("up:exec('1')", 2, "sgd")
    assert preset("up:1/4", 2, "sgd").depth == 2


def test_the_payload_creates_no_file(tmp_path):
    target = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {target}')"
    proc = subprocess.run(
        [sys.executable, "-m", "widthlimits.proofs_checks", "classify", "--a", payload, "--b",
         "1/2,1/2,1/2", "--c", "0,0", "--depth", "2"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not target.exists()
