"""Exports of the analysis frame (surveys/frame.py): CSV, XLSX, Parquet, Stata .dta, SPSS .sav, and the
codebook alone (XLSX, or HTML for a file named *.html).

Streaming: CSV, XLSX and Parquet take the frame's columns batch by batch (server.frames.frame_batches,
keyset pagination) and write each batch as it comes: CSV as text chunks (Arrow writes the cells,
server.cells), XLSX through xlsxwriter's constant-memory mode (one row in memory), Parquet in row groups
of `ROW_GROUP` rows through a ParquetWriter. Stata and SPSS files are written by pyreadstat, which needs
the whole DataFrame: those two formats hold every row in memory (fine for a county; use Parquet for the
largest exports).

Privacy by default: free-text columns (which may hold names) are left out unless the job asks for them,
and an export that includes them says so (the 说明 sheet, the Parquet metadata, the audit row and the
console's file name). The frame holds no draft, resume code, client address or device detail, and
nothing here adds one. This module writes files and chunks; it does not read requests, print or audit.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlmodel import Session

from server import wavedesign
from server.catalog import Catalog
from server.codebook import OUTCOMES, codebook, codebook_html, notes, value_labels
from server.frames import Filters, count_rows, frame_batches, frame_for
from server.render import BEIJING
from server.store import units, waves
from server.store.waves import Wave
from server.unitcodes import is_code
from surveys.frame import Frame, rows_of, to_pandas
from surveys.problem import Catalogue, Problem

FORMATS = ("csv", "xlsx", "parquet", "dta", "sav", "codebook")
SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet", "dta": ".dta", "sav": ".sav", "codebook": ".xlsx"}
MEDIA = {".csv": "text/csv; charset=utf-8", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".parquet": "application/vnd.apache.parquet", ".dta": "application/x-stata-dta",
         ".sav": "application/x-spss-sav", ".html": "text/html; charset=utf-8"}
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows less the header
BOM = "\ufeff"
Progress = Callable[[int], None]
Columns = dict[str, list[Any]]  # a batch of the frame's columns (server.frames.frame_batches)


class X(Catalogue):
    """Export problems: (code, HTTP status, Chinese, English); the command line exits 2 on any of them."""

    FORMAT = ("export.format_unknown", 422, "没有“{format}”这种导出格式。可用的格式：{formats}。",
              "unknown export format {format} (use one of {formats})")
    DATE = ("export.date_invalid", 422, "{field} 的日期“{value}”无效：格式应为 YYYY-MM-DD（北京时间），例如 2025-03-01。",
            "{field}: {value} is not a date YYYY-MM-DD")
    RANGE = ("export.range_empty", 422, "开始日期 {since} 晚于结束日期 {until}，没有可导出的时间段。",
             "since {since} is after until {until}")
    OUTCOME = ("export.outcome_unknown", 422, "结果只能是 complete（答完）或 ended（按问卷规则提前结束），不是“{outcome}”。",
               "outcome must be complete or ended, not {outcome}")
    UNIT = ("export.unit_not_found", 404, "单位代码“{unit}”不存在：请用单位树中的 12 位统计用区划代码。",
            "no unit with code {unit}")
    OUT_EXISTS = ("export.out_exists", 409, "文件 {path} 已经存在：请换一个文件名，或加 --force 覆盖。",
                  "{path} exists; choose another name or add --force")
    OUT_DIR = ("export.out_dir_missing", 422, "目录 {path} 不存在，请先创建它。", "no such folder: {path}")
    TOO_MANY_ROWS = ("export.xlsx_too_many_rows", 422,
                     "XLSX 一张表最多 {limit} 行，这次有 {rows} 份以上答卷：请缩小单位或日期范围，或改用 CSV / Parquet。",
                     "an XLSX sheet holds at most {limit} rows; narrow the export or use CSV / Parquet")
    WAVE = ("export.wave_not_found", 404, "没有调查轮次“{wave}”：请用调查轮次页上的编号或名称。", "no wave {wave}")
    WAVE_SURVEY = ("export.wave_survey", 422, "调查轮次“{wave}”还没有问卷“{survey}”的加权数据（没有调查这份问卷，或尚未抽样）。",
                   "wave {wave} has no weighted data of {survey}")
    WAVE_FILTER = ("export.wave_filtered", 422, "按调查轮次导出的是这一轮的全部加权受访者，不能再按日期或结果筛选。",
                   "a wave export takes no date or outcome filter")
    ARGUMENTS = ("export.bad_arguments", 422, "命令参数有误：{reason}。用法见 cunsheng export --help。",
                 "bad arguments: {reason} (see cunsheng export --help)")


@dataclass(frozen=True)
class Job:
    """One export: which questionnaire and responses, in which format, with labels and free text or not."""

    frame: Frame  # every column of the questionnaire's versions
    format: str
    filters: Filters = Filters()
    labels: bool = False
    free_text: bool = False
    unit_name: str = ""
    since: str = ""  # the Beijing dates asked for, as given (for the 说明 sheet and the audit row)
    until: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    wave_id: int | None = None  # a wave's weighted interviews, with the design's columns
    wave: str = ""  # that wave's name

    @property
    def out(self) -> Frame:
        """The frame as written: without its free-text columns unless they were asked for."""
        return self.frame if self.free_text else self.frame.without_free_text()

    def summary(self, rows: int) -> dict[str, Any]:
        """What the audit row records of this export."""
        asked = {"unit": self.filters.under, "since": self.since, "until": self.until, "outcome": self.filters.outcome,
                 "wave": self.wave_id}
        return {"format": self.format, "rows": rows, "labels": self.labels, "free_text": self.free_text,
                "versions": list(self.frame.versions)} | {k: v for k, v in asked.items() if v}

    def file_name(self) -> str:
        """A download's name: questionnaire, unit, date, and `_freetext` when free text is included."""
        parts = [self.frame.survey, *([f"wave{self.wave_id}"] if self.wave_id else []), self.filters.under or "all",
                 self.at.astimezone(BEIJING).strftime("%Y%m%d")]
        kind = "_codebook" if self.format == "codebook" else ""
        return "_".join(parts) + kind + ("_freetext" if self.free_text else "") + SUFFIX[self.format]


