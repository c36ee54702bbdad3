"""The diagnostics of `cunsheng weights` rendered for people: an aligned text table (the default
output), Markdown or HTML (`--report`). Compute first, render after: must not compute weights or
diagnostics, only lay out the rows of `analysis.weighting.diagnostics`.
"""

from __future__ import annotations

from html import escape
from typing import Any

LABELS = {
    "n": "样本量 n",
    "sum_w": "权重和 Σw",
    "min": "最小 min",
    "max": "最大 max",
    "max_min_ratio": "最大/最小 max/min",
    "mean": "均值 mean",
    "cv": "变异系数 CV",
    "deff_kish": "Kish 设计效应 deff",
    "n_eff": "有效样本量 n_eff",
}
MARGIN_KEYS = ["margin", "cell", "target", "achieved", "difference"]
TITLES = ["Weight diagnostics 权重诊断", "Calibration margins 校准边际"]


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def _table(rows: list[dict[str, Any]], keys: list[str], heads: list[str]) -> list[list[str]]:
    return [heads] + [[_fmt(row[k]) for k in keys] for row in rows]


def text(stages: list[dict[str, Any]], margins: list[dict[str, Any]]) -> str:
    """The aligned plain-text tables printed by default (CJK characters count two columns)."""
    lines = [_aligned(_table(stages, ["stage", *LABELS], ["阶段 stage", *LABELS.values()]))]
    if margins:
        heads = ["边际 margin", "类别 cell", "目标 target", "实际 achieved", "差 difference"]
        lines.append(_aligned(_table(margins, MARGIN_KEYS, heads)))
    return "\n\n".join(lines)


def _aligned(table: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def document(stages: list[dict[str, Any]], margins: list[dict[str, Any]], html: bool) -> str:
    """The `--report` file: Markdown, or a small HTML page."""
    tables = [_table(stages, ["stage", *LABELS], ["stage", *LABELS.values()])]
    if margins:
        tables.append(_table(margins, MARGIN_KEYS, MARGIN_KEYS))
    return _html(tables) if html else _markdown(tables)


def _markdown(tables: list[list[list[str]]]) -> str:
    parts = ["# cunsheng weights report"]
    for title, table in zip(TITLES, tables, strict=False):
        body = ["| " + " | ".join(row) + " |" for row in table]
        body.insert(1, "|" + " --- |" * len(table[0]))
        parts.append(f"## {title}\n\n" + "\n".join(body))
    return "\n\n".join(parts) + "\n"


def _html(tables: list[list[list[str]]]) -> str:
    parts = ['<!doctype html><meta charset="utf-8"><title>cunsheng weights</title><h1>cunsheng weights report</h1>']
    for title, table in zip(TITLES, tables, strict=False):
        rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table)
        parts.append(f"<h2>{escape(title)}</h2><table border=1>{rows}</table>")
    return "\n".join(parts) + "\n"
