"""The JSON API's answers as the OpenAPI document describes them: response bodies and problems.

Routes pass `problems(...)` the catalogue entries they can answer, so each status of the document
lists its codes, and every problem has the one `{code, message, details}` body of `server.errors`.
The fuzz test (tests/server/test_fuzz.py) holds the app to this document: an answer whose status,
content type or body is not described here fails it. Shapes only: no queries, no routes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from surveys.problem import Catalogue


class ProblemOut(BaseModel):
    """A problem from a catalogue (see server/errors.py): clients branch on `code`, people read `message`."""

    code: str = Field(examples=["survey.not_found"])
    message: str = Field(description="中文说明")
    details: dict[str, Any] = Field(description="机器可读的细节，例如出错的字段")


class SurveyOut(BaseModel):
    """A published questionnaire at its current version."""

    name: str
    title: str
    version: int
    sha256: str


class DefinitionOut(BaseModel):
    """A questionnaire's definition at its current version (pages, questions, choices, conditions)."""

    model_config = ConfigDict(extra="allow")
    version: int
    name: str
    title: str
    sha256: str
    pages: list[dict[str, Any]]


class ResponseOut(BaseModel):
    """A stored response, without its answers (they never leave the server through the API)."""

    id: int
    survey: str
    version: int
    instance_id: str
    village: str
    outcome: str = Field(description="complete（答完）或 ended（按问卷规则提前结束）")
    received_at: datetime


class HealthOut(BaseModel):
    """The answering process is up."""

    status: str
    worker: int = Field(description="进程号")


class CountsOut(BaseModel):
    """Responses of one questionnaire in a unit's subtree."""

    complete: int = Field(description="答完的份数")
    ended: int = Field(description="按问卷规则提前结束的份数")
    last_received: datetime | None = Field(description="最近一份收到的时间")


class UnitRefOut(BaseModel):
    code: str = Field(examples=["149901001000"], description="12 位统计用区划代码")
    name: str
    level: str = Field(description="province、city、county、township 或 village")


class ChildUnitOut(UnitRefOut):
    counts: dict[str, CountsOut] = Field(description="按问卷名")


class UnitOut(UnitRefOut):
    """A unit of the tree with its children and the responses of its subtree (counts only)."""

    parent: str | None
    villages: int = Field(description="下辖村（社区）数")
    ancestors: list[UnitRefOut]
    counts: dict[str, CountsOut] = Field(description="按问卷名")
    children: list[ChildUnitOut]


class GrantOut(BaseModel):
    role: str
    unit: str


class TokenOut(BaseModel):
    id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None


class StaffOut(BaseModel):
    """An account inside the caller's subtree (never its password hash or a token's text)."""

    username: str
    active: bool
    created_at: datetime
    grants: list[GrantOut]
    tokens: list[TokenOut]


class AuditEntryOut(BaseModel):
    """One audit row: who did what to which object, in which unit, when."""

    id: int
    at: datetime
    actor: str
    verb: str
    object_type: str
    object_id: str
    unit: str | None
    summary: dict[str, Any]
    address: str


class VersionOut(BaseModel):
    number: int
    sha256: str
    published_at: datetime
    responses: int = Field(description="本单位范围内这一版的答卷数")


class QuestionnaireOut(BaseModel):
    """A questionnaire as 问卷管理 shows it: open or closed, the office's texts, its versions."""

    name: str
    title: str
    current_version: int
    open: bool
    intro: str
    contact: str
    responses: int
    versions: list[VersionOut]


class StaffRefOut(BaseModel):
    username: str
    display_name: str = Field(description="显示名称：单位和角色，例如“城关店上社区儿童主任”")
    role: str = Field(description="collector（儿童主任）或 supervisor（督导员）")


class DeviceOut(BaseModel):
    """A field device's new token: shown this once; the device sends it as `Authorization: Bearer …`."""

    token: str = Field(examples=["csk_…"])
    device_id: int = Field(description="令牌编号：在账号页面撤销")
    staff: StaffRefOut


