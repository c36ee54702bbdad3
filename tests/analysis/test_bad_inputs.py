"""Bad input to `cunsheng estimate` exits 2 with one line on stderr, `[code]` first, naming the
column, row or key; stdout stays empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.analysis.conftest import assert_problem

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


def test_unknown_variable_is_named_with_a_suggestion(estimate_cli: Any, data: Path) -> None:
    assert_problem(
        estimate_cli(data, DESIGN, "--stat", "mean", "--var", "yy"), "column.missing", "`yy`", "`y`？", "`y`?"
    )


def test_unknown_design_column_names_its_role(estimate_cli: Any, data: Path) -> None:
    run = estimate_cli(data, {**DESIGN, "strata": "stratun"}, "--stat", "mean", "--var", "g")
    assert_problem(run, "column.missing", "`stratun`", "（strata）", "`stratum`")


def test_non_numeric_weight_names_the_row(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "1,2,12,6.0", "1,2,twelve,6.0")
    assert_problem(
        estimate_cli(path, DESIGN, "--stat", "mean", "--var", "g"), "column.not_numeric", "`w`", "第 3 行", "'twelve'"
    )


def test_negative_weight_names_the_row(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "2,3,8,2.5", "2,3,-8,2.5")
    assert_problem(
        estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "design.weight_invalid", "`w`", "第 5 行", "-8"
    )


def test_stratum_with_one_psu_under_fail(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "2,4,9,1.0,a,x\n2,4,9,3.5", "2,3,9,1.0,a,x\n2,3,9,3.5")
    assert_problem(
        estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "design.lonely_psu", "`stratum`=2", "lonely_psu"
    )


def test_by_column_entirely_missing(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "nog.csv"
    path.write_text(CSV.replace(",a,", ",,").replace(",b,", ",,"), encoding="utf-8")
    run = estimate_cli(path, DESIGN, "--stat", "prop", "--var", "cat", "--by", "g")
    assert_problem(run, "estimate.all_missing", "`g`")


def test_domain_left_empty_by_na_drop(estimate_cli: Any, tmp_path: Path) -> None:
    text = CSV.replace("1,1,10,3.0,b", "1,1,10,,b").replace("2,3,8,7.5,b", "2,3,8,,b")
    path = tmp_path / "emptyb.csv"
    path.write_text(text, encoding="utf-8")
    run = estimate_cli(path, DESIGN, "--stat", "mean", "--var", "y", "--by", "g", "--na", "drop")
    assert_problem(run, "estimate.empty_domain", "`g`='b'", "`y`")


def test_all_missing_variable(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "noy.csv"
    header, *rows = CSV.splitlines()
    blanked = [",".join("NA" if i == 3 else cell for i, cell in enumerate(row.split(","))) for row in rows]
    path.write_text("\n".join([header, *blanked]), encoding="utf-8")
    run = estimate_cli(path, DESIGN, "--stat", "mean", "--var", "y", "--na", "drop")
    assert_problem(run, "estimate.all_missing", "`y`")


def test_missing_value_under_na_fail_points_to_na_drop(estimate_cli: Any, data: Path) -> None:
    run = estimate_cli(data, DESIGN, "--stat", "mean", "--var", "y")
    assert_problem(run, "estimate.value_missing", "`y`", "第 4 行", "--na drop")


@pytest.mark.parametrize(
    ("args", "code", "names"),
    [
        (("--var", "y"), "cli.missing_option", ("--stat",)),
        (("--stat", "median", "--var", "y"), "cli.invalid_choice", ("--stat", "'median'")),
        (("--stat", "mean", "--var", "y", "--frobnicate"), "cli.unknown_argument", ("--frobnicate",)),
        (("--stat", "mean", "--var", "y", "--level", "high"), "cli.bad_number", ("--level", "'high'")),
        (("--stat", "mean", "--var"), "cli.needs_value", ("--var",)),
        (("--stat", "quantile", "--var", "y", "--na", "drop"), "estimate.quantile_missing", ("--quantile",)),
        (("--stat", "quantile", "--var", "y", "--quantile", "1.5"), "estimate.quantile_range", ("1.5",)),
        (("--stat", "mean", "--var", "y", "--quantile", "0.5"), "estimate.quantile_unexpected", ("--quantile",)),
        (("--stat", "mean", "--var", "y", "--level", "95"), "estimate.level_range", ("--level", "95")),
        (("--stat", "ratio", "--var", "y"), "estimate.denominator_missing", ("--denominator",)),
        (("--stat", "mean", "--var", "y", "--denominator", "w"), "estimate.denominator_unexpected", ("--denominator",)),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_argument_errors_are_one_line_with_their_own_code(
    estimate_cli: Any, data: Path, args: tuple[str, ...], code: str, names: tuple[str, ...]
) -> None:
    assert_problem(estimate_cli(data, DESIGN, *args), code, *names)


def test_design_file_problems(estimate_cli: Any, data: Path, tmp_path: Path) -> None:
    run = estimate_cli(data, {**DESIGN, "strat": "stratum"}, "--stat", "prop", "--var", "g")
    assert_problem(run, "spec.unknown_key", "`strat`", "`strata`")
    run = estimate_cli(data, {**DESIGN, "lonely_psu": "skip"}, "--stat", "prop", "--var", "g")
    assert_problem(run, "spec.choice", "`lonely_psu`", "'skip'", "certainty")
    replicate = {**DESIGN, "replicate": {"type": "JK1", "create": True}}
    assert_problem(estimate_cli(data, replicate, "--stat", "prop", "--var", "g"), "replicate.jk1_stratified", "JKn")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    run = estimate_cli(data, None, "--design", str(broken), "--stat", "prop", "--var", "g")
    assert_problem(run, "spec.not_json", "broken.json", "第 1 行")
    run = estimate_cli(data, None, "--design", str(tmp_path / "none.json"), "--stat", "prop", "--var", "g")
    assert_problem(run, "spec.file_missing", "none.json")
    no_ids = {k: v for k, v in DESIGN.items() if k != "ids"}
    assert_problem(estimate_cli(data, no_ids, "--stat", "prop", "--var", "g"), "spec.missing_key", "`ids`")


def test_missing_data_file(estimate_cli: Any, tmp_path: Path) -> None:
    run = estimate_cli(tmp_path / "none.csv", DESIGN, "--stat", "prop", "--var", "g")
    assert_problem(run, "data.missing", "none.csv")


def test_data_file_that_is_not_utf8(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(CSV.replace("a,x", "甲,x").encode("gbk"))
    assert_problem(estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "data.encoding", "gbk.csv")


def test_interval_method_only_for_proportions(estimate_cli: Any, data: Path) -> None:
    run = estimate_cli(data, DESIGN, "--stat", "mean", "--var", "y", "--na", "drop", "--ci-method", "logit")
    assert_problem(run, "estimate.ci_method_not_binary", "logit", "`y`", "0/1")
    run = estimate_cli(data, DESIGN, "--stat", "total", "--var", "g", "--ci-method", "beta")
    assert_problem(run, "estimate.ci_method_total", "beta", "`g`")


def test_interval_method_with_quantiles_is_refused(estimate_cli: Any, data: Path) -> None:
    """A quantile's interval is Woodruff's on every design; --ci-method is for proportions."""
    for design in (DESIGN, {**DESIGN, "replicate": {"type": "JKn", "create": True}}):
        args = ("--stat", "quantile", "--var", "y", "--quantile", "0.5", "--na", "drop", "--ci-method", "beta")
        assert_problem(estimate_cli(data, design, *args), "estimate.ci_method_quantile", "beta", "Woodruff")


def test_fpc_mixing_counts_and_fractions(estimate_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "fpc.csv"
    header, *rows = CSV.splitlines()
    with_fpc = [row + (",0.5" if i == 2 else ",20") for i, row in enumerate(rows)]
    path.write_text("\n".join([header + ",N", *with_fpc]), encoding="utf-8")
    run = estimate_cli(path, {**DESIGN, "fpc": ["N"]}, "--stat", "prop", "--var", "g")
    assert_problem(run, "design.fpc_mixed", "`N`", "第 3 行")


def test_psu_labels_reused_across_strata_need_nest(estimate_cli: Any, tmp_path: Path) -> None:
    path = edited(tmp_path, "2,3,8,2.5,a,x\n2,3,8,7.5", "2,1,8,2.5,a,x\n2,1,8,7.5")
    assert_problem(estimate_cli(path, DESIGN, "--stat", "prop", "--var", "g"), "design.not_nested", "`psu`=1", "nest")


@pytest.mark.parametrize(
    ("design", "code", "names"),
    [
        ({**DESIGN, "probs": "w"}, "design.weights_and_probs", ("`weights`", "`probs`")),
        ({**DESIGN, "fpc": ["w", "w"]}, "design.fpc_stages", ("`fpc`", "2")),
        ({**DESIGN, "fpc": ["w"]}, "design.fpc_varies", ("`w`", "第 3 行")),
        ({**DESIGN, "weights": None, "fpc": ["stratum"]}, "design.fpc_too_small", ("`stratum`", "100%")),
        ({**DESIGN, "ids": ["stratum"], "strata": None}, "design.one_psu", ("`ids`",)),
        ({**DESIGN, "weights": None, "probs": "w"}, "design.prob_invalid", ("`w`", "(probs)", "(0, 1]")),
    ],
    ids=["weights-and-probs", "fpc-stages", "fpc-varies", "fpc-too-small", "one-psu", "probs-above-one"],
)
def test_designs_that_do_not_match_the_data(
    estimate_cli: Any, tmp_path: Path, design: dict[str, Any], code: str, names: tuple[str, ...]
) -> None:
    path = tmp_path / "one_stratum.csv"
    path.write_text(CSV.replace("\n2,", "\n1,") if design["ids"] == ["stratum"] else CSV, encoding="utf-8")
    assert_problem(estimate_cli(path, design, "--stat", "prop", "--var", "g"), code, *names)
