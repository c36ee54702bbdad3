"""Bad input to `cunsheng estimate` exits 2 with one line on stderr naming the problem; stdout stays empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

DESIGN = {"ids": ["psu"], "strata": "stratum", "weights": "w", "fpc": None, "nest": False, "lonely_psu": "fail"}
CSV = """stratum,psu,w,y,g,cat
1,1,10,4.5,a,x
1,1,10,3.0,b,y
1,2,12,6.0,a,x
1,2,12,,b,y
2,3,8,2.5,a,x
2,3,8,7.5,b,y
2,4,9,1.0,a,x
2,4,9,3.5,a,y
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def edited(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "edited.csv"
    assert old in CSV
    path.write_text(CSV.replace(old, new, 1), encoding="utf-8")
    return path


def assert_bad(run: Any, *needles: str) -> None:
    assert run.status == 2
    assert run.stdout == ""
    assert run.stderr.endswith("\n") and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("cunsheng estimate: 错误 ") and "/error: " in run.stderr, run.stderr
    for needle in needles:
        assert needle in run.stderr, (needle, run.stderr)


def test_unknown_variable_is_named_with_a_suggestion(estimate_cli: Any, data: Path) -> None:
    assert_bad(estimate_cli(data, DESIGN, "--stat", "mean", "--var", "yy"), "`yy`", "did you mean `y`?")


def test_unknown_design_column_names_its_role(estimate_cli: Any, data: Path) -> None:
    run = estimate_cli(data, {**DESIGN, "strata": "stratun"}, "--stat", "mean", "--var", "g")
    assert_bad(run, "`stratun`", "(strata)")


def test_non_numeric_weight_names_the_row(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "1,2,12,6.0", "1,2,twelve,6.0")
    assert_bad(estimate_cli(path, DESIGN, "--stat", "mean", "--var", "g"), "`w`", "row 3", "'twelve'")


def test_negative_weight_names_the_row(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "2,3,8,2.5", "2,3,-8,2.5")
    assert_bad(estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "`w`", "row 5", ">= 0")


def test_stratum_with_one_psu_under_fail(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "2,4,9,1.0,a,x\n2,4,9,3.5", "2,3,9,1.0,a,x\n2,3,9,3.5")
    assert_bad(estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "`stratum`=2", "lonely_psu")


def test_by_column_entirely_missing(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "nog.csv"
    path.write_text(CSV.replace(",a,", ",,").replace(",b,", ",,"), encoding="utf-8")
    assert_bad(estimate_cli(path, DESIGN, "--stat", "prop", "--var", "cat", "--by", "g"), "`g`", "no non-missing")


def test_domain_left_empty_by_na_drop(estimate_cli: Any, tmp_path: Path) -> None:
    text = CSV.replace("1,1,10,3.0,b", "1,1,10,,b").replace("2,3,8,7.5,b", "2,3,8,,b")
    path = tmp_path / "emptyb.csv"
    path.write_text(text, encoding="utf-8")
    run = estimate_cli(path, DESIGN, "--stat", "mean", "--var", "y", "--by", "g", "--na", "drop")
    assert_bad(run, "`g`='b'", "`y`")


def test_all_missing_variable(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "noy.csv"
    header, *rows = CSV.splitlines()
    blanked = [",".join("NA" if i == 3 else cell for i, cell in enumerate(row.split(","))) for row in rows]
    path.write_text("\n".join([header, *blanked]), encoding="utf-8")
    assert_bad(estimate_cli(path, DESIGN, "--stat", "mean", "--var", "y", "--na", "drop"), "`y`", "no non-missing")


def test_missing_value_under_na_fail_points_to_na_drop(estimate_cli: Any, data: Path) -> None:
    assert_bad(estimate_cli(data, DESIGN, "--stat", "mean", "--var", "y"), "`y`", "row 4", "--na drop")


def test_argument_errors_are_one_line(estimate_cli: Any, data: Path) -> None:
    assert_bad(estimate_cli(data, DESIGN, "--var", "y"), "--stat")
    assert_bad(estimate_cli(data, DESIGN, "--stat", "median", "--var", "y"), "median")
    assert_bad(estimate_cli(data, DESIGN, "--stat", "quantile", "--var", "y", "--na", "drop"), "--quantile")
    assert_bad(estimate_cli(data, DESIGN, "--stat", "mean", "--var", "y", "--level", "95"), "--level")


def test_design_file_problems(estimate_cli: Any, data: Path, tmp_path: Path) -> None:
    assert_bad(estimate_cli(data, {**DESIGN, "strat": "stratum"}, "--stat", "prop", "--var", "g"), "`strat`")
    run = estimate_cli(data, {**DESIGN, "lonely_psu": "skip"}, "--stat", "prop", "--var", "g")
    assert_bad(run, "lonely_psu")
    replicate = {**DESIGN, "replicate": {"type": "JK1", "create": True}}
    assert_bad(estimate_cli(data, replicate, "--stat", "prop", "--var", "g"), "`replicate`", "JKn")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    run = estimate_cli(data, None, "--design", str(broken), "--stat", "prop", "--var", "g")
    assert_bad(run, "invalid JSON")


def test_missing_data_file(estimate_cli: Any, tmp_path: Path) -> None:
    assert_bad(estimate_cli(tmp_path / "none.csv", DESIGN, "--stat", "prop", "--var", "g"), "none.csv")


def test_interval_method_only_for_proportions(estimate_cli: Any, data: Path) -> None:
    run = estimate_cli(data, DESIGN, "--stat", "mean", "--var", "y", "--na", "drop", "--ci-method", "logit")
    assert_bad(run, "0/1")


def test_fpc_mixing_counts_and_fractions(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "fpc.csv"
    header, *rows = CSV.splitlines()
    with_fpc = [row + (",0.5" if i == 2 else ",20") for i, row in enumerate(rows)]
    path.write_text("\n".join([header + ",N", *with_fpc]), encoding="utf-8")
    assert_bad(estimate_cli(path, {**DESIGN, "fpc": ["N"]}, "--stat", "prop", "--var", "g"), "`N`", "row 3")


def test_psu_labels_reused_across_strata_need_nest(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "2,3,8,2.5,a,x\n2,3,8,7.5", "2,1,8,2.5,a,x\n2,1,8,7.5")
    assert_bad(estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "`psu`=1", "nest")


@pytest.mark.parametrize(
    ("design", "needles"),
    [
        ({**DESIGN, "probs": "w"}, ("`weights` and `probs`",)),
        ({**DESIGN, "fpc": ["w", "w"]}, ("one fpc column per stage",)),
        ({**DESIGN, "fpc": ["w"]}, ("`w`", "varies within a stratum", "row 3")),
        ({**DESIGN, "weights": None, "fpc": ["stratum"]}, ("`stratum`", "more than 100%")),
        ({**DESIGN, "ids": ["stratum"], "strata": None}, ("only one primary sampling unit",)),
        ({**DESIGN, "weights": None, "probs": "w"}, ("`w`", "(probs)", "(0, 1]")),
    ],
    ids=["weights-and-probs", "fpc-stages", "fpc-varies", "fpc-too-small", "one-psu", "probs-above-one"],
)
def test_designs_that_do_not_match_the_data(
    estimate_cli: Any, tmp_path: Path, design: dict[str, Any], needles: tuple[str, ...]
) -> None:
    path = tmp_path / "one_stratum.csv"
    path.write_text(CSV.replace("\n2,", "\n1,") if design["ids"] == ["stratum"] else CSV, encoding="utf-8")
    assert_bad(estimate_cli(path, design, "--stat", "prop", "--var", "g"), *needles)
