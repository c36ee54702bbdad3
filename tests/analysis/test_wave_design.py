"""A wave's weights and design from its case records: a hand-computed chain, the weighting identities,
replacements, class collapsing, calibration margins, and the acceptance simulation of issue 13."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.design.spec import Design
from analysis.errors import AnalysisError
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.fieldwork.classes import Village, collapse
from analysis.fieldwork.design import Margin, wave_design
from analysis.io.columns import from_frame
from tests.analysis import wave_simulation

A, B = "149901001201", "149901002001"  # a sampled village and a certainty village


def case(village: str, n: int, disposition: str, p_household: float, p_person: float = np.nan, **extra: object) -> dict:
    urban = village == B
    return {"case_id": f"{village}-{n}", "village_code": village, "township_code": village[:9] + "000",
            "urban_rural": "urban" if urban else "rural", "stratum": village if urban else "149901001000-rural",
            "certainty": urban, "p_village": 1.0 if urban else 0.5, "p_household": p_household,
            "p_person": p_person, "replacement": False, "disposition": disposition, **extra}


def toy_cases() -> pd.DataFrame:
    """Village A (p 0.5, households 0.25): I, I, R, UH; certainty village B (households 0.5): I, NE, NC."""
    return pd.DataFrame([
        case(A, 1, "1.1", 0.25, 1 / 2, y=1), case(A, 2, "1.1", 0.25, 1 / 3, y=0),
        case(A, 3, "2.11", 0.25), case(A, 4, "3.10", 0.25),
        case(B, 1, "1.1", 0.5, 1.0, y=1), case(B, 2, "4.70", 0.5), case(B, 3, "2.21", 0.5),
    ])


def test_the_weighting_chain_by_hand() -> None:
    # A: household weights 8; UH: 32 / 24 -> 10.67; nonresponse 32 / 21.33 = 1.5 -> 16; persons x2, x3.
    # B: household weights 2; NE is known, so no eligibility step; nonresponse 4 / 2 -> 4.
    margin = Margin(("urban_rural",), {("rural",): 100.0, ("urban",): 10.0})
    wave = wave_design(toy_cases(), [margin], min_respondents=1, trim_multiple=None)
    resp = wave.respondents.set_index("case_id")
    assert resp["base_weight"].tolist() == pytest.approx([16, 24, 2])
    assert resp["nr_weight"].tolist() == pytest.approx([32, 48, 4])
    assert resp["cal_weight"].tolist() == pytest.approx([40, 60, 10])
    assert resp["weight"].tolist() == pytest.approx([40, 60, 10])
    assert resp["psu"].tolist() == [A, A, f"{B}-1"]
    assert resp["stratum"].tolist() == ["149901001000-rural", "149901001000-rural", B]
    assert [s["stage"] for s in wave.steps] == ["base", "nonresponse", "calibration", "trim"]
    assert wave.steps[0]["sum_w"] == pytest.approx(42)
    assert [m["achieved"] for m in wave.margins] == pytest.approx([100, 10])


def test_the_design_document_is_the_estimate_format_with_replacement() -> None:
    wave = wave_design(toy_cases(), min_respondents=1, trim_multiple=None)
    assert wave.design == {"ids": ["psu"], "strata": "stratum", "weights": "weight", "probs": None, "fpc": None,
                           "nest": True, "lonely_psu": "adjust", "replicate": None, "calibration": None}
    design = Design.from_json(wave.design)
    data = wave.respondents
    result = estimate(from_frame(data, ["psu", "stratum", "weight", "y"]), design, Request("mean", "y"))
    assert result.numbers["estimate"][0] == pytest.approx((32 + 4) / (32 + 48 + 4))
    assert "有放回" in wave.note and "自代表" in wave.note


def test_adjustments_keep_every_class_total() -> None:
    rng = np.random.default_rng(8)
    rows = []
    for v in range(6):
        village = f"1499010{v // 3 + 1:02d}{v + 201:03d}"
        for h in range(12):
            code = rng.choice(["1.1", "1.1", "1.2", "2.10", "2.20", "2.31", "3.10", "3.20", "4.70"])
            rows.append({**case(village, h, code, 0.1 + 0.05 * v), "p_village": 0.2 + 0.1 * v,
                         "p_person": 1 / rng.integers(1, 4) if code == "1.1" else np.nan})
    wave = wave_design(pd.DataFrame(rows), min_respondents=3, trim_multiple=None)
    cases = wave.cases
    totals = cases.groupby("nr_class")["household_weight"].sum()
    known = cases[~cases["category"].isin(["UH", "UO"])]
    assert np.allclose(known.groupby("nr_class")["known_weight"].sum(), totals)
    eligible = cases[cases["category"].isin(["I", "P", "R", "NC", "O"])]
    assert np.allclose(eligible.groupby("nr_class")["known_weight"].sum(),
                       cases.groupby("nr_class")["nr_household_weight"].sum())
    assert (cases.loc[cases["category"] != "I", "nr_household_weight"] == 0).all()  # P counts as nonresponse


def test_partials_count_as_respondents_when_asked() -> None:
    cases = toy_cases()
    cases.loc[2, ["disposition", "p_person", "y"]] = ["1.2", 1.0, 0]
    only_i = wave_design(cases, min_respondents=1, trim_multiple=None)
    with_p = wave_design(cases, respondent_categories=("I", "P"), min_respondents=1, trim_multiple=None)
    assert len(only_i.respondents) == 3 and len(with_p.respondents) == 4


def test_a_replacement_adds_to_the_respondents_only() -> None:
    cases = pd.concat([toy_cases(), pd.DataFrame([{**case(A, 9, "1.1", 0.1, 1.0, y=1), "replacement": True},
                                                  {**case(A, 8, "2.10", 0.1), "replacement": True}])])
    wave = wave_design(cases, min_respondents=1, trim_multiple=None)
    resp = wave.respondents.set_index("case_id")
    # A's eligible total 32 (originals) is shared by household weights 10.67, 10.67 and 20 (own 1/(0.5 x 0.1))
    factor = 32 / (10.0 + 2 / 3 + 10.0 + 2 / 3 + 20.0)
    assert resp.loc[f"{A}-9", "nr_weight"] == pytest.approx(20 * factor)
    assert resp.loc[f"{A}-1", "nr_weight"] == pytest.approx(32 / 3 * factor * 2)
    assert f"{A}-8" not in resp.index  # a replacement that did not respond is dropped
    assert "替补" in wave.note


def test_small_villages_collapse_to_township_by_urban_rural_then_further() -> None:
    villages = {"v1": Village("t1", "rural", 4), "v2": Village("t1", "rural", 3), "v3": Village("t1", "rural", 12),
                "v4": Village("t1", "urban", 2), "v5": Village("t2", "rural", 15)}
    labels, merges = collapse(villages, 10)
    # v1 + v2 (7) is still short: joined by v3, the only other class of t1 rural; v4 then joins t1's class
    assert labels == {"v1": "v1+v2+v3+v4", "v2": "v1+v2+v3+v4", "v3": "v1+v2+v3+v4", "v4": "v1+v2+v3+v4", "v5": "v5"}
    assert [(m.classes, m.level) for m in merges] == [
        (("v1", "v2"), "township_urban_rural"), (("v1+v2", "v3"), "township_urban_rural"),
        (("v4", "v1+v2+v3"), "township")]
    assert "乡镇 × 城乡" in merges[0].description


def test_raked_weights_hit_every_margin() -> None:
    rng = np.random.default_rng(5)
    rows = [case(A if i % 2 else B, i, "1.1", 0.2, 0.5, sex=rng.choice(["F", "M"]),
                 age_group=rng.choice(["18-34", "35-59", "60+"])) for i in range(120)]
    sexes = Margin(("sex", "urban_rural"), {("F", "urban"): 300, ("M", "urban"): 280, ("F", "rural"): 520,
                                            ("M", "rural"): 500})
    ages = Margin(("age_group",), {("18-34",): 500, ("35-59",): 700, ("60+",): 400})
    wave = wave_design(pd.DataFrame(rows), [sexes, ages], trim_multiple=None)
    resp = wave.respondents
    for margin in (sexes, ages):
        got = resp.groupby(list(margin.vars))["cal_weight"].sum()
        for cell, count in margin.population.items():
            assert got[cell if len(cell) > 1 else cell[0]] == pytest.approx(count)


def test_trimming_caps_at_a_multiple_of_the_median_and_keeps_the_total() -> None:
    rows = [case(A, i, "1.1", 0.2, 1.0 if i else 0.1) for i in range(20)]
    wave = wave_design(pd.DataFrame(rows), trim_multiple=3.0)
    resp = wave.respondents
    assert resp["weight"].max() <= 3.0 * np.median(resp["cal_weight"]) * (1 + 1e-9)
    assert resp["weight"].sum() == pytest.approx(resp["cal_weight"].sum())


@pytest.mark.parametrize("change, code", [
    (lambda f: f.drop(columns=["p_person"]), "wave.column"),
    (lambda f: f.assign(p_household=1.5), "wave.prob"),
    (lambda f: f.assign(disposition="9.9"), "rates.code_unknown"),
    (lambda f: f.assign(disposition="2.10"), "wave.no_respondents"),
])
def test_bad_case_records_are_catalogue_problems(change, code: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AnalysisError) as caught:
        wave_design(change(toy_cases()), min_respondents=1)
    assert caught.value.code == code


def test_base_weights_add_up_to_the_households_in_expectation() -> None:
    # listings differ from the measure of size, so the total is right only on average (Horvitz-Thompson)
    rng = np.random.default_rng(21)
    pop = wave_simulation.population(rng)
    allocation = wave_simulation.allocate(pop.units, 30)
    totals = []
    for _ in range(300):
        villages = wave_simulation.draw_villages(pop.units, allocation, rng)
        totals.append(sum(pop.listing[c] / p for c, p in zip(villages["code"], villages["prob"], strict=True)))
    truth = sum(pop.listing.values())
    assert abs(np.mean(totals) - truth) <= 4 * np.std(totals) / np.sqrt(len(totals))


@pytest.mark.slow
def test_acceptance_simulation_intervals_cover_and_standard_errors_match() -> None:
    """Issue 13, acceptance 3: 1,000 waves on the bundled county; the 95 % intervals cover the
    finite-population truth within 4 binomial SE and the mean SE² is within 15 % of the variance."""
    replications = 1000
    truth, out = wave_simulation.simulate(replications, seed=13)
    est, se, low, high = out.T
    coverage = float(np.mean((low <= truth) & (truth <= high)))
    ratio = float(np.mean(se**2) / np.var(est, ddof=1))
    print(f"truth {truth:.4f} mean {est.mean():.4f} coverage {coverage:.3f} SE2/var {ratio:.3f}")
    assert abs(coverage - 0.95) <= 4 * np.sqrt(0.95 * 0.05 / replications)
    assert abs(ratio - 1) <= 0.15
