"""Database tables (SQLModel). Only table shapes live here; queries live in `server.store`.

No names, ID numbers or phone numbers are stored anywhere: a response is its answers, its village
code and its timing. Schema changes go through Alembic migrations in `server/migrations`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware UTC now (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)


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


class Village(SQLModel, table=True):
    """A village or community (村/社区); an org-unit tree comes later."""

    __tablename__ = "village"
    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    township: str = Field(max_length=100)
    area: str = Field(max_length=8)


class Draft(SQLModel, table=True):
    """A respondent's answers in progress, saved page by page; resumable by cookie or code."""

    __tablename__ = "draft"
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    resume_code: str = Field(max_length=8, unique=True)
    survey: str = Field(max_length=64)
    version_id: int = Field(foreign_key="survey_version.id")
    village: str | None = Field(default=None, max_length=12, foreign_key="village.code")
    instance_id: str = Field(max_length=36)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    page: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=8)
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Response(SQLModel, table=True):
    """A finished (or ended) response; never overwritten. (survey, instance_id) is unique."""

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("survey", "instance_id", name="uq_response_instance"),)
    id: int | None = Field(default=None, primary_key=True)
    survey: str = Field(max_length=64, index=True)
    version_id: int = Field(foreign_key="survey_version.id")
    instance_id: str = Field(max_length=36)
    village: str | None = Field(default=None, max_length=12, foreign_key="village.code", index=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    outcome: str = Field(max_length=8)
    channel: str = Field(max_length=8)
    payload_sha256: str = Field(max_length=64)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    duration_seconds: int | None = None
