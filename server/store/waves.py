"""Survey waves (基线 / 年度监测 / 中期评估 / 终期评估) and their stage-1 sample of villages.

A wave names its reference year, the questionnaires it fields with each one's target population,
how its sample is drawn (villages, households per village, reserve, respondent rule, strata,
allocation, seed) and a status that only moves forward: planning → fieldwork → closed. A closed
wave is read-only. The drawn villages are stored with their stratum, stage-1 probability and
certainty flag, and the wave keeps the merges of small strata, so the sample can be redrawn and
explained. Must not draw samples itself (server/fieldwork.py calls the analysis room).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from server.store import known_id, utcnow
from server.unitcodes import prefix

STAGES = {"baseline": "基线", "annual": "年度监测", "midterm": "中期评估", "final": "终期评估"}
STATUSES = {"planning": "筹备", "fieldwork": "实地调查", "closed": "已结束"}
NEXT_STATUS = {"planning": "fieldwork", "fieldwork": "closed"}
POPULATIONS = {"women18": "18 岁及以上常住女性", "caregiver": "有儿童住户的一名主要照料人", "child10": "10–17 岁儿童"}
RULES = {"kish": "Kish 选择表", "birthday": "下一个过生日的人"}
ALLOCATIONS = {"proportional": "按户数比例", "equal": "各层相等", "given": "指定"}
STRATA = {"township_urban": "乡镇 × 城乡"}  # §5: the default stratification, small strata merged


class Wave(SQLModel, table=True):
    """A wave of fieldwork in a unit's subtree (usually the county)."""

    __tablename__ = "wave"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)
    stage: str = Field(max_length=10)
    year: int
    unit: str = Field(max_length=12, foreign_key="unit.code", index=True)
    status: str = Field(default="planning", max_length=10)
    surveys: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    villages: int
    per_village: int
    reserve: int
    rule: str = Field(max_length=10)
    strata: str = Field(max_length=16)
    allocation: str = Field(max_length=12)
    given: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    seed: int
    merges: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    drawn_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class WaveVillage(SQLModel, table=True):
    """A village drawn at stage 1; `listed` is the size of its household listing once uploaded."""

    __tablename__ = "wave_village"
    __table_args__ = (UniqueConstraint("wave_id", "village", name="uq_wave_village"),)
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    village: str = Field(max_length=12, foreign_key="unit.code")
    stratum: str = Field(max_length=1000)  # a merged stratum names its parts: several townships can be long
    prob: float
    certainty: bool
    selection_order: int
    listed: int | None = None
    listed_at: datetime | None = None


def add_wave(session: Session, **values: Any) -> Wave:
    """A new wave in planning (flushed, not committed)."""
    wave = Wave(**values)
    session.add(wave)
    session.flush()
    return wave


def get_wave(session: Session, wave_id: int) -> Wave | None:
    return session.get(Wave, wave_id) if known_id(wave_id) else None


def find_wave(session: Session, name: str) -> Wave | None:
    return session.exec(select(Wave).where(Wave.name == name)).first()


def list_waves(session: Session) -> list[Wave]:
    return list(session.exec(select(Wave).order_by(col(Wave.year).desc(), col(Wave.id).desc())))


def advance(session: Session, wave: Wave) -> str:
    """Move the wave to its next status; returns the new one."""
    wave.status = NEXT_STATUS[wave.status]
    session.add(wave)
    return wave.status


def set_given(session: Session, wave: Wave, given: dict[str, int]) -> None:
    """The villages per default stratum of a given allocation."""
    wave.given = dict(given)
    session.add(wave)


def store_sample(session: Session, wave: Wave, rows: list[dict[str, Any]], merges: list[str]) -> None:
    """The drawn villages (replacing none: a wave is drawn once) and the strata merges."""
    for row in rows:
        session.add(WaveVillage(wave_id=wave.id or 0, **row))
    wave.merges, wave.drawn_at = merges, utcnow()
    session.add(wave)
    session.flush()


def sample_of(session: Session, wave_id: int, under: str | None = None) -> list[WaveVillage]:
    """The wave's villages (of a subtree), in stratum and selection order."""
    query = select(WaveVillage).where(WaveVillage.wave_id == wave_id)
    if under is not None:
        query = query.where(col(WaveVillage.village).startswith(prefix(under)))
    return list(session.exec(query.order_by(WaveVillage.stratum, WaveVillage.selection_order)))


def wave_village(session: Session, wave_id: int, village: str) -> WaveVillage | None:
    return session.exec(select(WaveVillage).where(WaveVillage.wave_id == wave_id,
                                                  WaveVillage.village == village)).first()


def mark_listed(session: Session, row: WaveVillage, size: int) -> None:
    row.listed, row.listed_at = size, utcnow()
    session.add(row)
