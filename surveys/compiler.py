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
from surveys.errors import DefErr, DefinitionInvalid, ExpressionError, Finding, did_you_mean, finding
from surveys.expr import Condition, compile_condition
from surveys.frame import AGE_GROUPS, META_NAMES, WAVE_WEIGHTS, WEIGHTS
from surveys.kinds import ALL_KEYS, COMPARE, COUNT, KINDS, ROW_KIND, SELECTED, Kind
from surveys.model import Choice, Constraint, FrameMap, Helpline, Page, PopulationMap, Question, Row, Special, Survey
from surveys.problem import validation_message
from surveys.schema import RawPage, RawQuestion, RawSurvey

# Names of the analysis frame's own columns: no question or matrix row may take one.
RESERVED = frozenset(META_NAMES) | {c.name for c in WEIGHTS + WAVE_WEIGHTS}

# Which catalogue entry says a condition reads a question in a way its kind does not allow.
_USE_ERRORS = {COMPARE: DefErr.COMPARE_NOT_ALLOWED, SELECTED: DefErr.SELECTED_NOT_ALLOWED,
               COUNT: DefErr.COUNT_NOT_ALLOWED}


@dataclass
class _Ctx:
    file: str
    raw: RawSurvey
    problems: list[Finding] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)
    kind_of: dict[str, Kind | None] = field(default_factory=dict)

    def add(self, err: DefErr, where: str, **kw: Any) -> None:
        self.problems.append(finding(err, self.file, where, **kw))


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
        raise DefinitionInvalid([finding(DefErr.YAML_SYNTAX, file, where, detail=detail)]) from None
    try:
        raw = RawSurvey.model_validate(loaded if isinstance(loaded, dict) else {})
    except ValidationError as exc:
        raise DefinitionInvalid([_schema_problem(file, loaded, e) for e in exc.errors()]) from None
    ctx = _Ctx(file, raw)
    _check_names(ctx)
    pages = tuple(_compile_page(ctx, p) for p in raw.pages)
    frame = _compile_frame(ctx, pages)
    helplines = _helplines(ctx, any(p.sensitive for p in pages))
    population = _compile_population(ctx, frame)
    if ctx.problems:
        raise DefinitionInvalid(ctx.problems)
    specials = tuple(Special(k, s.code, s.label) for k, s in raw.special_codes.items())
    survey = Survey(
        name=raw.name, title=raw.title, title_en=raw.title_en, pages=pages, file=file,
        sha256=hashlib.sha256(data).hexdigest(), source=text, organiser=raw.organiser,
        audience=raw.audience, minutes=raw.minutes, intro=raw.intro, thanks=raw.thanks, specials=specials,
        frame=frame,
        pronoun=raw.pronoun, helplines=helplines,
        helplines_intro=raw.helplines_intro or f"如果{raw.pronoun}或身边的人需要帮助：",
        population=population,
    )
    survey._by_var.update({v: q for q in survey.questions() for v in q.variables})
    survey._specials.update({v: q.special_codes for q in survey.questions() for v in q.variables if q.special})
    check_against(survey, published)
    return survey


def _compile_frame(ctx: _Ctx, pages: tuple[Page, ...]) -> FrameMap:
    """The `frame:` mapping, checked: sex from a single choice whose codes map to F/M, age from an integer."""
    raw = ctx.raw.frame
    if raw is None:
        return FrameMap()
    questions = {q.name: q for page in pages for q in page.questions}
    where = "frame"

    def question(key: str, name: str, kind: str, kind_zh: str) -> Question | None:
        q = questions.get(name)
        if q is None:
            ctx.add(DefErr.FRAME_QUESTION, where, key=key, ref=name, hint=did_you_mean(name, list(questions)))
        elif q.kind not in KINDS:  # an unknown kind: reported on the question itself
            return None
        elif KINDS[q.kind] is not KINDS[kind]:
            ctx.add(DefErr.FRAME_KIND, where, key=key, ref=name, kind=KINDS[q.kind].label, expected=kind_zh)
        else:
            return q
        return None

    sex_codes: tuple[tuple[int, str], ...] = ()
    if raw.sex is not None and (q := question("sex", raw.sex.question, "single", "单选")) is not None:
        codes = {c.code for c in q.choices}
        bad = [f"{code}→{value}" for code, value in raw.sex.codes.items() if code not in codes or value not in ("F", "M")]
        if bad or not raw.sex.codes:
            ctx.add(DefErr.FRAME_SEX_CODES, where, ref=q.name, detail="、".join(bad) or "没有给出对应")
        sex_codes = tuple(sorted(raw.sex.codes.items()))
    if raw.age is not None:
        question("age", raw.age, "integer", "整数")
    return FrameMap(raw.sex.question if raw.sex else None, sex_codes, raw.age)


