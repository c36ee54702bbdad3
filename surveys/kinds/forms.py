"""Form posts and answers, per kind: how posted form values become a typed answer, and back.

Part of the kind table (`surveys.kinds`); the table names these functions. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from surveys.errors import AnswerErr, invalid
from surveys.model import Question

Getlist = Callable[[str], list[str]]
Form = dict[str, list[str]]
# Bounded lengths: a 5,000-digit "number" is not an answer (and int() refuses over 4,300 digits).
_INT = re.compile(r"^[+-]?\d{1,15}$")
_DEC = re.compile(r"^[+-]?(\d{1,15}(\.\d{0,12})?|\.\d{1,12})$")


class AnswerError(ValueError):
    """A form value that cannot be read as an answer; carries the `Invalid` shown next to the field."""

    def __init__(self, entry: AnswerErr, **params: Any):
        self.invalid = invalid(entry, **params)
        super().__init__(self.invalid.message)


# --- reading a form post -------------------------------------------------------------------------


def _first(getlist: Getlist, key: str) -> str:
    values = [v.strip() for v in getlist(key) if v.strip()]
    return values[-1] if values else ""


def _special_in(q: Question, values: list[str]) -> int | None:
    codes = {str(c): c for c in q.special_codes}
    return next((codes[v] for v in values if v in codes), None)


def form_code(q: Question, getlist: Getlist) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var in q.variables:
        text = _first(getlist, var)
        if text and not _INT.match(text):
            raise AnswerError(AnswerErr.FORM_CHOICE)
        out[var] = int(text) if text else None
    return out


def form_codes(q: Question, getlist: Getlist) -> dict[str, Any]:
    values = [v.strip() for v in getlist(q.name) if v.strip()]
    special = _special_in(q, values)
    if special is not None:
        return {q.name: special}
    if any(not _INT.match(v) for v in values):
        raise AnswerError(AnswerErr.FORM_CHOICE)
    return {q.name: [int(v) for v in dict.fromkeys(values)] or None}


def _text_or_special(q: Question, getlist: Getlist) -> tuple[int | None, str]:
    special = _special_in(q, getlist(q.name))
    return special, "" if special is not None else _first(getlist, q.name).replace("，", ".").replace("。", ".")


def form_integer(q: Question, getlist: Getlist) -> dict[str, Any]:
    special, text = _text_or_special(q, getlist)
    if special is not None or not text:
        return {q.name: special}
    if not _INT.match(text):
        raise AnswerError(AnswerErr.FORM_INTEGER, example=q.min if q.min is not None else 3)
    return {q.name: int(text)}


def form_decimal(q: Question, getlist: Getlist) -> dict[str, Any]:
    special, text = _text_or_special(q, getlist)
    if special is not None or not text:
        return {q.name: special}
    if not _DEC.match(text):
        raise AnswerError(AnswerErr.FORM_NUMBER)
    return {q.name: float(text)}


def form_duration(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    hours, minutes = _first(getlist, q.name + "__h"), _first(getlist, q.name + "__m")
    if not hours and not minutes:
        return {q.name: None}
    if not _INT.match(hours or "0") or not _INT.match(minutes or "0"):
        raise AnswerError(AnswerErr.FORM_DURATION)
    h, m = int(hours or "0"), int(minutes or "0")
    if h < 0 or not 0 <= m <= 59:
        raise AnswerError(AnswerErr.FORM_MINUTES)
    return {q.name: h * 60 + m}


def form_text(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    return {q.name: _first(getlist, q.name) or None}


def form_ranking(q: Question, getlist: Getlist) -> dict[str, Any]:
    special = _special_in(q, getlist(q.name))
    if special is not None:
        return {q.name: special}
    ranked = [_first(getlist, f"{q.name}__{i}") for i in range(1, (q.top or 1) + 1)]
    if any(v and not _INT.match(v) for v in ranked):
        raise AnswerError(AnswerErr.FORM_CHOICE)
    while ranked and not ranked[-1]:
        ranked.pop()
    if "" in ranked:
        raise AnswerError(AnswerErr.FORM_RANK_GAP)
    return {q.name: [int(v) for v in ranked] or None}


def form_none(q: Question, getlist: Getlist) -> dict[str, Any]:
    return {}


# --- a stored answer back into form values (to refill a page) ------------------------------------


def plain_form(var: str, value: Any) -> Form:
    if isinstance(value, list):
        return {var: [str(v) for v in value]}
    return {var: [f"{value:g}" if isinstance(value, float) else str(value)]}


def duration_form(var: str, value: Any) -> Form:
    return {var + "__h": [str(value // 60)], var + "__m": [str(value % 60)]}


def ranking_form(var: str, value: Any) -> Form:
    return {f"{var}__{i}": [str(v)] for i, v in enumerate(value, start=1)}
