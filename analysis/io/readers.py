"""Reading a data file into columns: a UTF-8 CSV (with or without BOM) or a Parquet file.

Only the columns an estimate needs are read; an empty CSV field and the string `NA` are missing.
Parquet columns are read from their Arrow buffers, so the Parquet path never imports pandas
(pyarrow's `to_numpy()` would). Every unreadable file is a catalogue problem naming the file.
Must not estimate anything, and must not import pandas or pyarrow at module level.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E, column_missing
from analysis.io.columns import Column, from_frame, sorted_coded


def read_table(path: Path, needed: Mapping[str, str]) -> dict[str, Column]:
    """Read the `needed` columns (name -> role, for messages) of a CSV or Parquet file."""
    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(path, needed)
    return _read_csv(path, needed)


def header(path: Path) -> list[str]:
    """The column names of a CSV or Parquet file."""
    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    import pandas as pd

    try:
        return [str(c) for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _unreadable(path, exc) from None


def parquet_layout(path: Path) -> tuple[int, dict[str, bool]]:
    """A Parquet file's row count and, per column, whether it holds numbers (integers, floats,
    booleans, decimals) rather than text or other values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, exc) from None
    numeric = {
        field.name: pa.types.is_integer(field.type)
        or pa.types.is_floating(field.type)
        or pa.types.is_boolean(field.type)
        or pa.types.is_decimal(field.type)
        for field in file.schema_arrow
    }
    return file.metadata.num_rows, numeric


def iter_parquet(path: Path, needed: Mapping[str, str], batch_rows: int) -> Iterator[dict[str, Column]]:
    """The `needed` columns of a Parquet file, batch by batch (at most `batch_rows` rows each), as the
    same numbers and codes `read_table` gives for the whole file (codes are per batch). A row group
    that fits in a batch is one batch (decoded as it is stored, with nothing to stitch); the next
    batches are decoded in a thread while the caller works on this one (pyarrow releases the GIL)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    try:
        schema = pq.ParquetFile(path).schema_arrow
        _check_names(needed, schema.names)
        text = [name for name in needed if pa.types.is_string(schema.field(name).type)]
        file = pq.ParquetFile(path, read_dictionary=text)
        for batch in _prefetched(_batches(file, list(needed), batch_rows)):
            yield {name: _arrow_column(_one_array(batch.column(name))) for name in needed}
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, exc) from None


def _batches(file: Any, names: list[str], batch_rows: int) -> Iterator[Any]:
    """Tables of whole row groups (consecutive small ones together) up to `batch_rows` rows; a row
    group larger than that in batches of `batch_rows`."""
    import pyarrow as pa

    metadata = file.metadata
    run: list[int] = []
    rows = 0
    for group in range(metadata.num_row_groups):
        size = metadata.row_group(group).num_rows
        if run and rows + size > batch_rows:
            yield file.read_row_groups(run, columns=names, use_threads=False)
            run, rows = [], 0
        if size <= batch_rows:
            run, rows = [*run, group], rows + size
            continue
        for batch in file.iter_batches(batch_size=batch_rows, row_groups=[group], columns=names, use_threads=False):
            yield pa.Table.from_batches([batch])
    if run:
        yield file.read_row_groups(run, columns=names, use_threads=False)


def _prefetched(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """The items of an iterator, produced up to `depth` ahead by a worker thread; an exception in
    the worker is raised here, and leaving the loop early stops the worker."""
    import queue
    import threading

    done = object()
    slots: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((done, None))
        except Exception as exc:  # handed to the reading thread, which raises it
            slots.put((done, exc))

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def read_frame(path: Path) -> Any:
    """The whole CSV or Parquet file as a pandas DataFrame (for `cunsheng weights`, which writes it back)."""
    import pandas as pd

    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=["", "NA"], low_memory=False)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise _unreadable(path, exc) from None


def read_text_frame(path: Path) -> Any:
    """A whole UTF-8 CSV (with or without BOM) as a DataFrame of text, every value as written (empty is "")."""
    import pandas as pd

    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    try:
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise _unreadable(path, exc) from None


def _read_csv(path: Path, needed: Mapping[str, str]) -> dict[str, Column]:
    import pandas as pd

    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        _check_names(needed, list(header))
        frame = pd.read_csv(
            path,
            usecols=list(needed),
            encoding="utf-8-sig",
            keep_default_na=False,
            na_values=["", "NA"],
            low_memory=False,
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _unreadable(path, exc) from None
    return from_frame(frame, list(needed))


def _read_parquet(path: Path, needed: Mapping[str, str]) -> dict[str, Column]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
        schema = file.schema_arrow
        _check_names(needed, schema.names)
        text = [name for name in needed if pa.types.is_string(schema.field(name).type)]
        if text:  # text columns are read as dictionaries, which is an option of opening the file
            file = pq.ParquetFile(path, read_dictionary=text)
        table = file.read(columns=list(needed))
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, exc) from None
    return {name: _arrow_column(_one_array(table.column(name))) for name in needed}


def _one_array(column: Any) -> Any:
    """A chunked column as one array: its only chunk as it is (`combine_chunks` would copy it)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _arrow_column(array: Any) -> Column:
    """A pyarrow array as numbers or codes, read from its buffers (`to_numpy` would import pandas)."""
    import pyarrow as pa

    kind = array.type
    if pa.types.is_dictionary(kind):
        indices = _arrow_numbers(array.indices)
        codes = np.where(np.isnan(indices), -1, indices).astype(np.int64) if indices.dtype.kind == "f" else indices
        return sorted_coded(codes, array.dictionary.to_pylist())
    if pa.types.is_decimal(kind) or pa.types.is_float16(kind):
        return _arrow_numbers(array.cast(pa.float64()))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return _arrow_numbers(array)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        array = array.cast(pa.string())
    return _arrow_column(array.dictionary_encode())


def _arrow_numbers(array: Any) -> np.ndarray:
    """A primitive pyarrow array as numpy; nulls become NaN (the array is then float64)."""
    validity, data = array.buffers()[:2]
    start, stop = array.offset, array.offset + len(array)
    if str(array.type) == "bool":
        values: np.ndarray = _bits(data, stop)[start:].astype(bool)
    else:
        dtype = np.dtype({"double": "float64", "float": "float32"}.get(str(array.type), str(array.type)))
        values = np.frombuffer(data, dtype=dtype, count=stop)[start:]
    if not array.null_count:
        return values
    out = values.astype(np.float64)
    out[~_bits(validity, stop)[start:].astype(bool)] = np.nan
    return out


def _bits(buffer: Any, count: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), bitorder="little", count=count)


def _check_names(needed: Mapping[str, str], available: list[str]) -> None:
    for name, role in needed.items():
        if name not in available:
            raise column_missing(name, role, available)


def _unreadable(path: Path, exc: Exception) -> AnalysisError:
    """The problem for a data file that a reader refused: not UTF-8, empty, or not CSV/Parquet."""
    if isinstance(exc, UnicodeDecodeError):
        return AnalysisError(E.FILE_ENCODING, path=path)
    if type(exc).__name__ == "EmptyDataError":
        return AnalysisError(E.FILE_EMPTY, path=path)
    kind = "Parquet" if path.suffix.lower() in (".parquet", ".pq") else "CSV"
    return AnalysisError(E.FILE_FORMAT, path=path, kind=kind)
