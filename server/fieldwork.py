"""A wave's fieldwork, step by step: create the wave, draw its villages, take a village's household
listing and draw its households, select the respondent at the door, log visits, close with a
final disposition, replace a nonresponding household from the reserve list.

The draws are the analysis room's (analysis.sampling: allocation, PPS systematic villages, systematic
households, Kish or next-birthday respondents); this module turns the stored records into their
inputs and their results back into records, checks the order of steps and the wave's status, and
raises the fieldwork catalogue's problems (server/field_errors.py). Every write is left to the
caller's transaction (routes audit and commit). Must not render or read requests.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from analysis.errors import AnalysisError
from analysis.fieldwork.rates import CATEGORY
from analysis.sampling import allocation, households, respondent
from server.field_errors import F
from server.store import cases, listings, staff, units, waves
from server.store.cases import Case
from server.store.units import URBAN
from server.store.waves import Wave, WaveVillage
from server.unitcodes import is_under, prefix
from surveys.problem import Problem

DISPOSITIONS_ZH = {
    "1.1": "完成", "1.2": "部分完成", "2.10": "拒访", "2.11": "户拒访", "2.111": "户拒访（家人代拒）",
    "2.112": "户拒访（本人拒绝开门）", "2.12": "中途中断", "2.20": "未接触", "2.21": "无法进入", "2.22": "家中无人",
    "2.23": "受访者外出", "2.30": "其他", "2.31": "死亡", "2.32": "身体或精神原因无法受访", "2.33": "语言障碍",
    "2.331": "语言障碍（户）", "2.332": "语言障碍（受访者）", "2.333": "无合适的访问员语言", "2.35": "其他原因",
    "2.36": "其他原因（不详）", "3.10": "未知是否住户：未尝试", "3.11": "未尝试", "3.17": "无法到达或不安全",
    "3.18": "找不到地址", "3.19": "其他（是否住户不明）", "3.20": "住户资格未知：未完成筛选", "3.21": "未完成筛选",
    "3.90": "其他（资格不明）", "4.10": "样本外", "4.50": "非住户", "4.51": "单位", "4.52": "机构", "4.53": "集体户",
    "4.60": "空房", "4.61": "空置住房", "4.62": "季节性空置", "4.63": "其他空置", "4.70": "无合格受访者",
    "4.80": "配额已满", "4.90": "其他不符合",
}
NONRESPONSE = {"R", "NC", "O"}
PHONE_LIKE = re.compile(r"\d{7,}")
NAME_MAX, MAX_VILLAGES, MAX_PER_VILLAGE = 60, 500, 200


@dataclass(frozen=True)
class WaveForm:
    """A new wave as posted (text fields, checked by `new_wave`)."""

    name: str
    stage: str
    year: str
    unit: str
    surveys: list[tuple[str, str]]  # (questionnaire, target population)
    villages: str
    per_village: str
    reserve: str
    rule: str
    strata: str
    allocation: str
    seed: str


def _integer(text: str, field: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise Problem(F.WAVE_FIELD, field=field, why="应为整数") from None
    if not low <= value <= high:
        raise Problem(F.WAVE_FIELD, field=field, why=f"应在 {low} 到 {high} 之间")
    return value


def _choice(value: str, field: str, options: dict[str, str]) -> str:
    if value not in options:
        raise Problem(F.WAVE_FIELD, field=field, why="请从列表中选择：" + "、".join(options.values()))
    return value


def new_wave(session: Session, form: WaveForm, known_surveys: set[str]) -> Wave:
    """A wave in planning from the posted form; every field checked, nothing stored on a problem."""
    name = form.name.strip()
    if not name or len(name) > NAME_MAX or any(ch in name for ch in "/\\<>\n\r"):
        raise Problem(F.WAVE_FIELD, field="名称", why=f"1–{NAME_MAX} 个字，不含 / \\ < >")
    if waves.find_wave(session, name) is not None:
        raise Problem(F.WAVE_NAME_TAKEN, name=name)
    if not form.surveys:
        raise Problem(F.WAVE_FIELD, field="问卷", why="至少选择一份问卷")
    for survey, population in form.surveys:
        if survey not in known_surveys:
            raise Problem(F.WAVE_SURVEY, survey=survey[:64])
        _choice(population, "目标人群", waves.POPULATIONS)
    values = {
        "name": name, "stage": _choice(form.stage, "类型", waves.STAGES), "unit": form.unit,
        "year": _integer(form.year, "参照年份", 2000, 2100),
        "surveys": [{"survey": s, "population": p} for s, p in form.surveys],
        "villages": _integer(form.villages, "抽取村（社区）数", 2, MAX_VILLAGES),
        "per_village": _integer(form.per_village, "每村抽取户数", 1, MAX_PER_VILLAGE),
        "reserve": _integer(form.reserve, "每村备用户数", 0, MAX_PER_VILLAGE),
        "rule": _choice(form.rule, "户内选人规则", waves.RULES),
        "strata": _choice(form.strata, "分层", waves.STRATA),
        "allocation": _choice(form.allocation, "样本分配", waves.ALLOCATIONS),
        "seed": _integer(form.seed, "随机种子", 0, 2**31 - 1),
    }
    return waves.add_wave(session, **values)


def require_status(wave: Wave, *allowed: str) -> None:
    """The wave is in one of these statuses (a closed wave is read-only)."""
    if wave.status in allowed:
        return
    if wave.status == "closed":
        raise Problem(F.WAVE_CLOSED, name=wave.name)
    needs = "、".join(waves.STATUSES[s] for s in allowed)
    raise Problem(F.WAVE_STATUS, name=wave.name, status=waves.STATUSES[wave.status], needs=f"需要在“{needs}”阶段")


def village_frame(session: Session, wave: Wave) -> pd.DataFrame:
    """The stage-1 frame: the wave unit's villages in code order with township, 城乡 and households."""
    rows = [u for u in units.list_units(session, wave.unit) if u.level == "village"]
    return pd.DataFrame({
        "code": [u.code for u in rows], "township_code": [u.parent or "" for u in rows],
        "urban_rural": ["urban" if u.urban_rural in URBAN else "rural" for u in rows],
        "households": [int(u.households or 0) for u in rows]})


