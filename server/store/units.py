"""The org-unit tree (省/市/县/乡镇/村 with 12-digit codes) and its population by sex × age group.

Units replace the flat village list: responses and drafts name a village-level unit. Codes are
arithmetic (`server.unitcodes`): a subtree is every code that starts with the unit's prefix.
Imports are idempotent and never delete a unit (see `server.units_import` for the file rules).
Population counts of a higher unit are sums over its villages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from server.unitcodes import CODE, prefix

URBAN = {"111", "112", "121", "122", "123"}
RURAL = {"210", "220"}
SEXES = ("F", "M")
AGE_GROUPS = ("0-2", "3-5", "6-9", "10-17", "18-34", "35-59", "60+")


class Unit(SQLModel, table=True):
    """A unit of the tree; `urban_rural` (城乡分类代码) and `households` only on villages."""

    __tablename__ = "unit"
    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100)
    level: str = Field(default="village", max_length=10)
    parent: str | None = Field(default=None, max_length=12, index=True)
    urban_rural: str | None = Field(default=None, max_length=3)
    households: int | None = None

    @property
    def urban(self) -> bool | None:
        """城镇 (True) or 乡村 (False) for a village; None elsewhere."""
        return None if self.urban_rural is None else self.urban_rural in URBAN


class Population(SQLModel, table=True):
    """Residents of a village by year, sex and age group (the calibration margins)."""

    __tablename__ = "population"
    __table_args__ = (UniqueConstraint("code", "year", "sex", "age_group", name="uq_population_cell"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, foreign_key="unit.code", index=True)
    year: int
    sex: str = Field(max_length=1)
    age_group: str = Field(max_length=8)
    count: int


@dataclass(frozen=True)
class VillageChoice:
    """A village as the intro page's picker shows it: its township's name before its own."""

    code: str
    name: str
    township: str


def get_unit(session: Session, code: str) -> Unit | None:
    return session.get(Unit, code) if CODE.fullmatch(code) else None


def find_village(session: Session, code: str) -> Unit | None:
    """The village-level unit with this code (never sends text that cannot be a code to the database)."""
    unit = get_unit(session, code) if isinstance(code, str) else None
    return unit if unit is not None and unit.level == "village" else None


def children(session: Session, code: str) -> list[Unit]:
    return list(session.exec(select(Unit).where(Unit.parent == code).order_by(Unit.code)))


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """From the root down to the unit's parent."""
    chain: list[Unit] = []
    parent = unit.parent
    while parent is not None and (above := session.get(Unit, parent)) is not None and len(chain) < 6:
        chain.insert(0, above)
        parent = above.parent
    return chain


def list_villages(session: Session, under: str | None = None) -> list[VillageChoice]:
    """Villages (of a subtree), in code order, each with its township's name."""
    query = select(Unit).where(Unit.level == "village").order_by(Unit.code)
    if under is not None:
        query = query.where(col(Unit.code).startswith(prefix(under)))
    rows = list(session.exec(query))
    names = {u.code: u.name for u in session.exec(select(Unit).where(Unit.level == "township"))}
    return [VillageChoice(u.code, u.name, names.get(u.parent or "", "")) for u in rows]


def village_count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Unit).where(Unit.level == "village")).one())


def population_totals(session: Session, code: str, year: int | None = None) -> dict[tuple[str, str], int]:
    """Residents of a subtree by (sex, age group), summed over its villages (latest year by default)."""
    where = [col(Population.code).startswith(prefix(code))]
    if year is None:
        year = session.exec(select(func.max(Population.year)).where(*where)).one()
    query = (select(Population.sex, Population.age_group, func.sum(Population.count))
             .where(*where, Population.year == year).group_by(Population.sex, Population.age_group))
    return {(sex, age): int(total) for sex, age, total in session.exec(query)}


def upsert(session: Session, units: Iterable[dict[str, object]], population: Iterable[dict[str, object]]) -> dict[str, int]:
    """Add new units and population cells, update changed ones; never delete. Flushed, not committed."""
    stats = {"added": 0, "updated": 0, "unchanged": 0, "population_added": 0, "population_updated": 0}
    known = {u.code: u for u in session.exec(select(Unit))}
    for row in units:
        unit = known.get(str(row["code"]))
        if unit is None:
            session.add(Unit(**row))  # type: ignore[arg-type]
            stats["added"] += 1
        elif any(getattr(unit, k) != v for k, v in row.items()):
            for k, v in row.items():
                setattr(unit, k, v)
            session.add(unit)
            stats["updated"] += 1
        else:
            stats["unchanged"] += 1
    session.flush()
    cells = {(p.code, p.year, p.sex, p.age_group): p for p in session.exec(select(Population))}
    for row in population:
        cell = cells.get((str(row["code"]), int(row["year"]), str(row["sex"]), str(row["age_group"])))  # type: ignore[call-overload]
        if cell is None:
            session.add(Population(**row))  # type: ignore[arg-type]
            stats["population_added"] += 1
        elif cell.count != row["count"]:
            cell.count = int(row["count"])  # type: ignore[call-overload]
            session.add(cell)
            stats["population_updated"] += 1
    session.flush()
    return stats


def codes(session: Session) -> set[str]:
    return set(session.exec(select(Unit.code)))


class KnownVillages:
    """Village codes already found in the database, for the ingest API: units are never deleted, so a
    code once found stays valid; a code not yet seen is looked up (and kept if it is a village)."""

    def __init__(self) -> None:
        self._codes: set[str] | None = None

    def known(self, session: Session, code: str) -> bool:
        """Is `code` a stored village? A query only for a code not seen before."""
        if self._codes is None:
            self._codes = set(session.exec(select(Unit.code).where(Unit.level == "village")))
        if code in self._codes:
            return True
        if find_village(session, code) is None:
            return False
        self._codes.add(code)
        return True


def population_by_place(session: Session, code: str, year: int | None = None) -> dict[tuple[str, str, str], int]:
    """Residents of a subtree by (城乡: urban/rural, sex, age group), summed over its villages (latest
    year by default): the margins of the results pages' post-stratification."""
    where = [col(Population.code).startswith(prefix(code))]
    if year is None:
        year = session.exec(select(func.max(Population.year)).where(*where)).one()
    query = (select(Unit.urban_rural, Population.sex, Population.age_group, func.sum(Population.count))
             .join(Unit, col(Unit.code) == col(Population.code)).where(*where, Population.year == year)
             .group_by(Unit.urban_rural, Population.sex, Population.age_group))
    out: dict[tuple[str, str, str], int] = {}
    for ur, sex, age, total in session.exec(query):
        if ur is None:  # a village without 城乡分类代码 has no 城乡 cell (its responses have none either)
            continue
        key = ("urban" if ur in URBAN else "rural", sex, age)
        out[key] = out.get(key, 0) + int(total)
    return out


def households_by_place(session: Session, code: str) -> dict[str, int]:
    """Households of a subtree's villages by 城乡 (urban/rural)."""
    query = (select(Unit.urban_rural, func.sum(Unit.households))
             .where(col(Unit.code).startswith(prefix(code)), Unit.level == "village").group_by(Unit.urban_rural))
    out: dict[str, int] = {}
    for ur, total in session.exec(query):
        if ur is None:
            continue
        key = "urban" if ur in URBAN else "rural"
        out[key] = out.get(key, 0) + int(total or 0)
    return out


def list_units(session: Session, under: str) -> list[Unit]:
    """The units of a subtree (the unit itself included), in code order."""
    return list(session.exec(select(Unit).where(col(Unit.code).startswith(prefix(under))).order_by(Unit.code)))