class CollectorOut(BaseModel):
    username: str
    display_name: str


class WaveRefOut(BaseModel):
    id: int
    name: str
    status: str = Field(description="planning、fieldwork 或 closed")


class VillageRefOut(BaseModel):
    code: str
    name: str


class VisitOut(BaseModel):
    id: int
    at: datetime
    result: str = Field(description="visit_results 中的代码")


class KishOut(BaseModel):
    """The case's Kish selection table and the line it gives for 1…6 eligible members."""

    table: str = Field(examples=["C"])
    lines: list[int] = Field(description="lines[n-1]：合格成员 n 人时受访者的序号；6 人及以上用 lines[5]")


class CommentOut(BaseModel):
    question: str
    text: str


class CaseReviewOut(BaseModel):
    status: str = Field(description="not_reviewed、township_approved、approved、rejected 或 returned（退回修改）")
    reason: str
    comments: list[CommentOut]


class CaseResponseOut(BaseModel):
    instance_id: str = Field(description="最新一版答卷的实例编号（修改后的答卷有新的编号）")
    status: str = Field(description="complete 或 ended")


class FieldCaseOut(BaseModel):
    """A case as the field app shows and works it (docs/field_api.md)."""

    id: int
    instance_id: str = Field(description="提交这一户问卷时使用的实例编号")
    wave: WaveRefOut
    village: VillageRefOut
    number: int = Field(description="住户清单编号")
    locator: str = Field(description="门牌号、组（不含姓名和电话）")
    survey: str
    version: int | None = Field(description="问卷的当前版本")
    status: str = Field(description="open 或 closed")
    disposition: str | None
    eligible: int | None
    line: int | None
    respondent_rule: str = Field(description="kish 或 birthday")
    kish: KishOut | None
    visits: list[VisitOut]
    reserve: bool
    replaces: int | None
    practice: bool = Field(description="练习个案：不计入任何结果")
    review: CaseReviewOut | None
    response: CaseResponseOut | None


class DispositionOut(BaseModel):
    code: str
    label: str
    needs_response: bool = Field(description="以此结案前须先提交这一户的问卷（1.1、1.2）")
    closes: bool


class BundleOut(BaseModel):
    """Everything a collector's device needs to work offline."""

    collector: CollectorOut
    cases: list[FieldCaseOut]
    questionnaires: dict[str, DefinitionOut] = Field(description="问卷名 -> 与 GET /api/v1/surveys/{survey} 相同的定义")
    visit_results: dict[str, str]
    dispositions: list[DispositionOut]
    server_time: datetime


class SyncResultOut(BaseModel):
    """What became of one update: 201 applied, 200 a resend of an applied one, 409 or 422 refused."""

    id: str
    status: int = Field(examples=[201])
    problem: ProblemOut | None


class SyncOut(BaseModel):
    results: list[SyncResultOut] = Field(description="与提交的记录一一对应，顺序相同")
    cases: list[FieldCaseOut] = Field(description="这次涉及的本人个案的最新状态")

class TargetOut(BaseModel):
    op: str = Field(description=">=、>、<=、<、=（按 >= 判断）、~（目标值 ± 容差）、up（提高）、down（降低）、qual（定性）")
    value: float | None = Field(description="目标值（按显示刻度）")
    year: int | None = Field(description="目标年份")
    tolerance: float | None = Field(default=None, description="~ 目标的容差")


class PlanRowOut(BaseModel):
    row_id: str = Field(examples=["000:64.1"], description="indicators.csv 的稳定行号")
    domain: str = Field(description="规划领域")
    target: str = Field(description="规划原文的目标表述")


