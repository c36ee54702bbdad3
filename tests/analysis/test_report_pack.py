"""The report pack (中期/终期评估): one tidy frame from a `cunsheng evaluate --json` output, rendered as
a printable Chinese HTML report, its A4 PDF (headless chromium), charts and an XLSX workbook that
LibreOffice opens. The output is tests/analysis/reportkit.py's, written by hand: 15 indicators in 8
plan domains and an index, every status, both warnings, a suppressed cell, 城乡 and 性别 gaps, and a
baseline. PDF pages go to the screenshots folder as PNG (docs/screenshots with `make screenshots`)."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis.errors import AnalysisError
from analysis.report import pdf as pdf_module
from analysis.report.chart import Point, interval_chart
from analysis.report.frame import COLUMNS, pack_frame
from analysis.report.html import report_html
from analysis.report.inputs import Definition
from analysis.report.output import read_rates
from analysis.report.pack import write_pack
from analysis.report.xlsx import report_xlsx
from tests.analysis import reportkit as kit

SHEET_NAMES = ["汇总", "指标", "分组", "变化", "应答率", "方法", "变量说明"]
STATUS_CLASSES = {"达标": "met", "未达标": "unmet", "无法判断": "unknown", "不适用": "na"}
A4 = (595.28, 841.89)  # points
PRINTABLE_PX = 687  # A4's 210 mm less the report's 14 mm margins, at 96 px per inch (182 mm = 687.9 px)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pack_frame(kit.evaluation(), kit.DEFINITIONS, kit.methods())


@pytest.fixture(scope="module")
def soup(frame: pd.DataFrame) -> BeautifulSoup:
    return BeautifulSoup(report_html(frame, kit.methods()), "html.parser")


# --- the frame --------------------------------------------------------------------------------------


def test_the_frame_has_a_row_per_entry_and_gap_in_plan_order(frame: pd.DataFrame) -> None:
    output = kit.evaluation()
    assert len(frame) == len(output["indicators"]) + len(output["indices"]) + len(output["gaps"])
    assert tuple(frame.columns) == COLUMNS
    assert list(dict.fromkeys(frame["section"])) == [
        "妇女与健康", "妇女与经济", "妇女参与决策和管理", "妇女与家庭建设", "儿童与健康", "儿童与安全", "儿童与教育",
        "儿童与家庭", "发展指数"]
    weight = frame[frame["code"] == "C-HEALTH-02"]
    assert list(zip(weight["part"], weight["group"], strict=True)) == [
        ("total", "全体"), ("group", "城镇"), ("group", "乡村"), ("gap", "城镇 − 乡村"), ("group", "男"),
        ("group", "女"), ("gap", "男 − 女")]
    assert set(frame.loc[frame["part"] != "gap", "status"]) == set(STATUS_CLASSES)


def test_a_suppressed_cell_has_no_numbers_and_says_why(frame: pd.DataFrame) -> None:
    (row,) = frame[frame["suppressed"]].to_dict("records")
    assert (row["code"], row["group"], row["status"], row["n"]) == ("C-SAFE-01", "乡村", "无法判断", 18)
    assert all(pd.isna(row[c]) for c in ("estimate", "se", "ci_low", "ci_high", "cv"))
    assert "有效样本量少于 30" in row["notes"] and "分母少于 30 人" in row["notes"]


def test_each_warning_is_explained_from_the_entry_numbers(frame: pd.DataFrame) -> None:
    totals = frame[frame["part"] == "total"]
    reasons = dict(zip(totals["code"], totals["reasons"], strict=True))
    # projection 73.95 ± 1.96 × 2.6 = 68.85 to 79.05, entirely below the target 80
    assert reasons["W-HEALTH-01"] == ("预计达标困难：按与 2022 年基线调查相比的变化推算，2025 年预计为 74.0%"
                                      "（95% 区间 68.9～79.0），整个区间低于目标 ≥ 80%（2025 年）")
    assert "变化 −7.9 个百分点（标准误 2.6 个百分点），变化显著且背离目标" in reasons["W-DECIDE-01"]
    assert reasons["C-FAMILY-02"] == "波动较大：变异系数 34%，超过 30%，估计值不稳定"  # 2.1 / 6.2
    assert reasons["W-HEALTH-02"] == ""


def test_gaps_keep_the_evaluation_numbers_and_label_the_levels(frame: pd.DataFrame) -> None:
    gaps = frame[frame["part"] == "gap"].set_index(["code", "breakdown"])
    assert gaps.loc[("C-HEALTH-02", "sex"), "group"] == "男 − 女"
    assert gaps.loc[("C-HEALTH-02", "sex"), "estimate"] == 4.5 and gaps.loc[("C-HEALTH-02", "sex"), "se"] == 2.2
    assert gaps.loc[("W-HEALTH-01", "urban"), "breakdown_label"] == "城乡"


# --- the HTML report --------------------------------------------------------------------------------


def test_every_indicator_is_in_the_summary_with_its_status_class(soup: BeautifulSoup) -> None:
    output = kit.evaluation()
    totals = {e["code"]: e["status"] for e in output["indicators"] + output["indices"] if e["breakdown"] is None}
    rows = {tr["data-code"]: tr for tr in soup.select("table.summary-table tbody tr[data-code]")}
    assert set(rows) == {d.code for d in kit.DEFINITIONS} == set(totals)
    for code, status in totals.items():
        cell = rows[code].select_one("td.status")
        assert STATUS_CLASSES[status] in cell["class"] and status in cell.text, code
        assert cell.select_one(".mark").text.strip(), code  # a mark that prints in black and white
        assert soup.select_one(f"div.indicator#{code} svg") is not None, code


def test_one_section_per_plan_domain_each_starting_a_page(soup: BeautifulSoup) -> None:
    headings = [h.text for h in soup.select("section.domain > h2")]
    assert headings[:2] == ["三、妇女与健康", "四、妇女与经济"] and headings[-1] == "十一、发展指数"
    style = soup.style.text
    assert "size: A4" in style and "section.domain, section.appendix { break-before: page; }" in style
    assert "thead { display: table-header-group; }" in style


def test_suppressed_cells_show_a_dash_and_a_footnote(soup: BeautifulSoup) -> None:
    block = soup.select_one("div.indicator#C-SAFE-01")
    rural = next(tr for tr in block.select("table.groups tbody tr") if "乡村" in tr.td.text)
    assert rural.select("td")[1].text == "—1" and rural.select("td")[1].sup.text == "1"
    notes = block.find_parent("section").select_one("ol.notes").text
    assert "C-SAFE-01 儿童乘车使用安全座椅的比例（城乡：乡村）：有效样本量少于 30" in notes


def test_warnings_gaps_and_changes_are_shown(soup: BeautifulSoup) -> None:
    warned = [li["data-code"] for li in soup.select("ul.warnings li")]
    assert warned == ["W-HEALTH-01", "W-DECIDE-01", "C-SAFE-01", "C-FAMILY-02", "W-INDEX"]
    gaps = [tr.td.text for tr in soup.select("div.indicator#C-HEALTH-02 table.gaps tbody tr")]
    assert gaps == ["城乡：城镇 − 乡村", "性别：男 − 女"]
    first = soup.select_one("div.indicator#W-HEALTH-01 table.groups tbody tr").select("td")
    assert [td.text for td in first[5:7]] == ["+3.1（3.0）", "−2.8～9.0"]


def test_the_methods_appendix_names_versions_rates_and_rules(soup: BeautifulSoup) -> None:
    appendix = soup.select_one("section.appendix")
    text = appendix.text
    for q in kit.methods().questionnaires:
        assert q.sha256 in text
    assert kit.methods().software in text and "分母少于 30 人" in text and "泰勒线性化" in text
    rates = [[td.text for td in tr.select("td")] for tr in appendix.select("table.rates tbody tr")]
    assert rates[0][0] == "全部样本" and rates[0][1] == "1262" and rates[0][-5] == "85.2%"
    assert [r[0] for r in rates] == ["全部样本", "城镇", "乡村"]


def test_the_page_is_self_contained(soup: BeautifulSoup) -> None:
    assert soup.select("script, link, img, iframe, object") == []
    for tag in soup.find_all(True):
        for attribute in ("src", "href"):
            value = tag.get(attribute)
            assert value is None or str(value).startswith("#"), (tag.name, value)
    assert "url(" not in soup.style.text and "@import" not in soup.style.text


def test_names_from_the_definitions_are_escaped() -> None:
    definitions = [Definition(d.code, "<script>x</script>" if d.code == "W-HEALTH-02" else d.name, d.domain,
                              d.plan, d.scale, d.unit, index=d.index) for d in kit.DEFINITIONS]
    html = report_html(pack_frame(kit.evaluation(), definitions, kit.methods()), kit.methods())
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_a_chart_draws_the_target_as_a_dashed_line_only_when_there_is_one() -> None:
    points = [Point("全体", 0.72, 0.68, 0.77)]
    assert "stroke-dasharray" in interval_chart(points, "筛查", percent=True, target=0.8)
    assert "stroke-dasharray" not in interval_chart(points, "筛查", percent=True)


# --- broken input -----------------------------------------------------------------------------------


def _broken(change: str) -> tuple[dict[str, Any], list[Definition]]:
    output, definitions = copy.deepcopy(kit.evaluation()), list(kit.DEFINITIONS)
    if change == "no status":
        del output["indicators"][3]["status"]
    elif change == "bad status":
        output["indicators"][3]["status"] = "基本达标"
    elif change == "warnings not a list":
        output["indices"][0]["warnings"] = "预计达标困难"
    elif change == "level":
        output["level"] = 95
    elif change == "undefined code":
        definitions = [d for d in definitions if d.code != "C-SAFE-02"]
    elif change == "undefined gap code":
        output["gaps"][0]["code"] = "W-NOPE-01"
    return output, definitions


@pytest.mark.parametrize("change, code, named", [
    ("no status", "spec.missing_key", "indicators[3].status"),
    ("bad status", "spec.choice", "indicators[3].status"),
    ("warnings not a list", "spec.type", "indices[0].warnings"),
    ("level", "spec.range", "level"),
    ("undefined code", "report.undefined_indicator", "C-SAFE-02"),
    ("undefined gap code", "report.undefined_indicator", "W-NOPE-01"),
])
def test_a_broken_input_is_a_catalogue_problem_and_leaves_the_folder_alone(tmp_path: Path, change: str, code: str,
                                                                          named: str) -> None:
    folder = _existing_pack(tmp_path)
    output, definitions = _broken(change)
    with pytest.raises(AnalysisError) as caught:
        write_pack(output, definitions, kit.methods(), folder)
    assert caught.value.code == code and named in caught.value.message
    assert _contents(folder) == {"report.html": "old", "notes.txt": "mine"}
    assert not (tmp_path / "new").exists()
    with pytest.raises(AnalysisError):
        write_pack(output, definitions, kit.methods(), tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_a_report_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "report"
    target.write_text("a file", encoding="utf-8")
    with pytest.raises(AnalysisError) as caught:
        write_pack(kit.evaluation(), kit.DEFINITIONS, kit.methods(), target)
    assert caught.value.code == "report.folder" and target.read_text(encoding="utf-8") == "a file"


@pytest.mark.parametrize("executable, code", [(None, "report.chromium_missing"), ("/bin/false", "report.pdf_failed")])
def test_without_a_working_chromium_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       executable: str | None, code: str) -> None:
    monkeypatch.setattr(pdf_module, "chromium_path", lambda: executable)
    folder = _existing_pack(tmp_path)
    with pytest.raises(AnalysisError) as caught:
        write_pack(kit.evaluation(), kit.DEFINITIONS, kit.methods(), folder)
    assert caught.value.code == code
    assert _contents(folder) == {"report.html": "old", "notes.txt": "mine"}


def test_broken_rates_name_the_key() -> None:
    rates = copy.deepcopy(kit.RATES)
    del rates["groups"][1]["counts"]
    with pytest.raises(AnalysisError) as caught:
        read_rates(rates)
    assert caught.value.code == "spec.missing_key" and "rates.groups[1].counts" in caught.value.message


def _existing_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "report.html").write_text("old", encoding="utf-8")
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    return folder


def _contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


# --- the workbook -----------------------------------------------------------------------------------


def test_the_workbook_has_chinese_sheets_headers_and_coloured_statuses(frame: pd.DataFrame, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(report_xlsx(frame, kit.methods(), tmp_path / "report.xlsx"))
    assert book.sheetnames == SHEET_NAMES
    for sheet in book:
        header = [c.value for c in sheet[1]]
        assert header and all(isinstance(h, str) and any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header)
    summary = book["汇总"]
    header = [c.value for c in summary[1]]
    status_col, code_col = header.index("达标状态") + 1, header.index("指标代码") + 1
    for row in range(2, summary.max_row + 1):
        status = summary.cell(row, status_col).value
        fill = summary.cell(row, status_col).fill.fgColor.rgb
        assert fill == {"达标": "FFD8F0DF", "未达标": "FFFBDCDC", "无法判断": "FFFDEEC8", "不适用": "FFECEEF1"}[status]
    assert summary.max_row - 1 == len(kit.DEFINITIONS) and summary.cell(2, code_col).value == "W-HEALTH-01"


def test_the_workbook_sheets_hold_the_frame(frame: pd.DataFrame, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(report_xlsx(frame, kit.methods(), tmp_path / "report.xlsx"))
    groups = _records(book["分组"])
    rural = next(r for r in groups if r["指标代码"] == "C-SAFE-01" and r["类别"] == "乡村")
    assert rural["估计值"] is None and rural["不发布"] == "是" and rural["达标状态"] == "无法判断"
    assert len(_records(book["变化"])) == int(frame["change"].notna().sum()) == 12
    rates = _records(book["应答率"])
    assert [r["组别"] for r in rates] == ["全部样本", "城镇", "乡村"] and rates[0]["应答率 RR1"] == 0.852
    assert rates[0]["完成（I）"] == 1262 and rates[2]["不符合（NE）"] == 28
    described = {(r["工作表"], r["列"]) for r in _records(book["变量说明"])}
    for name in SHEET_NAMES[:-1]:
        assert {(name, c.value) for c in book[name][1]} <= described, name


def _records(sheet: Any) -> list[dict[str, Any]]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.slow
def test_libreoffice_opens_the_workbook_with_its_chinese_sheets(frame: pd.DataFrame, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is not installed: `make libreoffice` (make test does) installs it")
    source = report_xlsx(frame, kit.methods(), tmp_path / "report.xlsx")
    for kind, target in (("xlsx", "xlsx"), ("csv", "csv:Text - txt - csv (StarCalc):44,34,76")):  # 76: UTF-8
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                        "--convert-to", target, "--outdir", str(tmp_path / f"lo-{kind}"), str(source)],
                       check=True, capture_output=True, timeout=180)
    book = openpyxl.load_workbook(tmp_path / "lo-xlsx" / "report.xlsx")
    assert book.sheetnames == SHEET_NAMES
    assert [c.value for c in book["指标"][1]][:3] == ["规划领域", "指标代码", "指标名称"]
    status = book["汇总"].cell(2, [c.value for c in book["汇总"][1]].index("达标状态") + 1)
    assert status.value == "未达标" and status.fill.fgColor.rgb.endswith("FBDCDC")
    first_sheet = pd.read_csv(tmp_path / "lo-csv" / "report.csv", encoding="utf-8")
    assert list(first_sheet.columns[:3]) == ["规划领域", "指标代码", "指标名称"]
    assert first_sheet["指标代码"].tolist() == [d.code for d in kit.DEFINITIONS]


# --- the whole pack in headless chromium ------------------------------------------------------------


@pytest.mark.browser
def test_the_report_renders_offline_within_the_printable_width(frame: pd.DataFrame, chromium: Any,
                                                               tmp_path: Path) -> None:
    """Nothing is wider than A4 less its margins (chromium would shrink every page to fit), and the page
    asks for nothing beyond its own file."""
    page_file = tmp_path / "report.html"
    page_file.write_text(report_html(frame, kit.methods()), encoding="utf-8")
    context = chromium.new_context(viewport={"width": PRINTABLE_PX, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.emulate_media(media="print")
        page.goto(page_file.as_uri())
        assert requests == [page_file.as_uri()]
        assert page.evaluate("document.documentElement.scrollWidth") <= PRINTABLE_PX
        widths = page.evaluate("[...document.querySelectorAll('table, svg')].map(e => e.getBoundingClientRect().right)")
        assert max(widths) <= PRINTABLE_PX
        assert page.locator("div.indicator svg").count() == len(kit.DEFINITIONS)
    finally:
        context.close()


@pytest.mark.browser
def test_the_pack_prints_to_a4_pages_with_every_indicator(tmp_path: Path, shots: Path) -> None:
    import pypdf
    import pypdfium2

    folder = tmp_path / "pack"
    (folder / "charts").mkdir(parents=True)
    (folder / "charts" / "OLD-01.svg").write_text("<svg/>", encoding="utf-8")
    pack = write_pack(kit.evaluation(), kit.DEFINITIONS, kit.methods(), folder)
    assert sorted(p.name for p in (folder / "charts").iterdir()) == sorted(f"{d.code}.svg" for d in kit.DEFINITIONS)
    assert openpyxl.load_workbook(pack.xlsx).sheetnames == SHEET_NAMES
    reader = pypdf.PdfReader(pack.pdf)
    assert len(reader.pages) >= 2
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert abs(size[0] - A4[0]) < 1.5 and abs(size[1] - A4[1]) < 1.5, size
    texts = [page.extract_text() for page in reader.pages]
    assert kit.methods().title in texts[0] and "第 1 页" in " ".join(texts[0].split())
    for d in kit.DEFINITIONS:
        assert sum(d.code in t for t in texts) >= 2, d.code  # the summary and its section
    chosen = {"40_report_1_summary.png": 0,
              "40_report_2_breakdowns.png": next(i for i, t in enumerate(texts) if "性别：男" in t),
              "40_report_3_methods.png": next(i for i, t in enumerate(texts) if "附录" in t and "sha256" in t)}
    document = pypdfium2.PdfDocument(str(pack.pdf))
    try:
        for name, index in chosen.items():
            document[index].render(scale=110 / 72).to_pil().save(shots / name)
            assert (shots / name).stat().st_size > 10_000, name
    finally:
        document.close()
