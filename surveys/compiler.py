"""Compile a YAML definition into a `Survey`, reporting every problem from the error catalogue.

Order of work: YAML syntax -> structure (pydantic) -> names -> kinds and keys -> choices and codes ->
ranges -> indicators -> conditions (syntax, references, order, types) -> sensitive modules ->
kinds of names already published. Must not touch storage or rendering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from surveys import indicators
from surveys.errors import DefErr, DefinitionInvalid, Problem, did_you_mean
from surveys.expr import Condition, ExpressionError, compile_condition
from surveys.kinds import KINDS
from surveys.model import Choice, Constraint, Page, Question, Row, Special, Survey
from surveys.schema import RawPage, RawQuestion, RawSurvey

CHOICE_KINDS = {"single", "multiple", "matrix", "ranking"}
_KIND_KEYS = set().union(*(k.keys for k in KINDS.values()))
_SELECTABLE = {"single", "multiple", "ranking", "matrix"}


@dataclass
class _Ctx:
    file: str
    raw: RawSurvey
    problems: list[Problem] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)
    kind_of: dict[str, str] = field(default_factory=dict)

    def add(self, err: DefErr, where: str, **kw: Any) -> None:
        self.problems.append(Problem(err, self.file, where, err.template.format(**kw)))


def compile_file(path: str | Path, published: Iterable[Survey] = ()) -> Survey:
    """Compile one definition file; raise DefinitionInvalid listing every problem."""
    path = Path(path)
    return compile_text(path.read_bytes(), path.name, published)


def compile_text(data: bytes, file: str, published: Iterable[Survey] = ()) -> Survey:
    """Compile definition bytes (named `file` in messages) against earlier published versions."""
    text = data.decode("utf-8-sig")
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        detail = getattr(exc, "problem", None) or str(exc)
        raise DefinitionInvalid([Problem(DefErr.YAML_SYNTAX, file, where, DefErr.YAML_SYNTAX.template.format(
            detail=detail))]) from None
    try:
        raw = RawSurvey.model_validate(loaded if isinstance(loaded, dict) else {})
    except ValidationError as exc:
        raise DefinitionInvalid([_schema_problem(file, loaded, e) for e in exc.errors()]) from None
    ctx = _Ctx(file, raw)
    _check_names(ctx)
    pages = tuple(_compile_page(ctx, p) for p in raw.pages)
    if ctx.problems:
        raise DefinitionInvalid(ctx.problems)
    specials = tuple(Special(k, s.code, s.label) for k, s in raw.special_codes.items())
    survey = Survey(
        name=raw.name, title=raw.title, title_en=raw.title_en, pages=pages, file=file,
        sha256=hashlib.sha256(data).hexdigest(), source=text, organiser=raw.organiser,
        audience=raw.audience, minutes=raw.minutes, intro=raw.intro, thanks=raw.thanks, specials=specials,
    )
    survey._by_var.update({v: q for q in survey.questions() for v in q.variables})
    check_against(survey, published)
    return survey


def check_against(survey: Survey, published: Iterable[Survey]) -> None:
    """Raise DefinitionInvalid when a question changes kind under a name already published."""
    problems = []
    new_kinds = {q.name: q.kind for q in survey.questions()}
    for old in published:
        for q in old.questions():
            new = new_kinds.get(q.name)
            if new is not None and new != q.kind:
                err = DefErr.KIND_CHANGED
                problems.append(Problem(err, survey.file, f"问题 {q.name}", err.template.format(
                    name=q.name, old=q.kind, new=new)))
                new_kinds.pop(q.name)
    if problems:
        raise DefinitionInvalid(problems)


def _schema_problem(file: str, loaded: Any, err: Any) -> Problem:
    loc = tuple(err["loc"])
    where = _where_from_loc(loaded, loc)
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if err["type"] == "missing":
        detail = f"缺少必填键 `{key}`。"
    elif err["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc)
        detail = f"未知键 `{key}`{did_you_mean(key, allowed)}"
    elif err["type"] == "string_pattern_mismatch":
        detail = f"名称 `{err.get('input')}` 无效：只能用小写字母、数字和下划线，并以字母开头。"
    else:
        detail = f"键 `{key}` 的值无效（{err['msg']}）。"
    return Problem(DefErr.SCHEMA, file, where, DefErr.SCHEMA.template.format(detail=detail))


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    if "questions" in loc:
        return list(RawQuestion.model_fields)
    if "pages" in loc:
        return list(RawPage.model_fields)
    return list(RawSurvey.model_fields)


def _where_from_loc(loaded: Any, loc: tuple[Any, ...]) -> str:
    """Name the page / question a pydantic error points at, e.g. `问题 q3`."""
    node, where = loaded, ""
    for i, part in enumerate(loc):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and i > 0 and loc[i - 1] in ("pages", "questions") and isinstance(node, dict):
            label = "页面" if loc[i - 1] == "pages" else "问题"
            where = f"{label} {node.get('name', f'#{part + 1}')}"
    return where


def _check_names(ctx: _Ctx) -> None:
    seen: dict[str, str] = {}
    position = 0
    for page in ctx.raw.pages:
        for name, where in [(page.name, f"页面 {page.name}")] + [
            (n, f"问题 {q.name}") for q in page.questions for n in [q.name] + [r.name for r in q.rows or []]
        ]:
            if name in seen:
                ctx.add(DefErr.DUPLICATE_NAME, where, name=name, first=seen[name])
            else:
                seen[name] = where
        for q in page.questions:
            position += 1
            for var in [q.name] + [r.name for r in q.rows or []]:
                ctx.order.setdefault(var, position)
                ctx.kind_of.setdefault(var, "single" if var != q.name else q.kind)


def _compile_page(ctx: _Ctx, page: RawPage) -> Page:
    first = min((ctx.order.get(q.name, 0) for q in page.questions), default=0)
    last = max((ctx.order.get(q.name, 0) for q in page.questions), default=0)
    where = f"页面 {page.name}"
    questions = tuple(_compile_question(ctx, page, q) for q in page.questions)
    constraints = []
    for c in page.constraints:
        check = _condition(ctx, where, "constraints.check", c.check, last + 1)
        if c.question not in {v for q in questions for v in q.variables}:
            ctx.add(DefErr.UNKNOWN_REFERENCE, where, field="constraints.question", ref=c.question,
                    hint=did_you_mean(c.question, [v for q in questions for v in q.variables]) or "（须为本页的问题）")
        if check is not None:
            constraints.append(Constraint(check, c.message, c.question))
    if page.sensitive:
        for q in questions:
            if q.kind != "note" and q.required and "refuse" not in {s.key for s in q.special}:
                ctx.add(DefErr.SENSITIVE_NOT_SKIPPABLE, f"问题 {q.name}", name=q.name)
    return Page(
        name=page.name, title=page.title, intro=page.intro, questions=questions, sensitive=page.sensitive,
        show_if=_condition(ctx, where, "show_if", page.show_if, first),
        end_if=_condition(ctx, where, "end_if", page.end_if, last + 1),
        end_message=page.end_message, constraints=tuple(constraints),
    )


def _compile_question(ctx: _Ctx, page: RawPage, q: RawQuestion) -> Question:
    where = f"问题 {q.name}"
    kind = KINDS.get(q.kind)
    if kind is None:
        ctx.add(DefErr.UNKNOWN_KIND, where, kind=q.kind, hint=did_you_mean(q.kind, KINDS), kinds=", ".join(KINDS))
    else:
        given = {k for k in _KIND_KEYS if getattr(q, k) is not None}
        for key in sorted(given - kind.keys):
            ctx.add(DefErr.SCHEMA, where, detail=f"键 `{key}` 不适用于题型 {q.kind}（可用：{', '.join(sorted(kind.keys)) or '无'}）。")
        for key in sorted({"choices", "rows", "top"} & kind.keys - given):
            ctx.add(DefErr.SCHEMA, where, detail=f"题型 {q.kind} 需要键 `{key}`。")
    choices = _choices(ctx, where, q)
    specials = _specials(ctx, where, q, choices)
    _check_ranges(ctx, where, q, choices)
    for ref in q.indicators:
        if not indicators.exists(ref):
            ctx.add(DefErr.UNKNOWN_INDICATOR, where, ref=ref)
    return Question(
        name=q.name, kind=q.kind, label=q.label, label_en=q.label_en, page=page.name, help=q.help,
        required=q.required, special=specials, indicators=tuple(q.indicators), choices=choices,
        show_if=_condition(ctx, where, "show_if", q.show_if, ctx.order.get(q.name, 0)),
        exclusive=frozenset(q.exclusive or ()), min_choices=q.min_choices, max_choices=q.max_choices,
        rows=tuple(Row(r.name, r.label, r.label_en) for r in q.rows or ()), min=q.min, max=q.max,
        unit=q.unit, decimals=q.decimals if q.decimals is not None else 1,
        max_length=q.max_length or 200, top=q.top,
    )


def _choices(ctx: _Ctx, where: str, q: RawQuestion) -> tuple[Choice, ...]:
    raw = q.choices
    if isinstance(raw, str):
        if raw not in ctx.raw.choice_lists:
            ctx.add(DefErr.UNKNOWN_CHOICE_LIST, where, ref=raw, hint=did_you_mean(raw, ctx.raw.choice_lists))
            return ()
        raw = ctx.raw.choice_lists[raw]
    choices = tuple(Choice(c.code, c.label, c.label_en) for c in raw or ())
    codes = [c.code for c in choices]
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if codes.count(c) > 1)
        ctx.add(DefErr.BAD_CHOICE, where, detail=f"选项代码 {dup} 重复，请给每个选项不同的代码。")
    for code in q.exclusive or ():
        if code not in codes:
            ctx.add(DefErr.BAD_CHOICE, where, detail=f"exclusive 中的代码 {code} 不是本题的选项（可用：{codes}）。")
    return choices


def _specials(ctx: _Ctx, where: str, q: RawQuestion, choices: tuple[Choice, ...]) -> tuple[Special, ...]:
    out = []
    for key in q.special:
        spec = ctx.raw.special_codes.get(key)
        if spec is None:
            ctx.add(DefErr.UNKNOWN_SPECIAL, where, ref=key, hint=did_you_mean(key, ctx.raw.special_codes))
            continue
        if spec.code in {c.code for c in choices} or (
            q.kind in ("integer", "decimal") and q.min is not None and float(q.min) <= spec.code
        ):
            ctx.add(DefErr.BAD_CHOICE, where, detail=f"特殊代码 {key}={spec.code} 与本题的有效答案冲突，请换一个负数代码。")
        out.append(Special(key, spec.code, spec.label))
    return tuple(out)


def _check_ranges(ctx: _Ctx, where: str, q: RawQuestion, choices: tuple[Choice, ...]) -> None:
    if q.kind == "date":
        for key in ("min", "max"):
            value = getattr(q, key)
            if value is not None and value != "today" and not _is_iso_date(value):
                ctx.add(DefErr.BAD_RANGE, where, detail=f"`{key}` 应为 YYYY-MM-DD 或 today，而不是 `{value}`。")
    elif q.kind in ("integer", "decimal", "duration"):
        for key in ("min", "max"):
            if isinstance(getattr(q, key), str):
                ctx.add(DefErr.BAD_RANGE, where, detail=f"`{key}` 必须是数字。")
        if isinstance(q.min, int | float) and isinstance(q.max, int | float) and q.min > q.max:
            ctx.add(DefErr.BAD_RANGE, where, detail=f"最小值 {q.min} 大于最大值 {q.max}，请交换或修改。")
    limit = len(choices)
    for key in ("max_choices", "min_choices", "top"):
        value = getattr(q, key)
        if value is not None and choices and value > limit:
            ctx.add(DefErr.BAD_RANGE, where, detail=f"`{key}: {value}` 超过了选项数 {limit}。")
    if q.min_choices and q.max_choices and q.min_choices > q.max_choices:
        ctx.add(DefErr.BAD_RANGE, where, detail="min_choices 不能大于 max_choices。")


def _is_iso_date(value: Any) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _condition(ctx: _Ctx, where: str, fieldname: str, text: str | None, before: int) -> Condition | None:
    """Compile a condition that may only read variables positioned before `before`."""
    if text is None:
        return None
    try:
        cond = compile_condition(text)
    except ExpressionError as exc:
        ctx.add(DefErr.EXPRESSION_SYNTAX, where, field=fieldname, expr=text, detail=exc)
        return None
    ok = True
    for how, ref in cond.uses:
        if ref not in ctx.order:
            earlier = [n for n, pos in ctx.order.items() if pos < before]
            ctx.add(DefErr.UNKNOWN_REFERENCE, where, field=fieldname, ref=ref, hint=did_you_mean(ref, earlier))
            ok = False
        elif ctx.order[ref] >= before:
            ctx.add(DefErr.FORWARD_REFERENCE, where, field=fieldname, ref=ref)
            ok = False
        elif problem := _type_problem(how, ctx.kind_of[ref]):
            ctx.add(DefErr.EXPRESSION_TYPE, where, field=fieldname, ref=ref, kind=ctx.kind_of[ref], detail=problem)
            ok = False
    return cond if ok else None


def _type_problem(how: str, kind: str) -> str | None:
    if how == "compare" and kind in ("multiple", "ranking", "note"):
        return "多选/排序题请用 selected(题, 代码) 或 count(题)。"
    if how == "selected" and kind not in _SELECTABLE:
        return "selected() 只能用于选择题。"
    if how == "count" and kind not in ("multiple", "ranking"):
        return "count() 只能用于多选题或排序题。"
    return None
