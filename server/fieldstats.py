"""Fieldwork progress as data: one tidy frame of a wave's cases, and from it the response rates
(the `cunsheng rates` numbers, analysis.fieldwork.rates) and the supervisor's dashboard rows by
village, township and collector: households targeted, completes, outcomes, rates, quality flags
and time per interview. Practice cases and unreleased reserve households are never counted; open
cases are counted apart (rates are over closed cases, updated as cases close). Builds data only:
rendering is server/routes/waves.py and templates/console/wave.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session

from analysis.fieldwork.rates import CATEGORIES, CATEGORY, summarise
from server.store import cases, responses, staff, units
from server.store.waves import Wave

SHOWN_RATES = ("RR1", "RR3", "COOP1", "REF1", "CON1")
GROUPS = {"township": "乡镇", "village": "村（社区）", "collector": "儿童主任"}


@dataclass(frozen=True)
class Progress:
    """A wave's cases in one frame (of the caller's subtree) and the names to show."""

    wave: Wave
    frame: pd.DataFrame  # one row per released, non-practice case
    names: dict[str, str]  # unit code → name


def progress(session: Session, wave: Wave, under: str, flags: dict[int, int] | None = None) -> Progress:
    """The frame of a wave's cases under `under`: place, collector, status, disposition category,
    the interview's response id and minutes, and its number of quality flags."""
    rows = cases.cases_of(session, wave.id or 0, under=under)
    found = responses.latest_versions(session, responses.by_instances(session, [c.instance_id for c in rows]))
    who = staff.usernames(session, {c.collector_id for c in rows if c.collector_id is not None})
    names = {u.code: u.name for u in units.list_units(session, under[:6].ljust(12, "0"))}
    records = []
    for c in rows:
        stored = found.get(c.instance_id)
        records.append({
            "case_id": c.id, "village": c.village, "township": c.village[:9] + "000", "survey": c.survey,
            "collector": who.get(c.collector_id or 0, "（未分配）"), "status": c.status, "disposition": c.disposition,
            "category": CATEGORY.get(c.disposition or ""), "response_id": stored.id if stored else None,
            "minutes": (stored.duration_seconds or 0) / 60 if stored and stored.duration_seconds else None,
            "flags": (flags or {}).get(stored.id or 0, 0) if stored else 0, "replacement": c.replaces is not None})
    frame = pd.DataFrame.from_records(records, columns=[
        "case_id", "village", "township", "survey", "collector", "status", "disposition", "category", "response_id",
        "minutes", "flags", "replacement"])
    return Progress(wave, frame, names)


def rates(p: Progress, by: str | None = None) -> dict[str, Any]:
    """`cunsheng rates` JSON over the closed cases, overall and by township / village / collector."""
    closed = p.frame[p.frame["status"] == cases.CLOSED]
    groups = {by: closed[by].astype(str).tolist()} if by else {}
    return summarise(closed["disposition"].astype(str).tolist(), groups, None)


def dashboard(p: Progress, by: str) -> list[dict[str, Any]]:
    """One row per group: cases, open, completes, each category, the shown rates, flags and the
    median minutes per interview (rates from the same function as `cunsheng rates`)."""
    rated = {tuple(g["by"].values())[0]: g for g in rates(p, by)["groups"]}
    out = []
    for key, part in p.frame.groupby(by, sort=True):
        entry = rated.get(str(key))
        counts = entry["counts"] if entry else dict.fromkeys(CATEGORIES, 0)
        minutes = part["minutes"].dropna()
        out.append({
            "key": key, "name": p.names.get(str(key), str(key)), "cases": len(part),
            "open": int((part["status"] == cases.OPEN).sum()), "complete": counts["I"], "counts": counts,
            "rates": {r: entry[r] if entry else None for r in SHOWN_RATES}, "flags": int(part["flags"].sum()),
            "minutes": float(minutes.median()) if len(minutes) else None,
            "replacements": int(part["replacement"].sum())})
    return out


def overall(p: Progress) -> dict[str, Any]:
    """The wave's totals: cases, open, the rates entry."""
    doc = rates(p)
    return {"cases": len(p.frame), "open": int((p.frame["status"] == cases.OPEN).sum()), "e": doc["e"], **doc["overall"]}
