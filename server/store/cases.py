"""A wave's household cases (one per selected household and questionnaire) and their visits.

A case carries what estimation needs (§5 of the fieldwork contract): the village's stage-1
probability, the household's within-village probability, the eligible-member count and the
respondent's line with its probability, whether the household came from the reserve list and whom
it replaces, the assigned collector, the visits and the final AAPOR disposition (required to close
it). The interview is the response whose instance id is the case's. Practice cases are marked and
never reach weights, rates or exports. No names, phone numbers or ID numbers are stored here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, col, select

from server.store import known_id, utcnow
from server.store.waves import Wave
from server.unitcodes import prefix

OPEN, CLOSED = "open", "closed"
VISIT_RESULTS = {"appointment": "约定再访", "no_contact": "家中无人", "refused": "拒访", "interviewed": "完成访问",
                 "unsafe": "无法到达或不安全", "other": "其他"}


class Case(SQLModel, table=True):
    """A selected household's case for one questionnaire of a wave."""

    __tablename__ = "fieldcase"
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    village: str = Field(max_length=12, foreign_key="unit.code", index=True)
    number: int  # the household's listing number
    survey: str = Field(max_length=64)
    instance_id: str = Field(max_length=36, unique=True)
    reserve: bool = False  # drawn for the reserve list
    reserve_order: int | None = None  # order of use of a reserve household
    released: bool = True  # a reserve case is released when it replaces a main case
    replaces: int | None = None  # the case this replacement stands in for
    collector_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    p_village: float
    p_household: float
    eligible: int | None = None  # eligible members counted at the door
    line: int | None = None  # the selected member's line in the documented order
    kish_table: str | None = Field(default=None, max_length=4)
    p_person: float | None = None
    status: str = Field(default=OPEN, max_length=8)
    disposition: str | None = Field(default=None, max_length=8)
    practice: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class Visit(SQLModel, table=True):
    """One visit (or attempt) to a case's household."""

    __tablename__ = "visit"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="fieldcase.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    result: str = Field(max_length=16)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")


def add_cases(session: Session, rows: list[dict[str, Any]]) -> list[Case]:
    """New cases (flushed, not committed)."""
    out = [Case(**row) for row in rows]
    session.add_all(out)
    session.flush()
    return out


def get_case(session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id) if known_id(case_id) else None


def lock_case(session: Session, case_id: int) -> Case | None:
    """The case read afresh and locked for this transaction (PostgreSQL `FOR UPDATE`): a device's sync
    and a supervisor's write on the same case take turns."""
    query = select(Case).where(Case.id == case_id).with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def case_of_instance(session: Session, instance_id: str) -> Case | None:
    return session.exec(select(Case).where(Case.instance_id == instance_id)).first()


def cases_of(session: Session, wave_id: int, under: str | None = None, collector: int | None = None,
             released_only: bool = True, practice: bool | None = False) -> list[Case]:
    """A wave's cases (of a subtree, of a collector), in village and listing order."""
    query = select(Case).where(Case.wave_id == wave_id)
    if under is not None:
        query = query.where(col(Case.village).startswith(prefix(under)))
    if collector is not None:
        query = query.where(Case.collector_id == collector)
    if released_only:
        query = query.where(Case.released == True)  # noqa: E712
    if practice is not None:
        query = query.where(Case.practice == practice)
    return list(session.exec(query.order_by(Case.village, Case.number, Case.survey)))


def assigned_to(session: Session, collector: int) -> list[Case]:
    """A collector's released cases of every wave, open ones first."""
    query = select(Case).where(Case.collector_id == collector, Case.released == True)  # noqa: E712
    return list(session.exec(query.order_by(col(Case.status).desc(), Case.wave_id, Case.village, Case.number)))


def worked_in_fieldwork(session: Session, collector: int) -> list[Case]:
    """A collector's released cases (practice ones too) of the waves in fieldwork, in wave, village and
    listing order."""
    query = (select(Case).join(Wave, col(Wave.id) == col(Case.wave_id))
             .where(Case.collector_id == collector, Case.released == True, Wave.status == "fieldwork")  # noqa: E712
             .order_by(Case.wave_id, Case.village, Case.number, Case.survey, Case.id))
    return list(session.exec(query))


def assign(session: Session, cases: list[Case], collector: int) -> None:
    for case in cases:
        case.collector_id = collector
        session.add(case)


def log_visit(session: Session, case: Case, result: str, staff_id: int | None, at: datetime) -> Visit:
    visit = Visit(case_id=case.id or 0, result=result, staff_id=staff_id, at=at)
    session.add(visit)
    session.flush()
    return visit


def visits_of(session: Session, case_id: int) -> list[Visit]:
    return list(session.exec(select(Visit).where(Visit.case_id == case_id).order_by(Visit.at, Visit.id)))


def visits_of_cases(session: Session, case_ids: list[int]) -> dict[int, list[Visit]]:
    """The visits of these cases, by case, each case's in time order."""
    out: dict[int, list[Visit]] = {i: [] for i in case_ids}
    for start in range(0, len(case_ids), 500):
        query = select(Visit).where(col(Visit.case_id).in_(case_ids[start:start + 500])).order_by(Visit.at, Visit.id)
        for visit in session.exec(query):
            out[visit.case_id].append(visit)
    return out


def visit_counts(session: Session, wave_id: int) -> dict[int, int]:
    """Visits per case of a wave."""
    query = (select(Visit.case_id, func.count()).join(Case, col(Case.id) == col(Visit.case_id))
             .where(Case.wave_id == wave_id).group_by(Visit.case_id))
    return {int(case): int(n) for case, n in session.exec(query)}


def set_respondent(session: Session, case: Case, eligible: int, line: int | None, table: str | None) -> None:
    case.eligible, case.line, case.kish_table = eligible, line, table
    case.p_person = 1.0 / eligible if eligible > 0 else None
    session.add(case)


def close(session: Session, case: Case, disposition: str, at: datetime) -> None:
    case.status, case.disposition, case.closed_at = CLOSED, disposition, at
    session.add(case)


def next_reserve(session: Session, case: Case) -> Case | None:
    """The first unreleased reserve household of the case's village and questionnaire."""
    query = select(Case).where(Case.wave_id == case.wave_id, Case.village == case.village, Case.survey == case.survey,
                               Case.reserve == True, Case.released == False)  # noqa: E712
    return session.exec(query.order_by(Case.reserve_order)).first()


def release(session: Session, reserve: Case, replaced: Case) -> None:
    reserve.released, reserve.replaces, reserve.collector_id = True, replaced.id, replaced.collector_id
    session.add(reserve)
