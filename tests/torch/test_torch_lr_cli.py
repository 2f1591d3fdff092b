"""``widthlimits torch-lr``: the bridge's per-layer numbers without torch; one-line errors."""

import json
from fractions import Fraction

import pytest

from widthlimits.proofs_checks.cli import main

CMD = ["torch-lr", "--preset", "mup", "--depth", "3", "--optimizer", "adam", "--base-width", "256",
       "--width", "4096", "--base-lr", "3e-3"]


def run(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_issue_command_prints_the_table(capsys):
    rc, out, err = run(capsys, CMD)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[1].split() == ["layer", "role", "a", "b", "c", "multiplier", "init", "std", "lr", "eps"]
    # muP, Adam, TP4 form: c = (1/2, 1, 1, 1/2): lr = 3e-3 * 16^-c
    assert lines[3].split()[:2] == ["1", "input"] and "0.00075" in lines[3]
    # the two hidden layers' equal rows share one row (deep nets: "2-100")
    assert lines[4].split()[:2] == ["2-3", "hidden"] and "0.0001875" in lines[4]
    assert lines[5].split()[:2] == ["4", "readout"] and "0.00075" in lines[5]


def test_json_rows_follow_the_base_width_rule(capsys):
    rc, out, _ = run(capsys, CMD + ["--json", "--weight-decay", "0.1", "--no-multipliers"])
    rows = json.loads(out)
    assert rc == 0 and [r["role"] for r in rows] == ["input", "hidden", "hidden", "readout"]
    # multiplier-free muP for Adam: b = (0, 1/2, 1/2, 1), c = (0, 1, 1, 1)
    assert [r["c"] for r in rows] == ["0", "1", "1", "1"]
    assert [r["b"] for r in rows] == ["0", "1/2", "1/2", "1"]
    for r in rows:
        assert r["multiplier"] == 1.0
        assert r["lr"] == pytest.approx(3e-3 * 16 ** -float(Fraction(r["c"])))
        assert r["lr"] * r["weight_decay"] == pytest.approx(3e-3 * 0.1)
    assert rows[3]["init_std"] == pytest.approx(256 ** -0.5 / 16)


def test_matches_the_python_bridge(capsys):
    torch = pytest.importorskip("torch")
    from widthlimits.torch import parametrize

    def make(n):
        return torch.nn.Sequential(torch.nn.Linear(64, n, bias=False), torch.nn.Tanh(),
                                   torch.nn.Linear(n, n, bias=False), torch.nn.Tanh(),
                                   torch.nn.Linear(n, 1, bias=False))

    b = parametrize(make(1024), make(128), "mup", optimizer="sgd", lr=0.1, initialize=False)
    _, out, _ = run(capsys, ["torch-lr", "--preset", "mup", "--depth", "2", "--optimizer", "sgd",
                             "--base-width", "128", "--width", "1024", "--base-lr", "0.1", "--json"])
    for row, s in zip(json.loads(out), b.scalings, strict=True):
        assert (row["multiplier"], row["init_std"], row["lr"]) == pytest.approx(
            (s.multiplier, s.init_std, s.lr))


@pytest.mark.parametrize("extra,msg", [
    (["--preset", "muq"], "unknown preset 'muq'"),
    (["--preset", "mup", "--c", "1"], "give either --preset or --a/--b/--c"),
    (["--a", "0,0,0"], "missing --b"),
    (["--preset", "mup", "--width", "0"], "`--width` must be a positive integer"),
    (["--preset", "mup", "--base-lr", "-1"], "`--base-lr` must be positive"),
    (["--preset", "mup", "--optimizer", "lion"], "invalid choice: 'lion'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, extra, msg):
    base = ["torch-lr", "--depth", "2", "--base-width", "64"]
    for opt, val in (("--width", "256"), ("--base-lr", "0.1")):  # each option once
        if opt not in extra:
            base += [opt, val]
    rc, out, err = run(capsys, base + extra) if "--optimizer" not in extra else (None, "", "")
    if rc is None:
        with pytest.raises(SystemExit) as e:
            main(base + extra)
        rc, err = e.value.code, capsys.readouterr().err
    assert rc == 2 and msg in err and err.count("\n") == 1
