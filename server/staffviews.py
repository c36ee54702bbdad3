"""What the console's list pages show, for the HTML page and its JSON twin alike: the accounts and the
audit entries inside the caller's subtree, with the audit log's filters (unit, account, verb, time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from server.auth import Caller
from server.catalog import Catalog
from server.errors import P
from server.render import BEIJING
from server.store import audit, responses, staff, tokens, versions
from server.store.audit import AuditEntry
from server.unitcodes import is_code, is_under, prefix
from surveys.problem import Problem

AUDIT_PAGE = 200


def visible_staff(session: Session, caller: Caller) -> list[tuple[staff.Staff, list[staff.Grant], list[tokens.ApiToken]]]:
    """Accounts whose every grant lies in the caller's subtree, with their tokens."""
    tops = caller.units_for("accounts.manage")
    out = []
    for account, grants in staff.list_staff(session):
        if account.id is not None and grants and all(any(is_under(g.unit_code, t) for t in tops) for g in grants):
            out.append((account, grants, tokens.tokens_of(session, account.id)))
    return out


def staff_json(rows: list[tuple[staff.Staff, list[staff.Grant], list[tokens.ApiToken]]]) -> list[dict[str, Any]]:
    """Accounts as the JSON twin lists them (never a password hash or a token's text)."""
    return [{"username": a.username, "active": a.active, "created_at": a.created_at.isoformat(),
             "grants": [{"role": g.role, "unit": g.unit_code} for g in grants],
             "tokens": [{"id": t.id, "label": t.label, "created_at": t.created_at.isoformat(),
                         "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None} for t in toks]}
            for a, grants, toks in rows]


@dataclass(frozen=True)
class AuditFilter:
    unit: str = ""
    account: str = ""
    verb: str = ""
    since: str = ""  # YYYY-MM-DD, Beijing time, inclusive
    until: str = ""  # YYYY-MM-DD, Beijing time, inclusive

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def _invalid(field: str, why: str) -> Problem:
    return Problem(P.REQUEST_INVALID, details={field: why}, fields=f"{field}：{why}")


def _day(text: str, field: str, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _invalid(field, "日期格式应为 YYYY-MM-DD") from None
    start = datetime.combine(day + timedelta(days=1) if end else day, time(), BEIJING)  # midnight in Beijing
    return start.astimezone(UTC)


def audit_rows(session: Session, caller: Caller, f: AuditFilter) -> list[AuditEntry]:
    """Entries in the caller's subtree (or the asked unit's, inside it), newest first, filtered."""
    if f.unit and (not is_code(f.unit) or not caller.may("audit.read", f.unit)):
        raise _invalid("unit", "单位代码无效，或不在您的管辖范围内")
    since, until = _day(f.since, "since"), _day(f.until, "until", end=True)
    tops = [f.unit] if f.unit else caller.units_for("audit.read")
    found = {e.id: e for top in tops for e in audit.entries(
        session, under=prefix(top), actor=f.account or None, verb=f.verb or None, since=since, until=until,
        limit=AUDIT_PAGE)}
    return sorted(found.values(), key=lambda e: -(e.id or 0))[:AUDIT_PAGE]


def audit_json(rows: list[AuditEntry]) -> list[dict[str, Any]]:
    return [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "verb": e.verb, "object_type": e.object_type,
             "object_id": e.object_id, "unit": e.unit_code, "summary": e.summary, "address": e.address} for e in rows]


def questionnaire_rows(session: Session, catalog: Catalog, caller: Caller) -> list[dict[str, Any]]:
    """Each questionnaire with its state, its versions (newest first) and the responses of each
    version inside the caller's subtree (the 问卷管理 page and its JSON twin)."""
    stored = versions.published_versions(session)
    counts = responses.count_by_version(session, [prefix(t) for t in caller.units_for("surveys.manage")])
    rows = []
    for name, pub in sorted(catalog.current.items()):
        history = sorted((v for v in stored if v.survey == name), key=lambda v: -v.number)
        rows.append({"pub": pub, "state": catalog.state(name), "versions": history,
                     "counts": {v.id: counts.get(v.id or 0, 0) for v in history},
                     "total": sum(counts.get(v.id or 0, 0) for v in history)})
    return rows


def questionnaires_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": r["pub"].survey.name, "title": r["pub"].survey.title, "current_version": r["pub"].number,
             "open": r["state"].is_open, "intro": r["state"].intro, "contact": r["state"].contact,
             "responses": r["total"],
             "versions": [{"number": v.number, "sha256": v.sha256, "published_at": v.created_at.isoformat(),
                           "responses": r["counts"][v.id]} for v in r["versions"]]} for r in rows]
