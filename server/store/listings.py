"""Household listings of a wave's sampled villages: a listing number and a short locator per household.

A locator is what finds the door (门牌号、组), never a name or a phone number. Listings are read only
by the village's collector and the supervisors above it (server/auth.py), never exported or shown
in aggregates. A village's listing is stored once, whole, when its household sample is drawn.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

LOCATOR_MAX = 40


class ListingEntry(SQLModel, table=True):
    """One listed household of a sampled village."""

    __tablename__ = "listing_entry"
    __table_args__ = (UniqueConstraint("wave_id", "village", "number", name="uq_listing_number"),)
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    village: str = Field(max_length=12, foreign_key="unit.code")
    number: int
    locator: str = Field(max_length=LOCATOR_MAX)


def add_listing(session: Session, wave_id: int, village: str, entries: list[tuple[int, str]]) -> None:
    """Store a village's listing (flushed, not committed)."""
    for number, locator in entries:
        session.add(ListingEntry(wave_id=wave_id, village=village, number=number, locator=locator))
    session.flush()


def listing_of(session: Session, wave_id: int, village: str) -> list[ListingEntry]:
    return list(session.exec(select(ListingEntry).where(ListingEntry.wave_id == wave_id,
                                                        ListingEntry.village == village)
                             .order_by(ListingEntry.number)))


def locators(session: Session, wave_id: int, village: str) -> dict[int, str]:
    """Listing number → locator of a village's households."""
    return {e.number: e.locator for e in listing_of(session, wave_id, village)}