CELLS = ("sex", "age_group", "urban_rural")


def _compile_population(ctx: _Ctx, frame: FrameMap) -> PopulationMap | None:
    """The `population:` declaration, checked: known sexes, age bands and cells; a cell of sex or age
    group needs the `frame:` mapping that gives it; households are counted by 城乡 only."""
    raw = ctx.raw.population
    if raw is None:
        return None
    bands = tuple(name for name, _, _ in AGE_GROUPS)
    checks: list[tuple[str, str, bool, str]] = [
        ("count", raw.count, raw.count in ("residents", "households"), "应为 residents（常住人口）或 households（户数）"),
        *(("sex", v, v in ("F", "M"), "应为 F 或 M") for v in raw.sex or []),
        *(("age_groups", v, v in bands, "应为 " + "、".join(bands) + " 之一") for v in raw.age_groups or []),
        *(("cells", v, v in CELLS and raw.cells.count(v) == 1, "应为不重复的 sex、age_group、urban_rural") for v in raw.cells),
        *(("cells", v, v != "sex" or frame.sex_variable is not None, "需要先在 frame.sex 中声明性别题")
          for v in raw.cells),
        *(("cells", v, v != "age_group" or frame.age_variable is not None, "需要先在 frame.age 中声明年龄题")
          for v in raw.cells),
    ]
    if raw.count == "households":
        checks.append(("cells", ",".join(raw.cells), raw.cells == ["urban_rural"] and not raw.sex and not raw.age_groups,
                       "户数只能按 urban_rural 分格，且不能限定 sex 或 age_groups"))
    for key, value, ok, fix in checks:
        if not ok:
            ctx.add(DefErr.POPULATION, "population", key=key, value=value, fix=fix)
    return PopulationMap(raw.count, tuple(raw.sex or ("F", "M")), tuple(raw.age_groups or ()), tuple(raw.cells))


def check_against(survey: Survey, published: Iterable[Survey]) -> None:
    """Raise DefinitionInvalid when a question changes kind under a name already published."""
    problems = []
    new_kinds = {q.name: q.kind for q in survey.questions()}
    for old in published:
        for q in old.questions():
            new = new_kinds.get(q.name)
            if new is not None and new != q.kind:
                problems.append(finding(DefErr.KIND_CHANGED, survey.file, f"问题 {q.name}",
                                        name=q.name, old=q.kind, new=new))
                new_kinds.pop(q.name)
    if problems:
        raise DefinitionInvalid(problems)


def _schema_problem(file: str, loaded: Any, err: Any) -> Finding:
    loc = tuple(err["loc"])
    where = _where_from_loc(loaded, loc)
    key = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if err["type"] == "missing":
        return finding(DefErr.MISSING_KEY, file, where, key=key)
    if err["type"] == "extra_forbidden":
        return finding(DefErr.UNKNOWN_KEY, file, where, key=key, hint=did_you_mean(key, _allowed_keys(loc)))
    if err["type"] == "string_pattern_mismatch" and key == "name":
        return finding(DefErr.BAD_NAME, file, where, value=err.get("input"))
    return finding(DefErr.BAD_VALUE, file, where, key=key, expected=validation_message(err))


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
            if name in RESERVED:
                ctx.add(DefErr.RESERVED_NAME, where, name=name)
            elif name in seen:
                ctx.add(DefErr.DUPLICATE_NAME, where, name=name, first=seen[name])
            else:
                seen[name] = where
        for q in page.questions:
            position += 1
            for var in [q.name] + [r.name for r in q.rows or []]:
                ctx.order.setdefault(var, position)
                ctx.kind_of.setdefault(var, ROW_KIND if var != q.name else KINDS.get(q.kind))


