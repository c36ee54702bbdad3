"""A wave's data for review and estimation, built from its records: the quality flags of its
interviews, the review queue, and its weights and design.

Flags are analysis.quality.flags over each questionnaire version's interviews of the whole wave (the
median duration and the duplicate fingerprints are the wave's). Weights are never typed by hand:
one row per released, non-practice case — its village's stratum and stage-1 probability, the
household's and the respondent's probabilities, its final disposition, and for an interview the
analysis frame's row — goes to analysis.fieldwork.design, which adjusts base weights for unknown
eligibility and nonresponse within classes, calibrates to the unit tree's population of the
questionnaire's target and trims (fieldwork README §5). A rejected interview counts as a
nonrespondent (its weight is carried by the class's accepted interviews) and an open case as not
yet attempted (3.10), so the weights during fieldwork are provisional. Builds data only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session

from analysis.errors import AnalysisError
from analysis.fieldwork import design as wave_design
from analysis.quality.flags import Facts, Flag, flag_responses
from analysis.sampling import allocation
from analysis.weighting.selfcompleted import Weighted
from server import fieldwork, results
from server.catalog import Catalog
from server.frames import Filters, frame_for, frame_rows
from server.store import cases, responses, reviews, staff, units, waves
from server.store.responses import Response
from server.store.waves import Wave, WaveVillage
from server.unitcodes import prefix
from surveys.frame import WAVE_WEIGHTS, Frame, to_pandas
from surveys.problem import Problem

REJECTED_AS, OPEN_AS = "2.30", "3.10"  # how a rejected interview and an open case enter the weights
STEP_ZH = {"base": "基础权数（入样概率的倒数）", "eligibility": "未知资格调整", "nonresponse": "无应答调整",
           "calibration": "校准到人口结构", "trim": "截尾"}


def _interviews(session: Session, wave: Wave, survey: str | None = None) -> tuple[list[cases.Case], dict[str, Response]]:
    rows = [c for c in cases.cases_of(session, wave.id or 0) if survey is None or c.survey == survey]
    return rows, responses.latest_versions(session, responses.by_instances(session, [c.instance_id for c in rows]))


def _flags(catalog: Catalog, stored: list[Response]) -> dict[int, tuple[Flag, ...]]:
    """The flags of these interviews, computed per questionnaire version."""
    out: dict[int, tuple[Flag, ...]] = {}
    by_version: dict[int, list[Response]] = {}
    for r in stored:
        by_version.setdefault(r.version_id, []).append(r)
    for version_id, rows in by_version.items():
        facts = [Facts(str(r.id), r.village, r.answers, float(r.duration_seconds) if r.duration_seconds else None,
                       (r.paradata or {}).get("seconds"), sum(v - 1 for v in (r.paradata or {}).get("visits", {}).values()))
                 for r in rows]
        found = flag_responses(catalog.by_id[version_id].survey, facts)
        out |= {int(k): v for k, v in found.items()}
    return out


def flag_counts(session: Session, catalog: Catalog, wave: Wave, part: str) -> dict[int, int]:
    """response id → number of quality flags, for the wave's interviews."""
    _, found = _interviews(session, wave)
    return {rid: len(f) for rid, f in _flags(catalog, list(found.values())).items()}


def flags_of(session: Session, catalog: Catalog, wave_id: int, stored: Response) -> tuple[Flag, ...]:
    """One interview's flags (computed among its wave's interviews)."""
    wave = waves.get_wave(session, wave_id)
    if wave is None:
        return ()
    _, found = _interviews(session, wave, stored.survey)
    return _flags(catalog, list(found.values())).get(stored.id or 0, ())


