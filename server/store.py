"""The one place that runs queries. Verb-named functions; each write path exists once.

Routes call these with a session from the request; nothing else opens a session or builds a query.
Responses are inserted, never updated: the unique key (survey, instance_id) is the last defence
against duplicates, and a violation is answered by re-reading the stored row (Kobo's lesson).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.tables import Draft, Response, SurveyVersion, Village, utcnow

RESUME_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed on phones


class InstanceConflict(Exception):
    """The instance id is already stored with a different payload."""

    def __init__(self, stored: Response):
        self.stored = stored


# --- questionnaire versions ------------------------------------------------------------------------


def published_versions(session: Session, survey: str | None = None) -> list[SurveyVersion]:
    """Published versions, oldest first (of one questionnaire, or all)."""
    query = select(SurveyVersion).order_by(SurveyVersion.survey, SurveyVersion.number)
    if survey is not None:
        query = query.where(SurveyVersion.survey == survey)
    return list(session.exec(query))


def publish_version(session: Session, survey: str, sha256: str, title: str, source: str) -> SurveyVersion:
    """The stored version with this sha256, or a new version numbered after the last."""
    found = session.exec(
        select(SurveyVersion).where(SurveyVersion.survey == survey, SurveyVersion.sha256 == sha256)
    ).first()
    if found is not None:
        return found
    last = session.exec(select(func.max(SurveyVersion.number)).where(SurveyVersion.survey == survey)).one()
    version = SurveyVersion(survey=survey, number=(last or 0) + 1, sha256=sha256, title=title, source=source)
    session.add(version)
    try:
        session.commit()
    except IntegrityError:  # another process published it first
        session.rollback()
        return publish_version(session, survey, sha256, title, source)
    session.refresh(version)
    return version


# --- villages ---------------------------------------------------------------------------------------


def load_villages(session: Session, rows: Iterable[dict[str, str]]) -> int:
    """Insert villages not yet known; returns how many were added."""
    known = set(session.exec(select(Village.code)))
    added = 0
    for row in rows:
        if row["code"] not in known:
            session.add(Village(code=row["code"], name=row["name"], township=row["township"], area=row["area"]))
            known.add(row["code"])
            added += 1
    session.commit()
    return added


def list_villages(session: Session) -> list[Village]:
    return list(session.exec(select(Village).order_by(Village.code)))


def get_village(session: Session, code: str) -> Village | None:
    return session.get(Village, code)


# --- drafts -----------------------------------------------------------------------------------------


def start_draft(session: Session, survey: str, version_id: int, village: str | None) -> Draft:
    """A new draft with a secret cookie token, a short resume code and a fresh instance id."""
    while True:
        code = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(8))
        draft = Draft(
            token=secrets.token_urlsafe(32), resume_code=code, survey=survey, version_id=version_id,
            village=village, instance_id=str(uuid.uuid4()), answers={},
        )
        session.add(draft)
        try:
            session.commit()
        except IntegrityError:  # resume code collision: draw again
            session.rollback()
            continue
        session.refresh(draft)
        return draft


def draft_by_token(session: Session, survey: str, token: str | None) -> Draft | None:
    if not token:
        return None
    return session.exec(select(Draft).where(Draft.token == token, Draft.survey == survey)).first()


def draft_by_code(session: Session, code: str) -> Draft | None:
    """An open draft by resume code (case and separators ignored)."""
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    return session.exec(select(Draft).where(Draft.resume_code == clean, Draft.status == "open")).first()


def save_draft_page(session: Session, draft: Draft, page_vars: Iterable[str], answers: dict[str, Any],
                    page: str | None) -> Draft:
    """Replace one page's answers in the draft and remember where the respondent is."""
    kept = {k: v for k, v in draft.answers.items() if k not in set(page_vars)}
    draft.answers = {**kept, **answers}
    draft.page = page
    draft.updated_at = utcnow()
    session.add(draft)
    session.commit()
    session.refresh(draft)
    return draft


# --- responses --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewResponse:
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


def find_response(session: Session, survey: str, instance_id: str) -> Response | None:
    return session.exec(
        select(Response).where(Response.survey == survey, Response.instance_id == instance_id)
    ).first()


def save_response(session: Session, new: NewResponse) -> tuple[Response, bool]:
    """Store a response once: (row, True) when new, (stored row, False) for an identical resend.

    Raises InstanceConflict when the instance id is stored with another payload.
    """
    stored = find_response(session, new.survey, new.instance_id)
    if stored is None:
        row = Response(**new.__dict__, duration_seconds=_duration(new.started_at, new.completed_at))
        session.add(row)
        try:
            session.commit()
            session.refresh(row)
            return row, True
        except IntegrityError:  # a concurrent request stored it first: the constraint decides
            session.rollback()
            stored = find_response(session, new.survey, new.instance_id)
            assert stored is not None
    if stored.payload_sha256 != new.payload_sha256:
        raise InstanceConflict(stored)
    return stored, False


def finish_draft(session: Session, draft: Draft, new: NewResponse) -> Response:
    """Turn a draft into its response exactly once (double taps and retries get the same row)."""
    try:
        response, _ = save_response(session, new)
    except InstanceConflict as exc:  # a second finish of the same draft with other timing
        response = exc.stored
    draft.status = "done"
    draft.updated_at = utcnow()
    session.add(draft)
    session.commit()
    return response


def count_responses(session: Session, survey: str | None = None) -> int:
    query = select(func.count()).select_from(Response)
    if survey is not None:
        query = query.where(Response.survey == survey)
    return int(session.exec(query).one())


def iter_responses(session: Session, survey: str) -> Iterator[Response]:
    yield from session.exec(select(Response).where(Response.survey == survey).order_by(Response.id))


def _duration(started: datetime | None, completed: datetime | None) -> int | None:
    if started is None or completed is None:
        return None
    return max(0, int((completed - started).total_seconds()))
