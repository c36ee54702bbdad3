"""`cunsheng weights` and `analysis.weighting`: base weights, nonresponse, calibration, trimming."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.cli.weights import main
from analysis.errors import AnalysisError, E
from analysis.weighting import diagnostics, steps
from tests.analysis.conftest import Run, assert_problem

CSV = """id,township,sex,p_psu,p_hh,p_person,responded,age
1,A,M,0.1,0.5,0.5,1,20
2,A,F,0.1,0.5,0.5,1,30
3,A,M,0.1,0.5,1,0,40
4,A,F,0.1,0.25,0.5,1,50
5,B,M,0.2,0.5,0.5,1,25
6,B,F,0.2,0.5,0.5,0,35
7,B,M,0.2,0.5,1,1,45
8,B,F,0.2,0.25,0.5,1,55
9,B,F,0.2,0.5,0.5,1,65
"""
RAKE = {
    "method": "rake",
    "margins": [
        {"vars": ["township"], "population": [{"township": "A", "Freq": 100}, {"township": "B", "Freq": 150}]},
        {"vars": ["sex"], "population": [{"sex": "M", "Freq": 120}, {"sex": "F", "Freq": 130}]},
    ],
}
SPEC: dict[str, Any] = {
    "base": {"probs": ["p_psu", "p_hh", "p_person"]},
    "nonresponse": {"status": "responded", "respondent_value": 1, "classes": ["township"]},
    "calibration": RAKE,
    "weight_column": "wt",
}


def run(tmp_path: Path, spec: dict[str, Any], csv: str = CSV, *extra: str) -> tuple[int, str, str, Path]:
    data, spec_path, out = tmp_path / "d.csv", tmp_path / "s.json", tmp_path / "out.csv"
    data.write_text(csv, encoding="utf-8")
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main([str(data), "--spec", str(spec_path), "--out", str(out), *extra])
    return status, stdout.getvalue(), stderr.getvalue(), out


def test_base_weights_are_products_of_inverse_probabilities() -> None:
    frame = pd.read_csv(pd.io.common.StringIO(CSV))
    columns = {c: frame[c].to_numpy() for c in ("p_psu", "p_hh", "p_person")}
    w = steps.base_from_probs(columns, ["p_psu", "p_hh", "p_person"])
    np.testing.assert_allclose(w, 1 / (frame.p_psu * frame.p_hh * frame.p_person))
    fractions = steps.base_from_fractions({"n": np.array([2.0, 5.0]), "N": np.array([10.0, 20.0])}, [("n", "N")])
    np.testing.assert_allclose(fractions, [5.0, 4.0])


def test_nonresponse_preserves_eligible_class_totals() -> None:
    w = np.array([10.0, 20.0, 30.0, 5.0, 15.0, 25.0])
    responded = np.array([True, False, True, True, True, False])
    classes = np.array([0, 0, 0, 1, 1, 1])
    adjusted = steps.nonresponse_adjust(w, responded, classes, ["a", "b"])
    np.testing.assert_allclose(np.bincount(classes, weights=adjusted), np.bincount(classes, weights=w))
    assert (adjusted[~responded] == 0).all()
    np.testing.assert_allclose(adjusted[0] / adjusted[2], 10 / 30)


def test_trim_caps_and_preserves_totals() -> None:
    rng = np.random.default_rng(5)
    w = rng.lognormal(0, 1, 200)
    cap = 2.5 * float(np.median(w))
    trimmed = steps.trim(w, cap)
    assert trimmed.max() <= cap * (1 + 1e-9)
    assert trimmed.sum() == pytest.approx(w.sum(), rel=1e-12)
    classes = np.arange(200) % 4
    within = steps.trim(w, cap, classes)
    np.testing.assert_allclose(np.bincount(classes, weights=within), np.bincount(classes, weights=w))
    assert within.max() <= cap * (1 + 1e-9)
    with pytest.raises(AnalysisError) as raised:
        steps.trim(np.array([1.0, 1.0, 10.0]), 3.0)
    assert raised.value.entry is E.TRIM_CAP_LOW and raised.value.details["count"] == 3


def test_kish_deff_by_hand() -> None:
    w = np.array([1.0, 2.0, 3.0, 6.0])
    s = diagnostics.summary(w)
    # n sum w^2 / (sum w)^2 = 4 * 50 / 144
    assert s["deff_kish"] == pytest.approx(200 / 144)
    assert s["n_eff"] == pytest.approx(144 / 50)
    assert s["cv"] == pytest.approx(np.std(w) / np.mean(w))
    assert s["max_min_ratio"] == 6.0 and s["sum_w"] == 12.0 and s["mean"] == 3.0


@pytest.mark.parametrize(
    "calibration",
    [
        RAKE,
        {
            "method": "poststratify",
            "strata": ["township", "sex"],
            "population": [
                {"township": "A", "sex": "M", "Freq": 50},
                {"township": "A", "sex": "F", "Freq": 50},
                {"township": "B", "sex": "M", "Freq": 70},
                {"township": "B", "sex": "F", "Freq": 80},
            ],
        },
        {"method": "linear", "formula": ["sex", "age"], "population": {"(Intercept)": 250, "sexM": 120, "age": 10000}},
    ],
    ids=["rake", "poststratify", "linear"],
)
def test_cli_calibrated_weights_reproduce_margins(tmp_path: Path, calibration: dict[str, Any]) -> None:
    status, stdout, stderr, out = run(tmp_path, {**SPEC, "calibration": calibration})
    assert status == 0, stderr
    assert "Kish" in stdout and stderr == ""
    result = pd.read_csv(out)
    assert list(result.id) == [1, 2, 4, 5, 7, 8, 9]
    w = result.wt.to_numpy()
    if calibration["method"] == "linear":
        assert w.sum() == pytest.approx(250, abs=1e-8)
        assert w[result.sex == "M"].sum() == pytest.approx(120, abs=1e-8)
        assert w @ result.age.to_numpy() == pytest.approx(10000, abs=1e-8)
        return
    tables = calibration["margins"] if calibration["method"] == "rake" else [calibration]
    for table in tables:
        names = table.get("vars", table.get("strata"))
        for cell in table["population"]:
            mask = np.logical_and.reduce([result[n] == cell[n] for n in names])
            assert w[mask].sum() == pytest.approx(cell["Freq"], abs=1e-8)


def test_cli_trim_json_report_plot(tmp_path: Path) -> None:
    spec = {**SPEC, "trim": {"max": 1.3, "relative_to": "median"}}
    report, plot = tmp_path / "r.html", tmp_path / "h.png"
    status, stdout, stderr, out = run(tmp_path, spec, CSV, "--json", "--report", str(report), "--plot", str(plot))
    assert status == 0, stderr
    doc = json.loads(stdout)
    assert [s["stage"] for s in doc["stages"]] == ["base", "nonresponse", "calibration", "trim"]
    calibrated = doc["stages"][2]
    w = pd.read_csv(out).wt.to_numpy()
    assert w.sum() == pytest.approx(250)
    assert doc["stages"][3]["max"] == pytest.approx(w.max())
    assert w.max() < calibrated["max"]
    assert {m["margin"] for m in doc["margins"]} == {"1: township", "2: sex"}
    assert "<table" in report.read_text(encoding="utf-8")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_markdown_report(tmp_path: Path) -> None:
    report = tmp_path / "r.md"
    status, _, stderr, _ = run(tmp_path, SPEC, CSV, "--report", str(report))
    assert status == 0, stderr
    assert "| difference |" in report.read_text(encoding="utf-8")


def _margins(a: float, b: float) -> dict[str, Any]:
    return {
        "method": "rake",
        "margins": [
            {"vars": ["township"], "population": [{"township": "A", "Freq": a}, {"township": "B", "Freq": 150}]},
            {"vars": ["sex"], "population": [{"sex": "M", "Freq": b}, {"sex": "F", "Freq": 130}]},
        ],
    }


BAD = [
    ("unknown column", {**SPEC, "base": {"probs": ["p_psu", "p_hhh"]}}, CSV, "column.missing", ["`p_hhh`", "`p_hh`"]),
    ("margins differ", {**SPEC, "calibration": _margins(100, 100)}, CSV, "calibration.margins_differ", ["250", "230"]),
    (
        "cell without respondents",
        {
            **SPEC,
            "calibration": {
                "method": "poststratify",
                "strata": ["sex"],
                "population": [{"sex": "M", "Freq": 100}, {"sex": "F", "Freq": 100}, {"sex": "X", "Freq": 50}],
            },
        },
        CSV,
        "calibration.cell_no_respondents",
        ["`sex`='X'"],
    ),
    (
        "negative margin",
        {**SPEC, "calibration": _margins(-100, 120)},
        CSV,
        "spec.range",
        ["`calibration.margins[0].population[0].Freq`", "-100"],
    ),
    (
        "non-numeric prob",
        SPEC,
        CSV.replace("2,A,F,0.1,0.5", "2,A,F,abc,0.5"),
        "column.not_numeric",
        ["`p_psu`", "第 2 行", "'abc'"],
    ),
    (
        "prob above one",
        SPEC,
        CSV.replace("4,A,F,0.1,0.25", "4,A,F,0.1,1.25"),
        "weights.prob",
        ["`p_hh`", "第 4 行", "(0, 1]"],
    ),
    ("prob zero", SPEC, CSV.replace("5,B,M,0.2", "5,B,M,0"), "weights.prob", ["`p_psu`", "第 5 行"]),
    (
        "class without respondents",
        SPEC,
        CSV.replace("1,A,M,0.1,0.5,0.5,1", "1,A,M,0.1,0.5,0.5,0")
        .replace("2,A,F,0.1,0.5,0.5,1", "2,A,F,0.1,0.5,0.5,0")
        .replace("4,A,F,0.1,0.25,0.5,1", "4,A,F,0.1,0.25,0.5,0"),
        "weights.no_respondents",
        ["`township`='A'", "nonresponse.classes"],
    ),
    ("trim impossible", {**SPEC, "trim": {"max": 10}}, CSV, "weights.trim_cap_too_low", ["trim.max"]),
    ("unknown spec key", {**SPEC, "bass": {}}, CSV, "spec.unknown_key", ["`bass`", "`base`"]),
    (
        "two bases",
        {**SPEC, "base": {"probs": ["p_psu"], "weights": "age"}},
        CSV,
        "weights.base_one_of",
        ["probs, weights"],
    ),
    (
        "no respondent value",
        {**SPEC, "nonresponse": {"status": "responded", "respondent_value": 7}},
        CSV,
        "weights.no_respondent_value",
        ["`responded`", "7"],
    ),
    (
        "trim relative to mode",
        {**SPEC, "trim": {"max": 3, "relative_to": "mode"}},
        CSV,
        "spec.choice",
        ["`trim.relative_to`", "'mode'"],
    ),
]


@pytest.mark.parametrize("spec,csv,code,names", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_exits_2(tmp_path: Path, spec: dict[str, Any], csv: str, code: str, names: list[str]) -> None:
    status, stdout, stderr, out = run(tmp_path, spec, csv)
    assert not out.exists()
    assert_problem(Run(status, stdout, stderr), code, *names, prog="cunsheng weights")


@pytest.mark.parametrize(
    ("extra", "code", "names"),
    [
        (("--out", "out.txt"), "cli.suffix", ("--out", "out.txt", "cunsheng weights --help")),
        (("--plot", "h.jpg"), "cli.suffix", ("--plot", "h.jpg")),
        (("--colour",), "cli.unknown_argument", ("--colour", "cunsheng weights --help")),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, extra: tuple[str, ...], code: str, names: tuple[str, ...]) -> None:
    status, stdout, stderr, out = run(tmp_path, SPEC, CSV, *extra)
    assert not (tmp_path / "out.txt").exists() and not out.exists()
    assert_problem(Run(status, stdout, stderr), code, *names, prog="cunsheng weights")


def test_missing_required_option_exits_2(tmp_path: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main([str(tmp_path / "d.csv"), "--spec", "s.json"])
    assert_problem(
        Run(status, stdout.getvalue(), stderr.getvalue()), "cli.missing_option", "--out", prog="cunsheng weights"
    )
