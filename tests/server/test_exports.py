"""Exports: responses posted through the API come back from every format with the same values and
labels; an export holds only its unit's subtree, for every role; broken choices are clear refusals
that leave nothing behind (no file, no audit row)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server import frames
from server.app import create_app
from server.cli import main
from server.store import responses, staff
from surveys.frame import to_pandas
from tests.server.staffkit import COUNTY, audit_count, make_staff, sign_in
from tests.surveys.test_frame import ANSWERS, V1, V2

TOWN_A, TOWN_B = "149901001000", "149901002000"
VILLAGE_A, VILLAGE_B = "149901001205", "149901002200"
BOM = b"\xef\xbb\xbf"


@dataclass
class Served:
    app: Any
    url: str
    ids: dict[str, dict[str, Any]]  # instance id -> {village, version, answers}


def _post(client: TestClient, version: int, village: str, answers: dict[str, Any], ids: dict[str, Any]) -> None:
    instance = str(uuid.uuid4())
    r = client.post("/api/v1/surveys/hh/responses", json={
        "instance_id": instance, "version": version, "village": village, "answers": answers,
        "started_at": "2025-03-01T08:00:00+08:00", "completed_at": "2025-03-01T08:10:00+08:00"})
    assert r.status_code == 201, r.text
    ids[instance] = {"village": village, "version": version, "answers": answers}


V1_ROWS = [ANSWERS, {**ANSWERS, "svc": -8, "resp_age": -9, "know_a": 2, "top": [2, 3], "income": None,
                     "note_text": None, "old_only": None, "resp_sex": 2}]
V2_ROWS = [{**{k: v for k, v in ANSWERS.items() if k != "old_only"}, "new_only": 7, "svc": [9], "income": 0.5}]


@pytest.fixture
def served(make_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """`hh` version 1 served and answered in both townships, then the server restarted on the same
    database with version 2 and answered again; the CLI reads the same database."""
    folder = tmp_path / "defs"
    folder.mkdir()
    ids: dict[str, Any] = {}
    for number, (text, rows) in enumerate(((V1, V1_ROWS), (V2, V2_ROWS)), start=1):
        (folder / "hh.yaml").write_text(text, encoding="utf-8")
        app = create_app(make_settings(folder))
        with TestClient(app) as client:
            for answers in rows:
                for village in (VILLAGE_A, VILLAGE_B):
                    _post(client, number, village, {k: v for k, v in answers.items() if v is not None}, ids)
        if number == 1:
            app.state.engine.dispose()
    url = app.state.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", url)
    yield Served(app, url, ids)
    app.state.engine.dispose()


def _reference(served: Served, free_text: bool = False) -> pd.DataFrame:
    """The frame read straight from the database: what every format must hold."""
    app = served.app
    frame = frames.frame_for(app.state.catalog, "hh")
    frame = frame if free_text else frame.without_free_text()
    with Session(app.state.engine) as session:
        rows = [r for b in frames.frame_rows(session, app.state.catalog, frame, frames.Filters()) for r in b]
    return to_pandas(frame, rows)


def _same(ref: pd.DataFrame, got: pd.DataFrame) -> None:
    """Column by column: numbers as numbers, text as text, times within a millisecond."""
    assert list(got.columns) == list(ref.columns)
    for name in ref.columns:
        want, have = ref[name], got[name]
        if str(want.dtype).startswith("datetime"):
            have = pd.to_datetime(have, utc=True)
            assert ((have - want).abs() < pd.Timedelta("1ms")).all(), name
        elif str(want.dtype) in ("Int64", "Float64"):
            assert pd.to_numeric(have).astype(float).fillna(-1e9).tolist() == want.astype(float).fillna(-1e9).tolist(), name
        else:
            assert have.fillna("").astype(str).tolist() == want.fillna("").astype(str).tolist(), name


def _export(tmp_path: Path, fmt: str, *flags: str, name: str = "") -> Path:
    out = tmp_path / (name or f"hh.{fmt}")
    assert main(["export", "hh", "--format", fmt, "--out", str(out), *flags]) == 0
    return out


def test_posted_answers_come_back_the_same_from_every_format(served: Served, tmp_path: Path) -> None:
    ref = _reference(served)
    assert len(ref) == 6 and set(ref["version"]) == {1, 2} and "note_text" not in ref.columns
    first = ref[ref["instance_id"] == next(iter(served.ids))].iloc[0]  # the posted ANSWERS, version 1, township A
    assert (first["svc_1"], first["svc_9"], first["svc_n"], first["know_b"], first["top_r1"], first["top_r2"]) == \
        (1, 1, 2, -8, 3, 1)
    assert (first["income"], first["sleep"], first["born"], first["old_only"], first["township_code"]) == \
        (1234.5, 480, "2020-02-29", 1, TOWN_A)
    assert ref["new_only"].isna().sum() == 4 and ref["old_only"].isna().sum() >= 2  # a version that did not ask

    csv = _export(tmp_path, "csv")
    assert csv.read_bytes().startswith(BOM)
    _same(ref, pd.read_csv(csv, encoding="utf-8-sig", dtype={"village_code": str, "township_code": str,
                                                              "county_code": str}))
    _same(ref, pd.read_excel(_export(tmp_path, "xlsx"), sheet_name="数据", dtype={"village_code": str,
                                                                               "township_code": str, "county_code": str}))
    parquet = _export(tmp_path, "parquet")
    _same(ref, pd.read_parquet(parquet))
    dta, dmeta = pyreadstat.read_dta(_export(tmp_path, "dta"))
    sav, smeta = pyreadstat.read_sav(_export(tmp_path, "sav"))
    for data, meta in ((dta, dmeta), (sav, smeta)):
        _same(ref, data)
        assert meta.column_names_to_labels["svc_1"] == "用过哪些服务：体检"
        assert meta.column_names_to_labels["know_b"] == "对还是错：说法乙"
        assert {int(k): v for k, v in meta.variable_value_labels["resp_sex"].items()} == {1: "女", 2: "男"}
        assert {int(k): v for k, v in meta.variable_value_labels["know_a"].items()}[-8] == "不知道"
    meta = pq.read_schema(parquet).metadata[b"cunsheng"].decode()
    assert '"free_text_included": false' in meta and "用过哪些服务：体检" in meta


def test_the_xlsx_carries_a_codebook_and_notes_and_labels_on_request(served: Served, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(_export(tmp_path, "xlsx"), read_only=True)
    assert book.sheetnames == ["数据", "变量说明", "说明"]
    codebook = {r[0]: r for r in book["变量说明"].iter_rows(values_only=True)}
    assert codebook["svc_1"][1] == "用过哪些服务：体检" and codebook["svc_1"][2] == "Services used: Check-up"
    assert "-8=不知道" in codebook["svc"][4] and codebook["resp_sex"][4] == "1=女；2=男" and "note_text" not in codebook
    notes = dict(book["说明"].iter_rows(values_only=True))
    assert notes["问卷版本"] == "第 1 版、第 2 版" and notes["答卷数"] == "6" and notes["自由文本"].startswith("不包含")
    labelled = openpyxl.load_workbook(_export(tmp_path, "xlsx", "--labels", name="labels.xlsx"), read_only=True)
    header, *rows = labelled["数据"].iter_rows(values_only=True)
    assert "用过哪些服务：体检" in header and "性别（resp_sex）" in header  # a label two columns share names them
    sexes = {row[header.index("性别（resp_sex）")] for row in rows}
    assert sexes == {"女", "男"} and {row[header.index("性别（sex）")] for row in rows} == {"女", "男"}
    codebook_only = openpyxl.load_workbook(_export(tmp_path, "codebook", name="codebook.xlsx"), read_only=True)
    assert codebook_only.sheetnames == ["变量说明", "说明"]
    page = _export(tmp_path, "codebook", name="codebook.html").read_text(encoding="utf-8")
    assert "用过哪些服务：体检" in page and "<table>" in page


def test_free_text_is_left_out_unless_asked_and_then_marked(served: Served, tmp_path: Path) -> None:
    plain = pd.read_parquet(_export(tmp_path, "parquet"))
    assert "note_text" not in plain.columns
    out = _export(tmp_path, "parquet", "--include-free-text", name="free.parquet")
    assert "张三的建议" in set(pd.read_parquet(out)["note_text"].dropna())
    assert '"free_text_included": true' in pq.read_schema(out).metadata[b"cunsheng"].decode()
    book = openpyxl.load_workbook(_export(tmp_path, "xlsx", "--include-free-text", name="free.xlsx"), read_only=True)
    assert dict(book["说明"].iter_rows(values_only=True))["自由文本"].startswith("包含")
    for banned in ("resume", "draft", "address", "user_agent", "device"):
        assert not any(banned in c for c in plain.columns)
    with Session(served.app.state.engine) as session:
        from sqlmodel import select

        from server.store.audit import AuditEntry
        free = [e.summary["free_text"] for e in session.exec(select(AuditEntry).where(AuditEntry.verb == "export"))]
    assert free == [False, True, True]


def test_filters_choose_the_unit_outcome_and_dates(served: Served, tmp_path: Path) -> None:
    town_a = pd.read_csv(_export(tmp_path, "csv", "--unit", TOWN_A), encoding="utf-8-sig", dtype=str)
    assert len(town_a) == 3 and set(town_a["township_code"]) == {TOWN_A}
    assert len(pd.read_csv(_export(tmp_path, "csv", "--outcome", "ended", name="ended.csv"), encoding="utf-8-sig")) == 0
    later = _export(tmp_path, "csv", "--since", "2999-01-01", name="later.csv")
    assert len(pd.read_csv(later, encoding="utf-8-sig")) == 0
    assert audit_count(served.app, "export") == 3


@pytest.mark.slow
def test_libreoffice_reads_the_labelled_csv_with_chinese_headers_thanks_to_the_bom(served: Served, tmp_path: Path) -> None:
    """LibreOffice headless, told nothing about the character set, reads the file as UTF-8 and takes the
    BOM as the marker it is (not as text in the first header cell)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is not installed: `make libreoffice` (make test does) installs it")
    csv = _export(tmp_path, "csv", "--labels", name="labels.csv")
    assert csv.read_bytes().startswith(BOM)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--infilter=CSV:44,34,,1", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(csv)],
                   check=True, capture_output=True, timeout=180)
    sheet = openpyxl.load_workbook(tmp_path / "lo" / "labels.xlsx").active
    header, first = ([c.value for c in row] for row in sheet.iter_rows(max_row=2))
    assert header[:4] == ["答卷编号", "实例编号", "问卷", "问卷版本"] and "用过哪些服务：体检" in header
    assert all(isinstance(h, str) and any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header)
    assert first[header.index("乡镇")] == "枣岭镇"


