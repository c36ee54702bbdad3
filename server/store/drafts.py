"""Drafts: a respondent's answers in progress, saved page by page, resumable by cookie or code.

A draft becomes its response exactly once (`finish_draft`); double taps and retries after a lost
reply find the same row.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from server.store import staff, utcnow
from server.store.responses import InstanceConflict, Stored, prepare, save_response

RESUME_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on phones
PAGE_SECONDS_MAX = 1800.0  # one visit of a page counts at most half an hour
OPEN, DONE = "open", "done"


class Draft(SQLModel, table=True):
    """A respondent's answers in progress; `page` is where a resumed draft reopens."""

    __tablename__ = "draft"
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    resume_code: str = Field(max_length=8, unique=True)
    survey: str = Field(max_length=64)
    version_id: int = Field(foreign_key="survey_version.id")
    village: str | None = Field(default=None, max_length=12, foreign_key="unit.code")
    instance_id: str = Field(max_length=36)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    page: str | None = Field(default=None, max_length=64)
    status: str = Field(default=OPEN, max_length=8)
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # +1 on every save
    channel: str = Field(default="web", max_length=8, sa_column_kwargs={"server_default": "web"})
    staff_id: int | None = Field(default=None, foreign_key="staff.id")  # the collector of a case's interview
    supersedes: int | None = None  # a correction: the response it corrects
    paradata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))  # time per page
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def start_draft(session: Session, survey: str, version_id: int, village: str | None, page: str | None,
                interview: tuple[str, int, str] | None = None, correcting: Any = None) -> Draft:
    """A new draft with a secret cookie token, a short resume code and a fresh instance id; an
    `interview` (the case's instance id, the collector's account, the channel: `case`, or `practice`
    for a training case) is a collector's interview of a case; `correcting` (a stored response) starts a
    correction from its answers, under a new instance id, naming it as the one it supersedes."""
    while True:
        code = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(8))
        draft = Draft(
            token=secrets.token_urlsafe(32), resume_code=code, survey=survey, version_id=version_id,
            village=village, instance_id=interview[0] if interview and correcting is None else str(uuid.uuid4()),
            answers=dict(correcting.answers) if correcting is not None else {}, page=page,
            supersedes=correcting.id if correcting is not None else None,
            channel=interview[2] if interview else "web", staff_id=interview[1] if interview else None,
        )
        session.add(draft)
        try:
            session.commit()
        except IntegrityError:  # resume code collision: draw again
            session.rollback()
            continue
        session.refresh(draft)
        return draft


def _fresh(days: int) -> Any:
    """Drafts touched within `days` (older ones have expired: their cookie and code no longer open them)."""
    return Draft.updated_at >= utcnow() - timedelta(days=days)  # type: ignore[operator]


def purge_expired(session: Session, days: int) -> int:
    """Delete drafts untouched for `days` (open ones have expired; finished ones live on as responses)."""
    deleted = session.execute(delete(Draft).where(Draft.updated_at < utcnow() - timedelta(days=days)))  # type: ignore[arg-type]
    session.commit()
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


def erase_drafts_of(session: Session, survey: str, instance_id: str) -> int:
    """Delete the draft a response came from (flushed: part of the caller's erasure)."""
    deleted = session.execute(delete(Draft).where(Draft.survey == survey, Draft.instance_id == instance_id))  # type: ignore[arg-type]
    session.flush()
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


def draft_by_token(session: Session, survey: str, token: str | None, days: int) -> Draft | None:
    if not token:
        return None
    return session.exec(select(Draft).where(Draft.token == token, Draft.survey == survey, _fresh(days))).first()


def draft_by_code(session: Session, code: str, days: int) -> Draft | None:
    """An open, unexpired draft by resume code (case, width and separators ignored)."""
    clean = "".join(ch for ch in unicodedata.normalize("NFKC", code).upper() if ch.isascii() and ch.isalnum())[:8]
    return session.exec(select(Draft).where(Draft.resume_code == clean, Draft.status == OPEN, _fresh(days))).first()


def with_time(paradata: dict[str, Any] | None, page: str, seconds: float) -> dict[str, Any]:
    """Paradata after one more post of `page`: seconds on each page (capped per visit: a tab left open
    is not an hour of answering) and visits per page (a second visit is a revisit)."""
    out = {"seconds": dict((paradata or {}).get("seconds", {})), "visits": dict((paradata or {}).get("visits", {}))}
    out["seconds"][page] = round(out["seconds"].get(page, 0.0) + min(max(seconds, 0.0), PAGE_SECONDS_MAX), 1)
    out["visits"][page] = out["visits"].get(page, 0) + 1
    return out


def save_draft(session: Session, draft: Draft, answers: dict[str, Any], page: str, answered: str | None = None) -> bool:
    """Keep the draft's answers (merged by `surveys.flow`), the page it reopens at and the time spent on
    the page just `answered`, if no other save came in since `draft` was read (optimistic concurrency on
    `revision`). False: re-read and merge again."""
    now = utcnow()
    paradata = draft.paradata
    if answered is not None:
        paradata = with_time(paradata, answered, (now - _aware(draft.updated_at)).total_seconds())
    saved = session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.revision == draft.revision, Draft.status == OPEN)  # type: ignore[arg-type]
        .values(answers=answers, page=page, updated_at=now, revision=draft.revision + 1, paradata=paradata)
    ).rowcount
    session.commit()
    if saved:
        draft.answers, draft.page, draft.updated_at, draft.revision = answers, page, now, draft.revision + 1
        draft.paradata = paradata
    else:
        session.refresh(draft)
    return bool(saved)


def _aware(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _collector(session: Session, staff_id: int | None) -> tuple[int, str] | None:
    """(id, username) of an interview's collector, for the response and its audit entry."""
    account = staff.get_staff(session, staff_id) if staff_id is not None else None
    return (account.id or 0, account.username) if account is not None else None


def finish_draft(session: Session, draft: Draft, version: int, answers: dict[str, Any], outcome: str) -> Stored:
    """Turn a draft into its response exactly once (double taps and retries get the same row)."""
    new = prepare(draft.survey, draft.version_id, version, draft.instance_id, draft.village, answers, outcome,
                  draft.channel, draft.started_at, utcnow(),
                  _collector(session, draft.staff_id), draft.supersedes, draft.paradata)
    try:
        response, _ = save_response(session, new)
    except InstanceConflict as exc:  # a second finish of the same draft with other timing
        response = Stored.of(exc.stored)
    session.execute(update(Draft).where(Draft.id == draft.id).values(status=DONE, updated_at=utcnow(),  # type: ignore[arg-type]
                                                                     revision=Draft.revision + 1))
    session.commit()
    session.refresh(draft)
    return response