def draw_sample(session: Session, wave: Wave) -> list[WaveVillage]:
    """Allocate and draw the wave's villages (PPS systematic by households) and store them."""
    require_status(wave, "planning")
    if wave.drawn_at is not None:
        raise Problem(F.SAMPLE_DRAWN, name=wave.name)
    frame = village_frame(session, wave)
    if wave.allocation == "given" and not wave.given:
        raise Problem(F.GIVEN_MISSING, name=wave.name)
    try:
        plan = allocation.allocate(frame, wave.villages, wave.allocation, wave.given or None)
        drawn = allocation.draw_villages(frame, plan, wave.seed)
    except AnalysisError as exc:
        raise Problem(F.SAMPLE_FAILED, why=exc.message) from exc
    rows = [{"village": str(r.code), "stratum": str(r.stratum), "prob": float(r.prob), "certainty": bool(r.certainty),
             "selection_order": int(r.selection_order)} for r in drawn.itertuples()]
    waves.store_sample(session, wave, rows, [m.description for m in plan.merges])
    return waves.sample_of(session, wave.id or 0)


def default_strata(session: Session, wave: Wave) -> list[dict[str, Any]]:
    """The default strata (乡镇 × 城乡) of the wave's villages, for the given allocation's form: id, township,
    part, villages, households and the number given so far."""
    frame = village_frame(session, wave)
    names = {u.code: u.name for u in units.list_units(session, wave.unit)}
    out = []
    for (township, part), rows in frame.groupby(["township_code", "urban_rural"], sort=True):
        sid = allocation.stratum_id(frozenset({(str(township), str(part))}))
        out.append({"id": sid, "township": names.get(str(township), str(township)),
                    "part": allocation.PART_ZH[str(part)], "villages": len(rows),
                    "households": int(rows["households"].sum()), "given": wave.given.get(sid)})
    return out


def set_given(session: Session, wave: Wave, posted: dict[str, str]) -> dict[str, int]:
    """Store the villages per default stratum of a given allocation (posted as stratum id -> text), checked
    by the allocation itself (every stratum, within its villages, summing to the wave's n)."""
    require_status(wave, "planning")
    if wave.drawn_at is not None:
        raise Problem(F.SAMPLE_DRAWN, name=wave.name)
    if wave.allocation != "given":
        raise Problem(F.WAVE_STATUS, name=wave.name, status=waves.STATUSES[wave.status], needs="样本分配方式须为“指定”")
    given = {}
    for row in default_strata(session, wave):
        text = posted.get(row["id"], "").strip()
        given[row["id"]] = _integer(text or "x", f"{row['township']}{row['part']}的村数", 0, row["villages"])
    try:
        allocation.allocate(village_frame(session, wave), wave.villages, "given", given)
    except AnalysisError as exc:
        raise Problem(F.GIVEN_INVALID, why=exc.message) from exc
    waves.set_given(session, wave, given)
    return given


