"""The first bad row of every check of a streamed file, noted batch by batch.

The in-memory path checks a whole column at once and reports the first offending row of the first
check that fails, in a fixed order (design values, nesting, fpc, weights, domains, the analysis
variable). A streamed file is seen in batches, so `Findings` notes, for every check, the first
(global, 0-based) row where it fails and the value there, and counts where a message needs a count;
`analysis.stream.checks` raises them at the end in the in-memory order. Must not raise problems.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from analysis.io.columns import Coded, Column


class Findings:
    """First failing rows (and values) per check, and counts of failing rows."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, Any]] = {}
        self.counts: Counter[str] = Counter()

    def note(self, key: str, bad: np.ndarray, offset: int, values: Column | None = None) -> None:
        """Record the first row of `bad` (with its value in `values`) unless `key` already has one."""
        if key in self.rows or not bad.any():
            return
        i = int(np.flatnonzero(bad)[0])
        self.rows[key] = (offset + i, None if values is None else raw_value(values, i))

    def count(self, key: str, bad: np.ndarray) -> None:
        """Add the failing rows of a batch to the count of `key`."""
        self.counts[key] += int(np.count_nonzero(bad))

    def first(self, key: str) -> tuple[int, Any] | None:
        """The first failing row (0-based) and its value, or None."""
        return self.rows.get(key)


def raw_value(column: Column, i: int) -> Any:
    """The value of row i as the in-memory path shows it: the level, or the number as Python scalar."""
    if isinstance(column, Coded):
        code = int(column.codes[i])
        return column.levels[code] if code >= 0 else None
    value = column[i]
    return value.item() if isinstance(value, np.generic) else value
