"""The catalogue of definition errors: every problem `cunsheng check` can report.

Each entry has a stable code, a short English key, and a Chinese message template that names the
fix. The compiler only raises problems from this table (pyxform's ErrorCode idea); it never formats
ad-hoc messages. Must not import anything from the web or database layers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class DefErr(Enum):
    """Definition error codes with their message templates (Chinese first)."""

    YAML_SYNTAX = ("D01", "YAML 语法错误：{detail}。请检查缩进和冒号。")
    SCHEMA = ("D02", "{detail}")
    DUPLICATE_NAME = ("D03", "名称 `{name}` 重复出现（第一次在 {first}）。每个页面、问题和矩阵行的名称必须唯一，请改名。")
    UNKNOWN_REFERENCE = ("D04", "{field} 引用了不存在的问题 `{ref}`{hint}")
    FORWARD_REFERENCE = (
        "D05",
        "{field} 引用了后面才出现的问题 `{ref}`。条件只能引用前面的问题，请调整问题顺序或条件。",
    )
    UNKNOWN_CHOICE_LIST = ("D06", "选项列表 `{ref}` 不存在{hint}（请在 choice_lists 中定义）")
    KIND_CHANGED = (
        "D07",
        "问题 `{name}` 的题型从已发布版本的 `{old}` 改成了 `{new}`。已发布的名称不能改题型，请给新题目起新名称。",
    )
    UNKNOWN_KIND = ("D08", "题型 `{kind}` 不存在{hint}。可用题型：{kinds}")
    EXPRESSION_SYNTAX = ("D09", "{field} 表达式 `{expr}` 无法解析：{detail}")
    UNKNOWN_INDICATOR = (
        "D10",
        "指标 `{ref}` 不在 indicators.csv 中。格式为 \"<规划编号>:<行号>\"，例如 \"001:90\"。",
    )
    BAD_RANGE = ("D11", "{detail}")
    BAD_CHOICE = ("D12", "{detail}")
    UNKNOWN_SPECIAL = ("D13", "特殊代码 `{ref}` 未在 special_codes 中定义{hint}")
    SENSITIVE_NOT_SKIPPABLE = (
        "D14",
        "敏感模块中的问题 `{name}` 必须可以跳过：请设 `required: false` 或提供 `special: [refuse]`。",
    )
    EXPRESSION_TYPE = ("D15", "{field} 中 `{ref}` 的用法与题型 {kind} 不符：{detail}")

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def template(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class Problem:
    """One problem found in a definition file, located at a question (or page)."""

    error: DefErr
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}: {self.where}: " if self.where else f"{self.file}: "
        return f"{place}[{self.error.code} {self.error.name.lower()}] {self.message}"


class DefinitionInvalid(Exception):
    """Raised by the compiler with every problem it found in one file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A Chinese ';did you mean' hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"；是否应为 `{close[0]}`？" if close else ""