class IndicatorOut(BaseModel):
    """An indicator definition: its stable code (never reused for another meaning) and its target."""

    code: str = Field(examples=["W-EXERCISE-GE50-2025"])
    name: str
    survey: str = Field(description="读取的问卷")
    plan: list[PlanRowOut] = Field(description="对应的规划条目")
    stat: str = Field(description="prop（比例）或 mean（均值）")
    scale: float = Field(description="显示刻度：100 为百分比，1 为原值")
    target: TargetOut


class EntryOut(BaseModel):
    """One ENTRY of design/evaluation.md: an indicator in the whole unit or in one level of a breakdown."""

    model_config = ConfigDict(extra="allow")
    code: str
    domain: dict[str, Any] = Field(description="分组的取值，如 {\"urban_rural\": \"rural\"}；总体为 {}")
    breakdown: str | None = Field(description="分组变量：sex、age_group、urban_rural、township_code；总体为 null")
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int = Field(description="分母中的应答者人数")
    df: int | None
    flags: list[str]
    suppressed: bool = Field(description="样本不足或按 NCHS 标准不宜发布：估计值不显示，状态为无法判断")
    status: str = Field(description="达标、未达标、无法判断或不适用")
    target: TargetOut
    warnings: list[str] = Field(description="预计达标困难、波动较大")


class GapOut(BaseModel):
    code: str
    breakdown: str
    levels: list[Any] = Field(description="两类 [a, b]，差距为 a − b")
    gap: float | None
    gap_se: float | None
    gap_ci_low: float | None
    gap_ci_high: float | None


class BaselineWaveOut(BaseModel):
    wave: int | None
    wave_name: str
    year: int


class SurveyRunOut(BaseModel):
    survey: str
    df: int | None
    problem: str | None = Field(description="该问卷未能评估的原因")
    skipped: list[dict[str, str]] = Field(description="本轮无法估计而略去的指标及原因")


class EvaluationOut(BaseModel):
    """A wave's indicators against their targets for one unit: the document of `cunsheng evaluate --json`
    (level, df, year, indicators, gaps, indices) with the wave, the unit and the baseline wave."""

    wave: int | None
    wave_name: str
    unit: str
    unit_name: str
    baseline: BaselineWaveOut | None = Field(description="用于计算变化和推算的上一轮")
    surveys: list[SurveyRunOut]
    level: float
    df: int | None
    year: int
    indicators: list[EntryOut]
    gaps: list[GapOut]
    indices: list[EntryOut]


RETRY_AFTER = {"Retry-After": {"description": "多少秒后可以再试", "schema": {"type": "integer"}}}


def problems(*entries: Catalogue) -> dict[int | str, dict[str, Any]]:
    """The `responses` of an operation that can answer these problems, one status each, naming its codes."""
    codes: dict[int, list[str]] = {}
    for entry in entries:
        codes.setdefault(entry.status, []).append(f"`{entry.code}`")
    return {status: {"model": ProblemOut, "description": "问题 {code, message, details}，code 为 " + "、".join(names),
                     **({"headers": RETRY_AFTER} if status == 429 else {})}
            for status, names in codes.items()}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """An operation's `openapi_extra` naming `model` as its JSON request body (the route reads the raw
    body itself, server/jsonbody.py). Nested models are written in place: the document has no `$defs`
    for their references to point at, and a discriminator's mapping would name them."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return inline(defs[node["$ref"].rsplit("/", 1)[1]])
        return {key: inline(value) for key, value in node.items() if key != "discriminator"}

    return {"requestBody": {"required": True, "content": {"application/json": {"schema": inline(schema)}}}}


def with_published_names(app: FastAPI) -> None:
    """Document the `{survey}` path parameter as one of the questionnaires this app publishes.

    The catalogue is fixed when the app starts (a new definition needs a restart), so the names can be
    listed in the document; Swagger UI then offers them, and a generated request reaches the body checks.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        names = sorted(app.state.catalog.current)
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["name"] == "survey":
                    param["schema"]["enum"] = names
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
