"""Columns of a data set as the estimators see them: numeric arrays and coded categories.

Responsible for taking columns out of a pandas DataFrame (or a mapping of arrays) and for turning
any column into integer codes over sorted levels (R's `factor()`), in O(n) for integers and coded
text. Missing values are NaN in numeric arrays and -1 in codes. Reading files is
`analysis.io.readers`. Must not estimate anything, and must not import pandas at module level:
the command line pays only for what it uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E, show


@dataclass(frozen=True, eq=False)
class Coded:
    """A categorical column: codes into sorted `levels` (Python scalars), -1 where missing."""

    codes: np.ndarray
    levels: tuple[Any, ...]


Column = np.ndarray | Coded
Columns = Mapping[str, Column]


def nrows(columns: Columns) -> int:
    """The number of rows shared by the columns."""
    for column in columns.values():
        return len(column.codes) if isinstance(column, Coded) else len(column)
    return 0


def encode(column: Column) -> Coded:
    """Integer codes over the sorted distinct values of a column (missing values get -1)."""
    if isinstance(column, Coded):
        return column
    values = np.asarray(column)
    if values.dtype.kind == "b":
        return _encode_integers(values.astype(np.int64), as_bool=True)
    if values.dtype.kind in "iu":
        return _encode_integers(values.astype(np.int64, copy=False), as_bool=False)
    if values.dtype.kind == "f":
        return _encode_floats(values)
    return _encode_objects(values)


def numeric(column: Column, name: str, role: str) -> np.ndarray:
    """The column as float64 (NaN where missing); text that is not a number is an error."""
    if not isinstance(column, Coded):
        values = np.asarray(column)
        if values.dtype.kind in "biuf":
            return values.astype(np.float64, copy=False)
        column = _encode_objects(values)
    as_numbers = np.array([_to_number(level) for level in column.levels] + [np.nan], dtype=np.float64)
    bad = [i for i, level in enumerate(column.levels) if np.isnan(as_numbers[i])]
    if bad:
        row = int(np.flatnonzero(np.isin(column.codes, bad))[0])
        value = column.levels[int(column.codes[row])]
        raise AnalysisError(E.NOT_NUMERIC, column=name, role=role, row=row + 1, value=show(value))
    return as_numbers[column.codes]


def is_text(column: Column) -> bool:
    """True when no level of the column reads as a number (a categorical column such as `stype`)."""
    if not isinstance(column, Coded):
        values = np.asarray(column)
        if values.dtype.kind in "biuf":
            return False
        column = _encode_objects(values)
    return all(np.isnan(_to_number(level)) for level in column.levels)


def from_frame(frame: Any, names: Sequence[str]) -> dict[str, Column]:
    """The named columns of a pandas DataFrame (or a mapping of arrays), numeric or coded."""
    out: dict[str, Column] = {}
    for name in names:
        series = frame[name]
        if isinstance(series, (np.ndarray, Coded)):
            out[name] = series
        elif series.dtype.kind in "biuf":
            values = series.to_numpy()
            # nullable pandas dtypes (Int64, boolean) with missing values come out as objects
            out[name] = values if values.dtype.kind != "O" else series.to_numpy(np.float64, na_value=np.nan)
        else:
            out[name] = _factorize(series)
    return out


def combine(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Codes of the (outer, inner) pairs present, ordered by outer then inner (R's `interaction`)."""
    size = int(inner.max(initial=0)) + 1
    return compact(outer * size + inner, (int(outer.max(initial=0)) + 1) * size)[0]


def compact(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes 0..k-1 for non-negative integer keys below `size`, and the k distinct keys (sorted)."""
    if size <= 4 * len(keys) + 4096:
        present = np.bincount(keys, minlength=size) > 0
        remap = np.cumsum(present) - 1
        return remap[keys], np.flatnonzero(present)
    uniques, codes = np.unique(keys, return_inverse=True)
    return codes.reshape(-1), uniques


def _factorize(series: Any) -> Coded:
    import pandas as pd

    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    return Coded(codes.astype(np.int64, copy=False), tuple(_python(v) for v in uniques))


def _encode_integers(values: np.ndarray, as_bool: bool) -> Coded:
    if len(values) == 0:
        return Coded(np.zeros(0, dtype=np.int64), ())
    low, high = int(values.min()), int(values.max())
    if high - low <= 4 * len(values) + 1024:
        shifted = values - low if low else values
        present = np.bincount(shifted, minlength=high - low + 1) > 0
        levels = (np.flatnonzero(present) + low).tolist()
        # values 0..k-1 all present (PSU, stratum and domain numbers often are) are their own codes
        codes = shifted if low == 0 and len(levels) == len(present) else (np.cumsum(present) - 1)[shifted]
    else:
        uniques, codes = np.unique(values, return_inverse=True)
        levels = uniques.tolist()
    if as_bool:
        levels = [bool(level) for level in levels]
    return Coded(codes.astype(np.int64, copy=False), tuple(levels))


def _encode_floats(values: np.ndarray) -> Coded:
    missing = np.isnan(values)
    present = values[~missing] if missing.any() else values
    integral = bool(np.all(np.floor(present) == present)) and (
        len(present) == 0 or float(np.abs(present).max()) < 2**53
    )
    if integral:
        inner = _encode_integers(present.astype(np.int64), as_bool=False)
    else:
        uniques, codes = np.unique(present, return_inverse=True)
        inner = Coded(codes.astype(np.int64), tuple(uniques.tolist()))
    if not missing.any():
        return inner
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~missing] = inner.codes
    return Coded(codes, inner.levels)


def _encode_objects(values: np.ndarray) -> Coded:
    import pandas as pd

    return _factorize(pd.Series(values, dtype=object))


def sorted_coded(codes: np.ndarray, levels: list[Any]) -> Coded:
    """Codes over a dictionary re-ordered to sorted levels, dropping levels no row uses."""
    used = np.bincount(codes[codes >= 0], minlength=len(levels)) > 0
    order = sorted(np.flatnonzero(used).tolist(), key=lambda i: levels[i])
    rank = np.full(len(levels) + 1, -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return Coded(rank[codes.astype(np.int64, copy=False)], tuple(levels[i] for i in order))


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return float("nan")
