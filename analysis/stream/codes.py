"""Codes that grow batch by batch: column values, pairs of codes, dense accumulators and first rows.

A streamed file is seen one batch at a time, so every categorical value (a stratum, a PSU, a domain
level) gets a global code in first-seen order (`Dictionary`), pairs of codes such as (stratum, PSU)
under `nest` or (by1, by2) get one dense code (`PairCodes`), and weighted sums are added into dense
arrays that double along an axis when a new code needs room (`Grid`). At the end `Dictionary.ranks()`
gives the sorted order the in-memory path uses (R's `factor()`; integral floats as integers, missing
last). Memory is bounded by the number of codes and cells, never by rows; a grid or pair table that
would pass `MAX_CELLS` raises `NotStreamable`, and the caller falls back to the in-memory path.
Must not read files or estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis.io.columns import Coded, Column, encode

MAX_CELLS = 1 << 23


class NotStreamable(Exception):
    """The data turned out to need the in-memory path (too many cells, text read as numbers)."""


class Dictionary:
    """The values of one column seen so far, each with a global code in first-seen order."""

    def __init__(self, missing_level: bool = False) -> None:
        """`missing_level`: missing values get a code of their own (level None), as `--by` columns do."""
        self.missing_level = missing_level
        self.index: dict[Any, int] = {}
        self.keys: list[Any] = []
        self.floating = False
        self.low = 0
        self.table = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def codes(self, column: Column) -> np.ndarray:
        """Global codes of a batch's column (-1 where missing, unless missing is a level)."""
        if not isinstance(column, Coded) and column.dtype.kind in "iu" and len(column):
            fast = self._integer_codes(column)
            if fast is not None:
                return fast
        coded = encode(column)
        if not isinstance(column, Coded) and np.asarray(column).dtype.kind == "f":
            self.floating = True
        lookup = np.full(len(coded.levels) + 1, -1, dtype=np.int64)
        for i, level in enumerate(coded.levels):
            lookup[i] = self._code(level)
        if self.missing_level and (coded.codes < 0).any():
            lookup[-1] = self._code(None)
        return lookup[coded.codes]

    def _integer_codes(self, values: np.ndarray) -> np.ndarray | None:
        """Codes of integers through a table over their range (one gather per batch), or None when
        the range is too wide for a table. The table starts at 0 when it can (no shift per batch);
        values new to the table get codes in increasing order."""
        low, high = int(values.min()), int(values.max())
        seen_low, seen_high = low, high
        if len(self.table):
            low, high = min(low, self.low), max(high, self.low + len(self.table) - 1)
        limit = 4 * len(values) + (1 << 16)
        if 0 < low and high <= limit:
            low = 0
        if high - low > limit:
            return None
        if low != self.low or high - low + 1 != len(self.table):
            table = np.full(high - low + 1, -1, dtype=np.int64)
            table[self.low - low : self.low - low + len(self.table)] = self.table
            self.low, self.table = low, table
        shifted = values - low if low else values
        if (self.table[seen_low - low : seen_high - low + 1] < 0).any():  # this batch may hold new values
            present = np.bincount(shifted, minlength=len(self.table)) > 0
            for value in (np.flatnonzero(present & (self.table < 0)) + low).tolist():
                self.table[value - low] = self._code(value)
        return np.take(self.table, shifted)

    def _code(self, value: Any) -> int:
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.keys)
            self.keys.append(value)
        return code

    def levels(self) -> list[Any]:
        """The values as the in-memory path writes them: integral floats as integers."""
        present = [key for key in self.keys if key is not None]
        if self.floating:
            integral = all(float(v).is_integer() and abs(v) < 2**53 for v in present)
            return [None if k is None else (int(k) if integral else float(k)) for k in self.keys]
        return list(self.keys)

    def ranks(self) -> tuple[np.ndarray, tuple[Any, ...]]:
        """The sorted position of every global code, and the sorted levels (missing, None, last)."""
        levels = self.levels()
        order = sorted(range(len(levels)), key=lambda i: (levels[i] is None, 0 if levels[i] is None else levels[i]))
        rank = np.empty(len(levels), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank, tuple(levels[i] for i in order)


class PairCodes:
    """Dense codes for pairs (a, b) of non-negative codes, in first-seen order, with their parts."""

    def __init__(self) -> None:
        self.table = np.full((1, 1), -1, dtype=np.int64)
        self.first = np.zeros(0, dtype=np.int64)
        self.second = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.first)

    def codes(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The code of every (a[i], b[i]); new pairs get the next codes."""
        need = (int(a.max(initial=-1)) + 1, int(b.max(initial=-1)) + 1)
        shape = tuple(max(2 * s, n) if n > s else s for n, s in zip(need, self.table.shape, strict=True))
        self.table = _grown(self.table, shape, -1)
        width = self.table.shape[1]
        flat_table = self.table.reshape(-1)
        flat = a * width + b
        got = flat_table[flat]
        new = got < 0
        if new.any():
            fresh = np.unique(flat[new])
            flat_table[fresh] = np.arange(len(self), len(self) + len(fresh))
            self.first = np.concatenate([self.first, fresh // width])
            self.second = np.concatenate([self.second, fresh % width])
            got = flat_table[flat]
        return got


class Grid:
    """Named dense accumulators over integer axes (unit x domain [x level]), grown on demand."""

    def __init__(self, names: Sequence[str], axes: int) -> None:
        self.shape: tuple[int, ...] = (1,) * axes
        self.data = {name: np.zeros(self.shape) for name in names}

    def add(self, index: Sequence[np.ndarray], values: Mapping[str, np.ndarray | None]) -> None:
        """Add each named per-row value (None: count rows) into the cell of its index; only the
        cells from the batch's lowest first-axis code on are counted (a batch mostly holds a few
        units of a file sorted by unit)."""
        if not len(index[0]):
            return
        need = tuple(int(i.max()) + 1 for i in index)
        if any(n > s for n, s in zip(need, self.shape, strict=True)):
            shape = tuple(max(s * 2, n) if n > s else s for n, s in zip(need, self.shape, strict=True))
            self.data = {name: _grown(array, shape, 0.0) for name, array in self.data.items()}
            self.shape = shape
        flat = index[0]
        for axis, width in zip(index[1:], self.shape[1:], strict=True):
            flat = flat * width + axis
        low = int(index[0].min()) * int(np.prod(self.shape[1:]))
        if low:
            flat = np.subtract(flat, low, out=flat if len(index) > 1 else None)
        for name, value in values.items():
            sums = np.bincount(flat, weights=value)
            self.data[name].reshape(-1)[low : low + len(sums)] += sums

    def get(self, name: str, sizes: Sequence[int]) -> np.ndarray:
        """The accumulator cut to the codes in use."""
        array = self.data[name]
        if any(n > s for n, s in zip(sizes, array.shape, strict=True)):
            array = _grown(array, tuple(max(n, s) for n, s in zip(sizes, array.shape, strict=True)), 0.0)
        return array[tuple(slice(0, n) for n in sizes)]


class Firsts:
    """Per code, the first row (global, 0-based) where it occurs, and a value at that row."""

    NONE = np.iinfo(np.int64).max

    def __init__(self) -> None:
        self.row = np.zeros(0, dtype=np.int64)
        self.value = np.zeros(0)

    def note(
        self, codes: np.ndarray, offset: int, values: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Record the first occurrence of every code of this batch not seen before; return those
        codes and their first index in the batch (None when the batch has no new code)."""
        seen = len(self.row)
        size = int(codes.max(initial=-1)) + 1
        if size <= seen:
            return None  # every code below len(self.row) was noted in the batch that created it
        self.row = np.concatenate([self.row, np.full(size - seen, self.NONE, dtype=np.int64)])
        self.value = np.concatenate([self.value, np.full(size - seen, np.nan)])
        first = first_rows(codes, size)[seen:]
        present = first < len(codes)
        new, index = np.flatnonzero(present) + seen, first[present]
        self.row[new] = offset + index
        if values is not None:
            self.value[new] = values[index]
        return new, index


def first_rows(codes: np.ndarray, size: int) -> np.ndarray:
    """The first index of every code 0..size-1 in `codes` (len(codes) where absent), found among
    the starts of runs of equal codes (a unit's or a stratum's rows mostly come together)."""
    starts = np.flatnonzero(codes[1:] != codes[:-1])[::-1] + 1
    first = np.full(size, len(codes), dtype=np.int64)
    first[codes[starts]] = starts
    if len(codes):
        first[codes[0]] = 0
    return first


def _grown(array: np.ndarray, shape: tuple[int, ...], fill: float) -> np.ndarray:
    """The array padded with `fill` to at least `shape`; refuses past MAX_CELLS."""
    shape = tuple(max(n, s) for n, s in zip(shape, array.shape, strict=True))
    if shape == array.shape:
        return array
    if int(np.prod(shape)) > MAX_CELLS:
        raise NotStreamable("too many cells")
    out = np.full(shape, fill, dtype=array.dtype)
    out[tuple(slice(0, s) for s in array.shape)] = array
    return out
