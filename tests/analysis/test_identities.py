"""Identities every design-based estimator must satisfy, checked one number several ways.

As R survey's own tests/domain.R does: a domain mean is the ratio estimator of the domain
indicator; a total is the mean times the sum of weights; rescaling the weights changes no mean or
proportion; the order of the rows changes nothing; one domain is the whole sample; `--na drop` is a
domain. Lonely-PSU rules are checked against R's saved tests/lonely.psu.Rout.save.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.design.spec import Design
from analysis.estimators.estimate import mean, proportion, quantile, ratio, total

TWO_STAGE = Design(ids=("psu", "ssu"), strata="stratum", fpc=("N1", "N2"), nest=True)
WEIGHTED = Design(ids=("psu",), strata="stratum", weights="w", nest=True)


def sample(seed: int = 7) -> pd.DataFrame:
    """A stratified two-stage sample: 3 strata x 3-5 PSUs x 2-4 SSUs x 1-3 rows, with fpc counts."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(3):
        n_psu = int(rng.integers(3, 6))
        for j in range(n_psu):
            n_ssu = int(rng.integers(2, 5))
            for k in range(n_ssu):
                for _ in range(int(rng.integers(1, 4))):
                    rows.append({"stratum": h, "psu": j, "ssu": k, "N1": n_psu + 4, "N2": n_ssu + 3})
    data = pd.DataFrame(rows)
    data["w"] = rng.uniform(1, 20, len(data))
    data["y"] = rng.normal(50, 10, len(data))
    data["x"] = rng.uniform(1, 5, len(data))
    data["g"] = rng.choice(["a", "b", "c"], len(data))
    data["cat"] = rng.choice(["low", "mid", "high"], len(data))
    return data


@pytest.mark.parametrize("design", [TWO_STAGE, WEIGHTED], ids=["two-stage-fpc", "weighted"])
def test_domain_mean_is_the_ratio_estimator_of_the_domain_indicator(design: Design) -> None:
    data = sample()
    by_domain = mean(data, design, "y", by=["g"]).set_index("g")
    for level in ("a", "b", "c"):
        inside = (data.g == level).astype(float)
        as_ratio = ratio(data.assign(num=data.y * inside, den=inside), design, "num", "den")
        assert by_domain.estimate[level] == pytest.approx(as_ratio.estimate[0], rel=1e-12)
        assert by_domain.se[level] == pytest.approx(as_ratio.se[0], rel=1e-10)


def test_total_is_mean_times_sum_of_weights() -> None:
    data = sample()
    sum_w = data.w.sum()
    assert total(data, WEIGHTED, "y").estimate[0] == pytest.approx(mean(data, WEIGHTED, "y").estimate[0] * sum_w)
    by_total = total(data, WEIGHTED, "y", by=["g"]).set_index("g")
    by_mean = mean(data, WEIGHTED, "y", by=["g"]).set_index("g")
    weights = data.groupby("g").w.sum()
    assert np.allclose(by_total.estimate, by_mean.estimate * weights[by_mean.index], rtol=1e-12)


def test_scaling_the_weights_changes_no_mean_or_proportion() -> None:
    data = sample()
    scaled = data.assign(w=data.w * 37.5)
    for estimator, var in ((mean, "y"), (proportion, "cat")):
        before = estimator(data, WEIGHTED, var, by=["g"])
        after = estimator(scaled, WEIGHTED, var, by=["g"])
        assert np.allclose(before.estimate, after.estimate, rtol=1e-12)
        assert np.allclose(before.se, after.se, rtol=1e-10)


@pytest.mark.parametrize("design", [TWO_STAGE, WEIGHTED], ids=["two-stage-fpc", "weighted"])
def test_shuffling_the_rows_changes_nothing(design: Design) -> None:
    data = sample()
    shuffled = data.sample(frac=1.0, random_state=np.random.default_rng(3)).reset_index(drop=True)
    for run in (
        lambda d: mean(d, design, "y", by=["g"]),
        lambda d: total(d, design, "cat", by=["g"]),
        lambda d: ratio(d, design, "y", "x", by=["g"]),
        lambda d: quantile(d, design, "y", [0.25, 0.5], by=["g"]),
    ):
        before, after = run(data), run(shuffled)
        assert before.level.tolist() == after.level.tolist()
        for column in ("estimate", "se", "ci_low", "ci_high"):
            assert np.allclose(before[column], after[column], rtol=1e-10, equal_nan=True), column


def test_one_domain_is_the_whole_sample() -> None:
    data = sample().assign(everyone="all")
    for estimator, var in ((mean, "y"), (total, "y"), (proportion, "cat")):
        overall = estimator(data, TWO_STAGE, var)
        one = estimator(data, TWO_STAGE, var, by=["everyone"])
        assert np.allclose(overall.estimate, one.estimate, rtol=1e-12)
        assert np.allclose(overall.se, one.se, rtol=1e-12)


def test_na_drop_is_the_domain_of_rows_with_a_value() -> None:
    data = sample()
    data.loc[data.index % 7 == 0, "y"] = np.nan
    dropped = mean(data, TWO_STAGE, "y", na="drop")
    filled = data.assign(has=data.y.notna(), y=data.y.fillna(0.0))
    as_domain = mean(filled, TWO_STAGE, "y", by=["has"]).query("has")
    assert dropped.estimate[0] == pytest.approx(as_domain.estimate.iloc[0], rel=1e-12)
    assert dropped.se[0] == pytest.approx(as_domain.se.iloc[0], rel=1e-12)
    assert dropped.n[0] == data.y.notna().sum()


@pytest.mark.parametrize(
    ("rule", "se"),
    [("remove", 5.8058), ("certainty", 5.8058), ("adjust", 5.8281), ("average", 6.0096)],
)
def test_lonely_psu_rules_match_r(rule: str, se: float, refdata: Path) -> None:
    """tests/lonely.psu.Rout.save: svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)."""
    data = pd.read_csv(refdata / "data" / "apiclus1.csv")
    design = Design(strata="dnum", weights="pw", lonely_psu=rule)  # type: ignore[arg-type]
    result = mean(data, design, "api00")
    assert abs(result.se[0] - se) <= 5e-5
    certain = Design(strata="dnum", weights="pw", fpc=("N",), lonely_psu=rule)  # type: ignore[arg-type]
    with_fpc = mean(data.assign(N=np.where(data.dnum == 413, 1, 1000)), certain, "api00")
    assert abs(with_fpc.se[0] - 5.7344) <= 5e-5
    subset = data[data.dnum != 413].reset_index(drop=True)
    subset["keep"] = subset.index != 30
    in_domain = mean(subset, design, "api00", by=["keep"]).query("keep")
    assert abs(in_domain.se.iloc[0] - 5.8909) <= 5e-5
