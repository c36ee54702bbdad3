"""The catalogue of plan targets (`surveys/data/indicators.csv`: the five seed plans' rows plus the gaps
this project filled, each with a `note`).

Every row has a stable `row_id`: "<seed prefix>:<source line>", with ".1", ".2", … appended in file
order where one line holds several targets (e.g. "001:64.3"). A reference (a question's `indicators:`
link, an indicator definition's `plan:` row) is resolved by `resolve`: an exact row_id is that row; a
bare "prefix:line" that names exactly one row is that row; one that names several is ambiguous and
lists them. Read-only; loaded once per process.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).parent / "data" / "indicators.csv"

# The form of a row_id: three-digit seed prefix, source line, optional ".n" for the n-th target on it.
ROW_ID = re.compile(r"^(\d{3}:\d+)(?:\.(\d+))?$")


class Match(Enum):
    """How a reference resolved."""

    FOUND = "found"
    MISSING = "missing"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Resolution:
    """The outcome of `resolve`: FOUND carries the one row_id, AMBIGUOUS every row_id it could mean."""

    match: Match
    candidates: tuple[str, ...] = ()

    @property
    def row_id(self) -> str | None:
        """The row the reference names, when it names exactly one."""
        return self.candidates[0] if self.match is Match.FOUND else None


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Rows of indicators.csv keyed by `row_id`, in file order."""
    with CATALOGUE.open(encoding="utf-8-sig", newline="") as fh:
        return {row["row_id"]: row for row in csv.DictReader(fh)}


@cache
def _by_line() -> dict[str, tuple[str, ...]]:
    """Row_ids grouped by their bare "prefix:line"."""
    out: dict[str, list[str]] = {}
    for row_id in catalogue():
        match = ROW_ID.match(row_id)
        if match:
            out.setdefault(match.group(1), []).append(row_id)
    return {line: tuple(ids) for line, ids in out.items()}


def resolve(ref: str) -> Resolution:
    """Resolve a reference to a row: found, missing, or ambiguous with its candidate row_ids."""
    if ref in catalogue():
        return Resolution(Match.FOUND, (ref,))
    candidates = _by_line().get(ref, ())
    if len(candidates) == 1:
        return Resolution(Match.FOUND, candidates)
    if candidates:
        return Resolution(Match.AMBIGUOUS, candidates)
    return Resolution(Match.MISSING)
