"""The printable HTML report of the pack (Chinese, A4): a summary table of every indicator coloured by
status, the warnings with why, one section per plan domain with its charts and tables by group, the
gaps, and the methods appendix.

`report_html(frame, methods)` turns the pack's frame into a view of ready-made strings (wording.py
writes every number) and renders `templates/report.html` with Jinja2 (autoescaped). The page is
self-contained: CSS inline, charts as inline SVG with glyph outlines, no script and no external
reference, so it reads and prints the same offline. A suppressed cell is "—" with a numbered note;
a note number means the same cell everywhere in the report. Must not estimate or judge anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from analysis.report import wording
from analysis.report.figures import indicator_charts
from analysis.report.frame import WHOLE
from analysis.report.inputs import Definition, Methods
from analysis.report.methods import appendix
from analysis.report.output import Target

TEMPLATES = Path(__file__).parent / "templates"


def report_html(frame: pd.DataFrame, methods: Methods, charts: Mapping[str, str] | None = None) -> str:
    """The report as one self-contained HTML page (`charts`: the frame's, when already drawn)."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    drawn = indicator_charts(frame) if charts is None else charts
    return environment.get_template("report.html").render(report_view(frame, methods, drawn))


def report_view(frame: pd.DataFrame, methods: Methods, charts: Mapping[str, str]) -> dict[str, Any]:
    """What the template shows, every value already written out."""
    records = [{**r, "_position": i} for i, r in enumerate(frame.to_dict("records"))]
    notes = _notes(records)
    totals = [r for r in records if r["part"] == "total"]
    level = float(records[0]["level"]) if records else 0.95
    return {
        "title": methods.title, "methods": methods, "level": f"{level:.0%}",
        "counts": [{"status": s, "mark": wording.STATUS_MARK[s], "cls": wording.STATUS_CLASS[s],
                    "count": sum(r["status"] == s for r in totals)} for s in wording.STATUS_MARK],
        "summary": _grouped([_row(r, notes) for r in totals]),
        "summary_notes": _used(totals, notes),
        "warnings": [{**_row(r, notes), "reasons": r["reasons"].splitlines()} for r in records if r["warnings"]],
        "sections": _sections(records, notes, charts),
        "appendix": appendix(methods),
    }


def _grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows under their plan domain, in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["section"], []).append(row)
    return [{"section": section, "rows": members} for section, members in out.items()]


def _shown(row: Mapping[str, Any]) -> Definition:
    """How a row's numbers are written (its scale and unit)."""
    return Definition(row["code"], row["name"], scale=float(row["scale"]),
                      unit="" if row["scale"] == 100 else str(row["unit"]), decimals=int(row["decimals"]))


def _notes(records: list[dict[str, Any]]) -> dict[int, tuple[int, str]]:
    """row position -> (note number, text) of every suppressed cell, numbered in report order."""
    out: dict[int, tuple[int, str]] = {}
    for r in records:
        if r["suppressed"]:
            why = r["notes"] or "样本不足"
            out[r["_position"]] = (len(out) + 1, f"{r['code']} {r['name']}（{_group(r)}）：{why}")
    return out


def _used(rows: list[dict[str, Any]], notes: Mapping[int, tuple[int, str]]) -> list[tuple[int, str]]:
    return [notes[r["_position"]] for r in rows if r["_position"] in notes]


def _group(r: Mapping[str, Any]) -> str:
    return f"{r['breakdown_label']}：{r['group']}" if r["part"] != "total" else str(r["group"])


