"""Finished (or politely ended) responses: inserted, never updated.

The unique key (survey, instance_id) is the last defence against duplicates: a response is stored
with one `INSERT … ON CONFLICT (survey, instance_id) DO NOTHING RETURNING id` (SQLite and PostgreSQL),
and only when that stores nothing is the stored row read to compare fingerprints (Kobo's lesson). No names, ID numbers or phone numbers are stored: a
response is its answers, its village code and its timing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, Column, Text, UniqueConstraint, cast, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col, select

from server.errors import P
from server.store import audit, known_id, utcnow
from server.unitcodes import prefix
from surveys.payload import fingerprint
from surveys.problem import Problem

PRACTICE = "practice"  # the channel of a collector's training interviews: kept, never exported or counted


class Response(SQLModel, table=True):
    """A finished (or ended) response; never overwritten. (survey, instance_id) is unique."""

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("survey", "instance_id", name="uq_response_instance"),)
    id: int | None = Field(default=None, primary_key=True)
    survey: str = Field(max_length=64, index=True)
    version_id: int = Field(foreign_key="survey_version.id")
    instance_id: str = Field(max_length=36)
    village: str | None = Field(default=None, max_length=12, foreign_key="unit.code", index=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    outcome: str = Field(max_length=8)
    channel: str = Field(max_length=8)
    payload_sha256: str = Field(max_length=64)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    duration_seconds: int | None = None
    staff_id: int | None = None  # the account (device or API token) that submitted it; None: anonymous
    supersedes: int | None = Field(default=None, foreign_key="response.id", index=True)  # a correction's original
    paradata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # seconds, visits per page


@dataclass(frozen=True)
class NewResponse:
    """A response about to be stored (from either channel)."""

    survey: str
    version_id: int
    instance_id: str
    village: str | None
    answers: dict[str, Any]
    outcome: str
    channel: str
    payload_sha256: str
    started_at: datetime | None
    completed_at: datetime | None
    staff_id: int | None = None  # the submitting account (bearer token), audited with the insert
    staff_name: str = ""
    supersedes: int | None = None  # a correction names the response it corrects (both are kept)
    paradata: dict[str, Any] | None = None  # time and visits per page of the phone pages (for the quality flags)


@dataclass(frozen=True)
class Stored:
    """What a channel answers about a stored response (no answers: they never leave this way)."""

    id: int
    survey: str
    instance_id: str
    village: str | None
    outcome: str
    received_at: datetime

    @classmethod
    def of(cls, row: Response) -> Stored:
        return cls(id=row.id or 0, survey=row.survey, instance_id=row.instance_id, village=row.village,
                   outcome=row.outcome, received_at=row.received_at)


def prepare(survey: str, version_id: int, version: int, instance_id: str, village: str | None,
            answers: dict[str, Any], outcome: str, channel: str, started_at: datetime | None,
            completed_at: datetime | None, staff: tuple[int, str] | None = None,
            supersedes: int | None = None, paradata: dict[str, Any] | None = None) -> NewResponse:
    """A response to store, fingerprinted by `surveys.payload` (the same for both channels);
    `staff` is the (id, username) of the account whose token submitted it."""
    digest = fingerprint(survey, version, instance_id, village, answers, started_at, completed_at)
    return NewResponse(survey=survey, version_id=version_id, instance_id=instance_id, village=village,
                       answers=answers, outcome=outcome, channel=channel, payload_sha256=digest,
                       started_at=started_at, completed_at=completed_at,
                       staff_id=staff[0] if staff else None, staff_name=staff[1] if staff else "",
                       supersedes=supersedes, paradata=paradata)


class InstanceConflict(Problem):
    """The instance id is already stored with a different payload; `stored` is that row."""

    def __init__(self, stored: Response):
        self.stored = stored
        super().__init__(P.INSTANCE_CONFLICT, instance_id=stored.instance_id)


def find_response(session: Session, survey: str, instance_id: str) -> Response | None:
    return session.exec(
        select(Response).where(Response.survey == survey, Response.instance_id == instance_id)
    ).first()


def save_response(session: Session, new: NewResponse) -> tuple[Stored, bool]:
    """Store a response once: (stored, True) when new, (the stored one, False) for an identical resend.

    Raises InstanceConflict when the instance id is stored with another payload.
    """
    values = {f.name: getattr(new, f.name) for f in fields(NewResponse) if f.name != "staff_name"}
    values |= {"received_at": utcnow(), "duration_seconds": _duration(new.started_at, new.completed_at)}
    try:
        new_id = _insert_new(session, values)
        if new_id is not None and new.staff_id is not None:  # an account's write: in the same transaction
            audit.record(session, new.staff_name, new.staff_id, "response.submit", "response", new_id, new.village,
                         {"survey": new.survey, "instance_id": new.instance_id,
                          **({"supersedes": new.supersedes} if new.supersedes else {})})
        session.commit()
    except IntegrityError as exc:  # another constraint failed (village, version): a bug, answered from the catalogue
        session.rollback()
        raise Problem(P.SERVER_ERROR) from exc
    if new_id is not None:
        return Stored(id=new_id, survey=new.survey, instance_id=new.instance_id, village=new.village,
                      outcome=new.outcome, received_at=values["received_at"]), True
    stored = find_response(session, new.survey, new.instance_id)  # committed: ON CONFLICT waited for it
    if stored is None:
        raise Problem(P.SERVER_ERROR)
    if stored.payload_sha256 != new.payload_sha256:
        raise InstanceConflict(stored)
    return Stored.of(stored), False


def _insert_new(session: Session, values: dict[str, Any]) -> int | None:
    """`INSERT … ON CONFLICT (survey, instance_id) DO NOTHING RETURNING id`: the id, or no row for a stored instance."""
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:  # built once per dialect: SQLAlchemy then reuses its compiled form
        table = Response.__table__  # type: ignore[attr-defined]
        insert = (sqlite if dialect == "sqlite" else postgresql).insert(table)
        statement = _INSERTS[dialect] = insert.on_conflict_do_nothing(
            index_elements=[table.c.survey, table.c.instance_id]).returning(table.c.id)
    return session.connection().execute(statement, values).scalar_one_or_none()


_INSERTS: dict[str, Any] = {}


def count_responses(session: Session, survey: str | None = None) -> int:
    query = select(func.count()).select_from(Response)
    if survey is not None:
        query = query.where(Response.survey == survey)
    return int(session.exec(query).one())


@dataclass(frozen=True)
class Tally:
    """How many responses of one questionnaire, village and outcome, and when the last one arrived."""

    survey: str
    village: str
    outcome: str
    count: int
    last: datetime


def tally(session: Session, under: str) -> list[Tally]:
    """Counts by (survey, village, outcome) inside the subtree of `under` (aggregates only: no answers)."""
    query = (select(Response.survey, Response.village, Response.outcome, func.count(), func.max(Response.received_at))
             .where(col(Response.village).startswith(prefix(under)))
             .group_by(Response.survey, Response.village, Response.outcome))
    return [Tally(survey, village or "", outcome, int(n), last) for survey, village, outcome, n, last in session.exec(query)]


def _matching(survey: str, under: str | None, since: datetime | None, until: datetime | None,
              outcome: str | None) -> list[Any]:
    newer = aliased(Response)
    where: list[Any] = [Response.survey == survey, Response.channel != PRACTICE,  # training never leaves
                        ~select(newer.id).where(newer.supersedes == Response.id).exists()]  # nor a corrected version
    if under is not None:
        where.append(col(Response.village).startswith(prefix(under)))
    if since is not None:
        where.append(col(Response.received_at) >= since)
    if until is not None:
        where.append(col(Response.received_at) < until)
    if outcome is not None:
        where.append(Response.outcome == outcome)
    return where


def count_matching(session: Session, survey: str, under: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, outcome: str | None = None) -> int:
    """How many responses `iter_batches` would hand over with the same filters."""
    query = select(func.count()).select_from(Response).where(*_matching(survey, under, since, until, outcome))
    return int(session.exec(query).one())


# What an export reads of a response, in this order; `answers` as its stored JSON text (parsed here).
BATCH_COLUMNS = ("id", "instance_id", "version_id", "channel", "outcome", "answers", "received_at", "started_at",
                 "completed_at", "duration_seconds", "village")


def iter_batches(session: Session, survey: str, under: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, outcome: str | None = None,
                 batch: int = 2000) -> Iterator[dict[str, Sequence[Any]]]:
    """Responses of one questionnaire in id order, `batch` rows at a time, column by column (name of
    `BATCH_COLUMNS` -> one value per response; answers parsed), filtered by subtree, receipt time and
    outcome. Keyset pagination, one query per batch, plain columns rather than ORM objects: never the
    whole table in memory, and no identity map to fill."""
    table = Response.__table__  # type: ignore[attr-defined]
    selected = [cast(table.c.answers, Text) if name == "answers" else table.c[name] for name in BATCH_COLUMNS]
    where = _matching(survey, under, since, until, outcome)
    last = 0
    while True:
        rows = _fetched(session, select(*selected).where(*where, table.c.id > last).order_by(table.c.id).limit(batch))
        if not rows:
            return
        last = rows[-1][0]
        columns = dict(zip(BATCH_COLUMNS, zip(*rows, strict=True), strict=True))
        del rows  # one batch alive at a time: its answers' JSON text goes once parsed
        columns["answers"] = _parsed(columns["answers"])
        for name in ("received_at", "started_at", "completed_at"):
            columns[name] = [None if v is None else v.astimezone(UTC) for v in columns[name]]
        yield columns
        del columns


def _fetched(session: Session, statement: Any) -> Sequence[Any]:
    """The statement's rows as tuples. On PostgreSQL through a binary psycopg cursor on the session's
    own connection (same transaction): a third of the time of SQLAlchemy's rows for an export's
    million; times then come in the connection's zone, so the caller puts them in UTC."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return connection.execute(statement).all()
    compiled = statement.compile(dialect=connection.dialect)
    with connection.connection.driver_connection.cursor(binary=True) as cursor:  # type: ignore[union-attr]
        return cursor.execute(str(compiled), compiled.params).fetchall()


