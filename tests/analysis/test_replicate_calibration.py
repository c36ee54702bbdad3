"""Replicate weights and calibration: identities, published calibrated-weight tables, bad specifications.

Identities: calibrated weights reproduce every margin; a post-stratified total of the
post-stratifying variable has SE 0; JK1 on an unclustered sample gives the textbook s^2/n for a
mean (Wolter 2007, sec. 4.2). Published tables: Kalton & Flores-Cervantes (2003) tables A, C, D, G
and the bounded g-range of R's tests/caleg.R, from refdata's `calibration-weights` cases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.calibration.calibrator import bind as bind_calibration
from analysis.calibration.spec import calibration_spec
from analysis.design.binding import bind
from analysis.design.spec import Design
from analysis.errors import AnalysisError, E
from analysis.estimators.estimate import Request, estimate
from analysis.io.columns import from_frame
from analysis.replicate.weights import build
from tests.analysis.conftest import assert_problem, refdata_dir

RNG = np.random.default_rng(5)
FRAME = pd.DataFrame(
    {
        "sex": RNG.choice(["f", "m"], 60),
        "region": RNG.choice(["n", "s", "w"], 60),
        "age": RNG.uniform(18, 80, 60).round(1),
        "w": RNG.uniform(5, 15, 60).round(2),
        "y": RNG.normal(50, 10, 60).round(2),
    }
)
SEX = [{"sex": "f", "Freq": 520}, {"sex": "m", "Freq": 480}]
REGION = [{"region": "n", "Freq": 300}, {"region": "s", "Freq": 450}, {"region": "w", "Freq": 250}]


def calibrated(spec: dict[str, Any], frame: pd.DataFrame = FRAME, weights: str = "w") -> np.ndarray:
    cal = calibration_spec(spec)
    columns = from_frame(frame, list(frame.columns))
    return bind_calibration(cal, columns).calibrate(frame[weights].to_numpy(dtype=np.float64))


def margin_totals(w: np.ndarray, var: str) -> dict[str, float]:
    return {str(k): float(v) for k, v in pd.Series(w).groupby(FRAME[var].to_numpy()).sum().items()}


@pytest.mark.parametrize(
    "spec",
    [
        {"method": "poststratify", "strata": ["sex"], "population": SEX},
        {"method": "rake", "margins": [{"vars": ["sex"], "population": SEX}, {"vars": ["region"], "population": REGION}]},
        {"method": "linear", "formula": ["sex", "region", "age"], "population": {"(Intercept)": 1000, "sexm": 480, "regions": 450, "regionw": 250, "age": 47000}},
        {"method": "raking", "formula": ["sex", "region"], "population": {"(Intercept)": 1000, "sexm": 480, "regions": 450, "regionw": 250}},
        {"method": "logit", "formula": ["sex", "region"], "population": {"(Intercept)": 1000, "sexm": 480, "regions": 450, "regionw": 250}, "bounds": [0.2, 6]},
    ],
    ids=["poststratify", "rake", "linear", "raking", "logit"],
)  # fmt: skip
def test_calibrated_weights_reproduce_every_margin(spec: dict[str, Any]) -> None:
    w = calibrated(spec)
    totals = margin_totals(w, "sex")
    assert totals["f"] == pytest.approx(520, abs=1e-8) and totals["m"] == pytest.approx(480, abs=1e-8)
    if spec["method"] != "poststratify":
        for row in REGION:
            assert margin_totals(w, "region")[row["region"]] == pytest.approx(row["Freq"], abs=1e-8)
    if spec["method"] == "linear":
        assert float(w @ FRAME["age"]) == pytest.approx(47000, abs=1e-8)
    if spec["method"] == "logit":
        g = w / FRAME["w"].to_numpy()
        assert g.min() >= 0.2 - 1e-12 and g.max() <= 6 + 1e-12


def write(tmp_path: Path, frame: pd.DataFrame = FRAME) -> Path:
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_poststratified_total_of_the_poststratifier_has_se_zero(estimate_cli: Any, tmp_path: Path) -> None:
    design = {
        "ids": [],
        "weights": "w",
        "calibration": {"method": "poststratify", "strata": ["sex"], "population": SEX},
    }
    document = estimate_cli(write(tmp_path), design, "--stat", "total", "--var", "sex", "--json").json()
    for entry in document["estimates"]:
        assert entry["estimate"] == pytest.approx(dict(f=520, m=480)[entry["level"]], rel=1e-12)
        assert entry["se"] == pytest.approx(0, abs=1e-9)


def test_jk1_on_an_unclustered_sample_gives_the_textbook_se(estimate_cli: Any, tmp_path: Path) -> None:
    frame = FRAME.assign(one=1.0)
    design = {"ids": [], "weights": "one", "replicate": {"type": "JK1", "create": True}}
    document = estimate_cli(write(tmp_path, frame), design, "--stat", "mean", "--var", "y", "--json").json()
    y = frame["y"].to_numpy()
    assert document["estimates"][0]["se"] == pytest.approx(np.sqrt(y.var(ddof=1) / len(y)), rel=1e-12)
    assert document["df"] == len(y) - 1


def test_replicate_columns_by_prefix_match_explicit_columns(estimate_cli: Any, tmp_path: Path) -> None:
    frame = FRAME.copy()
    for r in range(4):
        frame[f"rep{r}"] = frame["w"] * RNG.uniform(0.5, 1.5, len(frame))
    path = write(tmp_path, frame)
    listed = {"type": "bootstrap", "weights": [f"rep{r}" for r in range(4)]}
    by_prefix = {"type": "bootstrap", "weights_prefix": "rep"}
    a = estimate_cli(path, {"ids": [], "weights": "w", "replicate": listed}, "--stat", "mean", "--var", "y", "--json")
    b = estimate_cli(
        path, {"ids": [], "weights": "w", "replicate": by_prefix}, "--stat", "mean", "--var", "y", "--json"
    )
    assert a.json() == b.json()
    thetas = [np.average(frame["y"], weights=frame[f"rep{r}"]) for r in range(4)]
    assert a.json()["estimates"][0]["se"] == pytest.approx(np.std(thetas, ddof=1), rel=1e-12)


@pytest.mark.parametrize(
    ("calib", "code", "names"),
    [
        ({"method": "rake", "margins": [{"vars": ["sex"], "population": SEX}, {"vars": ["region"], "population": [{**r, "Freq": r["Freq"] + 1} for r in REGION]}]}, "calibration.margins_differ", ("calibration.margins[0]", "1000", "1003")),
        ({"method": "poststratify", "strata": ["sex"], "population": [*SEX, {"sex": "x", "Freq": 10}]}, "calibration.cell_no_respondents", ("`sex`='x'",)),
        ({"method": "poststratify", "strata": ["sex"], "population": [{"sex": "f", "Freq": -5}, {"sex": "m", "Freq": 480}]}, "spec.range", ("`calibration.population[0].Freq`", "-5", ">= 0")),
        ({"method": "poststratify", "strata": ["sex"], "population": SEX[:1]}, "calibration.cell_missing", ("`sex`='m'",)),
        ({"method": "linear", "formula": ["age"], "population": {"(Intercept)": 1000, "agex": 5}}, "calibration.unknown_total", ("`agex`",)),
        ({"method": "linear", "formula": ["age"], "population": {"(Intercept)": 1000, "age": 47000}, "aggregate_stage": 2}, "spec.choice", ("`calibration.aggregate_stage`",)),
    ],
    ids=["margins-differ", "empty-cell", "negative", "cell-missing", "unknown-key", "aggregate-stage"],
)  # fmt: skip
def test_bad_calibration_exits_2(
    estimate_cli: Any, tmp_path: Path, calib: Any, code: str, names: tuple[str, ...]
) -> None:
    design = {"ids": [], "weights": "w", "calibration": calib}
    assert_problem(estimate_cli(write(tmp_path), design, "--stat", "mean", "--var", "y"), code, *names)


def test_replicate_specification_errors_exit_2(estimate_cli: Any, tmp_path: Path) -> None:
    frame = FRAME.assign(r1=FRAME["w"], r2=FRAME["w"] * 1.1, r3=FRAME["w"] * 0.9)
    path = write(tmp_path, frame)
    args = ("--stat", "mean", "--var", "y")
    wrong_count = {"type": "JKn", "weights": ["r1", "r2", "r3"], "rscales": [0.5, 0.5]}
    run = estimate_cli(path, {"ids": [], "weights": "w", "replicate": wrong_count}, *args)
    assert_problem(run, "replicate.rscales_count", "`replicate.rscales`", "2", "3")
    run = estimate_cli(path, {"ids": [], "weights": "w", "replicate": {"type": "BRR", "weights_prefix": "zz"}}, *args)
    assert_problem(run, "replicate.prefix_unmatched", "`replicate.weights_prefix`", "'zz'")
    run = estimate_cli(path, {"ids": [], "weights": "w", "replicate": {"type": "JKn", "weights": ["r1", "r2"]}}, *args)
    assert_problem(run, "replicate.jkn_rscales", "`replicate.rscales`")
    three = write(tmp_path, frame.assign(st=np.repeat([1, 2], 30), psu=[0, 0, 1, 1, 2, 2] * 10))
    design = {
        "ids": ["psu"],
        "strata": "st",
        "weights": "w",
        "nest": True,
        "replicate": {"type": "BRR", "create": True},
    }
    assert_problem(estimate_cli(three, design, *args), "replicate.brr_pairs", "`st`=1", "3")


def _cases() -> dict[str, dict[str, Any]]:
    found = refdata_dir()
    cases = json.loads((found / "cases_public.json").read_text(encoding="utf-8")) if found else []
    return {c["id"]: c for c in cases if "calibration-weights" in c["tags"]}


CASES = _cases()
KALTON = sorted(i for i in CASES if i.startswith("kalton_"))


@pytest.mark.usefixtures("refdata")
@pytest.mark.parametrize("case_id", KALTON or ["no-refdata"])
def test_kalton_flores_cervantes_weight_tables(case_id: str) -> None:
    """Ratio of calibrated to sample counts per (a, b) cell: Kalton & Flores-Cervantes (2003) tables."""
    case = CASES[case_id]
    frame = pd.read_csv(refdata_dir() / "data" / case["dataset_file"]).assign(one=1.0)  # type: ignore[operator]
    w = calibrated(case["design"]["calibration"], frame, "one")
    ratios = pd.Series(w).groupby([frame["a"], frame["b"]]).mean().unstack().to_numpy()
    expected = np.array(case["expected"]["ratios"])
    assert np.abs(ratios - expected).max() <= case["expected"]["abs_tol"]


@pytest.mark.usefixtures("refdata")
def test_bounded_linear_calibration_g_range() -> None:
    """R's tests/caleg.R: range of g for calibrate(dclus1, ~enroll, pop), unbounded and bounds (0.6, 1.5)."""
    case = CASES["api_clus1_cal_bounds"]
    frame = pd.read_csv(refdata_dir() / "data" / case["dataset_file"])  # type: ignore[operator]
    design = Design.from_json({k: v for k, v in case["design"].items() if k != "calibration"})
    w0 = bind(design, from_frame(frame, list(design.columns()))).weights
    for bounds, key in ((None, "unbounded_g_range"), (case["design"]["calibration"]["bounds"], "bounded_g_range")):
        spec = {**case["design"]["calibration"], "bounds": bounds}
        cal = bind_calibration(calibration_spec(spec), from_frame(frame, ["enroll"]))
        g = cal.calibrate(w0) / w0
        low, high = case["expected"][key]
        assert abs(g.min() - low) <= case["expected"]["abs_tol"] and abs(g.max() - high) <= case["expected"]["abs_tol"]


