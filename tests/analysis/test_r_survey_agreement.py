"""`cunsheng estimate` against R `survey` 4.1 on data built for it (issue 10): post-stratification
of a clustered design with unequal weights inside the post-strata, BRR/Fay replicates created with
R's `hadamard()` and PSU order, and `svyquantile()` on replicate designs.

The data and R's numbers are committed in tests/analysis/rdata (`villages.R` writes `villages.csv`
and prints `villages_r.txt`; CI has no R). Every number must agree with R to 1e-9 relative.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

RDATA = Path(__file__).with_name("rdata")
DATA = RDATA / "villages.csv"
POPULATION = pd.read_csv(RDATA / "villages_population.csv").to_dict("records")
BASE = {"ids": ["village"], "strata": "stratum", "weights": "w"}
POSTSTRATIFY = {"method": "poststratify", "strata": ["sex", "agegrp"], "population": POPULATION}
QUANTITIES = ("estimate", "se", "ci_low", "ci_high")


def r_output() -> dict[str, dict[str, float]]:
    """villages_r.txt as {case: {quantity: value}} (`case` is `name` or `name:level`)."""
    out: dict[str, dict[str, float]] = {}
    for line in (RDATA / "villages_r.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        case, quantity, value = line.split()
        out.setdefault(case, {})[quantity] = float(value)
    return out


R = r_output()

# case prefix in villages_r.txt -> (design, data filter, stat, var, extra arguments, R level names)
CASES: dict[str, tuple[dict[str, Any], str | None, str, str, tuple[str, ...]]] = {
    "ps_mean_income": ({**BASE, "calibration": POSTSTRATIFY}, None, "mean", "income", ()),
    "ps_total_income": ({**BASE, "calibration": POSTSTRATIFY}, None, "total", "income", ()),
    "ps_mean_employed": ({**BASE, "calibration": POSTSTRATIFY}, None, "mean", "employed", ()),
    "ps_prop_edu": ({**BASE, "calibration": POSTSTRATIFY}, None, "prop", "edu", ()),
    "ps_total_edu": ({**BASE, "calibration": POSTSTRATIFY}, None, "total", "edu", ()),
    "ps_ratio_income_expense": (
        {**BASE, "calibration": POSTSTRATIFY}, None, "ratio", "income", ("--denominator", "expense"),
    ),
    "ps_mean_income_by_region": ({**BASE, "calibration": POSTSTRATIFY}, None, "mean", "income", ("--by", "region")),
    "ps_total_income_by_region": ({**BASE, "calibration": POSTSTRATIFY}, None, "total", "income", ("--by", "region")),
    "ps_mean_income_by_sex": ({**BASE, "calibration": POSTSTRATIFY}, None, "mean", "income", ("--by", "sex")),
    "ps_ratio_by_region": (
        {**BASE, "calibration": POSTSTRATIFY}, None, "ratio", "income", ("--denominator", "expense", "--by", "region"),
    ),
}  # fmt: skip


def data_file(tmp_path: Path, where: str | None) -> Path:
    if where is None:
        return DATA
    path = tmp_path / "subset.csv"
    pd.read_csv(DATA).query(where).to_csv(path, index=False)
    return path


def r_entries(prefix: str) -> dict[str, dict[str, float]]:
    """R's numbers of one case: {"": ...} or {level/domain name: ...}."""
    found = {case.partition(":")[2]: numbers for case, numbers in R.items() if case.partition(":")[0] == prefix}
    assert found, prefix
    return found


def same(ours: float | None, r: float) -> bool:
    if math.isnan(r):
        return ours is None
    return ours is not None and ours == pytest.approx(r, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_estimate_agrees_with_r(case: str, estimate_cli: Any, tmp_path: Path) -> None:
    design, where, stat, var, extra = CASES[case]
    document = estimate_cli(data_file(tmp_path, where), design, "--stat", stat, "--var", var, *extra, "--json").json()
    expected = r_entries(case)
    assert len(document["estimates"]) == len(expected)
    for entry in document["estimates"]:
        label = entry["level"] if entry["level"] is not None else next(iter(entry["domain"].values()), "")
        r = expected[f"{var}{label}" if entry["level"] is not None else str(label)]
        for name in QUANTITIES:
            assert same(entry[name], r[name]), (label, name, entry[name], r[name])
