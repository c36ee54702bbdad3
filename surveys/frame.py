"""The analysis frame: one row per response, one column per stored variable, built from the compiled
questionnaire. A contract: exports, indicators, weights and every later report read this frame.

Columns, in order: the metadata columns (`META`), then each question's columns from the kind table
(`surveys.kinds.frame_columns`: a multiple choice as `<q>` for a special code, `<q>_<code>` 0/1 and
`<q>_n`; a ranking as `<q>_r1…`; matrix rows as their own variables; special codes kept as codes),
then, once weights exist, `stratum`, `psu`, `weight` (and replicate columns). Across versions of one
questionnaire the columns are the union by name (newest version's order and labels first); a version
that did not ask a question leaves its columns missing. `sex` (F/M) and `age_group` (the age bands of
population.csv) come from the questionnaire's `frame:` mapping; `urban_rural` from the village's
城乡分类代码, never from a self-report. Pure: no storage, no rendering; pandas only in `to_pandas`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from surveys.kinds import Answers, Column, export_columns, frame_columns
from surveys.model import Survey

if TYPE_CHECKING:
    import pandas as pd

AGE_GROUPS = (("0-2", 0, 2), ("3-5", 3, 5), ("6-9", 6, 9), ("10-17", 10, 17), ("18-34", 18, 34), ("35-59", 35, 59),
              ("60+", 60, 200))
SEX_LABELS = (("F", "女"), ("M", "男"))
URBAN_RURAL_LABELS = (("urban", "城镇"), ("rural", "乡村"))
URBAN_CODES = frozenset({"111", "112", "121", "122", "123"})  # 城乡分类代码 1xx: 城镇; 2xx: 乡村

_UTC = "datetime64[ns, UTC]"
META: tuple[Column, ...] = (
    Column("response_id", "Int64", "答卷编号", "Response id"),
    Column("instance_id", "string", "实例编号", "Instance id"),
    Column("survey", "string", "问卷", "Questionnaire"),
    Column("version", "Int64", "问卷版本", "Questionnaire version"),
    Column("channel", "string", "收集渠道（web：居民自填网页；api：设备或接口；case：入户访问）", "Channel"),
    Column("outcome", "string", "结果（complete：答完；ended：按问卷规则提前结束）", "Outcome"),
    Column("review_status", "string", "复核状态", "Review status"),
    Column("received_at", _UTC, "收到时间（UTC）", "Received at (UTC)"),
    Column("started_at", _UTC, "开始时间（UTC）", "Started at (UTC)"),
    Column("completed_at", _UTC, "完成时间（UTC）", "Completed at (UTC)"),
    Column("duration_seconds", "Int64", "用时（秒）", "Duration (seconds)"),
    Column("village_code", "string", "村（社区）代码", "Village code"),
    Column("village", "string", "村（社区）", "Village"),
    Column("township_code", "string", "乡镇代码", "Township code"),
    Column("township", "string", "乡镇", "Township"),
    Column("county_code", "string", "县代码", "County code"),
    Column("county", "string", "县", "County"),
    Column("urban_rural", "string", "城乡（按村的城乡分类代码）", "Urban or rural (from the village's code)"),
    Column("sex", "string", "性别", "Sex"),
    Column("age_group", "string", "年龄组", "Age group"),
)
META_NAMES = tuple(c.name for c in META)
WEIGHTS: tuple[Column, ...] = (
    Column("stratum", "string", "层", "Stratum"),
    Column("psu", "string", "初级抽样单位", "Primary sampling unit"),
    Column("weight", "Float64", "权重", "Weight"),
    Column("poststratum", "string", "事后分层调整格（合并后）", "Post-stratification cell (after merging)"),
)
# A wave's weighted interviews (server/wavedesign.py, analysis/fieldwork/design.py) add the design's columns:
# the estimation design reads stratum, psu and weight; the rest shows how each weight was made. The stages'
# population sizes (fpc1-3) are kept for the record: the design treats stage 1 as with replacement (no fpc).
WAVE_WEIGHTS: tuple[Column, ...] = WEIGHTS[:3] + (
    Column("case_id", "Int64", "个案编号", "Case id"),
    Column("disposition", "string", "最终处置代码（AAPOR）", "Final disposition (AAPOR)"),
    Column("replacement", "Int64", "备用户替换（1 是）", "Replacement household (1 yes)"),
    Column("prob_village", "Float64", "村（社区）入样概率", "Village inclusion probability"),
    Column("prob_household", "Float64", "村内住户入样概率", "Household probability within the village"),
    Column("prob_person", "Float64", "户内受访者选中概率", "Person probability within the household"),
    Column("fpc1", "Int64", "第一阶段总体单位数（层内村数；必选村为清单户数）", "Stage 1 population size"),
    Column("fpc2", "Int64", "第二阶段总体单位数（村内清单户数）", "Stage 2 population size (listed households)"),
    Column("fpc3", "Int64", "第三阶段总体单位数（户内合格成员数）", "Stage 3 population size (eligible members)"),
    Column("base_weight", "Float64", "基础权数（入样概率的倒数）", "Base weight"),
    Column("nr_class", "string", "无应答调整组", "Nonresponse adjustment class"),
    Column("nr_weight", "Float64", "无应答调整后权数", "Weight after nonresponse adjustment"),
    Column("cal_weight", "Float64", "校准后权数", "Calibrated weight"),
)
REVIEW_LABELS = (("not_reviewed", "待审核"), ("township_approved", "乡镇已通过"), ("approved", "已通过"),
                 ("rejected", "已拒绝"), ("returned", "已退回"))  # a wave interview's review (server/store/reviews.py)
# Value labels of the metadata columns that hold codes (the text labels of the codebook).
META_VALUES: dict[str, tuple[tuple[str, str], ...]] = {
    "sex": SEX_LABELS, "urban_rural": URBAN_RURAL_LABELS,
    "outcome": (("complete", "答完"), ("ended", "按问卷规则提前结束")),
    "channel": (("web", "居民自填网页"), ("api", "设备或接口"), ("case", "入户访问")),
    "review_status": REVIEW_LABELS,
}


@dataclass(frozen=True)
class Place:
    """Where a response was collected, from the unit tree."""

    village_code: str
    village: str = ""
    township_code: str = ""
    township: str = ""
    county_code: str = ""
    county: str = ""
    urban_rural_code: str | None = None

    @property
    def urban_rural(self) -> str | None:
        if not self.urban_rural_code:
            return None
        return "urban" if self.urban_rural_code in URBAN_CODES else "rural"


@dataclass(frozen=True)
class Stored:
    """One stored response as the frame reads it (what storage hands over, answers included)."""

    response_id: int
    instance_id: str
    version: int
    channel: str
    outcome: str
    answers: dict[str, Any]
    received_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    duration_seconds: int | None = None
    review_status: str = "not_reviewed"


@dataclass(frozen=True)
class Frame:
    """The frame's columns for one questionnaire over the versions given."""

    survey: str
    title: str
    versions: tuple[int, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def free_text(self) -> tuple[str, ...]:
        """Columns that may hold names or other identifying text: out of exports unless asked for."""
        return tuple(c.name for c in self.columns if c.free_text)

    def without_free_text(self) -> Frame:
        return Frame(self.survey, self.title, self.versions, tuple(c for c in self.columns if not c.free_text))

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def frame_of(versions: Sequence[tuple[int, Survey]]) -> Frame:
    """The frame of one questionnaire's versions ((number, compiled survey), any order): the union of
    their columns by name, the newest version's order and labels first, then older-only columns."""
    if not versions:
        raise ValueError("a frame needs at least one version")
    ordered = sorted(versions, key=lambda v: -v[0])
    seen: dict[str, Column] = {}
    for _, survey in ordered:
        for q in survey.questions():
            for col in frame_columns(q):
                seen.setdefault(col.name, col)
    newest = ordered[0][1]
    return Frame(newest.name, newest.title, tuple(sorted(n for n, _ in versions)), META + tuple(seen.values()))


def age_group(age: Any) -> str | None:
    """The population.csv age band of an age in completed years (None for missing or special codes)."""
    if not isinstance(age, int) or isinstance(age, bool) or age < 0:
        return None
    return next((name for name, low, high in AGE_GROUPS if low <= age <= high), None)


def _sexes(survey: Survey, answers: Answers) -> list[str | None]:
    fm = survey.frame
    if fm.sex_variable is None:
        return [None] * len(answers)
    codes, var = dict(fm.sex_codes), fm.sex_variable
    return [codes.get(v) if isinstance(v, int) else None for v in (a.get(var) for a in answers)]


@dataclass(frozen=True)
class StoredBatch:
    """Stored responses column by column (what storage hands over for one batch), with their places."""

    response_id: Sequence[int]
    instance_id: Sequence[str]
    version: Sequence[int]
    channel: Sequence[str]
    outcome: Sequence[str]
    answers: Sequence[dict[str, Any]]
    received_at: Sequence[datetime | None]
    started_at: Sequence[datetime | None]
    completed_at: Sequence[datetime | None]
    duration_seconds: Sequence[int | None]
    places: Sequence[Place]
    review_status: Sequence[str] | None = None  # None: every response not reviewed

    @classmethod
    def of(cls, stored: Stored, place: Place | None) -> StoredBatch:
        """A batch of one response."""
        return cls([stored.response_id], [stored.instance_id], [stored.version], [stored.channel], [stored.outcome],
                   [stored.answers], [stored.received_at], [stored.started_at], [stored.completed_at],
                   [stored.duration_seconds], [place or Place("")], [stored.review_status])


def columns_of(frame: Frame, surveys: Mapping[int, Survey], batch: StoredBatch) -> dict[str, list[Any]]:
    """A batch of responses as the frame's columns, in frame order (name -> one value per response;
    missing is None), each response laid out by the version that collected it (`surveys`: number ->
    compiled version). Column-wise, so a large export loops over columns rather than cells."""
    n, p = len(batch.response_id), batch.places
    out: dict[str, list[Any]] = {
        "response_id": list(batch.response_id), "instance_id": list(batch.instance_id), "version": list(batch.version),
        "channel": list(batch.channel), "outcome": list(batch.outcome),
        "review_status": list(batch.review_status) if batch.review_status is not None else ["not_reviewed"] * n,
        "received_at": list(batch.received_at), "started_at": list(batch.started_at),
        "completed_at": list(batch.completed_at), "duration_seconds": list(batch.duration_seconds),
        "village_code": [x.village_code or None for x in p], "village": [x.village or None for x in p],
        "township_code": [x.township_code or None for x in p], "township": [x.township or None for x in p],
        "county_code": [x.county_code or None for x in p], "county": [x.county or None for x in p],
        "urban_rural": [x.urban_rural for x in p]}
    wanted = set(frame.names)
    if n and batch.version.count(batch.version[0]) == n:  # the usual batch: one version collected it all
        out |= _answer_columns(wanted, surveys[batch.version[0]], batch.answers)
    elif n:
        positions: dict[int, list[int]] = {}
        for i, number in enumerate(batch.version):
            positions.setdefault(number, []).append(i)
        parts = [(at, _answer_columns(wanted, surveys[number], [batch.answers[i] for i in at]))
                 for number, at in positions.items()]
        out |= {name: _scatter(n, name, parts) for name in wanted.difference(out)}
    return {name: out.get(name) or [None] * n for name in frame.names}


def _answer_columns(wanted: set[str], survey: Survey, answers: Answers) -> dict[str, list[Any]]:
    """The columns one version makes of its answers: its questions' export columns (those of the
    frame) and the survey, sex and age group it derives."""
    age = survey.frame.age_variable
    out: dict[str, list[Any]] = {
        "survey": [survey.name] * len(answers), "sex": _sexes(survey, answers),
        "age_group": [age_group(a.get(age)) for a in answers] if age else [None] * len(answers)}
    for q in survey.questions():
        if wanted.isdisjoint(c.name for c in frame_columns(q)):  # e.g. a text question left out
            continue
        for name, values in export_columns(q, answers).items():
            if name in wanted:
                out[name] = values
    return out


def _scatter(n: int, name: str, parts: list[tuple[list[int], dict[str, list[Any]]]]) -> list[Any]:
    """One column of a batch collected by several versions, from each version's rows (positions, columns)."""
    column: list[Any] = [None] * n
    for at, columns in parts:
        values = columns.get(name)
        if values is not None:
            for i, value in zip(at, values, strict=True):
                column[i] = value
    return column


def rows_of(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Columns (name -> values) as rows (one dict per response, every column present)."""
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def row_of(frame: Frame, survey: Survey, stored: Stored, place: Place | None) -> dict[str, Any]:
    """One response as a frame row (every frame column present; missing is None)."""
    return rows_of(columns_of(frame, {stored.version: survey}, StoredBatch.of(stored, place)))[0]


def to_pandas(frame: Frame, rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a DataFrame with the frame's columns and dtypes."""
    import pandas as pd

    data = pd.DataFrame.from_records(list(rows), columns=list(frame.names))
    for col in frame.columns:
        if col.dtype == _UTC:
            data[col.name] = pd.to_datetime(data[col.name], utc=True)
        else:
            data[col.name] = data[col.name].astype(col.dtype)
    return data
