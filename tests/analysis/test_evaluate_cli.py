"""`cunsheng evaluate` as a command (design/evaluation.md): the document's shape, breakdowns and gaps,
a baseline's change, Korn-Graubard where p is 0, suppression, replicate designs, the table for
people; and every kind of bad input: exit 2, one line on stderr naming the indicator (or the file,
option or column) and the problem, nothing on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analysis.cli.evaluate import main as evaluate_main
from analysis.estimators.student_t import t_quantile
from server.cli import main as cunsheng
from server.report_defs import definitions
from surveys.indicator_defs.compiler import compile_file
from surveys.indicators import catalogue
from tests.analysis.conftest import Run, assert_problem
from tests.analysis.evalkit import beta_at_bounds, questionnaire, quiet, run_evaluate, synthetic_wave, wave

OWN = Path(__file__).parent / "data" / "indicators_women.yaml"
PROG = "cunsheng evaluate"
ENTRY = ["code", "domain", "breakdown", "estimate", "se", "ci_low", "ci_high", "n", "df", "flags", "suppressed",
         "status", "target", "warnings"]
TREND = ["change", "change_se", "change_method", "projected", "projected_se"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The synthetic women's wave (CSV) and its design file."""
    folder = tmp_path_factory.mktemp("wave")
    synthetic_wave(questionnaire("women")).to_csv(folder / "wave.csv", index=False)
    (folder / "design.json").write_text(wave()[1], encoding="utf-8")
    return folder / "wave.csv", folder / "design.json"


Cli = Callable[..., Run]


@pytest.fixture
def cli(files: tuple[Path, Path], tmp_path: Path) -> Cli:
    """Run `cunsheng evaluate` on the wave: `indicators` a path or YAML text, then options."""

    def run(indicators: Path | str = OWN, *options: str, data: Path | None = None, design: Path | None = None) -> Run:
        if isinstance(indicators, str):
            path = tmp_path / "ind.yaml"
            path.write_text(indicators, encoding="utf-8")
            indicators = path
        return Run(*run_evaluate(data or files[0], design or files[1], indicators, *options))

    return run


def document(run: Run) -> dict[str, Any]:
    doc: dict[str, Any] = run.json()
    return doc


def entries(doc: dict[str, Any], code: str, breakdown: str | None = None) -> list[dict[str, Any]]:
    return [e for e in doc["indicators"] if e["code"] == code and e["breakdown"] == breakdown]


def test_the_document_has_the_contract_shape(cli: Cli) -> None:
    doc = document(cli(OWN, "--year", "2026", "--json"))
    assert list(doc) == ["level", "df", "year", "indicators", "gaps", "indices"]
    assert (doc["level"], doc["year"], doc["gaps"]) == (0.95, 2026, [])
    assert [e["code"] for e in doc["indicators"]] == [
        "T-SCREEN", "T-KNOW", "T-SUPPORT", "T-TRAINING", "T-WATER", "T-SAT", "T-GAIN", "T-SAFE", "T-NEEDS",
        "T-EXERCISE", "T-HOUSEWORK", "T-HHSIZE"]
    for e in doc["indicators"] + doc["indices"]:
        assert list(e) == ENTRY and e["domain"] == {} and e["breakdown"] is None and e["df"] == doc["df"]
    by_code = {e["code"]: e for e in doc["indicators"]}
    assert by_code["T-GAIN"]["status"] == "无法判断"  # up without a baseline
    assert by_code["T-NEEDS"]["status"] == "不适用"  # qual
    assert by_code["T-WATER"]["target"] == {"op": "=", "value": 100.0, "year": 2030}
    assert "target:100%" in by_code["T-WATER"]["flags"] and by_code["T-WATER"]["status"] != "达标"
    assert by_code["T-SAT"]["target"] == {"op": "~", "value": 0.4, "year": 2030, "tolerance": 0.05}
    assert 0 < by_code["T-SAT"]["estimate"] < 1 and 1 < by_code["T-SCREEN"]["estimate"] < 100  # scale 1 and 100
    assert [e["code"] for e in doc["indices"]] == ["T-INDEX"]


