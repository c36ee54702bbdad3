"""Published questionnaire versions: immutable once stored, identified by the definition's sha256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from server.store import utcnow


class SurveyVersion(SQLModel, table=True):
    """A published questionnaire definition; immutable once stored."""

    __tablename__ = "survey_version"
    __table_args__ = (
        UniqueConstraint("survey", "sha256", name="uq_survey_version_sha"),
        UniqueConstraint("survey", "number", name="uq_survey_version_number"),
    )
    id: int | None = Field(default=None, primary_key=True)
    survey: str = Field(max_length=64, index=True)
    number: int
    sha256: str = Field(max_length=64)
    title: str = Field(max_length=200)
    source: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


def published_versions(session: Session, survey: str | None = None) -> list[SurveyVersion]:
    """Published versions, oldest first (of one questionnaire, or all)."""
    query = select(SurveyVersion).order_by(SurveyVersion.survey, SurveyVersion.number)
    if survey is not None:
        query = query.where(SurveyVersion.survey == survey)
    return list(session.exec(query))


def publish_version(session: Session, survey: str, sha256: str, title: str, source: str) -> SurveyVersion:
    """The stored version with this sha256, or a new version numbered after the last (committed)."""
    found = session.exec(
        select(SurveyVersion).where(SurveyVersion.survey == survey, SurveyVersion.sha256 == sha256)
    ).first()
    if found is not None:
        return found
    try:
        version = add_version(session, survey, sha256, title, source)
        session.commit()
    except IntegrityError:  # another process published it first
        session.rollback()
        return publish_version(session, survey, sha256, title, source)
    session.refresh(version)
    return version


def add_version(session: Session, survey: str, sha256: str, title: str, source: str) -> SurveyVersion:
    """A new version numbered after the last, flushed, not committed (the console audits it in the same
    transaction). Raises IntegrityError when another process stored this number or text meanwhile."""
    last = session.exec(select(func.max(SurveyVersion.number)).where(SurveyVersion.survey == survey)).one()
    version = SurveyVersion(survey=survey, number=(last or 0) + 1, sha256=sha256, title=title, source=source)
    session.add(version)
    session.flush()
    return version
