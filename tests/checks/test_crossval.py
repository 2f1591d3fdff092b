"""The cross-validation study (proofs_checks/crossval.py): its crossover rule, its scoring of
unstable runs, its draw of parametrizations, and a resumable store that never mixes settings
or code versions."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from widthlimits.proofs_checks import crossval
from widthlimits.proofs_checks.crossval import diagnose, draw, run_cases, scored
from widthlimits.theory.classify import classify
from widthlimits.theory.presets import preset


def _q(name: str, layer: int | None, step: int, predicted: str, measured: float | None,
       verdict: str) -> dict[str, Any]:
    return {"name": name, "layer": layer, "step": step, "predicted": predicted,
            "measured": measured, "verdict": verdict}


def _case(*qs: dict[str, Any], regime: str = "feature_learning",
          first_blowup: int | None = None) -> dict[str, Any]:
    return {"name": "c", "regime": regime, "first_blowup": first_blowup, "quantities": list(qs)}


# ------------------------------------------------------------------ the crossover rule
def test_a_sum_between_its_agreeing_terms_is_a_crossover() -> None:
    # dh^2 = W0dx^2 + dWx^2: terms n^0 and n^{-1/4} both agree; the sum's slope -0.2 lies between
    terms = (_q("dWx", 2, 1, "0", 0.01, "agree"), _q("W0dx", 2, 1, "-1/4", -0.24, "agree"))
    case = _case(_q("dh", 2, 1, "0", -0.2, "disagree"), *terms)
    assert diagnose(case, depth=2) == {("dh", 2, 1): "crossover"}


def test_a_sum_outside_its_terms_or_with_a_failing_term_is_unexplained() -> None:
    terms = (_q("dWx", 2, 1, "0", 0.01, "agree"), _q("W0dx", 2, 1, "-1/4", -0.24, "agree"))
    outside = _case(_q("dh", 2, 1, "0", -0.6, "disagree"), *terms)
    assert diagnose(outside, depth=2)[("dh", 2, 1)] == "unexplained"
    bad_term = _case(_q("dh", 2, 1, "0", -0.2, "disagree"),
                     _q("dWx", 2, 1, "0", 0.3, "disagree"), terms[1])
    assert diagnose(bad_term, depth=2)[("dh", 2, 1)] == "unexplained"
    missing_term = _case(_q("dh", 2, 1, "0", -0.2, "disagree"), terms[0])
    assert diagnose(missing_term, depth=2)[("dh", 2, 1)] == "unexplained"


def test_w0dx_inherits_the_bias_of_the_dx_it_multiplies() -> None:
    # W0dx^3 = W^3_0 dx^2: predicted shift from dx^2 is 0, measured shift 0 -> crossover
    inherits = _case(_q("W0dx", 3, 1, "0", -0.2, "disagree"), _q("dx", 2, 1, "0", -0.2, "agree"))
    assert diagnose(inherits, depth=3)[("W0dx", 3, 1)] == "crossover"
    shifted = _case(_q("W0dx", 3, 1, "0", -0.6, "disagree"), _q("dx", 2, 1, "0", -0.2, "agree"))
    assert diagnose(shifted, depth=3)[("W0dx", 3, 1)] == "unexplained"


def test_unstable_runs_are_scored_up_to_their_first_blowup() -> None:
    case = _case(regime="unstable", first_blowup=1)
    assert scored(case, _q("dh", 2, 1, "1/2", 0.5, "agree"))  # forward at the blow-up step
    assert not scored(case, _q("g", 2, 1, "0", 0.0, "agree"))  # backward at it
    assert scored(case, _q("g", 2, 0, "0", 0.0, "agree"))
    assert not scored(case, _q("dh", 2, 2, "1", 1.0, "agree"))
    assert scored(_case(), _q("dh", 2, 5, "0", 0.0, "agree"))  # stable: everything


# ------------------------------------------------------------------ the draw
def test_draw_is_reproducible_and_has_the_asked_unstable_fraction() -> None:
    pairs = draw(random.Random(7), 20, unstable_fraction=0.25)
    again = draw(random.Random(7), 20, unstable_fraction=0.25)
    assert [(str(p), o) for p, o in pairs] == [(str(p), o) for p, o in again]
    stable = [classify(p, o).stable for p, o in pairs]
    assert stable == [False] * 5 + [True] * 15
    assert len({p.name for p, _ in pairs}) == 20


# ------------------------------------------------------------------ resumable store
def test_run_cases_resumes_only_cases_with_the_same_settings_and_code(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = [(preset("mup", 2, "sgd").replace(name="mup/sgd"), "sgd"),
             (preset("ntp", 2, "sgd").replace(name="ntp/sgd"), "sgd")]
    kw = {"widths": (16, 32, 64), "seeds": 2, "steps": 1, "jobs": 1, "constants": "unit"}
    calls: list[str] = []
    one = crossval._one

    def counting(args: Any) -> dict[str, Any]:
        calls.append(args[0].name)
        return one(args)

    monkeypatch.setattr(crossval, "_one", counting)
    first = run_cases(pairs, outdir=tmp_path, **kw)
    assert calls == ["mup/sgd", "ntp/sgd"]
    assert (tmp_path / "crossval.md").exists()
    # same settings: nothing recomputed, same numbers
    again = run_cases(pairs, outdir=tmp_path, **kw)
    assert calls == ["mup/sgd", "ntp/sgd"]
    assert again.cases == first.cases
    # a case stored by another code version is recomputed; the other one is kept
    stored = json.loads((tmp_path / "crossval.json").read_text())
    stored[0]["settings"]["code_version"] = "0+older"
    (tmp_path / "crossval.json").write_text(json.dumps(stored))
    run_cases(pairs, outdir=tmp_path, **kw)
    assert calls == ["mup/sgd", "ntp/sgd", "mup/sgd"]
    # other settings (more seeds): everything recomputed
    run_cases(pairs, outdir=tmp_path, **{**kw, "seeds": 3})
    assert calls[3:] == ["mup/sgd", "ntp/sgd"]
    assert all(c["settings"]["seeds"] == 3
               for c in json.loads((tmp_path / "crossval.json").read_text()))
