"""Frame columns as Arrow arrays: the cells of a CSV batch (and their bytes) and the columns of a Parquet
row group, made in C wherever the result is the same as Python's.

A CSV must read the same whichever writer made it, so a cell is what the csv module would write: a
whole number or a text as it is, a time as UTC `isoformat`, anything else (a decimal, a boolean, a
number past 64 bits) as `str`. Arrow writes a batch without quotes or refuses it when a value holds a
comma, a quote or a line break, exactly the values the csv module (QUOTE_MINIMAL) quotes; such a batch
is written by the csv module. This module knows nothing of jobs, files or the frame's meaning.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

_CSV = pcsv.WriteOptions(include_header=False, eol="\r\n", quoting_style="none", null_string="")
T = TypeVar("T")
R = TypeVar("R")


def csv_cells(values: list[Any], labels: dict[Any, str] | None = None, when: bool = False) -> pa.Array:
    """One column's CSV cells: value labels in place of codes when `labels` is given, times when `when`."""
    if when:
        return iso_times(values)
    if labels is not None:
        return pa.array([None if v is None else labels.get(v, str(v)) for v in values], pa.string())
    try:
        cells = pa.array(values)  # Arrow's own type inference: refuses a mix (1 and True, 1 and "1")
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        cells = None
    if cells is not None and (pa.types.is_int64(cells.type) or pa.types.is_string(cells.type)
                              or pa.types.is_null(cells.type)):
        return cells  # whole numbers and text print as Python prints them
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def iso_times(values: list[Any]) -> pa.Array:
    """Times as `datetime.isoformat` writes them in UTC (`2025-03-01T08:10:00.250000+00:00`, no fraction
    when it is zero; a naive time is UTC), formatted by Arrow: a third of the time of isoformat calls."""
    text = pa.array(values, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")).cast(pa.string())
    text = pc.replace_substring(pc.replace_substring(text, " ", "T"), ".000000", "")  # "2025-03-01 08:10:00.000000"
    return pc.binary_join_element_wise(text, "+00:00", "")


def csv_lines(cells: list[pa.Array]) -> bytes:
    """A batch's CSV lines (CRLF, UTF-8) from its columns' cells."""
    table = pa.Table.from_arrays(cells, names=[str(i) for i in range(len(cells))])
    sink = pa.BufferOutputStream()
    try:
        pcsv.write_csv(table, sink, _CSV)
        return sink.getvalue().to_pybytes()  # type: ignore[no-any-return]
    except pa.ArrowInvalid:  # a value needs quotes: the csv module quotes it (None is written empty)
        buffer = io.StringIO()
        texts = [pc.cast(c, pa.string()).to_pylist() for c in cells]
        csv.writer(buffer, lineterminator="\r\n").writerows(zip(*texts, strict=True))
        return buffer.getvalue().encode("utf-8")


def parquet_array(values: list[Any], kind: pa.DataType) -> pa.Array:
    """One column as an Arrow array of its Parquet type (times in UTC; a text column's non-text values by `str`)."""
    if pa.types.is_string(kind):
        try:
            return pa.array(values, kind)
        except (pa.ArrowException, TypeError, ValueError):
            return pa.array([None if v is None else str(v) for v in values], kind)
    return pa.array(values, kind)  # Arrow reads naive times as UTC and converts aware ones to it


def ahead(work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """`work` of each item, in order, each run on a helper thread while the next item is made. Arrow
    formats CSV lines without holding the GIL, so on a second core that overlaps reading and laying
    out the next batch. (Not for Parquet: a second row group in memory costs more than it saves.)"""
    with ThreadPoolExecutor(1, thread_name_prefix="export") as pool:
        pending: Future[R] | None = None
        for item in items:
            future = pool.submit(work, item)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()
