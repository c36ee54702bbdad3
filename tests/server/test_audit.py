"""Every write leaves exactly one audit row, with the right actor and unit, in the same transaction."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from server.auth import PUBLIC_ROUTES
from server.store.audit import AuditEntry
from tests.server.staffkit import COUNTY, PASSWORD, app_routes, csrf_of, make_staff, sign_in

NEW_PASSWORD = "another-long-passphrase"


def _rows(app: Any) -> list[AuditEntry]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def _writes(client: Any) -> dict[str, Any]:
    """Each console write route performed once, as the signed-in admin (name -> the request to make)."""
    def csrf() -> str:
        return csrf_of(client.get("/console/staff").text)

    return {
        "staff_add": lambda: client.post("/console/staff", data={"csrf": csrf(), "username": "zhuren2",
                                         "role": "collector", "unit": "149901001002", "password": PASSWORD}),
        "token_issue": lambda: client.post("/console/staff/zhuren/tokens", data={"csrf": csrf(), "label": "平板"}),
        "token_revoke": lambda: client.post("/console/tokens/1/revoke", data={"csrf": csrf()}),
        "password_change": lambda: client.post("/console/password", data={
            "csrf": csrf(), "current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD}),
        "response_erase": lambda: client.post(f"/console/responses/women/{_post_one(client)}/erase",
                                              data={"csrf": csrf()}),
        "survey_publish": lambda: client.post("/console/surveys/publish", data={"csrf": csrf()}, files={
            "definition": ("tiny.yaml", ("name: tiny\ntitle: 小问卷\npages:\n  - name: p1\n    title: 一\n"
                                         "    questions:\n      - {name: q1, kind: integer, label: 题一}\n").encode(),
                           "application/x-yaml")}),
        "survey_close": lambda: client.post("/console/surveys/women/close", data={"csrf": csrf()}),
        "survey_open": lambda: client.post("/console/surveys/women/open", data={"csrf": csrf()}),
        "survey_settings": lambda: client.post("/console/surveys/women/settings", data={
            "csrf": csrf(), "intro": "说明", "contact": "电话 1234567"}),
        "logout": lambda: client.post("/logout", data={"csrf": csrf()}),
    }


def _post_one(client: Any) -> str:
    from tests.server.robot import VILLAGE, complete_answers

    instance = str(uuid.uuid4())
    answers = complete_answers(client.app.state.catalog.current["women"].survey)
    r = client.post("/api/v1/surveys/women/responses", json={"instance_id": instance, "version": 1,
                                                             "village": VILLAGE, "answers": answers})
    assert r.status_code == 201
    return instance


EXPECTED = {"staff_add": ("staff.add", "149901001002"), "token_issue": ("token.issue", "149901001001"),
            "token_revoke": ("token.revoke", None), "password_change": ("password.change", COUNTY),
            "logout": ("logout", COUNTY), "response_erase": ("response.erase", None),
            "survey_publish": ("survey.publish", COUNTY), "survey_close": ("survey.close", COUNTY),
            "survey_open": ("survey.open", COUNTY), "survey_settings": ("survey.settings", COUNTY)}


def test_each_console_write_is_audited_once(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    make_staff(app, "zhuren", "collector", "149901001001")
    writes = {r.name for r in app_routes(app) if r.methods & {"POST", "PUT", "PATCH", "DELETE"}}
    # a new write route must be listed here
    assert writes - PUBLIC_ROUTES == set(EXPECTED) | set(FIELD_EXPECTED) | (set(FIELD_API_EXPECTED) - PUBLIC_ROUTES)
    sign_in(client, "fuer")
    for name, perform in _writes(client).items():
        before = len(_rows(app))
        assert perform().status_code < 400, name
        new = _rows(app)[before:]
        verb, unit = EXPECTED[name]
        assert [(e.verb, e.actor) for e in new] == [(verb, "fuer")], name
        if unit is not None:
            assert new[0].unit_code == unit, name


# Fieldwork writes, in the order a wave goes: (route, actor, verb, unit: "wave" = the wave's, "village" = the case's)
FIELD_EXPECTED = {"wave_create": ("fuer", "wave.create", COUNTY), "wave_given": ("fuer", "wave.given", COUNTY),
                  "wave_sample": ("fuer", "wave.sample", COUNTY),
                  "wave_advance": ("fuer", "wave.advance", COUNTY), "listing_upload": ("dudao", "listing.upload", "village"),
                  "case_visit": ("zhuren", "case.visit", "village"), "case_respondent": ("zhuren", "case.respondent", "village"),
                  "case_interview": ("zhuren", "case.interview", "village"), "case_close": ("zhuren", "case.close", "village"),
                  "case_replace": ("dudao", "case.replace", "village"), "case_assign": ("dudao", "case.assign", "village"),
                  "case_practice": ("zhuren", "case.practice", "village"), "review_post": ("dudao", "review.decide", "village"),
                  "case_correct": ("zhuren2", "case.correct", "village")}  # the case was reassigned to zhuren2


def test_each_fieldwork_write_is_audited_once(app: Any, cheap_hashes: None) -> None:
    from tests.server import fieldkit as fk

    done: list[str] = []
    village = ""

    def perform(route: str, client: Any, path: str, files: Any = None, **data: Any) -> Any:
        before = len(_rows(app))
        r = client.post(path, data={"csrf": fk.csrf(client), **data}, files=files, follow_redirects=False)
        assert r.status_code == 303, (route, fk.problem_code(r.text))
        new = _rows(app)[before:]
        actor, verb, unit = FIELD_EXPECTED[route]
        assert [(e.verb, e.actor) for e in new] == [(verb, actor)], route
        assert new[0].unit_code == (village if unit == "village" else unit), route
        done.append(route)
        return r

    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        wid = fk.wave_id(perform("wave_create", admin, "/console/waves",
                                 **fk.wave_form(per_village=2, reserve=1, villages=14, allocation="given")))
        strata = BeautifulSoup(admin.get(f"/console/waves/{wid}").text, "html.parser").select("table.given-strata input")
        perform("wave_given", admin, f"/console/waves/{wid}/given", **{str(box["name"]): "1" for box in strata})
        perform("wave_sample", admin, f"/console/waves/{wid}/sample")
        perform("wave_advance", admin, f"/console/waves/{wid}/advance")
    village = fk.sample(app, wid)[0].village
    make_staff(app, "zhuren", "collector", village)
    with fk.signed_in(app, "dudao", "supervisor", village[:9] + "000") as sup, \
            fk.signed_in(app, "zhuren", "collector", village, make=False) as collector:
        perform("listing_upload", sup, f"/console/waves/{wid}/villages/{village}/listing",
                files={"listing": ("l.csv", fk.listing_csv(30), "text/csv")})
        first, second = fk.cases_of(app, wid, under=village)[:2]
        perform("case_visit", collector, f"/console/cases/{first.id}/visits", result="interviewed")
        perform("case_respondent", collector, f"/console/cases/{first.id}/respondent", eligible="2")
        perform("case_interview", collector, f"/console/cases/{first.id}/interview")
        perform("case_close", collector, f"/console/cases/{second.id}/close", disposition="2.11")
        perform("case_replace", sup, f"/console/cases/{second.id}/replace")
        make_staff(app, "zhuren2", "collector", village)
        perform("case_assign", sup, f"/console/cases/{first.id}/assign", username="zhuren2")
        perform("case_practice", collector, "/console/cases/practice")
        rid = _interviewed(app, first)
        perform("review_post", sup, f"/console/reviews/{rid}", decision="return", comment_age="请核实年龄")
        with fk.signed_in(app, "zhuren2", "collector", village, make=False) as second_collector:
            perform("case_correct", second_collector, f"/console/cases/{first.id}/correct")
    assert done == list(FIELD_EXPECTED)


# The field app's writes (JSON, with the device's token): route -> the verbs of the rows it adds, in order;
# a sync adds each applied update's own row, then one for the call.
FIELD_API_EXPECTED = {"field_device_register": ["device.register"],
                      "field_sync": ["case.visit", "case.respondent", "field.sync"],
                      "field_device_logout": ["device.logout"]}


def test_each_field_api_write_is_audited_once(app: Any, client: Any, cheap_hashes: None) -> None:
    from tests.server import fieldkit as fk

    village = "149901001001"
    make_staff(app, "zhuren", "collector", village)
    with Session(app.state.engine, expire_on_commit=False) as session:
        wave = fk.seed_wave(session, COUNTY, [village], listed=True)
        case = fk.seed_case(session, wave, village, collector_id=_staff_id(session, "zhuren"))
        session.commit()
    token = ""

    def perform(route: str) -> Any:
        nonlocal token
        if route == "field_device_register":
            r = fk.device_sign_in(client, "zhuren")
            token = r.json()["token"]
            return r
        if route == "field_sync":
            return fk.sync(client, token, [fk.update(case, "visit"), fk.update(case, "respondent", eligible=0),
                                           fk.update(case, "close", disposition="9.99")])  # refused: no row of its own
        return client.delete(f"{fk.FIELD}/devices/current", headers=fk.bearer(token))

    for route, expected in FIELD_API_EXPECTED.items():
        before = len(_rows(app))
        assert perform(route).status_code < 400, route
        new = _rows(app)[before:]
        assert [(e.verb, e.actor) for e in new] == [(verb, "zhuren") for verb in expected], route
        assert {e.unit_code for e in new} == {village}, route
    assert _rows(app)[-2].summary == {"updates": 3, "applied": 2, "duplicate": 0, "409": 0, "422": 1}


def _staff_id(session: Session, username: str) -> int:
    from server.store import staff

    account = staff.find_staff(session, username)
    assert account is not None and account.id is not None
    return account.id


def _interviewed(app: Any, case: Any) -> int:
    """The case's interview, stored as the collector's device would post it."""
    from server.store import responses
    from tests.server.robot import complete_answers

    pub = app.state.catalog.current[case.survey]
    with Session(app.state.engine) as session:
        row, _ = responses.save_response(session, responses.prepare(
            case.survey, pub.version_id, pub.number, case.instance_id, case.village,
            complete_answers(pub.survey), "complete", "case", None, None))
    return row.id


def test_sign_ins_are_audited_success_and_failure(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer", "not-the-password")
    sign_in(client, "fuer")
    assert [(e.verb, e.actor, e.unit_code) for e in _rows(app)] == [("login.failed", "fuer", None),
                                                                      ("login", "fuer", COUNTY)]
    assert all(PASSWORD not in str(e.summary) for e in _rows(app))


def test_each_staff_command_is_audited_once(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.cli import main

    monkeypatch.setenv("CUNSHENG_DATABASE_URL", app.state.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "add", "fuer", "--role", "admin", "--unit", COUNTY, "--password-stdin"]) == 0
    assert main(["staff", "token", "fuer", "--label", "省平台"]) == 0
    assert [(e.verb, e.actor, e.unit_code) for e in _rows(app)] == [("staff.add", "cli", COUNTY),
                                                                      ("token.issue", "cli", COUNTY)]


def test_a_failed_write_leaves_no_audit_row(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer")
    before = len(_rows(app))
    r = client.post("/console/staff", data={"csrf": csrf_of(client.get("/console/staff").text), "username": "fuer",
                                            "role": "viewer", "unit": COUNTY, "password": PASSWORD})
    assert r.status_code == 409 and len(_rows(app)) == before


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("server/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        if "AuditEntry" in text or "audit_log" in text:
            for bad in ("update(AuditEntry", "delete(AuditEntry", "session.delete(entry", "UPDATE audit_log",
                        "DELETE FROM audit_log"):
                assert bad not in text, (path, bad)


def test_an_admin_erases_one_response_on_request_and_only_in_her_subtree(app: Any, client: Any) -> None:
    from fastapi.testclient import TestClient

    from server.store import responses
    from tests.server.robot import VILLAGE

    make_staff(app, "fuer", "admin", VILLAGE[:6] + "000000")
    make_staff(app, "other", "admin", "149902000000")  # another county
    instance = _post_one(client)
    with TestClient(app) as stranger:
        sign_in(stranger, "other")
        csrf = csrf_of(stranger.get("/console/staff").text)
        r = stranger.post(f"/console/responses/women/{instance}/erase", data={"csrf": csrf})
        assert r.status_code == 404
    with Session(app.state.engine) as session:
        assert responses.find_response(session, "women", instance) is not None
    sign_in(client, "fuer")
    r = client.post(f"/console/responses/women/{instance}/erase", data={"csrf": csrf_of(client.get("/console/staff").text)})
    assert r.status_code == 200 and "已经删除" in r.text
    with Session(app.state.engine) as session:
        assert responses.find_response(session, "women", instance) is None
    erased = [e for e in _rows(app) if e.verb == "response.erase"]
    assert len(erased) == 1 and erased[0].unit_code == VILLAGE and "answers" not in erased[0].summary


# Commands that write nothing an account did: the server and schema set-up, and the file-based tools.
NO_ACCOUNT_WRITES = {"serve", "init-db", "check", "estimate", "evaluate", "weights", "sample", "rates"}


def test_each_cli_command_that_writes_is_audited_once(app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Every command of `cunsheng` is either listed here as a write, performed and found audited once
    with the actor `cli`, or named in NO_ACCOUNT_WRITES: a new command fails until it is classified."""
    import server
    from server.cli import USAGE, main

    commands = {line.split()[0] for line in USAGE.split("commands:")[1].split("Run ")[0].splitlines() if line.strip()}
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", app.state.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    units = Path(server.__file__).parent / "data" / "county" / "units.csv"
    backup = tmp_path / "copy.bak"
    writes = {
        "staff": [(["staff", "add", "fuer", "--role", "admin", "--unit", COUNTY, "--password-stdin"], "staff.add"),
                  (["staff", "token", "fuer", "--label", "省平台"], "token.issue")],
        "units": [(["units", "import", str(units)], "units.import")],
        "backup": [(["backup", str(backup)], "backup.create")],
        "export": [(["export", "women", "--format", "csv", "--out", str(tmp_path / "women.csv")], "export")],
        "restore": [(["restore", str(backup), "--force"], "backup.restore")],
    }
    assert commands == set(writes) | NO_ACCOUNT_WRITES, commands
    for command, runs in writes.items():
        for argv, verb in runs:
            before = _rows(app)
            assert main(argv) == 0, argv
            after = _rows(app)
            if command == "restore":  # the database is now the backup's, plus the restore's own row
                assert [(e.verb, e.actor) for e in after if e.verb == verb] == [(verb, "cli")]
                assert after[-1].verb == verb and len(after) < len(before) + 1
                continue
            assert [(e.verb, e.actor) for e in after[len(before):]] == [(verb, "cli")], command
