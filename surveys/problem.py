"""The one problem type of cunsheng: every room raises `Problem` with an entry of its own catalogue.

A catalogue is an `Enum` subclass of `Catalogue`; each member is
`(code, status, Chinese template[, English template])`. `code` is stable (tests assert on it, clients
branch on it); `status` is the HTTP status for the web and the exit status for the command line; the
Chinese template is what a person reads, the English one is for logs and the CLI's second half.
Templates are filled from keyword parameters, which also become the problem's `details` unless
details are given. The catalogues: `surveys.errors.DefErr` (definitions), `server.errors.P`
(requests), `analysis.errors.E` (estimation and weighting). ODK Central's numbered Problems are the
model. This module lives in `surveys/` because `surveys` imports nothing of ours, so every room can
import it; it must stay free of any room's knowledge.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


class Catalogue(Enum):
    """Base of every catalogue of problem codes: members are (code, status, zh[, en])."""

    def __init__(self, code: str, status: int, zh: str, en: str | None = None) -> None:
        self.code = code
        self.status = status
        self.zh = zh
        self.en = en


def one_line(text: str) -> str:
    """A message on one line: runs of whitespace (line breaks from data included) become one space."""
    return " ".join(text.split())


class Problem(Exception):
    """A problem a user sees: a catalogue entry filled with its parameters, plus machine-readable details."""

    def __init__(self, entry: Catalogue, details: Mapping[str, Any] | None = None, **params: Any) -> None:
        self.entry = entry
        self.params = params
        self.details: dict[str, Any] = dict(details) if details is not None else {
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in params.items()
        }
        self.message = one_line(entry.zh.format(**params))
        self.message_en = one_line(entry.en.format(**params)) if entry.en else None
        super().__init__(self.message_en or self.message)

    @property
    def code(self) -> str:
        return self.entry.code

    @property
    def status(self) -> int:
        return self.entry.status

    def body(self) -> dict[str, Any]:
        """The JSON form every API answers with: `{code, message, details}`."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def line(self) -> str:
        """The one line a command prints: the code, the Chinese message and, when there is one, the English."""
        english = f" / {self.message_en}" if self.message_en else ""
        return f"[{self.code}] {self.message}{english}"


# Pydantic's error types in Chinese, for every room that validates input with pydantic (API bodies,
# definition files, analysis specs). `{...}` fields come from the error's `ctx`.
_PYDANTIC_ZH = {
    "missing": "缺少这一项",
    "extra_forbidden": "不允许有这一项",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "uuid_type": "应为 UUID，例如 9b2c7e0a-3f1d-4c5e-8a6b-1d2e3f4a5b6c",
    "uuid_parsing": "应为 UUID，例如 9b2c7e0a-3f1d-4c5e-8a6b-1d2e3f4a5b6c",
    "datetime_type": "应为 ISO 8601 时间，例如 2024-05-01T10:00:00+08:00",
    "datetime_parsing": "应为 ISO 8601 时间，例如 2024-05-01T10:00:00+08:00",
    "datetime_from_date_parsing": "应为 ISO 8601 时间，例如 2024-05-01T10:00:00+08:00",
    "timezone_aware": "时间必须带时区，例如 2024-05-01T10:00:00+08:00",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "string_pattern_mismatch": "格式不符",
    "string_too_long": "最长 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "json_invalid": "不是有效的 JSON",
}


def validation_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a Chinese phrase."""
    kind = str(error.get("type"))
    if kind.startswith("cunsheng."):  # our own validators write their message in Chinese
        return str(error.get("msg"))
    template = _PYDANTIC_ZH.get(kind, "值无效")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template


def validation_details(errors: Any) -> dict[str, str]:
    """Pydantic errors as {dotted path: Chinese phrase}; the path names the key at fault."""
    return {".".join(str(p) for p in e["loc"]) or "body": validation_message(e) for e in errors}
