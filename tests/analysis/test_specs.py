"""Every JSON spec model refuses a broken spec with its own code and names the full key path;
randomness comes from a `numpy.random.Generator`, reproducible for one seed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.calibration.spec import calibration_spec
from analysis.design.binding import bind
from analysis.design.spec import Design
from analysis.errors import AnalysisError
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.io.columns import from_frame
from analysis.replicate.bootstrap import bootstrap_factors
from analysis.replicate.spec import ReplicateSpec
from analysis.replicate.weights import build
from analysis.weighting.spec import WeightsSpec

RAKE = {"method": "rake", "margins": [{"vars": ["a"], "population": [{"a": 1, "Freq": 5}]}]}
BASE = {"base": {"probs": ["p"]}}


def _design(obj: Any) -> Any:
    return Design.from_json(obj)


def _replicate(obj: Any) -> Any:
    return ReplicateSpec.from_json(obj)


def _weights(obj: Any) -> Any:
    return WeightsSpec.from_json(obj)


CASES = [
    # (parse, broken spec, code, key path in details)
    (_design, {"ids": [], "strat": "s"}, "spec.unknown_key", "strat"),
    (_design, {"strata": "s"}, "spec.missing_key", "ids"),
    (_design, {"ids": "psu"}, "spec.type", "ids"),
    (_design, {"ids": [], "lonely_psu": "skip"}, "spec.choice", "lonely_psu"),
    (_design, {"ids": ["a"], "weights": "w", "probs": "p"}, "design.weights_and_probs", "probs"),
    (_design, {"ids": [], "replicate": {"type": "JK1", "creat": True}}, "spec.unknown_key", "replicate.creat"),
    (_replicate, {"type": "JK1", "weigths": ["r1"]}, "spec.unknown_key", "replicate.weigths"),
    (_replicate, {"create": True}, "spec.missing_key", "replicate.type"),
    (_replicate, {"type": "BRR", "create": "yes"}, "spec.type", "replicate.create"),
    (_replicate, {"type": "bootstrap", "create": True, "replicates": 1}, "spec.range", "replicate.replicates"),
    (_replicate, {"type": "Fay", "create": True, "rho": 1.5}, "replicate.fay_rho", "replicate.rho"),
    (_replicate, {"type": "other", "create": True}, "replicate.not_creatable", "replicate.type"),
    (calibration_spec, {**RAKE, "margins": [{**RAKE["margins"][0], "populaton": []}]}, "spec.unknown_key", "calibration.margins[0].populaton"),
    (calibration_spec, {"method": "rake", "margins": [{"vars": ["a"]}]}, "spec.missing_key", "calibration.margins[0].population"),
    (calibration_spec, {"method": "poststratify", "strata": "a", "population": []}, "spec.type", "calibration.strata"),
    (calibration_spec, {"method": "rank"}, "spec.choice", "calibration.method"),
    (calibration_spec, {"method": "rake", "margins": [RAKE["margins"][0], {"vars": ["b"], "population": [{"b": 1, "Freq": -1}]}]}, "spec.range", "calibration.margins[1].population[0].Freq"),
    (calibration_spec, {"method": "rake", "margins": [{"vars": ["a"], "population": [{"b": 1, "Freq": 1}]}]}, "calibration.population_row", "calibration.margins[0].population[0]"),
    (calibration_spec, {"method": "linear", "formula": ["x"], "population": {"x": 1}, "bounds": [2, 3]}, "calibration.bounds", "calibration.bounds"),
    (calibration_spec, {"method": "logit", "formula": ["x"], "population": {"x": 1}}, "calibration.logit_bounds", "calibration.bounds"),
    (_weights, {**BASE, "trimm": {"max": 3}}, "spec.unknown_key", "trimm"),
    (_weights, {"nonresponse": {"status": "r"}}, "spec.missing_key", "base"),
    (_weights, {**BASE, "trim": {"max": "3"}}, "spec.type", "trim.max"),
    (_weights, {**BASE, "trim": {"max": 0}}, "spec.range", "trim.max"),
    (_weights, {"base": {"probs": ["p"], "weights": "w"}}, "weights.base_one_of", "base"),
    (_weights, {**BASE, "calibration": {**RAKE, "margins": [{"vars": [], "population": []}]}}, "spec.too_short", "calibration.margins[0].vars"),
]  # fmt: skip


@pytest.mark.parametrize(("parse", "spec", "code", "key"), CASES, ids=[f"{c[2]}:{c[3]}" for c in CASES])
def test_broken_spec_has_its_code_and_names_the_key(parse: Any, spec: Any, code: str, key: str) -> None:
    with pytest.raises(AnalysisError) as raised:
        parse(spec)
    problem = raised.value
    assert problem.code == code
    assert problem.details["key"] == key
    assert problem.status == 2 and problem.message and problem.message_en
    assert problem.line().startswith(f"[{code}] ")


def test_unknown_key_suggests_the_near_miss() -> None:
    with pytest.raises(AnalysisError) as raised:
        _replicate({"type": "JK1", "weigths": ["r1"]})
    assert "`weights`" in raised.value.message and "`weights`" in (raised.value.message_en or "")


def test_null_means_the_default_and_the_python_api_validates_too() -> None:
    design = Design.from_json({"ids": None, "strata": None, "nest": None, "lonely_psu": None, "fpc": None})
    assert design == Design()
    assert design.lonely_psu == "fail" and design.ids == ()
    with pytest.raises(AnalysisError) as raised:
        Design(ids=("a",), fpc=("f1", "f2"))
    assert raised.value.code == "design.fpc_stages" and raised.value.details["key"] == "fpc"


def _paired(strata: int = 4) -> tuple[Design, dict[str, Any]]:
    frame = pd.DataFrame(
        {
            "st": np.repeat(np.arange(strata), 6),
            "psu": np.repeat(np.arange(3 * strata), 2),
            "w": 1.0,
            "y": np.arange(6.0 * strata),
        }
    )
    design = Design.from_json(
        {"ids": ["psu"], "strata": "st", "weights": "w", "replicate": {"type": "bootstrap", "create": True}}
    )
    return design, from_frame(frame, list(frame.columns))


def test_bootstrap_takes_a_generator_and_the_same_seed_gives_the_same_replicates() -> None:
    design, columns = _paired()
    bound = bind(design, columns)
    a = bootstrap_factors(bound, 20, np.random.default_rng(42))
    b = bootstrap_factors(bound, 20, np.random.default_rng(42))
    c = bootstrap_factors(bound, 20, np.random.default_rng(43))
    assert a.shape == (12, 20) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert design.replicate is not None
    from_seed = build(design.replicate, bound, columns, design.replicate.generator())
    from_generator = build(design.replicate, bound, columns, np.random.default_rng(0))
    assert np.array_equal(from_seed.weights, from_generator.weights)


def test_estimate_accepts_a_generator() -> None:
    design, columns = _paired()
    request = Request("mean", "y")
    default = estimate(columns, design, request)  # the spec's seed 0
    same = estimate(columns, design, request, rng=np.random.default_rng(0))
    other = estimate(columns, design, request, rng=np.random.default_rng(7))
    assert np.array_equal(default.numbers["se"], same.numbers["se"])
    assert not np.array_equal(default.numbers["se"], other.numbers["se"])