# --- scope: every role, through the console -------------------------------------------------------


@pytest.mark.parametrize("role", sorted(staff.ROLES))
def test_an_export_for_township_a_holds_nothing_from_township_b_for_every_role(served: Served, role: str) -> None:
    app = served.app
    make_staff(app, "county", role, COUNTY)
    make_staff(app, "town_a", role, TOWN_A)
    allowed = role in ("admin", "evaluator")
    with TestClient(app) as county, TestClient(app) as town:
        sign_in(county, "county")
        sign_in(town, "town_a")
        for fmt in ("csv", "parquet"):
            r = county.get("/console/exports/download", params={"survey": "hh", "unit": TOWN_A, "format": fmt})
            assert r.status_code == (200 if allowed else 404)
            if allowed and fmt == "csv":
                assert all((i in r.text) == (s["village"] == VILLAGE_A) for i, s in served.ids.items())
            elif allowed:
                assert set(pq.read_table(pa_buffer(r.content)).column("township_code").to_pylist()) == {TOWN_A}
        r = town.get("/console/exports/download", params={"survey": "hh", "format": "csv"})  # default: the home unit
        assert r.status_code == (200 if allowed else 404)
        if allowed:
            assert r.content.startswith(BOM)
            text = r.content.decode("utf-8-sig")
            assert all((i in text) == (s["village"] == VILLAGE_A) for i, s in served.ids.items())
            assert TOWN_B not in text and "新店村" not in text
            assert "attachment" in r.headers["content-disposition"]
        r = town.get("/console/exports/download", params={"survey": "hh", "unit": TOWN_B, "format": "csv"})
        assert r.status_code == 404 and "新店村" not in r.text
        assert town.get("/console/exports", params={"survey": "hh", "unit": TOWN_B}).status_code == 404
        page = town.get("/console/exports", params={"survey": "hh"})
        assert page.status_code == (200 if allowed else 404)
        if allowed:
            assert "将导出 <strong>3</strong> 份答卷" in page.text and "导出数据" in page.text
    assert audit_count(app, "export") == (3 if allowed else 0)