def _helplines(ctx: _Ctx, sensitive: bool) -> tuple[Helpline, ...]:
    """The help lines, each once; a questionnaire with a sensitive module must offer some, and the
    thank-you text must not repeat them (the page lists them under it)."""
    lines: list[Helpline] = []
    for raw in ctx.raw.helplines:
        if raw.number in {h.number for h in lines}:
            ctx.add(DefErr.DUPLICATE_HELPLINE, "helplines", number=raw.number)
            continue
        lines.append(Helpline(raw.number, raw.label))
        if raw.number in ctx.raw.thanks:
            ctx.add(DefErr.THANKS_REPEATS_HELPLINE, "thanks", number=raw.number)
    if sensitive and not lines:
        ctx.add(DefErr.SENSITIVE_WITHOUT_HELPLINES, "helplines")
    return tuple(lines)


def _compile_page(ctx: _Ctx, page: RawPage) -> Page:
    first = min((ctx.order.get(q.name, 0) for q in page.questions), default=0)
    last = max((ctx.order.get(q.name, 0) for q in page.questions), default=0)
    where = f"页面 {page.name}"
    questions = tuple(_compile_question(ctx, page, q) for q in page.questions)
    constraints = []
    for c in page.constraints:
        check = _condition(ctx, where, "constraints.check", c.check, last + 1)
        on_page = [v for q in questions for v in q.variables]
        if c.question not in on_page:
            ctx.add(DefErr.CONSTRAINT_QUESTION, where, ref=c.question, hint=did_you_mean(c.question, on_page))
        if check is not None:
            constraints.append(Constraint(check, c.message, c.question))
    if page.sensitive:
        for q in questions:
            if q.variables and q.required and "refuse" not in {s.key for s in q.special}:
                ctx.add(DefErr.SENSITIVE_NOT_SKIPPABLE, f"问题 {q.name}", name=q.name)
    return Page(
        name=page.name, title=page.title, intro=page.intro, questions=questions, sensitive=page.sensitive,
        show_if=_condition(ctx, where, "show_if", page.show_if, first),
        end_if=_condition(ctx, where, "end_if", page.end_if, last + 1),
        end_message=page.end_message, constraints=tuple(constraints),
    )


def plan_link_problems(file: str, where: str, refs: Iterable[str]) -> list[Finding]:
    """Each link names one row of indicators.csv: a row_id, or a bare "prefix:line" with one row
    (a question's `indicators:`, an indicator definition's `plan:`)."""
    out = []
    for ref in refs:
        found = indicators.resolve(ref)
        if found.match is indicators.Match.MISSING:
            out.append(finding(DefErr.UNKNOWN_INDICATOR, file, where, ref=ref))
        elif found.match is indicators.Match.AMBIGUOUS:
            out.append(finding(DefErr.AMBIGUOUS_INDICATOR, file, where, ref=ref,
                               candidates="、".join(found.candidates), first=found.candidates[0]))
    return out