def review_rows(session: Session, catalog: Catalog, wave: Wave, part: str) -> list[dict[str, Any]]:
    """The review queue of the caller's part of the wave: one row per interview."""
    rows, found = _interviews(session, wave)
    flags = _flags(catalog, list(found.values()))
    status = reviews.statuses(session, [r.id or 0 for r in found.values()])
    who = staff.usernames(session, {c.collector_id for c in rows if c.collector_id is not None})
    names = {u.code: u.name for u in units.list_units(session, part)}
    out = []
    for c in rows:
        stored = found.get(c.instance_id)
        if stored is None or not c.village.startswith(prefix(part)):
            continue
        out.append({"response_id": stored.id, "village": names.get(c.village, c.village), "survey": c.survey,
                    "collector": who.get(c.collector_id or 0, ""), "flags": flags.get(stored.id or 0, ()),
                    "minutes": stored.duration_seconds / 60 if stored.duration_seconds else None,
                    "status": status[stored.id or 0]})
    return out


@dataclass(frozen=True, eq=False)
class WaveWeights:
    """A questionnaire's weighted interviews of a wave: the frame rows with weights and design
    columns, the design document, each step's weight summary and the notes (collapses, methods)."""

    data: pd.DataFrame
    design: dict[str, Any]
    stages: list[dict[str, Any]]
    notes: list[str]


def case_frame(session: Session, catalog: Catalog, wave: Wave, survey: str) -> pd.DataFrame:
    """One row per released, non-practice case of the questionnaire: design facts, the disposition
    as weighted, and for an accepted interview its analysis-frame row."""
    rows, found = _interviews(session, wave, survey)
    sample = {v.village: v for v in waves.sample_of(session, wave.id or 0)}
    status = reviews.statuses(session, [r.id or 0 for r in found.values()])
    frame = frame_for(catalog, survey)
    wanted = {r.id for r in found.values()}
    answers = to_pandas(frame, (row for batch in frame_rows(session, catalog, frame, Filters(under=wave.unit))
                                for row in batch if row["response_id"] in wanted))
    by_response = answers.set_index("response_id") if len(answers) else None
    places = {u.code: u for u in units.list_units(session, wave.unit)}
    stage1 = _stage1_sizes(session, wave, sample)
    records = []
    for c in rows:
        stored, village = found.get(c.instance_id), sample[c.village]
        disposition = c.disposition if c.status == cases.CLOSED else OPEN_AS
        if stored is not None and status[stored.id or 0] == "rejected" and disposition in ("1.1", "1.2"):
            disposition = REJECTED_AS
        record = {"case_id": c.id, "village_code": c.village, "township_code": c.village[:9] + "000",
                  "urban_rural": "urban" if places[c.village].urban else "rural", "stratum": village.stratum,
                  "certainty": village.certainty, "p_village": c.p_village, "p_household": c.p_household,
                  "p_person": c.p_person if c.p_person is not None else float("nan"),
                  "replacement": c.replaces is not None, "disposition": disposition,
                  "fpc1": stage1[c.village], "fpc2": village.listed, "fpc3": c.eligible}
        if stored is not None and by_response is not None and stored.id in by_response.index:
            record |= {k: v for k, v in by_response.loc[stored.id].items() if k not in record}
            record["response_id"] = stored.id
        records.append(record)
    return pd.DataFrame.from_records(records)


def _stage1_sizes(session: Session, wave: Wave, sample: dict[str, WaveVillage]) -> dict[str, int | None]:
    """Village code -> the population size of its first stage: the villages of its stratum in the frame
    (the allocation made again from the stored choices), or for a certainty village (a stratum of its own,
    its households the PSUs) its listed households."""
    plan = allocation.allocate(fieldwork.village_frame(session, wave), wave.villages, wave.allocation,
                               wave.given or None)
    sizes = Counter(plan.stratum.values())
    return {code: row.listed if row.certainty else sizes[row.stratum] for code, row in sample.items()}