def test_a_parquet_download_for_a_township_matches_its_rows(served: Served) -> None:
    app = served.app
    make_staff(app, "eva", "evaluator", COUNTY)
    with TestClient(app) as client:
        sign_in(client, "eva")
        r = client.get("/console/exports/download", params={"survey": "hh", "unit": TOWN_A, "format": "parquet",
                                                            "free_text": "1"})
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('_freetext.parquet"')
    data = pq.read_table(pa_buffer(r.content)).to_pandas()
    assert set(data["township_code"]) == {TOWN_A} and len(data) == 3 and "note_text" in data.columns


def pa_buffer(content: bytes) -> Any:
    import pyarrow as pa

    return pa.BufferReader(content)


# --- refusals: a clear code, nothing stored, nothing left behind ----------------------------------


@pytest.mark.parametrize("flags, code", [
    (["--format", "pdf"], "export.format_unknown"),
    (["--format", "csv", "--since", "2025-02-30"], "export.date_invalid"),
    (["--format", "csv", "--until", "yesterday"], "export.date_invalid"),
    (["--format", "csv", "--since", "2025-05-02", "--until", "2025-05-01"], "export.range_empty"),
    (["--format", "csv", "--outcome", "partial"], "export.outcome_unknown"),
    (["--format", "csv", "--unit", "149901999000"], "export.unit_not_found"),
    (["--format", "csv", "--unit", "12"], "export.unit_not_found"),
    (["--format", "csv", "--bogus"], "export.bad_arguments"),
    (["--out-of-place"], "export.bad_arguments"),
])
def test_a_bad_flag_is_one_chinese_line_and_exit_2_leaving_nothing(served: Served, tmp_path: Path, flags: list[str],
                                                                    code: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x" / "out.file"
    out.parent.mkdir()
    argv = ["export", "hh", "--out", str(out), *flags] if flags != ["--out-of-place"] else ["export", "hh"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"[{code}]" in err[0] and "错误" in err[0]
    assert list(out.parent.iterdir()) == [] and audit_count(served.app, "export") == 0


def test_an_unknown_survey_a_missing_folder_and_an_existing_file_are_refused(served: Served, tmp_path: Path,
                                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "nosuch", "--format", "csv", "--out", str(tmp_path / "a.csv")]) == 2
    assert "[survey.not_found]" in capsys.readouterr().err and not (tmp_path / "a.csv").exists()
    assert main(["export", "hh", "--format", "csv", "--out", str(tmp_path / "no" / "a.csv")]) == 2
    assert "[export.out_dir_missing]" in capsys.readouterr().err
    kept = tmp_path / "kept.csv"
    kept.write_bytes(b"precious")
    assert main(["export", "hh", "--format", "csv", "--out", str(kept)]) == 2
    assert "[export.out_exists]" in capsys.readouterr().err and kept.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert audit_count(served.app, "export") == 0
    assert main(["export", "hh", "--format", "csv", "--out", str(kept), "--force"]) == 0
    assert kept.read_bytes().startswith(BOM) and audit_count(served.app, "export") == 1


@pytest.mark.parametrize("params, status, code", [
    ({"survey": "nosuch"}, 404, "survey.not_found"),
    ({"survey": "hh", "format": "pdf"}, 422, "export.format_unknown"),
    ({"survey": "hh", "since": "2025-13-01"}, 422, "export.date_invalid"),
    ({"survey": "hh", "since": "2025-05-02", "until": "2025-05-01"}, 422, "export.range_empty"),
    ({"survey": "hh", "outcome": "partial"}, 422, "export.outcome_unknown"),
    ({"survey": "hh", "unit": "not-a-code"}, 404, "not_found"),
    ({"survey": "hh", "unit": "149902000000"}, 404, "not_found"),
    ({"survey": "hh", "labels": "maybe"}, 422, "request.invalid"),
    ({"survey": ""}, 404, "survey.not_found"),
])
def test_a_bad_console_choice_is_refused_and_exports_nothing(served: Served, params: dict[str, str], status: int,
                                                             code: str) -> None:
    app = served.app
    make_staff(app, "admin1", "admin", COUNTY)
    with Session(app.state.engine) as session:
        before = responses.count_responses(session)
    with TestClient(app) as client:
        sign_in(client, "admin1")
        r = client.get("/console/exports/download", params=params)
        assert r.status_code == status and code in r.text and not r.content.startswith(BOM)
        form = client.get("/console/exports", params=params)
        if params.get("survey"):
            assert form.status_code == status and code in form.text and "将导出" not in form.text
    with Session(app.state.engine) as session:
        assert responses.count_responses(session) == before
    assert audit_count(app, "export") == 0


def _waves_for_refusals(app: Any) -> dict[str, str]:
    """Waves an export may wrongly name: one fielding another questionnaire, one not drawn yet, one fine."""
    from tests.server import fieldkit as fk

    made = {}
    with Session(app.state.engine) as session:
        for key, survey, drawn in (("other", "women", True), ("undrawn", "hh", False), ("drawn", "hh", True)):
            wave = fk.seed_wave(session, COUNTY, ["149901001001"], drawn=drawn, name=f"轮次{key}")
            wave.surveys = [{"survey": survey, "population": "women18"}]
            session.add(wave)
            made[key] = str(wave.id)
        session.commit()
    return made


@pytest.mark.parametrize("wave, extra, code", [
    ("nosuch", [], "export.wave_not_found"), ("999", [], "export.wave_not_found"),
    ("other", [], "export.wave_survey"), ("undrawn", [], "export.wave_survey"),
    ("drawn", ["--since", "2025-01-01"], "export.wave_filtered"), ("drawn", ["--outcome", "complete"], "export.wave_filtered"),
])
def test_a_bad_wave_is_refused_by_the_cli_and_the_console_and_exports_nothing(
        served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str], wave: str, extra: list[str], code: str) -> None:
    made = _waves_for_refusals(served.app)
    name = made.get(wave, wave)
    out = tmp_path / "out" / "w.csv"
    out.parent.mkdir()
    assert main(["export", "hh", "--format", "csv", "--out", str(out), "--wave", name, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"[{code}]" in err[0] and list(out.parent.iterdir()) == []
    make_staff(served.app, "admin1", "admin", COUNTY)
    params = {"survey": "hh", "wave": name, **dict(zip(extra[::2], extra[1::2], strict=True))}
    params = {k.removeprefix("--"): v for k, v in params.items()}
    with TestClient(served.app) as client:
        sign_in(client, "admin1")
        r = client.get("/console/exports/download", params=params)
        assert r.status_code in (404, 422) and code in r.text and not r.content.startswith(BOM)
        assert code in client.get("/console/exports", params=params).text
    assert audit_count(served.app, "export") == 0
