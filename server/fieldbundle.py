"""What the field app downloads and gets back after a sync: the collector's cases as the app shows them
(CASE of docs/field_api.md), with what working them offline needs (locator, visits, the wave's
respondent rule and the case's Kish table, the interview's and the review's state), the visit
results and the dispositions.

The bundle holds only the caller's own released cases of waves in fieldwork that are still open or
whose interview the review sent back. Reads only; every query is the store's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from analysis.fieldwork.rates import CATEGORY
from analysis.sampling import respondent
from server.auth import PERMISSIONS, Caller
from server.catalog import Catalog
from server.fieldwork import DISPOSITIONS_ZH
from server.store import cases, listings, responses, reviews, staff, units, waves
from server.store.cases import Case
from server.store.responses import Response
from server.store.reviews import Review
from server.store.waves import Wave

FIELD_VERB = "cases.work"


def field_role(caller: Caller) -> str:
    """The caller's role that works cases (collector before supervisor)."""
    roles = {role for role, _ in caller.grants if role in PERMISSIONS[FIELD_VERB]}
    return "collector" if "collector" in roles else min(roles, default="")


def display_name(session: Session, caller: Caller) -> str:
    """How the app greets the account (accounts have no personal names): its unit and role, e.g.
    城关店上社区儿童主任."""
    role = field_role(caller)
    unit = next((u for r, u in caller.grants if r == role), None)
    found = units.get_unit(session, unit) if unit else None
    return f"{found.name if found else unit or ''}{staff.ROLES.get(role, '')}"


def dispositions() -> list[dict[str, Any]]:
    """The final AAPOR codes a case may close with; a complete or partial needs the interview stored."""
    return [{"code": code, "label": label, "needs_response": CATEGORY[code] in ("I", "P"), "closes": True}
            for code, label in DISPOSITIONS_ZH.items()]


@dataclass
class _Lookups:
    """What several cases share, read once: waves, village names, listings."""

    session: Session
    waves: dict[int, Wave | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    locators: dict[tuple[int, str], dict[int, str]] = field(default_factory=dict)

    def wave(self, wave_id: int) -> Wave | None:
        if wave_id not in self.waves:
            self.waves[wave_id] = waves.get_wave(self.session, wave_id)
        return self.waves[wave_id]

    def name(self, code: str) -> str:
        if code not in self.names:
            unit = units.get_unit(self.session, code)
            self.names[code] = unit.name if unit else code
        return self.names[code]

    def locator(self, case: Case) -> str:
        key = (case.wave_id, case.village)
        if key not in self.locators:
            self.locators[key] = listings.locators(self.session, case.wave_id, case.village)
        return self.locators[key].get(case.number, "")


def _interviews(session: Session, found: list[Case]) -> tuple[dict[str, Response], dict[int, Review]]:
    """Each case's latest interview (a correction replaces what it corrects) and its latest review."""
    latest = responses.latest_versions(session, responses.by_instances(session, [c.instance_id for c in found]))
    return latest, reviews.latest(session, [r.id or 0 for r in latest.values()])


def _kish(wave: Wave | None, case: Case) -> dict[str, Any] | None:
    """The case's Kish table and the line it gives for 1…6 eligible members (6 or more read as 6)."""
    if wave is None or wave.rule != "kish":
        return None
    table = case.kish_table or respondent.kish_table_for(case.id or 0)
    return {"table": table, "lines": [respondent.kish_line(table, n) for n in range(1, 7)]}


def case_rows(session: Session, catalog: Catalog, found: list[Case]) -> list[dict[str, Any]]:
    """The cases as the field app shows them (CASE)."""
    look = _Lookups(session)
    visits = cases.visits_of_cases(session, [c.id or 0 for c in found])
    latest, reviewed = _interviews(session, found)
    out = []
    for case in found:
        wave = look.wave(case.wave_id)
        stored = latest.get(case.instance_id)
        review = reviewed.get(stored.id or 0) if stored is not None else None
        pub = catalog.current.get(case.survey)
        out.append({
            "id": case.id, "instance_id": case.instance_id, "survey": case.survey,
            "wave": {"id": case.wave_id, "name": wave.name if wave else "", "status": wave.status if wave else ""},
            "village": {"code": case.village, "name": look.name(case.village)}, "number": case.number,
            "locator": look.locator(case), "version": pub.number if pub else None, "status": case.status,
            "disposition": case.disposition, "eligible": case.eligible, "line": case.line,
            "respondent_rule": wave.rule if wave else "", "kish": _kish(wave, case),
            "visits": [{"id": v.id, "at": v.at, "result": v.result} for v in visits.get(case.id or 0, [])],
            "reserve": case.reserve, "replaces": case.replaces, "practice": case.practice,
            "review": None if review is None else {
                "status": reviews.status_of(review), "reason": review.reason,
                "comments": [{"question": q, "text": t} for q, t in review.comments.items()]},
            "response": None if stored is None else {"instance_id": stored.instance_id, "status": stored.outcome},
        })
    return out


def bundle_cases(session: Session, caller: Caller) -> list[Case]:
    """The caller's cases to carry offline: open ones, and closed ones whose interview was sent back."""
    mine = cases.worked_in_fieldwork(session, caller.staff_id)
    closed = [c for c in mine if c.status == cases.CLOSED]
    latest, reviewed = _interviews(session, closed)
    returned = {c.id for c in closed if (r := latest.get(c.instance_id)) is not None
                and reviews.status_of(reviewed.get(r.id or 0)) == "returned"}
    return [c for c in mine if c.status == cases.OPEN or c.id in returned]