def parse_listing(data: bytes) -> list[tuple[int, str]]:
    """A household listing CSV (`number,locator`): numbers 1…L each once, locators short and without
    names or phone numbers. A broken file is one problem listing every finding (row and column)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(F.LISTING_INVALID, count=1, details={"findings": ["文件不是 UTF-8 编码的 CSV"]}) from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != ["number", "locator"]:
        raise Problem(F.LISTING_INVALID, count=1, details={"findings": ["第 1 行应为列名 number,locator"]})
    findings: list[str] = []
    out: list[tuple[int, str]] = []
    for row_no, row in enumerate(reader, start=2):
        number, locator = (row.get("number") or "").strip(), (row.get("locator") or "").strip()
        if not number.isdigit() or int(number) < 1:
            findings.append(f"第 {row_no} 行 number：“{number[:12]}”不是正整数")
            continue
        if not locator or len(locator) > listings.LOCATOR_MAX:
            findings.append(f"第 {row_no} 行 locator：应为 1–{listings.LOCATOR_MAX} 个字（门牌号、组）")
        elif PHONE_LIKE.search(locator):
            findings.append(f"第 {row_no} 行 locator：像是电话号码或证件号，清单中不能有个人信息")
        out.append((int(number), locator))
    numbers = [n for n, _ in out]
    if not findings and sorted(numbers) != list(range(1, len(numbers) + 1)):
        findings.append("number 应从 1 开始连续编号、每户一个，不能重复或跳号")
    if not out and not findings:
        findings.append("清单中没有住户")
    if findings:
        raise Problem(F.LISTING_INVALID, count=len(findings), details={"findings": findings[:50]})
    return sorted(out)


def collector_of(session: Session, village: str) -> int | None:
    """The village's collector (the first active account with a collector grant on it)."""
    found = staff.holders(session, "collector", village)
    return found[0] if found else None


def take_listing(session: Session, wave: Wave, row: WaveVillage, entries: list[tuple[int, str]]) -> list[Case]:
    """Store a village's listing and draw its households (and reserve): one case per household and
    questionnaire, each with its stage probabilities, assigned to the village's collector."""
    require_status(wave, "planning", "fieldwork")
    if row.listed is not None:
        raise Problem(F.LISTING_DONE, village=row.village)
    size, need = len(entries), wave.per_village + wave.reserve
    if size < wave.per_village:
        raise Problem(F.LISTING_SMALL, size=size, need=need)
    rng = np.random.default_rng([wave.seed, int(row.village)])
    draw = households.select_households(size, wave.per_village, min(wave.reserve, size - wave.per_village), rng)
    listings.add_listing(session, wave.id or 0, row.village, entries)
    waves.mark_listed(session, row, size)
    collector = collector_of(session, row.village)
    new: list[dict[str, Any]] = []
    for survey in (s["survey"] for s in wave.surveys):
        base = {"wave_id": wave.id or 0, "village": row.village, "survey": survey, "p_village": row.prob,
                "collector_id": collector}
        new += [{**base, "number": int(n), "p_household": draw.prob, "instance_id": str(uuid.uuid4())}
                for n in draw.sample]
        new += [{**base, "number": int(n), "p_household": draw.prob, "instance_id": str(uuid.uuid4()), "reserve": True,
                 "released": False, "reserve_order": k} for k, n in enumerate(draw.reserve, start=1)]
    return cases.add_cases(session, new)


def require_open(case: Case) -> None:
    if case.status == cases.CLOSED:
        raise Problem(F.CASE_CLOSED, disposition=f"{case.disposition} {DISPOSITIONS_ZH.get(case.disposition or '', '')}")


def log_visit(session: Session, case: Case, result: str, staff_id: int | None, at: datetime) -> None:
    """Record a visit to an open case with one of the visit results."""
    require_open(case)
    if result not in cases.VISIT_RESULTS:
        raise Problem(F.CASE_INPUT, field="本次结果", why="请从列表中选择")
    cases.log_visit(session, case, result, staff_id, at)


