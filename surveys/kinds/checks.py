"""Checks, per kind: is a typed answer valid for its question, are a definition's bounds sound.

Part of the kind table (`surveys.kinds`); the table names these functions. Invalid answers are
returned as data (`Invalid`), never raised. Pure functions.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from surveys.errors import AnswerErr, DefErr, Invalid, invalid
from surveys.model import Question
from surveys.payload import storable


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _range(q: Question, value: Any) -> Invalid | None:
    if q.min is not None and value < q.min or q.max is not None and value > q.max:
        return invalid(AnswerErr.OUT_OF_RANGE, min=q.min if q.min is not None else "",
                       max=q.max if q.max is not None else "", unit=q.unit or "")
    return None


# A day is written YYYY-MM-DD in ASCII digits, nothing else: `date.fromisoformat` alone also takes week
# dates and, on Python 3.11, ten characters with trailing junk ("20240101ab"), which the browser's
# engine could not agree with and no export should carry.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_day(text: Any) -> dt.date | None:
    """The day `text` names as YYYY-MM-DD, or None."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _date_bound(bound: Any) -> dt.date | None:
    if bound is None:
        return None
    return dt.date.today() if bound == "today" else iso_day(bound)


# --- checking a typed answer ----------------------------------------------------------------------


def check_code(q: Question, value: Any) -> Invalid | None:
    if not _is_int(value) or value not in q.choice_codes:
        return invalid(AnswerErr.NOT_A_CHOICE)
    return None


def check_codes(q: Question, value: Any) -> Invalid | None:
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        return invalid(AnswerErr.NOT_CHOICES)
    codes = q.choice_codes
    if any(v not in codes for v in value) or len(set(value)) != len(value):
        return invalid(AnswerErr.NOT_A_CHOICE)
    exclusive = [v for v in value if v in q.exclusive]
    if exclusive and len(value) > 1:
        return invalid(AnswerErr.EXCLUSIVE, label=q.choice_label(exclusive[0]))
    if q.max_choices is not None and len(value) > q.max_choices:
        return invalid(AnswerErr.TOO_MANY, max=q.max_choices, count=len(value))
    if q.min_choices is not None and len(value) < q.min_choices:
        return invalid(AnswerErr.TOO_FEW, min=q.min_choices)
    return None


def check_ranking(q: Question, value: Any) -> Invalid | None:
    if not isinstance(value, list) or not value or not all(_is_int(v) for v in value):
        return invalid(AnswerErr.NOT_RANKING)
    if any(v not in {c.code for c in q.choices} for v in value):
        return invalid(AnswerErr.NOT_A_CHOICE)
    if len(set(value)) != len(value):
        return invalid(AnswerErr.RANK_REPEATED)
    wanted = min(q.top or 1, len(q.choices))
    if len(value) > wanted:
        return invalid(AnswerErr.RANK_TOO_MANY, top=wanted)
    if q.required and len(value) < wanted:
        return invalid(AnswerErr.RANK_TOO_FEW, top=wanted)
    return None


def check_integer(q: Question, value: Any) -> Invalid | None:
    return _range(q, value) if _is_int(value) else invalid(AnswerErr.NOT_INTEGER)


def check_decimal(q: Question, value: Any) -> Invalid | None:
    if not (_is_int(value) or isinstance(value, float)) or value != value:
        return invalid(AnswerErr.NOT_NUMBER)
    if round(float(value), q.decimals) != float(value):
        return invalid(AnswerErr.DECIMALS, decimals=q.decimals)
    return _range(q, value)


def check_duration(q: Question, value: Any) -> Invalid | None:
    if not _is_int(value) or value < 0:
        return invalid(AnswerErr.NOT_DURATION)
    limit = q.max if q.max is not None else 1440
    if value > limit:
        return invalid(AnswerErr.DURATION_TOO_LONG, hours=limit // 60, minutes=limit % 60)
    return None


def check_date(q: Question, value: Any) -> Invalid | None:
    day = iso_day(value)
    if day is None:
        return invalid(AnswerErr.NOT_DATE)
    low, high = _date_bound(q.min), _date_bound(q.max)
    if low and day < low or high and day > high:
        return invalid(AnswerErr.DATE_RANGE, low=low or "", high=high or "")
    return None


def check_text(q: Question, value: Any) -> Invalid | None:
    if not isinstance(value, str):
        return invalid(AnswerErr.NOT_TEXT)
    if not storable(value):
        return invalid(AnswerErr.BAD_CHARACTERS)
    if len(value) > q.max_length:
        return invalid(AnswerErr.TEXT_TOO_LONG, max=q.max_length, count=len(value))
    return None


# --- checking a definition's bounds (min/max) -----------------------------------------------------

BoundProblems = list[tuple[DefErr, dict[str, Any]]]


def date_bounds(low: Any, high: Any) -> BoundProblems:
    return [(DefErr.BAD_DATE_BOUND, {"key": key, "value": value}) for key, value in (("min", low), ("max", high))
            if value is not None and value != "today" and iso_day(value) is None]


def number_bounds(low: Any, high: Any) -> BoundProblems:
    out: BoundProblems = [(DefErr.BOUND_NOT_NUMBER, {"key": key}) for key, value in (("min", low), ("max", high))
                          if isinstance(value, str)]
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        out.append((DefErr.MIN_ABOVE_MAX, {"min": low, "max": high}))
    return out


def no_bounds(low: Any, high: Any) -> BoundProblems:
    return []
