"""`cunsheng estimate` against R `survey` 4.1 on data built for it (issue 10): post-stratification
of a clustered design with unequal weights inside the post-strata, BRR/Fay replicates created with
R's `hadamard()` and PSU order, and `svyquantile()` on replicate designs.

The data and R's numbers are committed in tests/analysis/rdata (`villages.R` writes `villages.csv`
and prints `villages_r.txt`; CI has no R). Every number must agree with R to 1e-9 relative.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analysis.replicate.hadamard import r_hadamard, r_label
from tests.analysis.conftest import assert_problem

RDATA = Path(__file__).with_name("rdata")
DATA = RDATA / "villages.csv"
POPULATION = pd.read_csv(RDATA / "villages_population.csv").to_dict("records")
BASE = {"ids": ["village"], "strata": "stratum", "weights": "w"}
POSTSTRATIFY = {"method": "poststratify", "strata": ["sex", "agegrp"], "population": POPULATION}
BRR = {**BASE, "replicate": {"type": "BRR", "create": True}}
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

# case prefix in villages_r.txt -> (design, rows kept (a pandas query), stat, var, extra arguments)
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
    "brr_mean_income": (BRR, None, "mean", "income", ()),
    "brr_total_income": (BRR, None, "total", "income", ()),
    "brr_ratio_income_expense": (BRR, None, "ratio", "income", ("--denominator", "expense")),
    "brr_mean_income_by_region": (BRR, None, "mean", "income", ("--by", "region")),
    "fay_mean_income": (
        {**BASE, "replicate": {"type": "Fay", "rho": 0.3, "create": True}}, None, "mean", "income", (),
    ),
    "brr12_mean_income": (BRR, "stratum <= 12", "mean", "income", ()),
    "brr9_mean_income": (BRR, "stratum <= 9", "mean", "income", ()),
}  # fmt: skip
PROBS = ("--quantile", "0.25", "--quantile", "0.5", "--quantile", "0.9")
QUANTILE_CASES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "rq_brr": (BRR, ()),
    "rq_brr_region": (BRR, ("--by", "region")),
    "rq_jkn": ({**BASE, "replicate": {"type": "JKn", "create": True}}, ()),
    "rq_brr_poststratified": ({**BRR, "calibration": POSTSTRATIFY}, ()),
}


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


@pytest.mark.parametrize("case", list(QUANTILE_CASES))
def test_replicate_quantiles_agree_with_r(case: str, estimate_cli: Any) -> None:
    design, extra = QUANTILE_CASES[case]
    document = estimate_cli(DATA, design, "--stat", "quantile", "--var", "income", *PROBS, *extra, "--json").json()
    assert len(document["estimates"]) == 3 * (3 if extra else 1)
    for entry in document["estimates"]:
        domain = f"_{entry['domain']['region']}" if entry["domain"] else ""
        r = R[f"{case}{domain}:{entry['level']}"]
        for name in QUANTITIES:
            assert same(entry[name], r[name]), (entry["domain"], entry["level"], name, entry[name], r[name])
        assert entry["deff"] is None
    assert document["df"] == R["brr"]["df"] == R["rq_jkn"]["df"]


def test_created_replicates_count_as_r(estimate_cli: Any) -> None:
    """16 replicates for 15 strata (R's stored order-16 Sylvester matrix), df 15 as R's degf()."""
    document = estimate_cli(DATA, BRR, "--stat", "mean", "--var", "income", "--json").json()
    assert R["brr"]["replicates"] == 16 and R["brr9"]["replicates"] == 12
    assert document["df"] == R["brr"]["df"]


def test_hadamard_matrices_are_rs() -> None:
    """r_hadamard(n) is R's hadamard(n) for n = 1..300 strata (hadamard_r.txt: order and md5 of the
    0/1 matrix), except where R doubles its tabulated order-28 or order-36 matrix."""
    tabulated = []
    for line in (RDATA / "hadamard_r.txt").read_text(encoding="utf-8").splitlines()[1:]:
        n, order, md5 = line.split()
        ours, matrix = r_hadamard(int(n))
        assert ours == int(order), n
        if matrix is None:
            tabulated.append(int(n))
            continue
        text = "\n".join("".join("1" if v > 0 else "0" for v in row) for row in matrix)
        assert hashlib.md5(text.encode()).hexdigest() == md5, n
    assert len(tabulated) == 36 and tabulated[:8] == [24, 25, 26, 27, 32, 33, 34, 35]


def test_brr_on_rs_tabulated_hadamard_order_exits_2(estimate_cli: Any, tmp_path: Path) -> None:
    """68 strata: R doubles its stored order-36 table to 72, which is not reproduced."""
    frame = pd.DataFrame({"st": [h for h in range(68) for _ in range(4)], "psu": [i // 2 for i in range(272)]})
    path = tmp_path / "pairs.csv"
    frame.assign(w=1.5, y=frame.index % 7).to_csv(path, index=False)
    design = {"ids": ["psu"], "strata": "st", "weights": "w", "replicate": {"type": "BRR", "create": True}}
    run = estimate_cli(path, design, "--stat", "mean", "--var", "y")
    assert_problem(run, "replicate.hadamard_order", "68", "72", "JKn")


def test_brr_orders_strata_as_r_labels() -> None:
    """as.character() order: stratum 10 comes before 2 (R sorts the labels as text)."""
    labels = [r_label(v) for v in (2, 10, 1.0, 2.5, True, "b")]
    assert labels == ["2", "10", "1", "2.5", "TRUE", "b"]
