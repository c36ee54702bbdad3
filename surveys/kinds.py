"""The question-kind table: one row per kind, the single place that says what a kind is.

For each kind: the keys it accepts in a definition, how its answer is stored (Python type and pandas
dtype), the template macro that renders it, how a form post becomes an answer, and how an answer is
checked. Pages, the JSON API and analysis all go through this table (pyxform's question-type
dictionary idea). Pure functions; no rendering, no storage.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from surveys.model import Question

Getlist = Callable[[str], list[str]]
_INT = re.compile(r"^[+-]?\d+$")
_DEC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class AnswerError(ValueError):
    """A form value that cannot be read as an answer; the message is shown next to the field."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _range_msg(q: Question, value: Any) -> str | None:
    unit = q.unit or ""
    if q.min is not None and value < q.min or q.max is not None and value > q.max:
        return f"请填写 {q.min if q.min is not None else ''}–{q.max if q.max is not None else ''}{unit} 之间的数。"
    return None


def _date_bound(bound: Any) -> dt.date | None:
    if bound is None:
        return None
    return dt.date.today() if bound == "today" else dt.date.fromisoformat(str(bound))


# --- reading a form post -------------------------------------------------------------------------


def _first(getlist: Getlist, key: str) -> str:
    values = [v.strip() for v in getlist(key) if v.strip()]
    return values[-1] if values else ""


def _special_in(q: Question, values: list[str]) -> int | None:
    codes = {str(c): c for c in q.special_codes}
    return next((codes[v] for v in values if v in codes), None)


def _form_code(q: Question, getlist: Getlist) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var in q.variables:
        text = _first(getlist, var)
        if not text:
            out[var] = None
        elif not _INT.match(text):
            raise AnswerError("选项无效，请重新选择。")
        else:
            out[var] = int(text)
    return out


def _form_codes(q: Question, getlist: Getlist) -> dict[str, Any]:
    values = [v.strip() for v in getlist(q.name) if v.strip()]
    special = _special_in(q, values)
    if special is not None:
        return {q.name: special}
    if any(not _INT.match(v) for v in values):
        raise AnswerError("选项无效，请重新选择。")
    return {q.name: [int(v) for v in dict.fromkeys(values)] or None}