def test_logit_interval_on_replicates_uses_the_replicate_variance_of_logit_p(estimate_cli: Any, tmp_path: Path) -> None:
    """svyciprop(method = "logit") on a replicate design refits per replicate: logit(p_r) spread."""
    from scipy.special import logit, stdtrit

    frame = FRAME.assign(high=(FRAME["y"] > 50).astype(int))
    for r in range(5):
        frame[f"rep{r}"] = frame["w"] * RNG.uniform(0.5, 1.5, len(frame))
    design = {"ids": [], "weights": "w", "replicate": {"type": "bootstrap", "weights_prefix": "rep"}}
    run = estimate_cli(
        write(tmp_path, frame), design, "--stat", "mean", "--var", "high", "--ci-method", "logit", "--json"
    )
    entry = run.json()["estimates"][0]
    p = np.average(frame["high"], weights=frame["w"])
    reps = np.array([np.average(frame["high"], weights=frame[f"rep{r}"]) for r in range(5)])
    se_logit = np.sqrt(np.sum((logit(reps) - logit(reps).mean()) ** 2) / 4)
    half = stdtrit(run.json()["df"], 0.975) * se_logit
    assert logit(entry["ci_low"]) == pytest.approx(logit(p) - half, rel=1e-10)
    assert logit(entry["ci_high"]) == pytest.approx(logit(p) + half, rel=1e-10)