def choose_respondent(session: Session, wave: Wave, case: Case, eligible_text: str, line_text: str) -> None:
    """The console form's respondent selection: the typed counts, then `record_respondent`."""
    require_open(case)
    try:
        eligible = int(eligible_text)
    except ValueError:
        raise Problem(F.CASE_INPUT, field="合格成员人数", why="应为 0 或正整数") from None
    line = int(line_text) if line_text.strip().isdigit() else None
    record_respondent(session, wave, case, eligible, line)


def record_respondent(session: Session, wave: Wave, case: Case, eligible: int, line: int | None) -> None:
    """Record the eligible-member count and the respondent the wave's rule selects (Kish: the case's
    table, and a line given must be the table's; next birthday: the line the collector found);
    0 eligible leaves the case for 4.70."""
    require_open(case)
    if not 0 <= eligible <= 30:
        raise Problem(F.CASE_INPUT, field="合格成员人数", why="应在 0 到 30 之间")
    if eligible == 0:
        cases.set_respondent(session, case, 0, None, None)
        return
    if wave.rule == "kish":
        table = respondent.kish_table_for(case.id or 0)
        chosen = respondent.kish_line(table, eligible)
        if line is not None and line != chosen:
            raise Problem(F.CASE_INPUT, field="受访者序号", why=f"按本户的 Kish 选择表 {table} 应为第 {chosen} 位")
        cases.set_respondent(session, case, eligible, chosen, table)
        return
    if line is None:
        raise Problem(F.CASE_INPUT, field="受访者序号", why="请填写下一个过生日的合格成员的序号")
    if not 1 <= line <= eligible:
        raise Problem(F.CASE_INPUT, field="受访者序号", why=f"应在 1 到 {eligible} 之间")
    cases.set_respondent(session, case, eligible, line, None)


def close_case(session: Session, case: Case, code: str, has_response: bool, at: datetime) -> str:
    """Close with a final AAPOR disposition (a complete or partial needs the interview stored)."""
    require_open(case)
    code = code.strip()
    category = CATEGORY.get(code)
    if category is None:
        raise Problem(F.DISPOSITION_UNKNOWN, code=code[:12])
    if category in ("I", "P") and not has_response:
        raise Problem(F.DISPOSITION_NEEDS_RESPONSE, label=DISPOSITIONS_ZH[code])
    if category in ("I", "P") and not case.eligible:  # a device's interview may arrive before its respondent
        raise Problem(F.RESPONDENT_MISSING, label=DISPOSITIONS_ZH[code])
    cases.close(session, case, code, at)
    return category


def replace_case(session: Session, case: Case) -> Case:
    """Release the village's next reserve household in place of a closed nonresponding case."""
    if case.status != cases.CLOSED or CATEGORY.get(case.disposition or "") not in NONRESPONSE or case.reserve:
        raise Problem(F.NOT_REPLACEABLE)
    reserve = cases.next_reserve(session, case)
    if reserve is None:
        raise Problem(F.NO_RESERVE, village=case.village)
    cases.release(session, reserve, case)
    return reserve


def assign_case(session: Session, case: Case, username: str) -> int:
    """Reassign a case to another collector of its village; returns the account id."""
    require_open(case)
    account = staff.find_staff(session, username.strip()[:32])
    ok = account is not None and account.active and any(
        g.role == "collector" and is_under(case.village, g.unit_code) for g in staff.grants_of(session, account.id or 0))
    if not ok or account is None:
        raise Problem(F.COLLECTOR_UNKNOWN, username=username.strip()[:32])
    cases.assign(session, [case], account.id or 0)
    return account.id or 0


def in_subtree(code: str, tops: list[str]) -> bool:
    return any(code.startswith(prefix(top)) for top in tops)


def practice_case(session: Session, caller: Any) -> Case:
    """A training case for the caller in his or her own village, in the latest wave in fieldwork that
    sampled it (or any wave in fieldwork covering it): marked practice, so it never counts."""
    villages = [u for role, u in caller.grants if role == "collector"]
    for wave in waves.list_waves(session):
        if wave.status != "fieldwork":
            continue
        for village in villages:
            if is_under(village, wave.unit) and units.find_village(session, village) is not None:
                survey = wave.surveys[0]["survey"]
                return cases.add_cases(session, [{
                    "wave_id": wave.id or 0, "village": village, "survey": survey, "number": 0, "p_village": 1.0,
                    "p_household": 1.0, "instance_id": str(uuid.uuid4()), "practice": True,
                    "collector_id": caller.staff_id}])[0]
    raise Problem(F.NO_PRACTICE_WAVE)
