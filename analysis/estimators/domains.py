"""Domains: one integer code per row for every combination of the `by` columns present in the data.

Domain estimation keeps the full design (Lumley 2010, sec. 2.3; R `svyby()`): a row outside a domain
stays in its PSU and stratum with zero contribution, so this module only labels rows; it never
subsets the data. Rows whose `by` value is missing form their own domain (value None), as R's
`svyby()` keeps an NA group. Codes are built in O(n) from the columns' codes, never with a loop over
rows or an n x domains matrix. Must not estimate anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E
from analysis.io.columns import Columns, combine, encode, nrows


@dataclass(frozen=True, eq=False)
class Domains:
    """Row codes 0..count-1 and, per domain, the tuple of its `by` values (sorted, missing last)."""

    by: tuple[str, ...]
    codes: np.ndarray
    values: tuple[tuple[Any, ...], ...]

    @property
    def count(self) -> int:
        return len(self.values)

    def describe(self, domain: int) -> str:
        """A domain as written in messages, such as `stype`='E'."""
        if not self.by:
            return "(全部 all rows)"
        pairs = zip(self.by, self.values[domain], strict=True)
        return ", ".join(f"`{name}`={value!r}" for name, value in pairs)


def domains(columns: Columns, by: Sequence[str]) -> Domains:
    """The domains of every combination of the `by` columns found in the data."""
    parts = [_by_codes(columns, name) for name in by]
    if len(parts) == 1:
        codes, levels = parts[0]
        return Domains(tuple(by), codes, tuple((level,) for level in levels))
    n = nrows(columns)
    codes = np.zeros(n, dtype=np.int64)
    for column_codes, _ in parts:
        codes = combine(codes, column_codes)
    count = int(codes.max(initial=0)) + 1
    first_row = np.full(count, n, dtype=np.int64)
    np.minimum.at(first_row, codes, np.arange(n))
    labels = [[levels[c] for c in column_codes[first_row].tolist()] for column_codes, levels in parts]
    values = tuple(zip(*labels, strict=True)) if by else ((),)
    return Domains(tuple(by), codes, values)


def _by_codes(columns: Columns, name: str) -> tuple[np.ndarray, tuple[Any, ...]]:
    """A `by` column's codes over its levels, with missing values as one more level (None) at the end."""
    coded = encode(columns[name])
    if not coded.levels:
        raise AnalysisError(E.ALL_MISSING, column=name)
    missing = coded.codes < 0
    if not missing.any():
        return coded.codes, coded.levels
    return np.where(missing, len(coded.levels), coded.codes), (*coded.levels, None)