def _parsed(texts: Sequence[str]) -> list[dict[str, Any]]:
    """Stored answers' JSON text as dicts: orjson (several times faster than json, which matters for a
    million-row export), json for what orjson refuses (NaN, integers past 64 bits)."""
    try:
        return [orjson.loads(t) for t in texts]
    except orjson.JSONDecodeError:
        return [_parsed_one(t) for t in texts]


def _parsed_one(text: str) -> dict[str, Any]:
    try:
        return orjson.loads(text)  # type: ignore[no-any-return]
    except orjson.JSONDecodeError:
        return json.loads(text)  # type: ignore[no-any-return]


def count_by_version(session: Session, under: list[str]) -> dict[int, int]:
    """Responses by version id, of villages whose code starts with one of the prefixes `under`
    (a caller's subtrees, `server.unitcodes.prefix`); none when `under` is empty."""
    if not under:
        return {}
    query = (select(Response.version_id, func.count()).where(or_(*(col(Response.village).startswith(p) for p in under)))
             .group_by(Response.version_id))
    return {version_id: int(n) for version_id, n in session.exec(query)}


def iter_responses(session: Session, survey: str) -> Iterator[Response]:
    yield from session.exec(select(Response).where(Response.survey == survey).order_by(Response.id))


def _duration(started: datetime | None, completed: datetime | None) -> int | None:
    if started is None or completed is None:
        return None
    return max(0, int((completed - started).total_seconds()))


