"""One validator per concept, shared by the command line and the Python API: the CLI's one line
ends with exactly the text of the ``ValueError`` (subclass) the API raises for the same input."""

from __future__ import annotations

import pytest

from widthlimits.proofs_checks.cli import main


def cli_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    return err.strip()


def small_config(**kw):
    from widthlimits.numerics.config import SimulationConfig
    from widthlimits.numerics.data import DataConfig

    return SimulationConfig({"a": [-0.5, 0, 0.5], "b": [0.5] * 3, "c": [0, 0, 0]},
                            data=DataConfig(n_samples=8, d_in=4), **kw)


def api_error(fn) -> ValueError:
    with pytest.raises(ValueError) as info:
        fn()
    return info.value


def test_depth(capsys) -> None:
    from widthlimits.theory.presets import preset

    exc = api_error(lambda: preset("mup", 10**20, "sgd"))
    line = cli_error(capsys, ["classify", "--preset", "mup", "--depth", str(10**20)])
    assert line.endswith(str(exc)) and "1..1000" in line


def test_widths(capsys) -> None:
    from widthlimits.numerics.sweeps import sweep
    from widthlimits.numerics.validation import InvalidInput

    exc = api_error(lambda: sweep(small_config(steps=1), [10**20, 2, 3], seeds=2, executor="serial"))
    assert isinstance(exc, InvalidInput)
    line = cli_error(capsys, ["coordcheck", "--preset", "mup", "--depth", "2", "--widths",
                              f"{10**20},2,3"])
    assert line.endswith(str(exc)) and "4194304" in line


def test_seeds(capsys) -> None:
    from widthlimits.numerics.validation import check_seeds

    exc = api_error(lambda: check_seeds(10**20))
    line = cli_error(capsys, ["coordcheck", "--preset", "mup", "--depth", "2", "--seeds", str(10**20)])
    assert line.endswith(str(exc)) and "4096" in line


def test_steps(capsys) -> None:
    exc = api_error(lambda: small_config(steps=10**9))
    line = cli_error(capsys, ["coordcheck", "--preset", "mup", "--depth", "2", "--steps", str(10**9)])
    assert line.endswith(str(exc)) and "1000" in line
    line = cli_error(capsys, ["classify", "--preset", "mup", "--depth", "2", "--steps", str(10**9)])
    assert line.endswith(str(exc))


def test_memory_estimate(capsys) -> None:
    from widthlimits.numerics.sweeps import sweep

    exc = api_error(lambda: sweep(small_config(steps=1), [10**6, 2 * 10**6, 4 * 10**6], seeds=2,
                                  executor="serial"))
    assert "of memory, above the" in str(exc)


def test_scheduler(capsys) -> None:
    from widthlimits.numerics.validation import check_scheduler

    exc = api_error(lambda: check_scheduler("tcp://127.0.0.1:1"))
    line = cli_error(capsys, ["coordcheck", "--preset", "mup", "--depth", "2", "--widths",
                              "64,128,256", "--scheduler", "tcp://127.0.0.1:1"])
    assert line.endswith(str(exc))


def test_output_folder(capsys, tmp_path) -> None:
    from widthlimits.proofs_checks.coordcheck import coordcheck_against_engine
    from widthlimits.theory.presets import preset

    f = tmp_path / "afile"
    f.write_text("x")
    exc = api_error(lambda: coordcheck_against_engine(preset("mup", 2, "sgd"), widths=(64, 128, 256),
                                                      seeds=2, steps=1, outdir=f))
    assert "is an existing file, not a folder" in str(exc)
    line = cli_error(capsys, ["coordcheck", "--preset", "mup", "--depth", "2", "-o", str(f)])
    assert "is an existing file, not a folder" in line


def test_garbage_store(capsys, tmp_path) -> None:
    from widthlimits.numerics.store import ResultStore, StoreError

    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "runs.sqlite").write_bytes(b"garbage" * 100)
    exc = api_error(lambda: ResultStore(tmp_path / "sweep"))
    assert isinstance(exc, StoreError)
    line = cli_error(capsys, ["coordcheck", "--preset", "mup", "--depth", "2", "-o", str(tmp_path)])
    assert line.endswith(str(exc)) and "--fresh" in line


def test_garbage_crossval_cases(tmp_path) -> None:
    from widthlimits.proofs_checks.crossval import read_stored_cases

    p = tmp_path / "crossval.json"
    p.write_text("[{not json")
    exc = api_error(lambda: read_stored_cases(p))
    assert "move the file aside" in str(exc) and "\n" not in str(exc)
