"""Stored responses as analysis-frame rows (surveys/frame.py), read in batches.

The frame's columns come from every published version of the questionnaire; each response is laid
out by the version that collected it and placed in the unit tree (village, township, county,
城乡). Exports, the results pages and `cunsheng estimate --survey` all read responses this way.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from server.catalog import Catalog
from server.errors import P
from server.store import responses, reviews
from server.store.units import Unit
from surveys.frame import Frame, Place, StoredBatch, columns_of, frame_of, rows_of
from surveys.problem import Problem


@dataclass(frozen=True)
class Filters:
    """Which responses: a subtree, a receipt-time window (aware datetimes), an outcome."""

    under: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


def frame_for(catalog: Catalog, survey: str) -> Frame:
    """The frame of every version of `survey` this server has published."""
    versions = [(number, pub.survey) for (name, number), pub in catalog.versions.items() if name == survey]
    if not versions:
        raise Problem(P.SURVEY_NOT_FOUND, survey=survey[:64])
    return frame_of(versions)


def places(session: Session) -> dict[str, Place]:
    """Every village's place in the tree (its township and county names and its 城乡分类代码)."""
    units = {u.code: u for u in session.exec(select(Unit))}
    out: dict[str, Place] = {}
    for u in units.values():
        if u.level != "village":
            continue
        town = units.get(u.parent or "")
        county = units.get(town.parent or "") if town else None
        out[u.code] = Place(u.code, u.name, town.code if town else "", town.name if town else "",
                            county.code if county else "", county.name if county else "", u.urban_rural)
    return out


def frame_batches(session: Session, catalog: Catalog, frame: Frame, filters: Filters,
                  batch: int = 2000) -> Iterator[dict[str, list[Any]]]:
    """The frame's columns in batches (each a dict: frame column -> one value per response, in frame order)."""
    where = places(session)
    surveys = {pub.number: pub.survey for (name, _), pub in catalog.versions.items() if name == frame.survey}
    numbers = {pub.version_id: pub.number for pub in catalog.by_id.values()}
    stored = responses.iter_batches(session, frame.survey, filters.under, filters.since, filters.until,
                                    filters.outcome, batch)
    while True:
        with _collector_paused():
            c = next(stored, None)
            if c is None:
                return
            at = [where[v] if v in where else Place(v or "") for v in c["village"]]
            status = reviews.statuses_of_batch(session, list(c["id"]))  # a wave interview's review, or none
            columns = columns_of(frame, surveys, StoredBatch(
                c["id"], c["instance_id"], [numbers[v] for v in c["version_id"]], c["channel"], c["outcome"],
                c["answers"], c["received_at"], c["started_at"], c["completed_at"], c["duration_seconds"], at,
                status))
            del c, at  # the stored batch (answers and all) goes before the next one is read
        yield columns


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while one batch is read and laid out: that makes hundreds
    of thousands of new containers (answers, columns), none in a cycle, and each would count towards
    collections that find nothing (a quarter of an export's time). Resumed before the batch is handed
    over, so nothing of the caller's runs with it paused."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def frame_rows(session: Session, catalog: Catalog, frame: Frame, filters: Filters,
               batch: int = 2000) -> Iterator[list[dict[str, Any]]]:
    """The frame's rows in batches (each a list of dicts with every frame column)."""
    for columns in frame_batches(session, catalog, frame, filters, batch):
        yield rows_of(columns)


def count_rows(session: Session, frame: Frame, filters: Filters) -> int:
    """How many rows `frame_rows` would yield with these filters (one count query)."""
    return responses.count_matching(session, frame.survey, filters.under, filters.since, filters.until,
                                    filters.outcome)
