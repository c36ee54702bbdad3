"""Say a compiled condition in plain Chinese, for the people who read it without JavaScript.

A question whose `show_if` reads an answer on the same page is shown to a respondent with JavaScript
off together with a note saying when to answer it ("如果“您目前有工作吗？”选了“有”，请回答本题").
The note is written from the condition itself and the labels of the questions and choices it reads,
so it cannot drift from the skip logic. What cannot be said simply falls back to a generic sentence.
Pure: no storage, no HTML.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from surveys.expr import Condition
from surveys.kinds import COMPARE, COUNT, KINDS, ROW_KIND, Kind
from surveys.model import Question, Survey

GENERIC = "如果前面的回答符合条件，请回答下面这题；否则可以不答。"
_LABEL_CHARS = 30
_OPS: dict[type, tuple[Callable[[int, int], bool], str]] = {
    ast.Eq: (operator.eq, "填的是 {n}{unit}"),
    ast.NotEq: (operator.ne, "填的不是 {n}{unit}"),
    ast.Gt: (operator.gt, "填的数大于 {n}{unit}"),
    ast.GtE: (operator.ge, "填的是 {n}{unit}或以上"),
    ast.Lt: (operator.lt, "填的数小于 {n}{unit}"),
    ast.LtE: (operator.le, "填的是 {n}{unit}或以下"),
}
_COUNTS = {
    ast.Eq: "选了 {n} 项", ast.NotEq: "选的不是 {n} 项", ast.Gt: "选了多于 {n} 项", ast.GtE: "至少选了 {n} 项",
    ast.Lt: "选了少于 {n} 项", ast.LtE: "最多选了 {n} 项",
}
_FLIP = {ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


class _Unsayable(Exception):
    """A part of the condition this module does not put into words."""


def when_to_answer(survey: Survey, condition: Condition) -> str:
    """The note shown above a conditional question with JavaScript off."""
    text = describe(survey, condition)
    return GENERIC if text is None else f"如果{text}，请回答本题；否则可以不答。"


def describe(survey: Survey, condition: Condition) -> str | None:
    """The condition in Chinese (without "如果"), or None when it cannot be said simply."""
    try:
        return _say(survey, ast.parse(condition.source.strip(), mode="eval").body, top=True)
    except (_Unsayable, SyntaxError):
        return None


def _say(survey: Survey, node: ast.AST, top: bool = False) -> str:
    if isinstance(node, ast.BoolOp):
        joint = "，并且" if isinstance(node.op, ast.And) else "，或者"
        text = joint.join(_say(survey, v) for v in node.values)
        return text if top else f"（{text}）"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = node.operand
        if isinstance(inner, ast.Call) and _func(inner) == "answered":
            return f"没有回答{_quoted(_question(survey, inner.args[0]), inner.args[0])}"
        raise _Unsayable
    if isinstance(node, ast.Compare):
        return "，并且".join(_compare(survey, left, op, right)
                           for left, op, right in zip([node.left, *node.comparators[:-1]], node.ops,
                                                      node.comparators, strict=True))
    if isinstance(node, ast.Call):
        return _call(survey, node)
    raise _Unsayable


def _func(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None


def _question(survey: Survey, node: ast.AST) -> Question:
    if not isinstance(node, ast.Name) or (q := survey.question_of(node.id)) is None:
        raise _Unsayable
    return q


def _kind(q: Question, node: ast.AST) -> Kind:
    """How a condition reads the variable: a matrix row like a single choice."""
    assert isinstance(node, ast.Name)
    return ROW_KIND if node.id != q.name else KINDS[q.kind]


def _label(q: Question, var: str) -> str:
    label = next((r.label for r in q.rows if r.name == var), q.label)
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _quoted(q: Question, node: ast.AST) -> str:
    assert isinstance(node, ast.Name)
    return f"“{_label(q, node.id)}”"


def _number(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(node.operand)
    raise _Unsayable


def _choices(q: Question, codes: list[int], negated: bool = False) -> str:
    if not codes:
        raise _Unsayable
    labels = [f"“{q.choice_label(c)}”" for c in codes]
    listed = labels[0] if len(labels) == 1 else "、".join(labels[:-1]) + "或" + labels[-1]
    return ("没有选" if negated else "选了") + listed


def _compare(survey: Survey, left: ast.AST, op: ast.cmpop, right: ast.AST) -> str:
    if not isinstance(left, ast.Name | ast.Call):  # 5 < x reads as x > 5
        left, right, op = right, left, _FLIP[type(op)]()
    value = _number(right)
    test, phrase = _OPS[type(op)]
    if isinstance(left, ast.Call):
        if _func(left) != "count" or not isinstance(value, int):
            raise _Unsayable
        return _quoted(_question(survey, left.args[0]), left.args[0]) + _COUNTS[type(op)].format(n=value)
    q = _question(survey, left)
    kind = _kind(q, left)
    if COMPARE not in kind.uses:
        raise _Unsayable
    if q.choices:
        if isinstance(op, ast.NotEq):
            return _quoted(q, left) + _choices(q, [int(value)], negated=True)
        return _quoted(q, left) + _choices(q, [c.code for c in q.choices if test(c.code, value)])  # type: ignore[arg-type]
    unit = q.unit or kind.unit
    return _quoted(q, left) + phrase.format(n=value, unit=f" {unit}" if unit else "")


def _call(survey: Survey, node: ast.Call) -> str:
    func = _func(node)
    q = _question(survey, node.args[0])
    name = _quoted(q, node.args[0])
    if func == "answered":
        return f"回答了{name}"
    if func == "selected":
        codes = [int(_number(a)) for a in node.args[1:]]
        text = name + _choices(q, codes)
        several = COUNT in _kind(q, node.args[0]).uses  # more than one may be chosen
        return text + ("中的任一项" if several and len(codes) > 1 else "")
    raise _Unsayable