def _row(r: Mapping[str, Any], notes: Mapping[int, tuple[int, str]]) -> dict[str, Any]:
    d = _shown(r)
    status = str(r["status"])
    return {
        "code": r["code"], "name": r["name"], "section": r["section"], "group": _group(r),
        "estimate": wording.value_text(_number(r["estimate"]), d),
        "ci": wording.interval_text(_number(r["ci_low"]), _number(r["ci_high"]), d),
        "n": "" if _number(r["n"]) is None else f"{int(r['n'])}", "target": r["target_text"],
        "year": _year(r),
        "status": status, "mark": wording.STATUS_MARK.get(status, ""), "cls": wording.STATUS_CLASS.get(status, "none"),
        "warnings": r["warnings"], "note": notes[r["_position"]][0] if r["_position"] in notes else None,
        "change": _with_se(r["change"], r["change_se"], d),
        "change_ci": wording.interval_text(_number(r["change_low"]), _number(r["change_high"]), d),
        "projected": wording.value_text(_number(r["projected"]), d),
        "projected_ci": wording.interval_text(_number(r["projected_low"]), _number(r["projected_high"]), d),
    }


def _with_se(value: Any, se: Any, d: Definition) -> str:
    """+3.1（3.0）: a difference and its standard error, without the unit (the column header has it)."""
    if _number(value) is None:
        return wording.SUPPRESSED
    return (f"{wording.difference_text(_number(value), d, unit=False)}"
            f"（{wording.difference_text(_number(se), d, signed=False, unit=False)}）")


def _sections(records: list[dict[str, Any]], notes: Mapping[int, tuple[int, str]],
              charts: Mapping[str, str]) -> list[dict[str, Any]]:
    """One section per plan domain, in the frame's order, each with its indicators."""
    sections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in records:
        sections.setdefault(r["section"], {}).setdefault(r["code"], []).append(r)
    return [{"name": name, "number": chinese_number(i + 3),  # 一 and 二 are the summary and the warnings
             "indicators": [_indicator(rows, notes, charts) for rows in codes.values()],
             "notes": _used([r for rows in codes.values() for r in rows], notes)}
            for i, (name, codes) in enumerate(sections.items())]


def _indicator(rows: list[dict[str, Any]], notes: Mapping[int, tuple[int, str]],
               charts: Mapping[str, str]) -> dict[str, Any]:
    first, d = rows[0], _shown(rows[0])
    svg = charts.get(str(first["code"]), "")
    estimates = [r for r in rows if r["part"] != "gap"]
    return {
        "code": first["code"], "name": first["name"], "plan": first["plan"], "plan_target": first["plan_target"],
        "target": wording.target_text(_target(first), d), "year": _year(first),
        "rows": [_row(r, notes) for r in estimates], "unit": wording.difference_unit(d).strip(),
        "has_change": any(_number(r["change"]) is not None for r in estimates),
        "gaps": [{"label": f"{r['breakdown_label']}：{r['group']}",
                  "gap": wording.difference_text(_number(r["estimate"]), d, unit=False),
                  "se": wording.difference_text(_number(r["se"]), d, signed=False, unit=False),
                  "ci": wording.interval_text(_number(r["ci_low"]), _number(r["ci_high"]), d)}
                 for r in rows if r["part"] == "gap"],
        "reasons": [("" if r["part"] == "total" and r["group"] == WHOLE else f"{_group(r)}：") + reason
                    for r in estimates for reason in r["reasons"].splitlines()],
        "flags": sorted({n for r in estimates if not r["suppressed"] for n in str(r["notes"]).split("；") if n}),
        "chart": Markup(svg[svg.index("<svg"):]) if svg else "",  # matplotlib's own SVG, without its XML prolog
    }


def _target(r: Mapping[str, Any]) -> Target:
    return Target(op=r["target_op"], value=_number(r["target_value"]), tolerance=_number(r["target_tolerance"]),
                  year=None if _number(r["target_year"]) is None else int(r["target_year"]))


def _year(r: Mapping[str, Any]) -> str:
    return "" if _number(r["target_year"]) is None else f"{int(r['target_year'])}"


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def chinese_number(n: int) -> str:
    """1 to 99 in Chinese numerals (the report's section numbers: 三、妇女与健康)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones or not head else "")
