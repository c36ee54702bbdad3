"""Property tests: random small stratified cluster designs against a deliberately plain reference.

The reference below is the textbook estimator written with Python loops over strata, PSUs and
secondary units, no vectorisation: the stratified between-PSU variance with (1 - n/N) n/(n - 1), plus
(n/N) times the within-PSU variance of each PSU when both stages have an fpc (Sarndal, Swensson &
Wretman 1992, result 4.3.1; Lohr 2019, sec. 6.4). Domains are estimated over the full design with
zero contributions outside the domain.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.design.spec import Design
from analysis.estimators.estimate import mean, ratio, total


@st.composite
def surveys(draw: Any) -> tuple[pd.DataFrame, bool, bool]:
    """(data, two_stage, with_fpc): 1-3 strata x 2-4 PSUs x 2-3 SSUs x 1-3 rows."""
    two_stage, with_fpc = draw(st.booleans()), draw(st.booleans())
    small = st.integers(-20, 20)
    rows = []
    for h in range(draw(st.integers(1, 3))):
        n_psu = draw(st.integers(2, 4))
        big_n = n_psu + draw(st.integers(0, 5))
        for j in range(n_psu):
            n_ssu = draw(st.integers(2, 3))
            big_m = n_ssu + draw(st.integers(0, 4))
            for k in range(n_ssu):
                for _ in range(draw(st.integers(1, 3))):
                    rows.append(
                        {
                            "stratum": h, "psu": f"{h}-{j}", "ssu": k, "N1": big_n, "N2": big_m,
                            "w": draw(st.integers(1, 40)) / 4, "y": draw(small), "x": draw(st.integers(1, 9)),
                            "dom": draw(st.sampled_from("ab")),
                        }
                    )  # fmt: skip
    data = pd.DataFrame(rows)
    if not {"a", "b"} <= set(data.dom):
        data.loc[0, "dom"] = "b" if data.dom[0] == "a" else "a"
    return data, two_stage, with_fpc


def design_of(two_stage: bool, with_fpc: bool) -> Design:
    ids = ("psu", "ssu") if two_stage else ("psu",)
    fpc = (("N1", "N2") if two_stage else ("N1",)) if with_fpc else ()
    return Design(ids=ids, strata="stratum", weights="w", fpc=fpc)


def reference_variance(data: pd.DataFrame, z: list[float], two_stage: bool, with_fpc: bool) -> float:
    """Var of the total of z: loops over strata, PSUs and (with an fpc at both stages) SSUs."""
    psus: dict[Any, dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, row in enumerate(data.itertuples()):
        psus[row.stratum][row.psu].append(i)
    variance = 0.0
    for units in psus.values():
        n = len(units)
        big_n = data.N1[next(iter(units.values()))[0]]
        totals = [sum(z[i] for i in rows) for rows in units.values()]
        centre = sum(totals) / n
        fpc = (1 - n / big_n) if with_fpc else 1.0
        variance += fpc * n / (n - 1) * sum((t - centre) ** 2 for t in totals)
        if two_stage and with_fpc:
            for rows in units.values():
                variance += n / big_n * _within_psu(data, z, rows)
    return variance


def _within_psu(data: pd.DataFrame, z: list[float], rows: list[int]) -> float:
    ssus: dict[Any, float] = defaultdict(float)
    for i in rows:
        ssus[data.ssu[i]] += z[i]
    m, big_m = len(ssus), data.N2[rows[0]]
    centre = sum(ssus.values()) / m
    return (1 - m / big_m) * m / (m - 1) * sum((u - centre) ** 2 for u in ssus.values())


def reference_domain(data: pd.DataFrame, domain: str, two_stage: bool, with_fpc: bool) -> dict[str, float]:
    """Mean, total and ratio y/x in one domain, with their SEs, by loops."""
    inside = [d == domain for d in data.dom]
    w, y, x = list(data.w), list(data.y), list(data.x)
    sum_w = sum(w[i] for i in range(len(w)) if inside[i])
    total_y = sum(w[i] * y[i] for i in range(len(w)) if inside[i])
    total_x = sum(w[i] * x[i] for i in range(len(w)) if inside[i])
    ybar, r = total_y / sum_w, total_y / total_x
    z_mean = [w[i] * (y[i] - ybar) / sum_w if inside[i] else 0.0 for i in range(len(w))]
    z_total = [w[i] * y[i] if inside[i] else 0.0 for i in range(len(w))]
    z_ratio = [w[i] * (y[i] - r * x[i]) / total_x if inside[i] else 0.0 for i in range(len(w))]
    se = {name: reference_variance(data, z, two_stage, with_fpc) ** 0.5 for name, z in
          (("mean", z_mean), ("total", z_total), ("ratio", z_ratio))}  # fmt: skip
    return {"mean": ybar, "total": total_y, "ratio": r, **{f"se_{k}": v for k, v in se.items()}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surveys())
def test_mean_total_ratio_and_domains_match_the_plain_reference(survey: tuple[pd.DataFrame, bool, bool]) -> None:
    data, two_stage, with_fpc = survey
    design = design_of(two_stage, with_fpc)
    results = {
        "mean": mean(data, design, "y", by=["dom"]).set_index("dom"),
        "total": total(data, design, "y", by=["dom"]).set_index("dom"),
        "ratio": ratio(data, design, "y", "x", by=["dom"]).set_index("dom"),
    }
    for domain in ("a", "b"):
        expected = reference_domain(data, domain, two_stage, with_fpc)
        for stat, frame in results.items():
            assert frame.estimate[domain] == pytest.approx(expected[stat], rel=1e-9, abs=1e-9)
            assert frame.se[domain] == pytest.approx(expected[f"se_{stat}"], rel=1e-8, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(surveys())
def test_whole_sample_equals_reference_with_one_domain(survey: tuple[pd.DataFrame, bool, bool]) -> None:
    data, two_stage, with_fpc = survey
    design = design_of(two_stage, with_fpc)
    everyone = data.assign(dom="a")
    expected = reference_domain(everyone, "a", two_stage, with_fpc)
    result = mean(data, design, "y")
    assert result.estimate[0] == pytest.approx(expected["mean"], rel=1e-9, abs=1e-9)
    assert result.se[0] == pytest.approx(expected["se_mean"], rel=1e-8, abs=1e-9)
    assert result.df[0] == data.psu.nunique() - data.stratum.nunique()


@settings(max_examples=30, deadline=None)
@given(surveys())
def test_weights_from_fpc_are_the_inverse_sampling_fractions(survey: tuple[pd.DataFrame, bool, bool]) -> None:
    data, _, _ = survey
    per_psu = data.groupby("psu").ssu.nunique()
    per_stratum = data.groupby("stratum").psu.nunique()
    weights = (data.N1 / data.stratum.map(per_stratum)) * (data.N2 / data.psu.map(per_psu))
    from_fpc = Design(ids=("psu", "ssu"), strata="stratum", fpc=("N1", "N2"))
    explicit = Design(ids=("psu", "ssu"), strata="stratum", weights="w", fpc=("N1", "N2"))
    a = total(data, from_fpc, "y")
    b = total(data.assign(w=weights), explicit, "y")
    assert np.allclose(a[["estimate", "se"]].to_numpy(), b[["estimate", "se"]].to_numpy(), rtol=1e-12)
