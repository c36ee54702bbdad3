"""Issue 15, acceptance 2: `cunsheng evaluate`'s numbers are `cunsheng estimate --stat mean --var <0/1
indicator>` over the population domain, times the scale, to 1e-9 — for every indicator of every
indicator file (the bundled ones under surveys/definitions/indicators/ and this suite's own), on a
synthetic wave with a real design (tests/analysis/evalkit.py).

The indicator is derived twice: by `analysis.evaluation.derive` and, one row at a time, from the
questionnaire's own answers (`evalkit.by_hand`); both must agree exactly. The by-hand values then go
through the real `cunsheng estimate` command (domain `pop` = 1 of `--by pop --by urban_rural`,
`--na drop`, the indicator's `--ci-method`); where the flag `ci:beta` says p is 0 or 1, the interval
is Korn-Graubard's on the sample size, computed here from scipy's distributions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.evaluation.derive import columns_read, derive
from analysis.io.columns import from_frame
from surveys.indicator_defs.compiler import BUNDLED, FOLDER, compile_file
from surveys.indicator_defs.model import IndicatorSet
from tests.analysis.evalkit import (
    DESIGN_COLUMNS,
    beta_at_bounds,
    by_hand,
    questionnaire,
    run_estimate,
    run_evaluate,
    synthetic_wave,
    wave,
)

OWN = Path(__file__).parent / "data"
FILES = [*sorted((BUNDLED / FOLDER).glob("*.yaml")), *sorted(OWN.glob("indicators_*.yaml"))]
CASES = [(path, indicator.code) for path in FILES for indicator in compile_file(path).indicators]

Run = tuple[IndicatorSet, Any, Any, Path, dict[str, Any]]


def test_the_cases_cover_prop_and_mean_and_every_target_op() -> None:
    indicators = [compile_file(path).indicator(code) for path, code in CASES]
    assert {i.stat for i in indicators} == {"prop", "mean"}
    assert {i.target.op for i in indicators} == {">=", ">", "<=", "<", "=", "~", "up", "down", "qual"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Run]:
    """Per indicator file: its definitions, questionnaire, synthetic wave, design file and evaluation."""
    done: dict[Path, Run] = {}

    def run(path: Path) -> Run:
        if path not in done:
            folder = tmp_path_factory.mktemp(path.stem)
            definitions = compile_file(path)
            assert definitions.survey is not None
            survey = questionnaire(definitions.survey)
            data = synthetic_wave(survey)
            data.to_csv(folder / "wave.csv", index=False)
            (folder / "design.json").write_text(wave()[1], encoding="utf-8")
            status, out, err = run_evaluate(folder / "wave.csv", folder / "design.json", path, "--by", "urban_rural",
                                            "--year", "2026", "--json")
            assert status == 0, err
            done[path] = (definitions, survey, data, folder / "design.json", json.loads(out))
        return done[path]

    return run


def close(got: float | None, want: float | None, scale: float) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return bool(got == pytest.approx(want * scale, rel=1e-9, abs=1e-12))


@pytest.mark.parametrize("path, code", CASES, ids=[f"{p.parent.name}/{p.stem}:{c}" for p, c in CASES])
def test_evaluate_is_cunsheng_estimate_over_the_population_domain(path: Path, code: str, runs: Callable[[Path], Run],
                                                                   tmp_path: Path) -> None:
    definitions, survey, data, design, document = runs(path)
    indicator = definitions.indicator(code)
    values, inside = by_hand(survey, indicator, data)
    columns = from_frame(data, columns_read(indicator, list(data.columns)))
    derived = derive(columns, indicator, definitions.special_codes)
    np.testing.assert_array_equal(derived.inside, inside)
    np.testing.assert_array_equal(derived.values[inside], values[inside])

    frame = data[DESIGN_COLUMNS].assign(pop=inside.astype(int), ind=np.where(inside, values, 0.0))
    frame.to_csv(tmp_path / "derived.csv", index=False)
    asked = ["--stat", "mean", "--var", "ind", "--by", "pop", "--by", "urban_rural", "--na", "drop"]
    expected = run_estimate(tmp_path / "derived.csv", design, *asked, "--ci-method", indicator.ci_method)
    got = [e for e in document["indicators"] if e["code"] == code and e["breakdown"] is None]
    want = [e for e in expected["estimates"] if e["domain"]["pop"] == 1]
    assert [g["domain"] for g in got] == [{"urban_rural": e["domain"]["urban_rural"]} for e in want]
    assert got and all(g["df"] == expected["df"] == document["df"] for g in got)
    for g, e in zip(got, want, strict=True):
        interval = e
        if "ci:beta" in g["flags"]:  # p is 0 or 1: no logit interval; Korn-Graubard on the sample size
            assert e["estimate"] in (0.0, 1.0) and indicator.ci_method != "wald"
            interval = dict(zip(("ci_low", "ci_high"), beta_at_bounds(e["estimate"], e["n"], e["df"]), strict=True))
        assert g["n"] == e["n"]
        for name, source in (("estimate", e), ("se", e), ("ci_low", interval), ("ci_high", interval)):
            assert close(g[name], source[name], indicator.scale), (name, g[name], source[name])
        assert set(e["flags"]) <= set(g["flags"])