@pytest.mark.parametrize("fpc", [None, "N"])
def test_jkn_replicates_of_a_total_reproduce_the_taylor_se(estimate_cli: Any, tmp_path: Path, fpc: str | None) -> None:
    """For a total, the JKn variance equals the stratified Taylor variance exactly (any n_h, with an fpc)."""
    frame = FRAME.assign(stratum=np.repeat([1, 2, 3], 20), psu=np.arange(60) // 4, N=np.repeat([40, 60, 80], 20))
    path = write(tmp_path, frame)
    taylor = {"ids": ["psu"], "strata": "stratum", "weights": "w", "fpc": [fpc] if fpc else None}
    jkn = {**taylor, "replicate": {"type": "JKn", "create": True}}
    a = estimate_cli(path, taylor, "--stat", "total", "--var", "y", "--json").json()["estimates"][0]
    b = estimate_cli(path, jkn, "--stat", "total", "--var", "y", "--json").json()
    assert b["estimates"][0]["se"] == pytest.approx(a["se"], rel=1e-12)
    assert b["df"] == 15 - 3


@pytest.mark.parametrize("kind", ["JK1", "JKn", "bootstrap"])
@pytest.mark.parametrize(
    ("stat", "var", "options"),
    [("mean", "y", {}), ("total", "y", {}), ("prop", "sex", {}), ("total", "region", {}), ("ratio", "y", {"denominator": "age"})],
    ids=["mean", "total", "prop", "count", "ratio"],
)  # fmt: skip
def test_created_replicates_match_the_same_weights_read_from_columns(
    kind: str, stat: str, var: str, options: dict[str, Any]
) -> None:
    """Created JK1/JKn replicates are estimated from (domain x PSU) totals without the rows x
    replicates matrix; the result must equal reading that matrix back as replicate columns."""
    frame = FRAME.assign(psu=np.arange(60) // 5, stratum=np.arange(60) // 30, dom=RNG.integers(0, 3, 60))
    base = {"ids": ["psu"], "weights": "w", **({"strata": "stratum", "nest": True} if kind == "JKn" else {})}
    created = Design.from_json({**base, "replicate": {"type": kind, "create": True}})
    columns = from_frame(frame, list(frame.columns))
    assert created.replicate is not None
    replicates = build(created.replicate, bind(created, columns), columns, created.replicate.generator())
    names = [f"rep{r}" for r in range(replicates.count)]
    read_back = pd.concat([frame, pd.DataFrame(replicates.weights, columns=names)], axis=1)
    spec = {"type": kind, "weights": names, "scale": replicates.scale, "rscales": list(replicates.rscales)}
    explicit = Design.from_json({"ids": [], "weights": "w", "replicate": spec})
    request = Request(stat, var, ("dom",), **options)
    a = estimate(columns, created, request)
    b = estimate(from_frame(read_back, list(read_back.columns)), explicit, request)
    assert np.allclose(a.numbers["estimate"], b.numbers["estimate"], rtol=1e-12)
    assert np.allclose(a.numbers["se"], b.numbers["se"], rtol=1e-10)
    assert a.df == b.df


def test_bounded_calibration_that_cannot_converge_names_the_total() -> None:
    total = float((FRAME["w"] * FRAME["age"]).sum())
    spec = {
        "method": "logit",
        "formula": ["age"],
        "bounds": [0.95, 1.05],
        "population": {"(Intercept)": float(FRAME["w"].sum()), "age": 3 * total},
    }
    with pytest.raises(AnalysisError) as raised:
        calibrated(spec)
    assert raised.value.entry is E.CAL_BOUNDS_UNMET and raised.value.details["name"] == "age"