def weigh(session: Session, catalog: Catalog, wave: Wave, survey: str, part: str | None = None) -> WaveWeights:
    """The questionnaire's weights and design over the whole wave (`part` restricts the rows returned)."""
    if survey not in [s["survey"] for s in wave.surveys] or survey not in catalog.current:
        raise Problem(results.R.WAVE_SURVEY, wave=wave.name, survey=survey[:64])
    target = results.target_of(catalog.current[survey].survey)
    margins = results.population_of(session, target, wave.unit)
    try:
        done = wave_design.wave_design(case_frame(session, catalog, wave, survey),
                                       [wave_design.Margin(tuple(target.cells), margins)])
    except AnalysisError as exc:
        raise Problem(results.R.NO_WAVE_WEIGHTS, wave=wave.name, why=exc.message) from exc
    data = done.respondents
    if part is not None and part != wave.unit:
        data = data[data["village_code"].astype(str).str.startswith(prefix(part))].reset_index(drop=True)
    stages = [{**s, "label": STEP_ZH.get(s["stage"], s["stage"])} for s in done.steps]
    return WaveWeights(data, done.design, stages, [done.note, *(c.description for c in done.collapses)])


def export_frame(frame: Frame) -> Frame:
    """A wave export's columns: the questionnaire's frame, then the design's (stratum, psu, weight, …)."""
    taken = set(frame.names)
    return Frame(frame.survey, frame.title, frame.versions,
                 frame.columns + tuple(c for c in WAVE_WEIGHTS if c.name not in taken))


def export_batches(session: Session, catalog: Catalog, wave: Wave, out: Frame, under: str,
                   size: int = 10_000) -> list[dict[str, list[Any]]]:
    """The wave's weighted interviews of `out`'s questionnaire in `under`, as the export writers' column
    batches (missing values as None). Rejected and practice interviews carry no weight and are not here."""
    data = weigh(session, catalog, wave, out.survey, under).data
    data = data.rename(columns={f"p_{stage}": f"prob_{stage}" for stage in ("village", "household", "person")})
    columns: dict[str, list[Any]] = {}
    for c in out.columns:
        if c.name not in data.columns:
            columns[c.name] = [None] * len(data)
            continue
        values = data[c.name]
        if c.dtype == "Int64":
            values = values.astype("Float64").round().astype("Int64")
        values = values.astype(object)
        columns[c.name] = values.where(values.notna(), None).tolist()
    return [{name: v[i:i + size] for name, v in columns.items()} for i in range(0, len(data), size)]


WAVE_NOTE = "概率样本（{wave}）：按入样概率加权，经无应答调整和人口结构校准"


def pool(session: Session, catalog: Catalog, wave: Wave, survey: str, unit: units.Unit) -> results.Pool:
    """The results pages' pool for a wave: its weighted interviews in the unit's subtree (a domain
    of whole strata for a township: strata lie inside townships) and the wave's design."""
    compiled = catalog.current[survey].survey if survey in catalog.current else None
    if compiled is None:
        raise Problem(results.R.WAVE_SURVEY, wave=wave.name, survey=survey[:64])
    try:
        weighted = weigh(session, catalog, wave, survey, unit.code)
    except Problem as problem:
        return results.Pool(compiled, unit, None, problem, WAVE_NOTE.format(wave=wave.name))
    shaped = Weighted(weighted.data, weighted.design, (), (), {})
    return results.Pool(compiled, unit, shaped, None, WAVE_NOTE.format(wave=wave.name), tuple(weighted.notes))


def design_document() -> dict[str, Any]:
    """The design file of every wave (its columns come with the wave's weights)."""
    return wave_design.design_document()


def summaries(session: Session, catalog: Catalog, wave: Wave, part: str) -> list[dict[str, Any]]:
    """Per questionnaire of the wave: its weight steps and notes, or why there are none yet."""
    out = []
    for item in wave.surveys:
        name = item["survey"]
        title = catalog.current[name].survey.title if name in catalog.current else name
        entry: dict[str, Any] = {"survey": name, "title": title, "problem": None, "stages": [], "notes": []}
        if wave.drawn_at is None:
            entry["problem"] = "尚未抽样。"
        else:
            try:
                weighted = weigh(session, catalog, wave, name)
                entry |= {"stages": weighted.stages, "notes": weighted.notes}
            except Problem as problem:
                entry["problem"] = problem.message
        out.append(entry)
    return out