def test_breakdowns_are_one_way_single_levels_are_dropped_and_two_levels_have_a_gap(cli: Cli) -> None:
    doc = document(cli(OWN, "--by", "urban_rural", "--breakdown", "sex", "--breakdown", "urban_rural", "--json"))
    assert [e["domain"] for e in entries(doc, "T-SCREEN", "sex")] == [{"sex": "F"}, {"sex": "M"}]
    assert entries(doc, "T-EXERCISE", "sex") == []  # its population is women only
    assert entries(doc, "T-SUPPORT", "urban_rural") == []  # its population is rural only
    assert [e["domain"] for e in entries(doc, "T-SCREEN")] == [{"urban_rural": "rural"}, {"urban_rural": "urban"}]
    t = t_quantile(0.975, doc["df"])
    for gap in doc["gaps"]:
        a, b = entries(doc, gap["code"], gap["breakdown"])
        assert gap["levels"] == [a["domain"][gap["breakdown"]], b["domain"][gap["breakdown"]]]
        assert gap["gap"] == pytest.approx(a["estimate"] - b["estimate"], rel=1e-9, abs=1e-12)
        assert gap["gap_ci_low"] == pytest.approx(gap["gap"] - t * gap["gap_se"], rel=1e-12)
        assert 0 < gap["gap_se"] < a["se"] + b["se"]
    assert {(g["code"], g["breakdown"]) for g in doc["gaps"]} >= {("T-SCREEN", "sex"), ("T-SCREEN", "urban_rural")}
    assert ("T-EXERCISE", "sex") not in {(g["code"], g["breakdown"]) for g in doc["gaps"]}
    # an index is broken down where every component is: T-EXERCISE has no sex, T-SUPPORT no urban_rural table
    assert {e["breakdown"] for e in doc["indices"]} == {None}


def test_a_baseline_gives_the_change_the_projection_and_up_down_statuses(cli: Cli, tmp_path: Path) -> None:
    earlier = cli(OWN, "--year", "2022", "--json")
    (tmp_path / "base.json").write_text(earlier.stdout, encoding="utf-8")
    before = document(earlier)
    now = document(cli(OWN, "--year", "2026", "--baseline", str(tmp_path / "base.json"), "--json"))
    for old, new in zip(before["indicators"] + before["indices"], now["indicators"] + now["indices"], strict=True):
        assert list(new) == ENTRY + TREND
        assert new["change"] == 0.0 and new["change_method"] == "independent"  # the same data twice
        assert new["change_se"] == pytest.approx(2 ** 0.5 * old["se"])
        if new["target"]["year"] is not None:
            k = (new["target"]["year"] - 2026) / (2026 - 2022)
            assert new["projected"] == new["estimate"]
            assert new["projected_se"] == pytest.approx(((1 + k) ** 2 + k * k) ** 0.5 * old["se"])
    by_code = {e["code"]: e for e in now["indicators"]}
    assert by_code["T-GAIN"]["status"] == by_code["T-SAFE"]["status"] == "无法判断"  # no change at all


def test_a_share_of_zero_takes_the_korn_graubard_interval_and_says_so(cli: Cli) -> None:
    doc = document(cli("indicators:\n  - {code: Z-1, name: 零, stat: prop, numerator: 'hh_size > 99', "
                       "target: {op: '>=', value: 10}}\n", "--json"))
    (e,) = doc["indicators"]
    assert (e["estimate"], e["se"], e["ci_low"]) == (0.0, 0.0, 0.0) and 0 < e["ci_high"] < 10
    assert e["ci_high"] == pytest.approx(100 * beta_at_bounds(0.0, e["n"], doc["df"])[1], rel=1e-9)
    assert "ci:beta" in e["flags"] and e["status"] == "未达标"
    everyone = document(cli("indicators:\n  - {code: Z-2, name: 全, stat: prop, numerator: 'hh_size < 99', missing: exclude, "
                            "target: {op: '=', value: 100}, ci_method: beta}\n", "--level", "0.9", "--json"))
    (e,) = everyone["indicators"]
    assert (e["estimate"], e["ci_high"]) == (100.0, 100.0) and "ci:beta" in e["flags"]
    assert e["ci_low"] == pytest.approx(100 * beta_at_bounds(1.0, e["n"], doc["df"], 0.9)[0], rel=1e-9)
    assert e["status"] == "无法判断" and "target:100%" in e["flags"]