def erase_response(session: Session, survey: str, instance_id: str) -> Response | None:
    """Delete one response on request (flushed, not committed: the caller audits the deletion in the
    same transaction); the deleted row, or None when there is none."""
    row = find_response(session, survey, instance_id)
    if row is not None:
        session.delete(row)
        session.flush()
    return row


def get_response(session: Session, response_id: int) -> Response | None:
    """A stored response by its id."""
    return session.get(Response, response_id) if known_id(response_id) else None


def by_instances(session: Session, instance_ids: list[str]) -> dict[str, Response]:
    """The stored responses with these instance ids (a wave's interviews), by instance id."""
    out: dict[str, Response] = {}
    for start in range(0, len(instance_ids), 500):
        chunk = instance_ids[start:start + 500]
        out |= {r.instance_id: r for r in session.exec(select(Response).where(col(Response.instance_id).in_(chunk)))}
    return out


def latest_versions(session: Session, found: dict[str, Response]) -> dict[str, Response]:
    """Each response replaced by its latest correction (following `supersedes`), keyed as given."""
    out = dict(found)
    while True:
        ids = {r.id: key for key, r in out.items()}
        newer = list(session.exec(select(Response).where(col(Response.supersedes).in_(sorted(i for i in ids if i)))))
        if not newer:
            return out
        for row in newer:
            out[ids[row.supersedes]] = row
