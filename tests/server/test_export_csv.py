"""The CSV export's bytes are the csv module's, cell by cell: Arrow writes a batch only when no value needs
quotes, and every value prints as Python prints it (times as UTC isoformat, numbers and text by str)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from server import exports
from surveys.frame import frame_of
from tests.surveys.test_frame import _versions

BEIJING = timezone(timedelta(hours=8))
ODD: dict[str, list[Any]] = {  # per column, one value per row
    "born": ["2020-02-29", "普通", "", None, " lead", "x"],
    "income": [1234.5, 2, 0.1 + 0.2, None, 1e20, -0.0],
    "resp_age": [42, -9, None, 2**70, True, 0],
    "resp_sex": [1, 2, -9, None, 7, 1],
    "received_at": [datetime(2025, 3, 1, 0, 10, tzinfo=UTC), datetime(2025, 3, 1, 8, 10, 0, 250000, tzinfo=BEIJING),
                    datetime(2025, 3, 1, 0, 10, 0, 1), None, datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                    datetime(2025, 3, 1, 0, 0, tzinfo=UTC)],
    "note_text": ["张三的建议", "没有", None, "", "好", "x"],
}
QUOTED = {"born": ["a,b", 'say "hi"', "line\nbreak", "cr\rhere", None, "plain"]}


def _columns(job: exports.Job, values: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {name: list(values.get(name, [None] * 6)) for name in job.out.names}


def _reference(job: exports.Job, batches: list[dict[str, list[Any]]]) -> bytes:
    """What the csv module writes of the same cells (the rule before Arrow wrote the CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(exports._headers(job))
    typed = exports._typed(job)
    for columns in batches:
        for i in range(6):
            writer.writerow([_text(columns[name][i], labels, when) for name, labels, when in typed])
    return (exports.BOM + buffer.getvalue()).encode("utf-8")


def _text(value: Any, labels: dict[Any, str] | None, when: bool) -> str:
    if value is None:
        return ""
    if when:
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()
    return labels.get(value, str(value)) if labels is not None else str(value)


@pytest.mark.parametrize("labels, free_text", [(False, False), (True, False), (False, True), (True, True)])
def test_csv_bytes_are_the_csv_modules_for_odd_values_and_values_that_need_quotes(labels: bool,
                                                                                 free_text: bool) -> None:
    job = exports.Job(frame_of(_versions()), "csv", labels=labels, free_text=free_text)
    batches = [_columns(job, ODD), _columns(job, ODD | QUOTED), _columns(job, {})]
    got = b"".join(exports.csv_chunks(job, batches))
    assert got == _reference(job, batches)
    assert b'"a,b"' in got and b'"say ""hi"""' in got and b"2025-03-01T00:10:00.250000+00:00" in got