def test_a_small_population_is_suppressed(cli: Cli) -> None:
    doc = document(cli("indicators:\n  - {code: S-1, name: 小, stat: prop, numerator: 'training == 1', "
                       "population: 'age == 40', target: {op: '<=', value: 100}}\n", "--json"))
    (e,) = doc["indicators"]
    assert e["n"] < 30 and e["suppressed"] and "suppress:n<30" in e["flags"] and e["status"] == "无法判断"


def test_a_replicate_design_is_evaluated_with_its_replicates(cli: Cli, tmp_path: Path) -> None:
    design = json.loads(wave()[1]) | {"replicate": {"type": "JKn", "create": True}}
    (tmp_path / "jkn.json").write_text(json.dumps(design), encoding="utf-8")
    linear, replicated = document(cli(OWN, "--json")), document(cli(OWN, "--json", design=tmp_path / "jkn.json"))
    for a, b in zip(linear["indicators"], replicated["indicators"], strict=True):
        assert a["estimate"] == pytest.approx(b["estimate"], rel=1e-12) and a["se"] != b["se"]


def test_without_json_a_table_for_people(cli: Cli) -> None:
    run = cli(OWN, "--breakdown", "urban_rural")
    assert run.status == 0 and run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0].startswith("indicators against targets") and any(line.startswith("T-SCREEN  全部") for line in lines)


