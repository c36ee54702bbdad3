"""The console's exports: a form (questionnaire, unit, dates, outcome, format, labels, free text) that
says how many responses would go out, and the download itself, streamed.

Both need `responses.export` (admins and evaluators); the unit must lie in the caller's subtree, else
the answer is 404 as if it did not exist. A download is audited (`export`, with its unit) before its
first byte leaves; a refused one reads nothing and records nothing. CSV is streamed batch by batch
as it is made; the other formats are written batch by batch to a temporary file (XLSX in constant
memory) that is streamed and then deleted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlmodel import Session

from server import exports, signin
from server.auth import Caller, need
from server.catalog import Catalog
from server.deps import CatalogDep, SessionDep
from server.routes.console import page
from server.security import check_same_origin
from server.staff_errors import S
from server.store import audit, units, waves
from server.unitcodes import is_code, is_under
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)
ExporterDep = Annotated[Caller, Depends(need("responses.export"))]
BIG = 50_000  # above this many rows the page warns that the file takes a while


@dataclass(frozen=True)
class Asked:
    """The form's fields as the query string carries them."""

    survey: str = ""
    unit: str = ""
    since: str = ""
    until: str = ""
    outcome: str = ""
    format: str = "csv"
    labels: bool = False
    free_text: bool = False
    wave: str = ""

    def query(self) -> str:
        return urlencode({k: ("1" if v is True else v) for k, v in asdict(self).items() if v not in ("", False)})


def _asked(survey: str = "", unit: str = "", since: str = "", until: str = "", outcome: str = "", format: str = "csv",
           labels: bool = False, free_text: bool = False, wave: str = "") -> Asked:
    return Asked(survey[:64], unit[:20], since[:20], until[:20], outcome[:20], format[:20], labels, free_text,
                 wave[:12])


AskedDep = Annotated[Asked, Depends(_asked)]


def _job(session: Session, catalog: Catalog, caller: Caller, asked: Asked) -> exports.Job:
    """The export asked for, inside the caller's subtree (their first top unit when none is given)."""
    unit = asked.unit or caller.units_for("responses.export")[0]
    if not is_code(unit) or not caller.may("responses.export", unit):
        raise Problem(S.NOT_FOUND)
    return exports.plan(session, catalog, asked.survey, asked.format, unit, asked.since, asked.until, asked.outcome,
                        asked.labels, asked.free_text, asked.wave)


def _unit_choices(session: Session, caller: Caller) -> list[tuple[str, str]]:
    """The caller's top units and the units one level below them (townships under a county)."""
    out: list[tuple[str, str]] = []
    for top in caller.units_for("responses.export"):
        unit = units.get_unit(session, top)
        out.append((top, unit.name if unit else top))
        out.extend((u.code, f"　{u.name}") for u in units.children(session, top))
    return out


def _waves(session: Session, caller: Caller) -> list[waves.Wave]:
    """The drawn waves overlapping the caller's export grants (whose weighted interviews may go out)."""
    tops = caller.units_for("responses.export")
    return [w for w in waves.list_waves(session) if w.drawn_at is not None
            and any(is_under(w.unit, t) or is_under(t, w.unit) for t in tops)]


@router.get("/console/exports", name="exports_form")
def exports_form(request: Request, session: SessionDep, catalog: CatalogDep, caller: ExporterDep,
                 asked: AskedDep) -> Response:
    """The form; once a questionnaire is chosen, how many responses the export would hold."""
    count, problem = None, None
    if asked.survey:
        try:
            job = _job(session, catalog, caller, asked)
            count = exports.count(session, catalog, job)
        except Problem as exc:
            problem = exc
    surveys = sorted((name, pub.survey.title) for name, pub in catalog.current.items())
    return page(request, "console/exports.html", caller, {
        "asked": asked, "surveys": surveys, "units": _unit_choices(session, caller), "formats": exports.FORMATS,
        "count": count, "big": BIG, "problem": problem, "query": asked.query(),
        "home": caller.units_for("responses.export")[0], "waves": _waves(session, caller)}, status_code=problem.status if problem else 200)


def _file_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def _body(request: Request, catalog: Catalog, job: exports.Job) -> Iterator[bytes]:
    """The file's bytes: CSV made batch by batch as it is sent; other formats through a temporary file."""
    engine: Any = request.app.state.engine
    if job.format == "csv":
        def stream() -> Iterator[bytes]:
            with Session(engine) as session:  # the request's session is closed once the handler returns
                yield from exports.csv_chunks(job, exports.batches(session, catalog, job))
        return stream()
    fd, name = tempfile.mkstemp(prefix="cunsheng-export-", suffix=exports.SUFFIX[job.format])
    os.close(fd)
    path, written = Path(name), False
    try:
        with Session(engine) as session:
            exports.write(path, job, exports.batches(session, catalog, job))
        written = True
    finally:
        if not written:
            path.unlink(missing_ok=True)
    return _file_chunks(path)


@router.get("/console/exports/download", name="exports_download")
def exports_download(request: Request, session: SessionDep, catalog: CatalogDep, caller: ExporterDep,
                     asked: AskedDep) -> Response:
    """The export file, scoped to the unit, audited with its row count before the first byte."""
    job = _job(session, catalog, caller, asked)
    rows = exports.count(session, catalog, job)
    if job.format == "xlsx" and rows > exports.XLSX_MAX_ROWS:
        raise Problem(exports.X.TOO_MANY_ROWS, limit=exports.XLSX_MAX_ROWS, rows=rows)
    audit.record(session, caller.username, caller.staff_id, "export", "survey", job.frame.survey, job.filters.under,
                 job.summary(rows), signin.address(request))
    session.commit()
    name = job.file_name()
    media = exports.MEDIA[exports.SUFFIX[job.format]]
    return StreamingResponse(_body(request, catalog, job), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Export-Rows": str(rows)})
