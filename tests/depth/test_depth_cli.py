"""``widthlimits classify --preset depth-mup|completep``: text, JSON with e_n/e_L, bad input."""

import json

from widthlimits.proofs_checks.cli import main


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_depth_mup_adam_text(capsys):
    code, out, _ = run(["classify", "--preset", "depth-mup", "--depth", "16", "--optimizer", "adam"], capsys)
    assert code == 0
    assert "depth regime: stable, Theta(1/L) per block, lazy blocks, output Theta(1)" in out
    assert "TP VI" in out and "block_lr_L                 -1/2     -1/2  reproduced" in out
    assert "at L = 16: branch multiplier 0.25, block LR factor 0.25" in out


def test_completep_json(capsys):
    code, out, _ = run(["classify", "--preset", "completep", "--depth", "16", "--optimizer", "adam",
                        "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    q = {x["name"]: x for x in d["quantities"]}
    assert (q["block_features"]["e_n"], q["block_features"]["e_L"]) == ("0", "0")
    assert (q["block_update"]["e_n"], q["block_update"]["e_L"]) == ("0", "-1")
    assert (q["linearization_ratio"]["e_n"], q["linearization_ratio"]["e_L"]) == ("0", "0")
    assert all("e_n" in x and "e_L" in x for x in d["quantities"])
    assert d["regime"]["stable_in_depth"] is True and "complete" in d["regime"]["summary"]
    assert d["rules"]["agree"] == {"block_lr_L": True, "norm_lr_L": True, "bias_lr_L": True,
                                   "weight_decay_L": True}
    layers = {r["layer"]: r for r in d["layers"]}
    assert layers["block.2"]["multiplier"] == {"e_n": "0", "e_L": "-1"}


def test_completep_alpha_half_is_lazy(capsys):
    code, out, _ = run(["classify", "--preset", "completep:1/2", "--depth", "8", "--optimizer", "adam",
                        "--json"], capsys)
    d = json.loads(out)
    q = {x["name"]: x for x in d["quantities"]}
    assert q["linearization_ratio"]["e_L"] == "-1/2" and "lazy" in d["regime"]["summary"]
    assert d["rules"]["agree"]["weight_decay_L"] is False  # documented difference for alpha < 1


def test_bad_input_is_one_line_exit_2(capsys):
    for argv in (["classify", "--preset", "completep", "--depth", "4"],
                 ["classify", "--preset", "completep:3", "--depth", "4", "--optimizer", "adam"],
                 ["classify", "--preset", "depth-mup:1", "--depth", "4"]):
        code, out, err = run(argv, capsys)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
