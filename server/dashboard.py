"""A unit's dashboard: responses by questionnaire × child unit (complete, ended, last received).

One query tallies the subtree by village; the tallies are rolled up here to the unit's children, so
the county's page shows its townships and a township's its villages. Aggregates only: no answers
leave this way. The console page and its JSON twin `GET /api/v1/units/{code}` both render `Board`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from server.catalog import Catalog
from server.store import responses, units
from server.store.units import Unit
from server.unitcodes import LEVEL_ZH, is_under


@dataclass
class Cell:
    """Responses of one questionnaire in one unit's subtree."""

    complete: int = 0
    ended: int = 0
    last: datetime | None = None

    def add(self, outcome: str, count: int, last: datetime) -> None:
        if outcome == "complete":
            self.complete += count
        else:
            self.ended += count
        self.last = last if self.last is None or last > self.last else self.last

    def as_json(self) -> dict[str, Any]:
        return {"complete": self.complete, "ended": self.ended,
                "last_received": self.last.isoformat() if self.last else None}


@dataclass
class Row:
    unit: Unit
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Board:
    unit: Unit
    ancestors: list[Unit]
    surveys: list[tuple[str, str]]  # (name, title) of the questionnaires offered
    totals: dict[str, Cell]
    rows: list[Row]  # one per child unit, in code order
    villages: int

    @property
    def level_zh(self) -> str:
        return LEVEL_ZH.get(self.unit.level, self.unit.level)

    def as_json(self) -> dict[str, Any]:
        def unit_json(u: Unit) -> dict[str, Any]:
            return {"code": u.code, "name": u.name, "level": u.level}

        return {**unit_json(self.unit), "parent": self.unit.parent, "villages": self.villages,
                "ancestors": [unit_json(u) for u in self.ancestors],
                "counts": {name: self.totals[name].as_json() for name, _ in self.surveys},
                "children": [{**unit_json(r.unit), "counts": {name: r.cells[name].as_json() for name, _ in self.surveys}}
                             for r in self.rows]}


def board(session: Session, unit: Unit, catalog: Catalog) -> Board:
    """The dashboard of `unit`: totals of its subtree and one row per child unit."""
    names = [(name, pub.survey.title) for name, pub in sorted(catalog.current.items())]
    kids = units.children(session, unit.code)
    totals = {name: Cell() for name, _ in names}
    rows = [Row(kid, {name: Cell() for name, _ in names}) for kid in kids]
    for t in responses.tally(session, unit.code):
        totals.setdefault(t.survey, Cell()).add(t.outcome, t.count, t.last)
        for row in rows:
            if is_under(t.village, row.unit.code):
                row.cells.setdefault(t.survey, Cell()).add(t.outcome, t.count, t.last)
                break
    villages = 1 if unit.level == "village" else len(units.list_villages(session, under=unit.code))
    return Board(unit, units.ancestors(session, unit), names, totals, rows, villages)
