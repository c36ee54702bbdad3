"""The report pack's charts: for each indicator, its estimate ± confidence interval in the whole
population and in every group of its breakdowns, against the target line (`chart.interval_chart`).

Drawn from the pack's frame, one SVG per code, text as glyph outlines (no font needed to read them).
A suppressed cell is a '—' row; targets that are not a number (提高, 降低, 定性目标) draw no line.
The axis spans the intervals and the target, so a 9% share with an 8% target is not a dot at the
left edge of 0–100%.
Must not estimate or judge anything.
"""

from __future__ import annotations

import pandas as pd

from analysis.report.chart import Point, interval_chart

TITLE_LENGTH = 26
_LINE_OPS = (">=", ">", "<=", "<", "=", "~")


def indicator_charts(frame: pd.DataFrame) -> dict[str, str]:
    """code -> the SVG text of its chart (the whole population first, then each group)."""
    out = {}
    rows = frame[frame["part"] != "gap"]
    for code, group in rows.groupby("code", sort=False):
        out[str(code)] = _chart(group)
    return out


def _chart(rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    percent = first["scale"] == 100
    share = 100.0 if percent else 1.0  # interval_chart takes shares when it shows percentages
    points = [Point(_label(r), _value(r["estimate"], share), _value(r["ci_low"], share), _value(r["ci_high"], share))
              for r in rows.to_dict("records")]
    target = _value(first["target_value"], share) if first["target_op"] in _LINE_OPS else None
    name = str(first["name"])
    title = name if len(name) <= TITLE_LENGTH else name[: TITLE_LENGTH - 1] + "…"
    return interval_chart(points, title, percent=percent, target=target, level=float(first["level"]),
                          unit="" if percent else str(first["unit"]), whole_axis=False)


def _label(row: dict[str, object]) -> str:
    return f"{row['breakdown_label']}：{row['group']}" if row["part"] == "group" else str(row["group"])


def _value(value: object, share: float) -> float | None:
    return None if value is None or pd.isna(value) else float(value) / share  # type: ignore[arg-type]
