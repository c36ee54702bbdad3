"""Selection of one respondent among a household's eligible members: Kish grid and next birthday.

Kish grid (Kish 1949, "A procedure for objective respondent selection within the household",
*JASA* 44: 380-387; Kish 1965, *Survey Sampling*, §11.3). The interviewer lists the eligible members
in a fixed order — males from oldest to youngest, then females from oldest to youngest (`kish_order`)
— and the case's selection table, one of A, B1, B2, C, D, E1, E2, F assigned in the proportions
1/6, 1/12, 1/12, 1/6, 1/6, 1/12, 1/12, 1/6, gives the line number to interview for the number of
eligible members (6 or more read as 6):

    members   1  2  3  4  5  6+
    A         1  1  1  1  1  1
    B1        1  1  1  1  2  2
    B2        1  1  1  2  2  2
    C         1  1  2  2  3  3
    D         1  2  2  3  4  4
    E1        1  2  3  3  3  5
    E2        1  2  3  4  5  5
    F         1  2  3  4  5  6

With 1-4 or 6 members every line has probability exactly 1/n; with 5 the lines have 1/6, 1/6, 1/4,
1/6, 1/4, and beyond 6 only lines 1-6 can be chosen. The recorded probability is 1/n (`prob`), Kish's
approximation for 5 and for more than 6 members; `table_prob` is the table's exact value for the
chosen line. A table comes from the generator (`kish_table`) or from the case's serial number
(`kish_table_for`: serial s takes position (s − 1) mod 12 of the cycle A A B1 B2 C C D D E1 E2 F F,
whose shares are the tables' proportions; serial numbers must be assigned in random order).

Next birthday (Salmon & Nichols 1983, "The next-birthday method of respondent selection", *Political
Methodology* 9): the member whose birthday (month, day) comes first on or after the interview date,
wrapping to the next year; 29 February falls between 28 February and 1 March. A tie (the same
birthday) goes to the first listed member unless a generator is given. Its probability is taken as
1/n (birthdays are treated as random with respect to the survey variables). Pure: no storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.errors import AnalysisError, E, show

TABLES = ("A", "B1", "B2", "C", "D", "E1", "E2", "F")
SHARES = (1 / 6, 1 / 12, 1 / 12, 1 / 6, 1 / 6, 1 / 12, 1 / 12, 1 / 6)
GRID = np.array([
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 2, 2],
    [1, 1, 1, 2, 2, 2],
    [1, 1, 2, 2, 3, 3],
    [1, 2, 2, 3, 4, 4],
    [1, 2, 3, 3, 3, 5],
    [1, 2, 3, 4, 5, 5],
    [1, 2, 3, 4, 5, 6],
], dtype=np.int64)
CYCLE = ("A", "A", "B1", "B2", "C", "C", "D", "D", "E1", "E2", "F", "F")
MALE_FIRST = ("M", "F")


@dataclass(frozen=True)
class Choice:
    """The member to interview: line number (1-based, in the listing order), probability 1/n, exact table value."""

    line: int
    eligible: int
    prob: float
    table_prob: float


def kish_table(rng: np.random.Generator) -> str:
    """A selection table drawn with the standard proportions (one `rng.choice`)."""
    return TABLES[int(rng.choice(len(TABLES), p=SHARES))]


def kish_table_for(serial: int) -> str:
    """The table of case serial number `serial` (1, 2, ...) from the cycle of twelve."""
    return CYCLE[(serial - 1) % len(CYCLE)]


def kish_line(table: str, eligible: int) -> int:
    """The line number to interview under `table` with `eligible` members (6 or more read as 6)."""
    if table not in TABLES:
        raise AnalysisError(E.KISH_TABLE, value=show(table), allowed=", ".join(TABLES))
    if eligible < 1:
        raise AnalysisError(E.RESPONDENT_NONE)
    return int(GRID[TABLES.index(table), min(eligible, 6) - 1])


def kish_lines(tables: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """`kish_line` for arrays of table indices (positions in TABLES) and member counts >= 1."""
    return GRID[tables, np.minimum(eligible, 6) - 1]


def table_prob(line: int, eligible: int) -> float:
    """The exact probability that the Kish grid chooses `line` among `eligible` members."""
    column = GRID[:, min(eligible, 6) - 1]
    return float(sum(share for share, value in zip(SHARES, column, strict=True) if value == line))


def kish_order(sexes: Sequence[str], ages: Sequence[float]) -> list[int]:
    """Kish's listing order of eligible members: positions of males oldest first, then females oldest
    first (a stable order among equal ages)."""
    keys = [(MALE_FIRST.index(s) if s in MALE_FIRST else 2, -a, i) for i, (s, a) in enumerate(zip(sexes, ages, strict=True))]
    return [i for *_, i in sorted(keys)]


def kish(table: str, eligible: int) -> Choice:
    """The Kish grid's choice for a household with `eligible` members under `table`."""
    line = kish_line(table, eligible)
    return Choice(line, eligible, 1.0 / eligible, table_prob(line, eligible))


def next_birthday(
    birthdays: Sequence[tuple[int, int]], interview: dt.date, rng: np.random.Generator | None = None
) -> Choice:
    """The member (line in the given order) whose birthday (month, day) comes next on or after the
    interview date, wrapping to the next year; ties go to the first listed (or a random one with rng)."""
    if not birthdays:
        raise AnalysisError(E.RESPONDENT_NONE)
    today = (interview.month, interview.day)
    keys = []
    for row, (month, day) in enumerate(birthdays, start=1):
        try:
            dt.date(2000, month, day)  # a leap year: 29 February is a real birthday
        except (TypeError, ValueError):
            raise AnalysisError(E.BIRTHDAY, row=row, value=show(f"{month}-{day}")) from None
        keys.append(((month, day) < today, month, day))
    first = min(keys)
    tied = [i for i, key in enumerate(keys) if key == first]
    pick = tied[int(rng.integers(len(tied)))] if rng is not None and len(tied) > 1 else tied[0]
    n = len(birthdays)
    return Choice(pick + 1, n, 1.0 / n, 1.0 / n)