def _day(value: str, name: str, end: bool = False) -> datetime | None:
    """A Beijing date as the aware UTC instant its day starts (the next day's start for an end date)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Problem(X.DATE, field=name, value=value[:20]) from None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), BEIJING).astimezone(UTC)


def plan(session: Session, catalog: Catalog, survey: str, fmt: str, unit: str = "", since: str = "",
         until: str = "", outcome: str = "", labels: bool = False, free_text: bool = False, wave: str = "") -> Job:
    """Check an export's choices and make its job; a Problem names the first choice at fault. With `wave`
    (its id or name) the job is that wave's weighted interviews with the design's columns."""
    frame = frame_for(catalog, survey)
    found_wave = _wave(session, wave, survey, since or until or outcome) if wave else None
    if fmt not in FORMATS:
        raise Problem(X.FORMAT, format=fmt[:20], formats=" | ".join(FORMATS))
    start, end = _day(since, "since"), _day(until, "until", end=True)
    if start and end and start >= end:
        raise Problem(X.RANGE, since=since, until=until)
    if outcome and outcome not in OUTCOMES:
        raise Problem(X.OUTCOME, outcome=outcome[:20])
    found = units.get_unit(session, unit) if unit and is_code(unit) else None
    if unit and found is None:
        raise Problem(X.UNIT, unit=unit[:20])
    if found_wave is not None:
        return Job(wavedesign.export_frame(frame), fmt, Filters(unit or found_wave.unit), labels, free_text,
                   found.name if found else "", wave_id=found_wave.id, wave=found_wave.name)
    return Job(frame, fmt, Filters(unit or None, start, end, outcome or None), labels, free_text,
               found.name if found else "", since, until)


def _wave(session: Session, asked: str, survey: str, filtered: str) -> Wave:
    """The wave an export names (id or name), which must have drawn its sample and field the questionnaire."""
    found = waves.get_wave(session, int(asked)) if asked.isdigit() else waves.find_wave(session, asked)
    if found is None:
        raise Problem(X.WAVE, wave=asked[:60])
    if survey not in [s["survey"] for s in found.surveys] or found.drawn_at is None:
        raise Problem(X.WAVE_SURVEY, wave=found.name, survey=survey)
    if filtered:
        raise Problem(X.WAVE_FILTER)
    return found


def batches(session: Session, catalog: Catalog, job: Job) -> Iterable[Columns]:
    """The job's column batches: the stored responses (read batch by batch as they are written), or a
    wave's weighted interviews (computed whole: a wave is a sample, not a census)."""
    if job.wave_id is None:
        return frame_batches(session, catalog, job.out, job.filters)
    wave = waves.get_wave(session, job.wave_id)
    assert wave is not None
    return wavedesign.export_batches(session, catalog, wave, job.out, job.filters.under or wave.unit)


