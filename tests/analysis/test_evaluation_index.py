"""Issue 15, acceptance 4: the development index and the gaps of two-level breakdowns.

Known answers and identities: the index's scores, clamping and flags by hand; when every component
reads the same rows, the unclamped index is the mean of one per-row variable, so its SE is that of
`cunsheng estimate`; the linearised SEs of the index and of a gap agree with replicate-weight SEs
(JKn and bootstrap created by analysis/replicate) on one data set. Then simulation (seeded, slow):
over 1,000 samples of a fixed clustered population, the mean of the index's SE^2 is within 15% of
the variance of its estimates, and the gap's interval covers the population gap 95% +/- 4 binomial
SE of the time.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.design.spec import Design
from analysis.estimators.estimate import mean
from analysis.evaluation.evaluate import Evaluation, Options, evaluate
from analysis.evaluation.index import score
from surveys.indicator_defs.compiler import compile_text
from surveys.indicator_defs.model import IndicatorSet

# (target, floor) of the components A, B (a <= target) and C, chosen so that no score leaves [0, 100]
TARGETS = {"A": (90.0, 40.0), "B": (10.0, 50.0), "C": (9.0, 3.0)}
DEFINITIONS = """
indicators:
  - {{code: A, name: 甲, stat: prop, numerator: "x1 == 1", population: "g == 1", target: {{op: ">=", value: {A[0]}}}}}
  - {{code: B, name: 乙, stat: prop, numerator: "x2 == 1", target: {{op: "<=", value: {B[0]}}}}}
  - {{code: C, name: 丙, stat: mean, value: y, target: {{op: ">=", value: {C[0]}}}}}
indices:
  - code: IDX
    name: 指数
    components:
      - {{code: A, weight: 2, floor: {A[1]}}}
      - {{code: B, weight: 1, floor: {B[1]}}}
      - {{code: C, weight: 1, floor: {C[1]}}}
    target: {{op: ">=", value: 50}}
"""
STRATA, PSUS, UNITS = 6, 40, 30  # the population: PSUs of units per stratum
SAMPLED, TAKEN = 8, 10  # PSUs drawn per stratum (with replacement), units taken per PSU
DESIGN = Design(ids=("psu",), strata="stratum", weights="w")


@cache
def definitions(targets: tuple[tuple[str, tuple[float, float]], ...] = tuple(TARGETS.items()),
                population: str = 'population: "g == 1", ') -> IndicatorSet:
    text = DEFINITIONS.format(**dict(targets)).replace('population: "g == 1", ', population)
    return compile_text(text.encode(), "index.yaml", {})


def scores(a: float, b: float, c: float, targets: dict[str, tuple[float, float]] = TARGETS) -> list[float]:
    """The components' unclamped scores from their estimates on the shown scale."""
    return [score(p, targets[code][1], targets[code][0]) for code, p in zip("ABC", (a, b, c), strict=True)]


@cache
def population(seed: int = 15) -> pd.DataFrame:
    """A clustered population: PSU effects on every variable; `area` varies within PSUs."""
    rng = np.random.default_rng(seed)
    size = STRATA * PSUS * UNITS
    stratum = np.repeat(np.arange(STRATA), PSUS * UNITS)
    psu = np.repeat(np.arange(STRATA * PSUS), UNITS)
    effect = rng.normal(0, 0.6, STRATA * PSUS)[psu] + 0.15 * stratum
    area = np.where(rng.random(size) < 0.3 + 0.05 * stratum, "urban", "rural")
    urban = (area == "urban").astype(float)
    expit = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    return pd.DataFrame({
        "stratum": stratum, "psu": psu, "area": area, "g": (rng.random(size) < 0.55).astype(float),
        "x1": (rng.random(size) < expit(0.2 + effect + 0.5 * urban)).astype(float),
        "x2": (rng.random(size) < expit(-1.2 + 0.5 * effect)).astype(float),
        "y": 5 + 1.5 * effect + urban + rng.normal(0, 2, size),
    })


