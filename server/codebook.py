"""The codebook and the 说明 sheet of an export (server.exports): variables with their labels and types,
and what the file holds (questionnaire versions, filters, wave, free text or not, conventions).
Builds rows and text only; writes no file.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from server.render import BEIJING
from surveys.frame import META_VALUES
from surveys.kinds import Column

if TYPE_CHECKING:
    from server.exports import Job

OUTCOMES = {"complete": "答完", "ended": "按问卷规则提前结束"}


def value_labels(c: Column) -> dict[Any, str]:
    """A column's value labels: its question's, or the metadata column's."""
    return dict(c.values) if c.values else dict(META_VALUES.get(c.name, ()))


_TYPES = {"Int64": "整数", "Float64": "小数", "string": "文字"}


def _type_of(c: Column) -> str:
    return "时间（UTC）" if c.dtype.startswith("datetime") else _TYPES.get(c.dtype, c.dtype)


def codebook(job: Job) -> list[list[str]]:
    """The codebook's rows (header first): variable, label, English label, type, value labels, question."""
    rows = [["变量名", "变量标签", "英文标签", "类型", "值标签", "所属问题", "自由文本"]]
    for c in job.out.columns:
        values = "；".join(f"{code}={label}" for code, label in value_labels(c).items())
        rows.append([c.name, c.label, c.label_en or "", _type_of(c), values, c.question, "是" if c.free_text else ""])
    return rows


def notes(job: Job, rows: int | None) -> list[list[str]]:
    """The 说明 sheet: questionnaire and versions, filters, export time (Beijing), rows, free text or not."""
    left_out = [c.name for c in job.frame.columns if c.free_text]
    unit = f"{job.filters.under} {job.unit_name}".strip() if job.filters.under else "全部（导出人有权查看的范围）"
    dates = f"{job.since or '不限'} 至 {job.until or '不限'}（北京时间，按收到时间）"
    free = ("包含：这些列可能含姓名等个人信息，请妥善保管、不要外传：" + "、".join(left_out)) if job.free_text else \
        ("不包含（为保护隐私已去掉文字题：" + "、".join(left_out) + "）" if left_out else "本问卷没有文字题")
    out = [["项目", "内容"], ["问卷", f"{job.frame.survey}（{job.frame.title}）"],
           ["问卷版本", "、".join(f"第 {v} 版" for v in job.frame.versions)], ["单位", unit], ["收到日期", dates],
           ["结果", OUTCOMES.get(job.filters.outcome or "", "全部（答完和提前结束）")],
           ["导出时间（北京时间）", job.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")],
           ["自由文本", free], ["数值", "值标签（文字）" if job.labels else "代码（含义见“变量说明”）"],
           ["约定", "特殊代码（如 -8 不知道、-9 不愿回答）保留为代码；时间列为 UTC；不含草稿、恢复码、IP 地址或设备信息。"]]
    if rows is not None:
        out.insert(7, ["答卷数", str(rows)])
    if job.wave_id is not None:
        out[4] = ["调查轮次", f"{job.wave}（编号 {job.wave_id}）：通过审核或待审核、完成访问的受访者，按入样概率加权并经"
                  "无应答调整和人口结构校准；被拒绝的答卷和练习个案不在其中（它们在普通导出里，带复核状态）"]
        out.append(["抽样设计", "用 cunsheng estimate 或 R survey 估计时：层 stratum、初级抽样单位 psu、权数 weight，第一阶段"
                    "按有放回处理（不用 fpc）；设计文件 design.json 在调查轮次页下载。fpc1–fpc3 为各阶段的总体单位数，仅供记录。"])
    return out


def codebook_html(job: Job) -> bytes:
    """The codebook alone as one HTML page (for a file named *.html)."""
    def table(rows: list[list[str]]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in rows[1:])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    title = html.escape(f"{job.frame.title} 变量说明")
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{title}</title>'
            "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style>"
            f"<h1>{title}</h1>{table(codebook(job))}<h2>说明</h2>{table(notes(job, None))}</html>").encode()
