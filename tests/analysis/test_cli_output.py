"""The shape of `cunsheng estimate` output, and edge cases that must neither warn nor crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.estimators.quantiles import _Sorted

DESIGN = {"ids": ["psu"], "strata": "stratum", "weights": "w", "lonely_psu": "fail"}


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 60
    return pd.DataFrame(
        {
            "stratum": np.repeat([1, 2, 3], 20),
            "psu": np.repeat(np.arange(12), 5),
            "w": rng.uniform(5, 15, n),
            "y": rng.normal(10, 2, n),
            "yes": rng.integers(0, 2, n),
            "region": rng.choice(["north", "south"], n),
            "size": np.repeat([1, 2], 30),
            "cat": np.where(np.arange(n) < 30, rng.choice(["x", "y"], n), rng.choice(["x", "y", "z"], n)),
        }
    )


@pytest.fixture
def csv(frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def test_json_document_has_the_contract_keys(estimate_cli: Any, csv: Path) -> None:
    document = estimate_cli(csv, DESIGN, "--stat", "mean", "--var", "y", "--by", "region", "--json").json()
    assert {"stat", "var", "by", "level", "df", "estimates"} <= set(document)
    assert document["by"] == ["region"] and document["df"] == 12 - 3 and document["level"] == 0.95
    entry = document["estimates"][0]
    keys = {"domain", "level", "estimate", "se", "ci_low", "ci_high", "df", "n", "cv", "deff"}
    assert keys <= set(entry)
    assert entry["domain"] == {"region": "north"} and entry["level"] is None and entry["deff"] is None
    assert isinstance(entry["n"], int) and isinstance(entry["flags"], list)


def test_numeric_domain_values_stay_numbers_and_deff_is_reported_on_request(estimate_cli: Any, csv: Path) -> None:
    document = estimate_cli(csv, DESIGN, "--stat", "total", "--var", "y", "--by", "size", "--deff", "--json").json()
    assert [e["domain"]["size"] for e in document["estimates"]] == [1, 2]
    assert all(e["deff"] > 0 for e in document["estimates"])


def test_default_output_is_a_table_for_people(estimate_cli: Any, csv: Path) -> None:
    run = estimate_cli(csv, DESIGN, "--stat", "prop", "--var", "cat", "--by", "region")
    assert run.status == 0 and run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0].startswith("prop of cat by region")
    assert lines[1].split()[:4] == ["region", "level", "estimate", "se"]
    assert sum(line.startswith("south") for line in lines) == 3


@pytest.mark.parametrize("method", ["wald", "logit", "beta", "wilson", "xlogit"])
def test_a_level_absent_from_a_domain_gives_zero_without_warnings(estimate_cli: Any, csv: Path, method: str) -> None:
    args = ("--stat", "prop", "--var", "cat", "--by", "size", "--ci-method", method, "--deff", "--json")
    document = estimate_cli(csv, DESIGN, *args).json()
    absent = next(e for e in document["estimates"] if e["domain"] == {"size": 1} and e["level"] == "z")
    assert absent["estimate"] == 0 and absent["se"] == 0
    present = next(e for e in document["estimates"] if e["domain"] == {"size": 2} and e["level"] == "z")
    assert 0 <= present["ci_low"] < present["estimate"] < present["ci_high"] <= 1


def test_mean_of_a_zero_one_variable_takes_proportion_intervals(estimate_cli: Any, csv: Path) -> None:
    logit = estimate_cli(csv, DESIGN, "--stat", "mean", "--var", "yes", "--ci-method", "logit", "--json").json()
    prop = estimate_cli(csv, DESIGN, "--stat", "prop", "--var", "yes", "--ci-method", "logit", "--json").json()
    assert logit["estimates"][0]["ci_low"] == pytest.approx(prop["estimates"][1]["ci_low"], rel=1e-12)


def test_parquet_and_csv_give_the_same_numbers(
    estimate_cli: Any, frame: pd.DataFrame, csv: Path, tmp_path: Path
) -> None:
    parquet = tmp_path / "data.parquet"
    frame.to_parquet(parquet)
    args = ("--stat", "prop", "--var", "cat", "--by", "region", "--by", "size", "--json")
    assert estimate_cli(parquet, DESIGN, *args).json() == estimate_cli(csv, DESIGN, *args).json()


def test_missing_by_values_form_their_own_domain(estimate_cli: Any, frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    frame.assign(region=frame.region.where(frame.index % 9 != 0)).to_csv(path, index=False)
    document = estimate_cli(path, DESIGN, "--stat", "mean", "--var", "y", "--by", "region", "--json").json()
    assert [e["domain"]["region"] for e in document["estimates"]] == ["north", "south", None]
    assert document["estimates"][2]["n"] == len(range(0, 60, 9))


def test_weights_from_sampling_fractions(estimate_cli: Any, frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "srs.csv"
    frame.assign(f=0.25).to_csv(path, index=False)
    design = {"ids": [], "strata": None, "weights": None, "fpc": ["f"]}
    document = estimate_cli(path, design, "--stat", "total", "--var", "yes", "--json").json()
    assert document["estimates"][0]["estimate"] == pytest.approx(4 * frame.yes.sum())
    assert document["df"] == 59


def test_math_quantile_rule() -> None:
    """R's qrule_math: exact hits take the lower value, otherwise the next one; below the first
    cumulative weight the smallest value (where R 4.2 would return the second one)."""
    equal = _Sorted(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), 3.0)
    assert equal.quantile(1 / 3) == 1.0
    assert equal.quantile(0.5) == 2.0
    assert equal.quantile(0.99) == 3.0
    heavy_first = _Sorted(np.array([1.0, 2.0, 3.0]), np.array([10.0, 11.0, 12.0]), 12.0)
    assert heavy_first.quantile(0.5) == 1.0
    assert json.dumps(heavy_first.quantile(float("nan"))) == "NaN"