def draw(pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Two stages: PSUs with replacement within strata, then units without replacement within each."""
    parts = []
    for h in range(STRATA):
        for k, unit in enumerate(rng.integers(0, PSUS, SAMPLED)):
            rows = pop.iloc[(h * PSUS + unit) * UNITS + rng.choice(UNITS, TAKEN, replace=False)]
            parts.append(rows.assign(psu=h * SAMPLED + k, w=PSUS / SAMPLED * UNITS / TAKEN))
    return pd.concat(parts, ignore_index=True)


def run(data: pd.DataFrame, design: Design = DESIGN, **options: Any) -> Evaluation:
    return evaluate(data, design, definitions(), Options(year=2026, **options))


def only(entries: list[dict[str, Any]], code: str, breakdown: str | None = None) -> dict[str, Any]:
    found = [e for e in entries if e["code"] == code and e["breakdown"] == breakdown]
    assert len(found) == 1, found
    return found[0]


def test_the_index_is_the_weighted_mean_of_clamped_scores_with_flags() -> None:
    data = draw(population(), np.random.default_rng(1))
    tight = {"A": (60.0, 20.0), "B": (10.0, 50.0), "C": (9.0, 3.0)}  # A's estimate (about 68%) exceeds its target
    result = evaluate(data, DESIGN, definitions(tuple(tight.items())), Options(year=2026))
    a, b, c = (only(result.indicators, code)["estimate"] for code in "ABC")
    raw = scores(a, b, c, tight)
    assert raw[1] == pytest.approx(100 * (50 - b) / (50 - 10))  # a <= target scores from its floor down
    clamped = [min(max(s, 0.0), 100.0) for s in raw]
    index = only(result.indices, "IDX")
    assert index["estimate"] == pytest.approx((2 * clamped[0] + clamped[1] + clamped[2]) / 4, rel=1e-12)
    assert raw[0] > 100 and [f for f in index["flags"] if f.startswith("score_outside")] == ["score_outside:A"]
    assert index["ci_low"] == pytest.approx(index["estimate"] - index["se"] * 2.0181, rel=1e-4)  # t(0.975, 42)
    assert index["target"] == {"op": ">=", "value": 50.0, "year": None} and index["n"] == len(data)
    frame = result.frame("indicators")  # the tidy rendering: one row per entry
    assert list(frame.code) == ["A", "B", "C"] and list(frame.estimate) == [a, b, c]


def test_the_unclamped_index_of_components_on_the_same_rows_has_the_se_of_one_mean() -> None:
    data = draw(population(), np.random.default_rng(2))
    result = evaluate(data, DESIGN, definitions(population=""), Options(year=2026, by=("area",)))
    # the index is the mean of one per-row variable: the components' scores of each row, weighted
    a, b, c = scores(100 * data.x1, 100 * data.x2, data.y)
    expected = mean(data.assign(z=(2 * a + b + c) / 4), DESIGN, "z", by=["area"]).set_index("area")
    indices = [e for e in result.indices if e["breakdown"] is None]
    assert [e["domain"]["area"] for e in indices] == ["rural", "urban"]
    for index in indices:
        assert index["se"] == pytest.approx(expected.se[index["domain"]["area"]], rel=1e-10)


@pytest.mark.parametrize("replicate", [{"type": "JKn", "create": True},
                                       {"type": "bootstrap", "create": True, "replicates": 2000, "seed": 3}])
def test_linearised_ses_agree_with_replicate_weight_ses(replicate: dict[str, Any]) -> None:
    pop = population()
    rng = np.random.default_rng(4)
    data = pd.concat([draw(pop, rng).assign(psu=lambda d, k=k: d.psu + 1000 * k) for k in range(3)], ignore_index=True)
    with_replicates = Design(ids=("psu",), strata="stratum", weights="w", replicate=replicate)
    linear, replicated = run(data, breakdown=("area",)), run(data, with_replicates, breakdown=("area",))
    for kind in ("indices", "gaps"):
        for ours, theirs in zip(getattr(linear, kind), getattr(replicated, kind), strict=True):
            key = "se" if kind == "indices" else "gap_se"
            assert ours[key] == pytest.approx(theirs[key], rel=0.05), (kind, ours, theirs)
    assert len(linear.gaps) == 3 and len(linear.indices) == 3  # no breakdown, rural, urban


def truth(pop: pd.DataFrame) -> tuple[float, float]:
    """The population index (of the population's values) and the rural-urban gap of A."""
    inside = pop[pop.g == 1]
    raw = scores(inside.x1.mean() * 100, pop.x2.mean() * 100, pop.y.mean())
    assert all(0 < s < 100 for s in raw)  # no clamping at the population values
    gap = (inside.x1[inside.area == "rural"].mean() - inside.x1[inside.area == "urban"].mean()) * 100
    return (2 * raw[0] + raw[1] + raw[2]) / 4, gap


@cache
def simulation(replications: int = 1000, seed: int = 2026) -> np.ndarray:
    """Per replication: index estimate, index SE, gap covered (0/1), indicator A covered (0/1)."""
    pop = population()
    rng = np.random.default_rng(seed)
    _, gap = truth(pop)
    share = 100 * pop.x1[pop.g == 1].mean()  # indicator A: the share of x1 among g == 1, on the shown scale
    out = np.empty((replications, 4))
    for r in range(replications):
        result = run(draw(pop, rng), breakdown=("area",))
        index, found, a = only(result.indices, "IDX"), only(result.gaps, "A", "area"), only(result.indicators, "A")
        out[r] = (index["estimate"], index["se"], found["gap_ci_low"] <= gap <= found["gap_ci_high"],
                  a["ci_low"] <= share <= a["ci_high"])
    return out


@pytest.mark.slow
def test_the_index_se_matches_its_sampling_variance_over_1000_samples() -> None:
    index, _ = truth(population())
    out = simulation()
    assert len(out) >= 800
    variance = out[:, 0].var(ddof=1)
    assert np.mean(out[:, 1] ** 2) == pytest.approx(variance, rel=0.15)
    assert abs(out[:, 0].mean() - index) < 3 * math.sqrt(variance / len(out))  # and it is unbiased


@pytest.mark.slow
@pytest.mark.parametrize("column", [2, 3], ids=["gap", "indicator"])
def test_the_gap_and_indicator_intervals_cover_the_truth_95_percent_of_the_time(column: int) -> None:
    out = simulation()
    coverage, band = out[:, column].mean(), 4 * math.sqrt(0.95 * 0.05 / len(out))
    assert 0.95 - band <= coverage <= 0.95 + band, coverage