def count(session: Session, catalog: Catalog, job: Job) -> int:
    """How many rows the job writes."""
    if job.wave_id is None:
        return count_rows(session, job.frame, job.filters)
    return sum(_length(b) for b in batches(session, catalog, job))


# --- cells ----------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _length(columns: Columns) -> int:
    return len(next(iter(columns.values()), ()))


def _headers(job: Job) -> list[str]:
    """Variable names, or (with labels) the Chinese variable labels, made unique with the name."""
    if not job.labels:
        return list(job.out.names)
    counts: dict[str, int] = {}
    for c in job.out.columns:
        counts[c.label] = counts.get(c.label, 0) + 1
    return [c.label if counts[c.label] == 1 else f"{c.label}（{c.name}）" for c in job.out.columns]


def _typed(job: Job) -> list[tuple[str, dict[Any, str] | None, bool]]:
    """Per written column: its name, the labels to put in place of codes (if any), whether it is a time."""
    return [(c.name, (value_labels(c) or None) if job.labels else None, c.dtype.startswith("datetime"))
            for c in job.out.columns]


# --- CSV ------------------------------------------------------------------------------------------

def csv_chunks(job: Job, batches: Iterable[Columns], progress: Progress | None = None) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks (one per batch), the first starting with the byte-order mark, so that
    Excel and LibreOffice open the Chinese text correctly; pure data, no comment lines."""
    from server import cells

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(_headers(job))
    yield (BOM + buffer.getvalue()).encode("utf-8")
    cols, done = _typed(job), 0

    def lines(batch: tuple[list[Any], int]) -> tuple[bytes, int]:  # a batch's CSV lines and its row count
        return cells.csv_lines(batch[0]), batch[1]

    made = (([cells.csv_cells(columns[name], labels, when) for name, labels, when in cols], _length(columns))
            for columns in batches)
    for chunk, rows in cells.ahead(lines, made):
        done += rows
        yield chunk
        if progress:
            progress(done)


def write_csv(out: BinaryIO, job: Job, batches: Iterable[Columns], progress: Progress | None = None) -> int:
    count = [0]
    for chunk in csv_chunks(job, batches, lambda n: (count.__setitem__(0, n), progress and progress(n))):
        out.write(chunk)
    return count[0]


# --- XLSX -----------------------------------------------------------------------------------------


def write_xlsx(out: BinaryIO | str, job: Job, batches: Iterable[Columns],
               progress: Progress | None = None) -> int:
    """数据 (unless the job is the codebook alone), 变量说明 and 说明, in xlsxwriter's constant-memory mode.
    Cells are written by type (never as formulas: an answer starting with "=" stays text)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    data = book.add_worksheet("数据") if job.format != "codebook" else None
    sheets = book.add_worksheet("变量说明"), book.add_worksheet("说明")
    count = 0
    if data is not None:
        data.freeze_panes(1, 0)
        data.set_column(0, len(job.out.columns) - 1, 12)
        for j, c in enumerate(job.out.columns):
            if c.dtype.startswith("datetime"):
                data.set_column(j, j, 20)
        data.write_row(0, 0, _headers(job), bold)
        count = _xlsx_rows(data, when, job, batches, progress)
    for sheet, rows, widths in zip(sheets, (codebook(job), notes(job, count if data else None)), ((16, 40), (14, 62)),
                                   strict=True):
        sheet.set_column(0, 0, widths[0])
        sheet.set_column(1, 1, widths[1])
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row, bold if i == 0 else None)
    book.close()
    return count


def _xlsx_rows(sheet: Any, when: Any, job: Job, batches: Iterable[Columns], progress: Progress | None) -> int:
    cols, count = _typed(job), 0
    for columns in batches:
        if count + _length(columns) > XLSX_MAX_ROWS:
            raise Problem(X.TOO_MANY_ROWS, limit=XLSX_MAX_ROWS, rows=count + _length(columns))
        for values in zip(*(columns[name] for name, _, _ in cols), strict=True):
            count += 1
            for j, ((_, labels, is_time), value) in enumerate(zip(cols, values, strict=True)):
                if value is None:
                    continue
                if is_time:
                    sheet.write_datetime(count, j, _utc(value).replace(tzinfo=None), when)
                elif labels is not None and value in labels:
                    sheet.write_string(count, j, labels[value])
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(count, j, value)
                else:
                    sheet.write_string(count, j, str(value))
        if progress:
            progress(count)
    return count