def _compile_question(ctx: _Ctx, page: RawPage, q: RawQuestion) -> Question:
    where = f"问题 {q.name}"
    kind = KINDS.get(q.kind)
    if kind is None:
        ctx.add(DefErr.UNKNOWN_KIND, where, kind=q.kind, hint=did_you_mean(q.kind, KINDS), kinds=", ".join(KINDS))
    else:
        _check_keys(ctx, where, q, kind)
    choices = _choices(ctx, where, q)
    specials = _specials(ctx, where, q, kind, choices)
    if kind is not None:
        _check_bounds(ctx, where, q, kind)
    _check_counts(ctx, where, q, choices)
    ctx.problems.extend(plan_link_problems(ctx.file, where, q.indicators))
    rows = tuple(Row(r.name, r.label, r.label_en) for r in q.rows or ())
    return Question(
        name=q.name, kind=q.kind, label=q.label, label_en=q.label_en, page=page.name, help=q.help,
        required=q.required, special=specials, indicators=tuple(q.indicators), choices=choices,
        show_if=_condition(ctx, where, "show_if", q.show_if, ctx.order.get(q.name, 0)),
        exclusive=frozenset(q.exclusive or ()), min_choices=q.min_choices, max_choices=q.max_choices,
        rows=rows, min=q.min, max=q.max, unit=q.unit, decimals=q.decimals if q.decimals is not None else 1,
        max_length=q.max_length or 200, top=q.top,
        variables=kind.variables(q.name, tuple(r.name for r in rows)) if kind else (),
    )


def _check_keys(ctx: _Ctx, where: str, q: RawQuestion, kind: Kind) -> None:
    given = {k for k in ALL_KEYS if getattr(q, k) is not None}
    for key in sorted(given - kind.keys):
        ctx.add(DefErr.KEY_NOT_FOR_KIND, where, key=key, kind=q.kind, allowed=", ".join(sorted(kind.keys)) or "无")
    for key in sorted(kind.needs - given):
        ctx.add(DefErr.KIND_NEEDS_KEY, where, kind=q.kind, key=key)


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
        ctx.add(DefErr.DUPLICATE_CODE, where, code=next(c for c in codes if codes.count(c) > 1))
    for code in q.exclusive or ():
        if code not in codes:
            ctx.add(DefErr.EXCLUSIVE_NOT_CHOICE, where, code=code, codes=codes)
    return choices


def _specials(ctx: _Ctx, where: str, q: RawQuestion, kind: Kind | None,
              choices: tuple[Choice, ...]) -> tuple[Special, ...]:
    out = []
    below_min = kind is not None and kind.special_below_min and isinstance(q.min, int | float)
    for key in q.special:
        spec = ctx.raw.special_codes.get(key)
        if spec is None:
            ctx.add(DefErr.UNKNOWN_SPECIAL, where, ref=key, hint=did_you_mean(key, ctx.raw.special_codes))
            continue
        if spec.code in {c.code for c in choices} or (below_min and float(q.min) <= spec.code):  # type: ignore[arg-type]
            ctx.add(DefErr.SPECIAL_CONFLICT, where, key=key, code=spec.code)
        out.append(Special(key, spec.code, spec.label))
    return tuple(out)


def _check_bounds(ctx: _Ctx, where: str, q: RawQuestion, kind: Kind) -> None:
    for error, params in kind.bounds(q.min, q.max):
        ctx.add(error, where, **params)


def _check_counts(ctx: _Ctx, where: str, q: RawQuestion, choices: tuple[Choice, ...]) -> None:
    for key in ("max_choices", "min_choices", "top"):
        value = getattr(q, key)
        if value is not None and choices and value > len(choices):
            ctx.add(DefErr.COUNT_ABOVE_CHOICES, where, key=key, value=value, limit=len(choices))
    if q.min_choices and q.max_choices and q.min_choices > q.max_choices:
        ctx.add(DefErr.MIN_CHOICES_ABOVE_MAX, where)


def _condition(ctx: _Ctx, where: str, fieldname: str, text: str | None, before: int) -> Condition | None:
    """Compile a condition that may only read variables positioned before `before`."""
    if text is None:
        return None
    try:
        cond = compile_condition(text)
    except ExpressionError as exc:
        ctx.add(DefErr.EXPRESSION_SYNTAX, where, field=fieldname, expr=text, detail=exc.message)
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
        elif (kind := ctx.kind_of[ref]) is not None and how not in kind.uses:
            ctx.add(_USE_ERRORS[how], where, field=fieldname, ref=ref, kind=kind.label)
            ok = False
    return cond if ok else None
