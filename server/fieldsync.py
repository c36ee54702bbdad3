"""The field app's sync: a device's case updates (visits, respondent selection, closing), each applied
at most once, and the rules for the interviews it posts.

Every update is applied on its own, in its own transaction: the update's id is claimed in the
ledger (server/store/updates.py), the write goes through the same fieldwork function as the
console's form (server/fieldwork.py: `log_visit`, `record_respondent`, `close_case`), and it is
audited with the console's verb; then committed. A resend of an id is answered from the ledger with
the first result (an applied update as 200, a rejection as it was); the same id with other content
is 409 `sync.update_conflict`. A rejected update (the case not the caller's, closed or of a wave not
in fieldwork: 409; invalid values: 422) is kept in the ledger with its problem, on its case, for the
supervisor. A server stopped between two updates has committed exactly those before it, so a resend
of the whole batch applies the rest. This module commits; it must not read requests or render.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from server import fieldwork
from server.auth import Caller
from server.field_errors import F
from server.payloads import EARLIEST, CloseUpdate, RespondentUpdate, VisitUpdate
from server.staff_errors import S
from server.store import audit, cases, responses, updates, waves
from server.store.cases import Case
from server.store.updates import FieldUpdate
from surveys.problem import Problem

KINDS = {"visit": "上门记录", "respondent": "户内选人", "close": "结案"}
VERBS = {"visit": "case.visit", "respondent": "case.respondent", "close": "case.close"}
Update = VisitUpdate | RespondentUpdate | CloseUpdate


@dataclass(frozen=True)
class Result:
    """What became of one update: 201 applied, 200 a resend of an applied one, 409 or 422 rejected."""

    id: str
    status: int
    problem: dict[str, Any] | None = None
    duplicate: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "problem": self.problem}


def works(caller: Caller, case: Case) -> bool:
    """The case is the caller's to work from a device: assigned to him or her, released, in a granted unit."""
    return case.collector_id == caller.staff_id and case.released and caller.may("cases.work", case.village)


def _digest(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _again(known: FieldUpdate, digest: str) -> Result:
    """A resend: the first result, or a conflict when the same id now carries other content."""
    if known.sha256 != digest:
        return Result(known.update_id, 409, Problem(F.UPDATE_CONFLICT, id=known.update_id).body())
    return Result(known.update_id, 200 if known.status == 201 else known.status, known.problem, duplicate=True)


def apply_update(session: Session, caller: Caller, update: Update, now: datetime, address: str) -> Result:
    """Apply one update once (committed on its own), or record why it was refused."""
    content = update.canonical()
    row: dict[str, Any] = {"update_id": str(update.id), "staff_id": caller.staff_id, "token_id": caller.token_id,
                           "kind": update.type, "content": content, "sha256": _digest(content)}
    known = updates.find_update(session, row["update_id"])
    if known is not None:
        return _again(known, row["sha256"])
    row["case_id"] = update.case if cases.get_case(session, update.case) is not None else None  # never deleted
    try:
        if not updates.claim(session, {**row, "status": 201}):  # another request took the id meanwhile
            return _taken(session, row)
        case = cases.lock_case(session, update.case)  # read after the claim: the latest state, ours until commit
        summary = _write(session, caller, case, update, now)
        assert case is not None
        audit.record(session, caller.username, caller.staff_id, VERBS[update.type], "case", case.id, case.village,
                     {**summary, "update": row["update_id"]}, address)
        session.commit()
        return Result(row["update_id"], 201)
    except Problem as problem:  # the fieldwork catalogue's 409s and 422s
        session.rollback()
        refused = problem
    if not updates.claim(session, {**row, "status": refused.status, "problem": refused.body()}):
        return _taken(session, row)
    session.commit()
    return Result(row["update_id"], refused.status, refused.body())


def _taken(session: Session, row: dict[str, Any]) -> Result:
    session.rollback()
    known = updates.find_update(session, row["update_id"])
    assert known is not None  # ON CONFLICT waited for the taker's commit
    return _again(known, row["sha256"])


def _in_range(at: datetime, now: datetime) -> None:
    if not EARLIEST <= at <= now + timedelta(days=1):
        raise Problem(F.CASE_INPUT, field="时间", why="应在 2000-01-01 与明天之间（请检查设备的日期）")


def _write(session: Session, caller: Caller, case: Case | None, update: Update, now: datetime) -> dict[str, Any]:
    """The update's write through the console's own fieldwork functions; returns the audit summary."""
    if case is None or not works(caller, case):
        raise Problem(F.CASE_NOT_ASSIGNED, case=update.case)
    wave = waves.get_wave(session, case.wave_id)
    assert wave is not None
    fieldwork.require_status(wave, "fieldwork")
    if isinstance(update, VisitUpdate):
        _in_range(update.at, now)
        fieldwork.log_visit(session, case, update.result, caller.staff_id, update.at)
        return {"result": update.result}
    if isinstance(update, RespondentUpdate):
        fieldwork.record_respondent(session, wave, case, update.eligible, update.line)
        return {"eligible": case.eligible, "line": case.line}
    _in_range(update.at, now)
    stored = bool(responses.by_instances(session, [case.instance_id]))
    category = fieldwork.close_case(session, case, update.disposition, stored, update.at)
    return {"disposition": case.disposition, "category": category}


def sync(session: Session, caller: Caller, batch: list[Update], now: datetime, address: str) -> list[Result]:
    """Apply a device's updates in the order given, then audit the call once with its counts."""
    results = [apply_update(session, caller, update, now, address) for update in batch]
    counts = {"updates": len(results), "applied": sum(r.status == 201 for r in results),
              "duplicate": sum(r.duplicate for r in results),
              "409": sum(r.status == 409 and not r.duplicate for r in results),
              "422": sum(r.status == 422 and not r.duplicate for r in results)}
    audit.record(session, caller.username, caller.staff_id, "field.sync", "api_token", caller.token_id or "-",
                 caller.home, counts, address)
    session.commit()
    return results


def touched(session: Session, caller: Caller, batch: list[Update]) -> list[Case]:
    """The caller's cases among those the updates name, each once, in the order first named."""
    out: dict[int, Case] = {}
    for case_id in dict.fromkeys(u.case for u in batch):
        case = cases.get_case(session, case_id)
        if case is not None and works(caller, case):
            out[case_id] = case
    return list(out.values())


def check_interview(session: Session, case: Case, caller: Caller, survey: str, village: str) -> None:
    """A device's new interview of a case (posted with the case's instance id): the rules of the
    console's interview: the case's own collector, a wave in fieldwork, an open case, its questionnaire
    and village. The respondent selection may arrive before or after it; closing as 1.1/1.2 needs both."""
    if case.collector_id != caller.staff_id or not case.released:
        raise Problem(S.FORBIDDEN)
    wave = waves.get_wave(session, case.wave_id)
    assert wave is not None
    fieldwork.require_status(wave, "fieldwork")
    fieldwork.require_open(case)
    if survey != case.survey:
        raise Problem(F.CASE_MISMATCH, field="问卷", value=survey, expected=case.survey)
    if village != case.village:
        raise Problem(F.CASE_MISMATCH, field="村（社区）代码", value=village, expected=case.village)
