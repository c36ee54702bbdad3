"""The report pack's workbook (xlsxwriter): sheets 汇总, 指标, 分组, 变化, 应答率, 方法 and 变量说明,
with Chinese headers in the first row of every sheet and status cells coloured as in the HTML report.

Each data sheet is a choice of the pack frame's columns (`SHEETS`); 应答率 and 方法 come from the
methods record; 变量说明 says what every column of every sheet holds. Numbers are written as numbers
(a suppressed estimate is an empty cell, its 不发布 column 是), text never as a formula. Must not
compute anything the frame does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.report.frame import FIELDS, HEADERS, PART_LABELS
from analysis.report.inputs import Methods
from analysis.report.methods import COUNT_LABELS, RATE_NAMES, RULES, WHOLE_SAMPLE, appendix, rate_label, rate_rows
from analysis.report.output import COUNT_NAMES

SHEETS: dict[str, tuple[str, ...]] = {
    "汇总": ("section", "code", "name", "group", "estimate", "ci_low", "ci_high", "target_text", "target_year",
           "status", "warnings"),
    "指标": ("section", "code", "name", "index", "plan", "group", "estimate", "se", "ci_low", "ci_high", "level", "n",
           "df", "cv", "suppressed", "status", "target_op", "target_value", "target_year", "target_tolerance",
           "target_text", "plan_target", "warnings", "reasons", "flags", "notes", "scale", "unit"),
    "分组": ("part", "section", "code", "name", "breakdown", "breakdown_label", "group", "estimate", "se", "ci_low",
           "ci_high", "level", "n", "cv", "suppressed", "status", "notes"),
    "变化": ("section", "code", "name", "breakdown_label", "group", "estimate", "change", "change_se", "change_low",
           "change_high", "change_method", "target_text", "target_year", "projected", "projected_se",
           "projected_low", "projected_high", "warnings", "reasons"),
}
WIDTHS = {"section": 16, "code": 14, "name": 34, "group": 12, "target_text": 14, "warnings": 20, "reasons": 60,
          "notes": 40, "plan_target": 30, "plan": 14, "status": 10, "breakdown_label": 8}
WRAPPED = ("reasons", "notes")  # text of several lines or sentences
FILLS = {"达标": ("#D8F0DF", "#14532D"), "未达标": ("#FBDCDC", "#8B1A1A"), "无法判断": ("#FDEEC8", "#7A4A06"),
         "不适用": ("#ECEEF1", "#3F4650")}
RATE_HEADERS = (("组别", f"{WHOLE_SAMPLE}（首行）或 cunsheng rates --by 的一组"),
                *((f"{COUNT_LABELS[c]}（{c}）", f"AAPOR 类别 {c} 的个案数") for c in COUNT_NAMES),
                *((rate_label(name), f"AAPOR 标准定义的 {name}（0–1）") for name in RATE_NAMES))
METHOD_HEADERS = (("项目", "方法说明的项目"), ("内容", "该项目的内容"))


def report_xlsx(frame: pd.DataFrame, methods: Methods, path: Path) -> Path:
    """Write the workbook to `path` and return it."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    formats = {"head": book.add_format({"bold": True, "bg_color": "#EEF2F0", "border": 1, "text_wrap": True}),
               "number": book.add_format({"num_format": "0.0##"}), "wrap": book.add_format({"text_wrap": True}),
               **{status: book.add_format({"bg_color": bg, "font_color": fg, "bold": True})
                  for status, (bg, fg) in FILLS.items()}}
    parts = {"汇总": frame[frame["part"] == "total"], "指标": frame[frame["part"] == "total"],
             "分组": frame[frame["part"] != "total"], "变化": frame[frame["change"].notna()]}
    for name, columns in SHEETS.items():
        _frame_sheet(book.add_worksheet(name), parts[name], columns, formats)
    _table_sheet(book.add_worksheet("应答率"), [h for h, _ in RATE_HEADERS], _rate_values(methods), formats)
    _table_sheet(book.add_worksheet("方法"), [h for h, _ in METHOD_HEADERS], _method_values(methods), formats,
                 widths=(18, 90))
    _table_sheet(book.add_worksheet("变量说明"), ["工作表", "列", "说明"], _codebook(), formats, widths=(10, 18, 80))
    book.close()
    return path


def _frame_sheet(sheet: Any, rows: pd.DataFrame, columns: Sequence[str], formats: dict[str, Any]) -> None:
    sheet.freeze_panes(1, 0)
    for j, column in enumerate(columns):
        sheet.write_string(0, j, HEADERS[column], formats["head"])
        sheet.set_column(j, j, WIDTHS.get(column, 11))
    for i, row in enumerate(rows.to_dict("records"), start=1):
        for j, column in enumerate(columns):
            _cell(sheet, i, j, column, row[column], formats)


def _cell(sheet: Any, i: int, j: int, column: str, value: Any, formats: dict[str, Any]) -> None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return
    if column == "part":
        sheet.write_string(i, j, PART_LABELS[value])
    elif isinstance(value, bool):
        sheet.write_string(i, j, "是" if value else "否")
    elif isinstance(value, int | float):
        sheet.write_number(i, j, value, formats["number"])
    elif column == "status":
        sheet.write_string(i, j, str(value), formats.get(str(value)))
    else:
        sheet.write_string(i, j, str(value), formats["wrap"] if column in WRAPPED else None)


def _table_sheet(sheet: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]], formats: dict[str, Any],
                 widths: Sequence[int] = ()) -> None:
    sheet.freeze_panes(1, 0)
    sheet.write_row(0, 0, headers, formats["head"])
    for j, width in enumerate(widths):
        sheet.set_column(j, j, width, formats["wrap"])
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(i, j, value)
            elif value is not None:
                sheet.write_string(i, j, str(value))


def _rate_values(methods: Methods) -> list[list[Any]]:
    if methods.rates is None:
        return []
    return [[r["group"], *r["counts"].values(), *r["rates"].values()] for r in rate_rows(methods.rates, methods)]


def _method_values(methods: Methods) -> list[list[Any]]:
    view = appendix(methods)
    rows: list[list[Any]] = [["报告", methods.title], *([label, text] for label, text in view["facts"])]
    if methods.rates is not None and methods.rates.e is not None:
        rows.append(["应答率的 e", methods.rates.e])
    rows += [[f"加权：{s['name']}", s["summary"]] for s in view["weighting"]]
    rows += [[f"问卷：{q['name']}", f"{q['title']}，第 {q['version']} 版，sha256 {q['sha256']}"]
             for q in view["questionnaires"]]
    rows += [["判定规则", rule] for rule in RULES]
    return rows


def _codebook() -> list[list[str]]:
    described = {name: text for name, _, text in FIELDS}
    rows = [[sheet, HEADERS[column], described[column]] for sheet, columns in SHEETS.items() for column in columns]
    rows += [["应答率", header, text] for header, text in RATE_HEADERS]
    rows += [["方法", header, text] for header, text in METHOD_HEADERS]
    return rows