# --- Parquet --------------------------------------------------------------------------------------


def codebook_json(job: Job) -> str:
    """The codebook and the 说明 facts as JSON, for the Parquet schema's metadata (key `cunsheng`)."""
    return json.dumps({
        "survey": job.frame.survey, "title": job.frame.title, "versions": list(job.frame.versions),
        "exported_at": job.at.astimezone(BEIJING).isoformat(), "free_text_included": job.free_text,
        "filters": job.summary(0) | {"rows": None},
        "variables": [{"name": c.name, "label": c.label, "label_en": c.label_en, "dtype": c.dtype,
                       "question": c.question, "free_text": c.free_text,
                       "values": {str(k): v for k, v in value_labels(c).items()}} for c in job.out.columns],
    }, ensure_ascii=False)


def arrow_schema(job: Job) -> Any:
    import pyarrow as pa

    kinds = {"Int64": pa.int64(), "Float64": pa.float64(), "string": pa.string()}
    fields = [pa.field(c.name, pa.timestamp("us", tz="UTC") if c.dtype.startswith("datetime")
                       else kinds.get(c.dtype, pa.string())) for c in job.out.columns]
    return pa.schema(fields, metadata={"cunsheng": codebook_json(job)})


ROW_GROUP = 10_000  # rows per Parquet row group: few enough groups to keep the footer small


def write_parquet(out: BinaryIO | str, job: Job, batches: Iterable[Columns], progress: Progress | None = None) -> int:
    """Row groups of about `ROW_GROUP` rows through a ParquetWriter (the codebook in the schema's metadata),
    each batch turned into Arrow arrays column by column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from server.cells import parquet_array

    schema = arrow_schema(job)

    def groups() -> Iterator[Any]:  # row groups of about ROW_GROUP rows, and how many rows are done
        pending, count = [], 0
        for columns in batches:
            pending.append(pa.RecordBatch.from_arrays([parquet_array(columns[f.name], f.type) for f in schema],
                                                      schema=schema))
            count += pending[-1].num_rows
            if sum(b.num_rows for b in pending) >= ROW_GROUP:
                yield pa.Table.from_batches(pending, schema=schema), count
                pending = []
        if pending:
            yield pa.Table.from_batches(pending, schema=schema), count

    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for table, count in groups():
            writer.write_table(table, row_group_size=ROW_GROUP)
            if progress:
                progress(count)
    return count


# --- Stata and SPSS (whole DataFrame) -------------------------------------------------------------


def write_stat(path: Path, job: Job, batches: Iterable[Columns], progress: Progress | None = None) -> int:
    """.dta or .sav with variable labels and the value labels of coded columns. pyreadstat writes a
    whole DataFrame, so this format keeps every row in memory."""
    import pyreadstat

    rows: list[dict[str, Any]] = []
    for columns in batches:
        rows.extend(rows_of(columns))
        if progress:
            progress(len(rows))
    data = to_pandas(job.out, rows)
    for c in job.out.columns:
        if c.dtype.startswith("datetime"):
            data[c.name] = data[c.name].dt.tz_convert(None)  # UTC wall time: neither format keeps a zone
    limit = 80 if job.format == "dta" else 256  # Stata's variable labels hold 80 characters
    labels = [c.label[:limit] for c in job.out.columns]
    values = {c.name: dict(c.values) for c in job.out.columns if c.values and c.dtype == "Int64"}
    write = pyreadstat.write_dta if job.format == "dta" else pyreadstat.write_sav
    write(data, str(path), column_labels=labels, variable_value_labels=values)
    return len(rows)


def write(path: Path, job: Job, batches: Iterable[Columns], progress: Progress | None = None,
          as_html: bool = False) -> int:
    """Write the job's file at `path` (the caller makes it a temporary name and renames it); the row count.
    `as_html` writes the codebook alone as HTML."""
    if job.format == "codebook" and as_html:
        path.write_bytes(codebook_html(job))
        return 0
    if job.format in ("dta", "sav"):
        return write_stat(path, job, batches, progress)
    writers = {"csv": write_csv, "xlsx": write_xlsx, "codebook": write_xlsx, "parquet": write_parquet}
    with path.open("wb") as out:
        return writers[job.format](out, job, batches, progress)