def _form_number(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    text = _first(getlist, q.name).replace("，", ".").replace("。", ".")
    if not text:
        return {q.name: None}
    if q.kind == "integer":
        if not _INT.match(text):
            raise AnswerError(f"请填写整数，例如 {q.min if q.min is not None else 3}。")
        return {q.name: int(text)}
    if not _DEC.match(text):
        raise AnswerError("请填写数字，例如 7.5。")
    return {q.name: float(text)}


def _form_duration(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    hours, minutes = _first(getlist, q.name + "__h"), _first(getlist, q.name + "__m")
    if not hours and not minutes:
        return {q.name: None}
    if not _INT.match(hours or "0") or not _INT.match(minutes or "0"):
        raise AnswerError("小时和分钟请填写整数。")
    h, m = int(hours or "0"), int(minutes or "0")
    if h < 0 or not 0 <= m <= 59:
        raise AnswerError("分钟请填写 0–59 之间的整数，小时不能为负数。")
    return {q.name: h * 60 + m}


def _form_text(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    return {q.name: _first(getlist, q.name) or None}


def _form_ranking(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    ranked = [_first(getlist, f"{q.name}__{i}") for i in range(1, (q.top or 1) + 1)]
    if any(v and not _INT.match(v) for v in ranked):
        raise AnswerError("选项无效，请重新选择。")
    while ranked and not ranked[-1]:
        ranked.pop()
    if "" in ranked:
        raise AnswerError("请从第 1 位开始依次排序，中间不要留空。")
    return {q.name: [int(v) for v in ranked] or None}


def _form_none(q: Question, getlist: Getlist) -> dict[str, Any]:
    return {}


# --- checking a typed answer ----------------------------------------------------------------------


def _check_code(q: Question, value: Any) -> str | None:
    if not _is_int(value) or value not in {c.code for c in q.choices}:
        return "选项无效，请从列出的选项中选择。"
    return None


def _check_codes(q: Question, value: Any) -> str | None:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        return "请选择列出的选项。"
    codes = {c.code for c in q.choices}
    if any(v not in codes for v in value) or len(set(value)) != len(value):
        return "选项无效，请从列出的选项中选择。"
    exclusive = [v for v in value if v in q.exclusive]
    if exclusive and len(value) > 1:
        return f"“{q.choice_label(exclusive[0])}”不能与其他选项同时选择。"
    if q.max_choices is not None and len(value) > q.max_choices:
        return f"最多选择 {q.max_choices} 项，您选了 {len(value)} 项。"
    if q.min_choices is not None and len(value) < q.min_choices:
        return f"请至少选择 {q.min_choices} 项。"
    return None


def _check_ranking(q: Question, value: Any) -> str | None:
    if not isinstance(value, list) or not value or not all(_is_int(v) for v in value):
        return "请按顺序选择选项。"
    if any(v not in {c.code for c in q.choices} for v in value):
        return "选项无效，请从列出的选项中选择。"
    if len(set(value)) != len(value):
        return "同一选项不能排在两个位置。"
    wanted = min(q.top or 1, len(q.choices))
    if len(value) > wanted:
        return f"最多排出前 {wanted} 位。"
    if q.required and len(value) < wanted:
        return f"请排出前 {wanted} 位。"
    return None


def _check_integer(q: Question, value: Any) -> str | None:
    return _range_msg(q, value) if _is_int(value) else "请填写整数。"


def _check_decimal(q: Question, value: Any) -> str | None:
    if not (_is_int(value) or isinstance(value, float)) or value != value:
        return "请填写数字。"
    if round(float(value), q.decimals) != float(value):
        return f"最多保留 {q.decimals} 位小数。"
    return _range_msg(q, value)


def _check_duration(q: Question, value: Any) -> str | None:
    if not _is_int(value) or value < 0:
        return "请填写时长（小时和分钟）。"
    limit = q.max if q.max is not None else 1440
    if value > limit:
        return f"时长不能超过 {limit // 60} 小时 {limit % 60} 分钟。"
    return None


def _check_date(q: Question, value: Any) -> str | None:
    try:
        day = dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return "请按“年-月-日”填写日期，例如 2024-05-01。"
    low, high = _date_bound(q.min), _date_bound(q.max)
    if low and day < low or high and day > high:
        return f"日期应在 {low or ''} 至 {high or ''} 之间。"
    return None


def _check_text(q: Question, value: Any) -> str | None:
    if not isinstance(value, str):
        return "请填写文字。"
    if len(value) > q.max_length:
        return f"最多 {q.max_length} 个字，现在是 {len(value)} 个字。"
    return None


@dataclass(frozen=True)
class Kind:
    """One row of the kind table."""

    name: str
    keys: frozenset[str]
    dtype: str | None
    macro: str
    from_form: Callable[[Question, Getlist], dict[str, Any]]
    check: Callable[[Question, Any], str | None]


def _k(name: str, keys: str, dtype: str | None, macro: str, form: Any, check: Any) -> Kind:
    return Kind(name, frozenset(keys.split()), dtype, macro, form, check)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        _k("single", "choices", "Int64", "choice", _form_code, _check_code),
        _k("multiple", "choices exclusive min_choices max_choices", "object", "choice", _form_codes, _check_codes),
        _k("matrix", "choices rows", "Int64", "matrix", _form_code, _check_code),
        _k("integer", "min max unit", "Int64", "number", _form_number, _check_integer),
        _k("decimal", "min max unit decimals", "Float64", "number", _form_number, _check_decimal),
        _k("duration", "max", "Int64", "duration", _form_duration, _check_duration),
        _k("date", "min max", "string", "date", _form_text, _check_date),
        _k("text", "max_length", "string", "text", _form_text, _check_text),
        _k("ranking", "choices top", "object", "ranking", _form_ranking, _check_ranking),
        _k("note", "", None, "note", _form_none, lambda q, v: None),
    )
}


def to_form(q: Question, answers: dict[str, Any]) -> dict[str, list[str]]:
    """A stored answer as the form values that would have produced it (to refill a page)."""
    out: dict[str, list[str]] = {}
    for var in q.variables:
        value = answers.get(var)
        if value is None:
            continue
        if isinstance(value, int) and value in q.special_codes:
            out[var] = [str(value)]
        elif q.kind == "duration":
            out[var + "__h"], out[var + "__m"] = [str(value // 60)], [str(value % 60)]
        elif q.kind == "ranking":
            out.update({f"{var}__{i}": [str(v)] for i, v in enumerate(value, start=1)})
        elif isinstance(value, list):
            out[var] = [str(v) for v in value]
        elif isinstance(value, float):
            out[var] = [f"{value:g}"]
        else:
            out[var] = [str(value)]
    return out
