"""``widthlimits coordcheck``: the engine's exponents against measured slopes (small widths)."""

import json

import pytest

from widthlimits.numerics.validation import parse_widths
from widthlimits.proofs_checks.cli import main


def test_widths_parsing():
    assert parse_widths("256:2048") == (256, 512, 1024, 2048)
    assert parse_widths("100,200,400") == (100, 200, 400)
    with pytest.raises(ValueError, match="widths"):
        parse_widths("4096:256")
    assert parse_widths("3:12") == (3, 6, 12)
    for bad in ("6:8", "65:256"):  # HI not reached by doubling LO: refused, not rounded
        with pytest.raises(ValueError, match="power of two"):
            parse_widths(bad)


def test_mup_coordcheck_agrees_with_the_engine(tmp_path, capsys):
    code = main(["coordcheck", "--preset", "mup", "--depth", "2", "--optimizer", "sgd",
                 "--widths", "128:1024", "--seeds", "4", "--steps", "2", "--json",
                 "--quantities", "f,df,dx,dWx,W0dx", "-o", str(tmp_path)])
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["agreement_rate"] >= 0.9
    rows = {(q["name"], q["layer"], q["step"]): q for q in rep["quantities"]}
    assert rows[("f", None, 0)]["predicted"] == "-1/2"
    assert rows[("dx", 2, 1)]["verdict"] == "agree"
    assert (tmp_path / "report.json").exists() and (tmp_path / "table.txt").exists()


TINY = ["coordcheck", "--preset", "mup", "--depth", "1", "--optimizer", "sgd",
        "--widths", "16,32,64", "--seeds", "2", "--steps", "1"]


def test_a_folder_where_an_output_file_goes_is_refused_before_the_sweep(tmp_path, capsys,
                                                                         monkeypatch):
    """-o DIR with DIR/report.json (or any other file the command writes) a folder: one line,
    exit 2, before the sweep (audit 2026-12: the whole sweep ran, then the write failed)."""
    import widthlimits.proofs_checks.coordcheck as cc
    from widthlimits.theory.presets import preset

    real = cc.coordcheck
    monkeypatch.setattr(cc, "coordcheck", lambda *a, **k: pytest.fail("the sweep ran"))
    for name in cc.OUTPUT_FILES:
        out = tmp_path / name.replace(".", "_")
        (out / name).mkdir(parents=True)
        assert main([*TINY, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{out / name}', written into it, is a folder" in err
        assert not (out / "sweep").exists()  # nothing started
        with pytest.raises(ValueError, match="written into it, is a folder"):  # the API too
            cc.coordcheck_against_engine(preset("mup", 1, "sgd"), widths=(16, 32, 64), seeds=2,
                                         steps=1, outdir=out)
    # the list is what the command writes (NO_PLOT.txt only without matplotlib)
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(cc, "coordcheck", real)
    out = tmp_path / "ok"
    assert main([*TINY, "--json", "-o", str(out)]) == 0
    capsys.readouterr()
    assert {p.name for p in out.iterdir()} == set(cc.OUTPUT_FILES) - {cc.NO_PLOT} | {"sweep"}


def test_bad_seeds_is_one_line(capsys):
    assert main(["coordcheck", "--preset", "mup", "--depth", "2", "--seeds", "1"]) == 2
    assert "`seeds` must be >= 2" in capsys.readouterr().err


@pytest.mark.parametrize(("eta", "message"), [
    ("abc", "`--eta` must be a number or a comma list"),
    ("-1", "`eta` must be > 0"),
    ("0.1,1", "`eta` has 2 values but the network has 3 weight layers"),
])
def test_bad_eta_is_one_line(eta, message, capsys):
    assert main(["coordcheck", "--preset", "mup", "--depth", "2", "--eta", eta]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_eta_reaches_the_coord_check(monkeypatch, capsys):
    """--eta is passed to the coord check as given (None without it: DEFAULT_ETA applies)."""
    import widthlimits.proofs_checks.coordcheck as cc

    seen = []

    class Stop(Exception):
        pass

    def record(*args, **kwargs):
        seen.append(kwargs["eta"])
        raise Stop

    monkeypatch.setattr(cc, "coordcheck_against_engine", record)
    base = ["coordcheck", "--preset", "mup", "--depth", "2"]
    for extra in ([], ["--eta", "0.2"], ["--eta", "0.01,0.5,0.5"]):
        with pytest.raises(Stop):
            main(base + extra)
    assert seen == [None, 0.2, (0.01, 0.5, 0.5)]
