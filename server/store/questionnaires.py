"""The county office's own state of each questionnaire: open or closed for responses, its introduction
text and its contact line. One row per questionnaire name, made on the first change (no row: open,
no text of the office's own). Versions themselves live in `server.store.versions`; this module never
touches them. Writes are flushed, not committed: the caller audits them in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select

from server.store import utcnow

INTRO_MAX = 1000  # characters of the office's introduction
CONTACT_MAX = 100  # characters of the contact line


class Questionnaire(SQLModel, table=True):
    """What the office decided about one questionnaire (all of its versions)."""

    __tablename__ = "questionnaire"
    survey: str = Field(primary_key=True, max_length=64)
    is_open: bool = True
    intro: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    contact: str = Field(default="", max_length=CONTACT_MAX)
    updated_at: datetime = Field(default_factory=utcnow)


def all_questionnaires(session: Session) -> dict[str, Questionnaire]:
    """Every stored row by questionnaire name (a handful: read whole)."""
    return {row.survey: row for row in session.exec(select(Questionnaire))}


def _row(session: Session, survey: str) -> Questionnaire:
    return session.get(Questionnaire, survey) or Questionnaire(survey=survey)


def set_open(session: Session, survey: str, is_open: bool) -> Questionnaire:
    """Open or close a questionnaire for responses (flushed, not committed)."""
    row = _row(session, survey)
    row.is_open, row.updated_at = is_open, utcnow()
    session.add(row)
    session.flush()
    return row


def set_texts(session: Session, survey: str, intro: str, contact: str) -> Questionnaire:
    """Store the office's introduction and contact line (already checked for length; flushed, not committed)."""
    row = _row(session, survey)
    row.intro, row.contact, row.updated_at = intro, contact, utcnow()
    session.add(row)
    session.flush()
    return row
