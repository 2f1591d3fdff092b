"""A command that runs out of memory under a process limit (``ulimit -v``) says so in one line
and exits 1, as a killed worker does; no traceback."""

import pytest

from widthlimits.proofs_checks import cli


def test_a_memory_error_is_one_line_and_exit_1(monkeypatch, capsys):
    import widthlimits.theory.classify as classify_module

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(classify_module, "classify", exhausted)
    code = cli.main(["classify", "--preset", "mup", "--depth", "2"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_OUT_OF_MEMORY == 1
    assert err.count("\n") == 1 and "out of memory" in err and "Traceback" not in err


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork and resource")
def test_under_a_real_address_space_limit():
    # the same path when the allocation really fails (a 900 MB address-space limit, child process)
    import subprocess
    import sys

    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (900 * 2**20, 900 * 2**20));"
            "from widthlimits.proofs_checks import cli;"
            "import widthlimits.theory.classify as c;"
            "c.classify = lambda *a, **k: bytearray(2**31);"
            "raise SystemExit(cli.main(['classify', '--preset', 'mup', '--depth', '2']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("\n") == 1 and "out of memory" in r.stderr
