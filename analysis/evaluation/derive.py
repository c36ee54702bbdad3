"""The 0/1 indicator of a definition on a data set, and who is in its population (design/evaluation.md).

For `prop`, a respondent of the population counts 1 when the numerator holds and 0 otherwise; a
missing or special value in a column the numerator reads keeps the respondent in the denominator
and out of the numerator (0), unless the indicator says `missing: exclude` (then the value is NaN:
out of the domain, as `--na drop`). For `mean`, the column itself, NaN where it is missing or holds
a special code. Conditions are evaluated with the questionnaire language's own semantics
(`surveys.indicator_defs.reading`), once per distinct combination of the values they read, so a
large file costs one pass over its codes, not a Python call per row. The population is a domain:
nothing here drops a row. Must not estimate anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E, close_hint
from analysis.io.columns import Columns, combine, encode, nrows, numeric
from surveys.indicator_defs.model import Indicator
from surveys.indicator_defs.reading import Reads, holds, missing, reads


@dataclass(frozen=True, eq=False)
class Derived:
    """Per row: the analysis value (0/1 for prop; NaN where left out) and membership of the population."""

    values: np.ndarray
    inside: np.ndarray

    @property
    def usable(self) -> np.ndarray:
        """Rows in the population with a value: the rows of the indicator's domain."""
        return self.inside & ~np.isnan(self.values)


def columns_read(indicator: Indicator, names: Sequence[str]) -> list[str]:
    """The data columns an indicator reads; a column it needs that `names` lacks is an error naming
    the indicator."""
    out: list[str] = []
    for field, condition in (("numerator", indicator.numerator), ("population", indicator.population)):
        if condition is None:
            continue
        read = reads(condition, names)
        if read.unknown:
            raise _column_missing(indicator.code, field, read.unknown[0], names)
        out += [*read.needed, *read.checked]
    if indicator.value is not None:
        if indicator.value not in names:
            raise _column_missing(indicator.code, "value", indicator.value, names)
        out.append(indicator.value)
    return list(dict.fromkeys(out))


def derive(columns: Columns, indicator: Indicator, specials: frozenset[int]) -> Derived:
    """The indicator's values and population on the data (the columns of `columns_read`)."""
    names = list(columns)
    n = nrows(columns)
    inside = np.ones(n, dtype=bool)
    if indicator.population is not None:
        inside, _ = _evaluate(columns, reads(indicator.population, names), indicator.population, specials)
    if indicator.value is not None:
        values = numeric(columns[indicator.value], indicator.value, "value")
        values = np.where(np.isin(values, list(specials)), np.nan, values) if specials else values
        return Derived(values, inside)
    assert indicator.numerator is not None
    met, gap = _evaluate(columns, reads(indicator.numerator, names), indicator.numerator, specials)
    values = np.where(met & ~gap, 1.0, 0.0)
    if indicator.exclude_missing:
        values[gap] = np.nan
    return Derived(values, inside)


def _evaluate(columns: Columns, read: Reads, condition: Any, specials: frozenset[int]) -> tuple[np.ndarray, np.ndarray]:
    """Whether the condition holds on each row, and whether a column it checks is missing or special
    there: evaluated on the first row of each distinct combination of the columns it reads."""
    names = list(dict.fromkeys([*read.needed, *read.checked]))
    coded = [encode(columns[name]) for name in names]
    combination = np.zeros(nrows(columns), dtype=np.int64)
    for column in coded:
        combination = combine(combination, column.codes + 1)  # missing (-1) becomes its own code 0
    count = int(combination.max(initial=-1)) + 1
    first = np.full(count, len(combination), dtype=np.int64)
    np.minimum.at(first, combination, np.arange(len(combination)))
    met = np.zeros(count, dtype=bool)
    gap = np.zeros(count, dtype=bool)
    for k, row in enumerate(first.tolist()):
        values = {name: _python(c.levels, int(c.codes[row])) for name, c in zip(names, coded, strict=True)}
        met[k] = holds(condition, read, values, specials)
        gap[k] = missing(read, values, specials)
    return met[combination], gap[combination]


def _python(levels: tuple[Any, ...], code: int) -> Any:
    """A coded value as the condition language sees it: None when missing, whole numbers as int."""
    if code < 0:
        return None
    value = levels[code]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _column_missing(code: str, field: str, column: str, names: Sequence[str]) -> AnalysisError:
    hint_zh, hint_en = close_hint(column, names)
    return AnalysisError(E.EVAL_COLUMN, code=code, field=field, column=column, hint_zh=hint_zh, hint_en=hint_en)
