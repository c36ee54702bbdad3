"""Conditions (`show_if`, `end_if`, constraint `check`): parsed with Python's own `ast`, compiled to closures.

Only a small, safe subset is accepted: comparisons, and/or/not, constants, question names and the
functions `selected`, `answered`, `count`. A comparison involving an unanswered, hidden or special
("don't know"/"refuse") answer is false. Nothing here knows about questions' kinds: the compiler
checks references and types using `Condition.uses`.

The one parse also yields the condition's JSON syntax tree (`Condition.tree`), which the definition
served to field devices carries next to the text and the browser's engine (static/field/engine.js)
evaluates; docs/questionnaire_format.md describes its nodes, tests/conformance/cases.json holds both
engines to the same answers.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveys.errors import ExprErr, ExpressionError

FUNCTIONS = ("selected", "answered", "count")
_FUNCTION_LIST = ", ".join(f"{f}()" for f in FUNCTIONS)
# The comparison operators: their spelling in the syntax tree and what they do.
COMPARISONS: dict[type, tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
# The syntax tree's node tags: and/or (a list), not (a node), cmp (ops and args), q (a question's
# ordinary answer), v (a constant), fn (a function of a question).
NODES = ("and", "or", "not", "cmp", "q", "v", "fn")
Node = dict[str, Any]


@dataclass(frozen=True)
class Env:
    """What a condition sees: the answers so far and which codes are special per variable."""

    answers: Mapping[str, Any]
    specials: Mapping[str, frozenset[int]]

    def raw(self, name: str) -> Any:
        return self.answers.get(name)

    def ordinary(self, name: str) -> Any:
        """The answer, or None when it is missing or a special code."""
        value = self.answers.get(name)
        if value is None or value == [] or value == "":
            return None
        if isinstance(value, int) and value in self.specials.get(name, frozenset()):
            return None
        return value


Fn = Callable[[Env], Any]
Built = tuple[Fn, Node]  # a closure and the syntax tree of the same node


@dataclass(frozen=True)
class Condition:
    """A compiled condition; `uses` lists (how, name) for every question it reads; `tree` is its
    JSON syntax tree (plain dicts and lists)."""

    source: str
    uses: tuple[tuple[str, str], ...]
    fn: Fn
    tree: Node = field(compare=False)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for _, name in self.uses)

    def __call__(self, env: Env) -> bool:
        try:
            return bool(self.fn(env))
        except TypeError:
            return False


def compile_condition(text: str) -> Condition:
    """Parse and compile a condition, or raise ExpressionError."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(ExprErr.SYNTAX, reason=exc.msg) from None
    uses: list[tuple[str, str]] = []
    fn, node = _build(tree.body, uses)
    return Condition(source=str(text), uses=tuple(uses), fn=fn, tree=node)


def _build(node: ast.AST, uses: list[tuple[str, str]]) -> Built:
    if isinstance(node, ast.BoolOp):
        built = [_build(v, uses) for v in node.values]
        parts = [fn for fn, _ in built]
        trees = [t for _, t in built]
        if isinstance(node.op, ast.And):
            return (lambda env: all(p(env) for p in parts)), {"and": trees}
        return (lambda env: any(p(env) for p in parts)), {"or": trees}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner, tree = _build(node.operand, uses)
        return (lambda env: not inner(env)), {"not": tree}
    if isinstance(node, ast.Compare):
        return _build_compare(node, uses)
    if isinstance(node, ast.Call):
        return _build_call(node, uses)
    if isinstance(node, ast.Name):
        uses.append(("compare", node.id))
        name = node.id
        return (lambda env: env.ordinary(name)), {"q": name}
    if isinstance(node, ast.Constant) and _constant(node.value):
        value = node.value
        return (lambda env: value), {"v": value}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        operand = node.operand.value
        if isinstance(operand, int | float) and _constant(operand):
            negative = -operand
            return (lambda env: negative), {"v": negative}
    raise ExpressionError(ExprErr.UNSUPPORTED, text=ast.unparse(node), functions=_FUNCTION_LIST)


def _constant(value: Any) -> bool:
    """A constant a condition may hold: a text, an integer or a finite number (the tree is JSON)."""
    return isinstance(value, str | int) or isinstance(value, float) and math.isfinite(value)


def _build_compare(node: ast.Compare, uses: list[tuple[str, str]]) -> Built:
    built = [_build(node.left, uses)] + [_build(c, uses) for c in node.comparators]
    operands = [fn for fn, _ in built]
    ops, symbols = [], []
    for op in node.ops:
        if type(op) not in COMPARISONS:
            raise ExpressionError(ExprErr.OPERATOR, text=ast.unparse(node))
        symbol, fn = COMPARISONS[type(op)]
        symbols.append(symbol)
        ops.append(fn)

    def compare(env: Env) -> bool:
        values = [o(env) for o in operands]
        if any(v is None for v in values):
            return False
        return all(op(a, b) for op, a, b in zip(ops, values, values[1:], strict=False))

    return compare, {"cmp": symbols, "args": [t for _, t in built]}


def _build_call(node: ast.Call, uses: list[tuple[str, str]]) -> Built:
    func = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
    if func not in FUNCTIONS:
        raise ExpressionError(ExprErr.UNKNOWN_FUNCTION, func=func, functions=_FUNCTION_LIST)
    if node.keywords or not node.args or not isinstance(node.args[0], ast.Name):
        raise ExpressionError(ExprErr.FIRST_ARGUMENT, func=func)
    name = node.args[0].id
    uses.append((func, name))
    tree: Node = {"fn": func, "q": name}
    if func == "answered":
        if len(node.args) != 1:
            raise ExpressionError(ExprErr.ONE_ARGUMENT, func=func)
        return (lambda env: env.raw(name) not in (None, "", [])), tree
    if func == "count":
        if len(node.args) != 1:
            raise ExpressionError(ExprErr.ONE_ARGUMENT, func=func)
        return (lambda env: len(v) if isinstance(v := env.ordinary(name), list) else (0 if v is None else 1)), tree
    codes = []
    for arg in node.args[1:]:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, int)):
            raise ExpressionError(ExprErr.CODE_NOT_INTEGER)
        codes.append(arg.value)
    if not codes:
        raise ExpressionError(ExprErr.NO_CODE)
    wanted = frozenset(codes)

    def selected(env: Env) -> bool:
        value = env.raw(name)
        chosen = value if isinstance(value, list) else [value]
        return any(c in wanted for c in chosen)

    return selected, {**tree, "codes": codes}