def test_the_cunsheng_command_dispatches_evaluate(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    status = cunsheng(["evaluate", str(files[0]), "--design", str(files[1]), "--indicators", str(OWN), "--json"])
    assert status == 0 and json.loads(capsys.readouterr().out)["indicators"]


ONE = "indicators:\n  - {{code: B-1, name: 甲, stat: {stat}, {what}, target: {{op: '>=', value: 10}}}}\n"


@pytest.mark.parametrize("text, code, names", [
    ("indicators: [", "evaluate.definition", ["D01"]),
    (ONE.format(stat="prop", what="numerator: 'training = 1'"), "evaluate.definition", ["D09", "B-1", "training = 1"]),
    ("survey: women\n" + ONE.format(stat="prop", what="numerator: 'trainin == 1'"), "evaluate.definition",
     ["D53", "B-1", "trainin", "training"]),
    (ONE.format(stat="mean", what="numerator: 'training == 1'"), "evaluate.definition", ["D51", "B-1", "value"]),
    (ONE.format(stat="prop", what="numerator: 'training == 1', plan: ['001:99999']"), "evaluate.definition",
     ["D10", "B-1", "001:99999"]),
    (ONE.format(stat="prop", what="numerator: 'trainin == 1'"), "evaluate.column_missing", ["B-1", "trainin", "training"]),
    (ONE.format(stat="mean", what="value: outcome"), "evaluate.indicator", ["B-1", "column.not_numeric", "outcome"]),
    (ONE.format(stat="prop", what="numerator: 'training == 1', population: 'age > 500'"),
     "evaluate.empty_population", ["B-1"]),
])
def test_a_bad_indicator_exits_2_naming_it(cli: Cli, text: str, code: str, names: list[str]) -> None:
    assert_problem(cli(text, "--json"), code, *names, prog=PROG)


@pytest.mark.parametrize("options, code, names", [
    (["--by", "urban_rurall"], "column.missing", ["urban_rurall", "urban_rural"]),
    (["--breakdown", "sexx"], "column.missing", ["sexx", "--breakdown"]),
    (["--level", "1.5"], "estimate.level_range", ["1.5"]),
    (["--year", "twenty"], "cli.bad_number", ["--year", "twenty"]),
    (["--baseline", "/nonexistent/base.json"], "spec.file_missing", ["/nonexistent/base.json"]),
])
def test_bad_options_exit_2(cli: Cli, options: list[str], code: str, names: list[str]) -> None:
    assert_problem(cli(OWN, *options, "--json"), code, *names, prog=PROG)


@pytest.mark.parametrize("baseline, code, names", [
    ("{not json", "spec.not_json", ["base.json"]),
    ("[1, 2]", "evaluate.baseline", ["base.json", "JSON"]),
    ('{"indicators": []}', "evaluate.baseline", ["year"]),
    ('{"year": 2020, "indicators": [{"code": "T-SCREEN"}]}', "evaluate.baseline", ["estimate"]),
    ('{"year": 2026, "indicators": []}', "evaluate.baseline_year", ["2026"]),
])
def test_a_bad_baseline_exits_2(cli: Cli, tmp_path: Path, baseline: str, code: str, names: list[str]) -> None:
    (tmp_path / "base.json").write_text(baseline, encoding="utf-8")
    assert_problem(cli(OWN, "--year", "2026", "--baseline", str(tmp_path / "base.json"), "--json"), code, *names,
                   prog=PROG)


def test_bad_files_exit_2(cli: Cli, tmp_path: Path) -> None:
    assert_problem(cli(OWN, "--json", data=tmp_path / "none.csv"), "data.missing", "none.csv", prog=PROG)
    assert_problem(cli(tmp_path / "none.yaml", "--json"), "spec.file_missing", "none.yaml", prog=PROG)
    (tmp_path / "gbk.yaml").write_bytes("indicators: []  # 指标".encode("gbk"))
    assert_problem(cli(tmp_path / "gbk.yaml", "--json"), "spec.file_unreadable", "gbk.yaml", prog=PROG)
    (tmp_path / "design.json").write_text('{"ids": ["psuu"], "weights": "weight"}', encoding="utf-8")
    assert_problem(cli(OWN, "--json", design=tmp_path / "design.json"), "column.missing", "psuu", prog=PROG)
    assert_problem(cli(OWN, "--design"), "cli.needs_value", "--design", prog=PROG)


def test_a_missing_required_option_exits_2(files: tuple[Path, Path]) -> None:
    run = Run(*quiet(evaluate_main, [str(files[0]), "--design", str(files[1])], compile_file, definitions))
    assert_problem(run, "cli.missing_option", "--indicators", prog=PROG)


PROBE = """
import json, sys
from server.cli import main
status = main(["evaluate", *sys.argv[1:]])
print(json.dumps({"status": status, "modules": sorted(m.split(".")[0] for m in sys.modules)}))
"""


def test_evaluate_loads_no_web_or_database_module(files: tuple[Path, Path]) -> None:
    argv = [str(files[0]), "--design", str(files[1]), "--indicators", str(OWN), "--json"]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 0
    assert sorted(set(result["modules"]) & {"fastapi", "starlette", "sqlmodel", "sqlalchemy", "statsmodels"}) == []


def test_report_writes_the_pack_and_leaves_the_json_as_it_was(cli: Cli, tmp_path: Path) -> None:
    import openpyxl

    plain = cli(OWN, "--year", "2026", "--breakdown", "urban_rural", "--json")
    packed = cli(OWN, "--year", "2026", "--breakdown", "urban_rural", "--json", "--report", str(tmp_path / "pack"))
    assert packed.status == 0 and packed.stderr == "" and packed.stdout == plain.stdout
    html = (tmp_path / "pack" / "report.html").read_text(encoding="utf-8")
    assert "35–64岁妇女近三年接受宫颈癌筛查的比例" in html and "妇女与健康" in html  # name; domain of row 000:64
    assert "设计文件 design.json" in html and "cunsheng " in html and "分母少于 30 人" in html
    assert (tmp_path / "pack" / "report.pdf").read_bytes().startswith(b"%PDF")
    book = openpyxl.load_workbook(tmp_path / "pack" / "report.xlsx", read_only=True)
    codes = {row[1] for row in book["指标"].iter_rows(min_row=2, values_only=True)}
    book.close()
    assert {"T-SCREEN", "T-INDEX"} <= codes


def test_definitions_take_domain_target_wording_and_unit_from_the_plan_rows() -> None:
    found = {d.code: d for d in definitions(compile_file(OWN))}
    screen = found["T-SCREEN"]
    row = catalogue()[screen.plan[0]]
    assert (screen.domain, screen.plan_target, screen.scale, screen.unit) == (row["domain"], row["target"], 100, "")
    assert found["T-KNOW"].section == "其他指标" and found["T-INDEX"].index and found["T-INDEX"].unit == "分"


def test_a_bad_report_folder_exits_2_and_leaves_nothing(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    for folder in (tmp_path / "taken", tmp_path / "taken" / "pack"):
        assert_problem(cli(OWN, "--json", "--report", str(folder)), "report.folder", str(folder), prog=PROG)
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "x"
    assert_problem(cli("indicators: [{code: X}]", "--json", "--report", str(tmp_path / "new" / "pack")),
                   "evaluate.definition", prog=PROG)
    assert not (tmp_path / "new").exists()
