"""The field app's server side through its JSON API, once per database: a device signs in, downloads its
cases, works them offline and syncs; every update is applied once however often it is sent, and a sync
cut off half-way is finished by sending it again (docs/field_api.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, func, select

from analysis.sampling.respondent import kish_line
from server import fieldsync
from server.store import audit, cases, responses, staff, updates
from server.store.audit import AuditEntry
from server.store.cases import Case, Visit
from server.store.responses import Response
from server.store.updates import FieldUpdate
from tests.server import fieldkit as fk
from tests.server.staffkit import COUNTY

VILLAGE, TOWN = "149901001001", "149901001000"


def count(app: Any, table: Any, *where: Any) -> int:
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


def verbs(app: Any) -> list[str]:
    with Session(app.state.engine) as session:
        return [e.verb for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def get(app: Any, case_id: int) -> Case:
    with Session(app.state.engine) as session:
        found = cases.get_case(session, case_id)
        assert found is not None
        return found


@pytest.fixture
def field(app: Any, cheap_hashes: None) -> dict[str, Any]:
    """A wave in fieldwork with one listed village: four cases of its collector `zhuren`, one of `zhuren2`."""
    fk.make_staff(app, "zhuren", "collector", VILLAGE)
    fk.make_staff(app, "zhuren2", "collector", VILLAGE)
    with Session(app.state.engine, expire_on_commit=False) as session:
        mine, theirs = (staff.find_staff(session, n).id for n in ("zhuren", "zhuren2"))  # type: ignore[union-attr]
        wave = fk.seed_wave(session, COUNTY, [VILLAGE], listed=True)
        own = [fk.seed_case(session, wave, VILLAGE, collector_id=mine) for _ in range(4)]
        other = fk.seed_case(session, wave, VILLAGE, collector_id=theirs)
        session.commit()
        return {"wave": wave.id, "cases": own, "other": other, "staff": mine}


def test_a_device_signs_in_downloads_its_cases_and_syncs_each_update_type(app: Any, client: Any,
                                                                          field: dict[str, Any]) -> None:
    r = fk.device_sign_in(client, "zhuren", label="红米平板")
    assert r.status_code == 201, r.text
    signed = r.json()
    assert signed["staff"] == {"username": "zhuren", "display_name": "城关店上社区儿童主任", "role": "collector"}
    token = signed["token"]
    bundle = client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(token)).json()
    own = field["cases"]
    assert [c["id"] for c in bundle["cases"]] == [c.id for c in own]  # never the other collector's
    assert bundle["questionnaires"] == {"women": client.get("/api/v1/surveys/women").json()}
    assert bundle["visit_results"] == cases.VISIT_RESULTS
    assert {d["code"]: d["needs_response"] for d in bundle["dispositions"]}["1.1"] is True
    first = bundle["cases"][0]
    assert first["locator"] == "九组 1 号院" and first["village"] == {"code": VILLAGE, "name": "城关店上社区"}
    assert first["kish"]["lines"] == [kish_line(first["kish"]["table"], n) for n in range(1, 7)]
    case = own[0]
    line = first["kish"]["lines"][1]  # two eligible members: the line the app shows offline
    batch = [fk.update(case, "visit", result="appointment"), fk.update(case, "visit"),
             fk.update(case, "respondent", eligible=2, line=line)]
    r = fk.sync(client, token, batch)
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == [201, 201, 201]
    assert fk.interview(client, app, case, token).status_code == 201
    r = fk.sync(client, token, [fk.update(case, "close", disposition="1.1")])
    assert r.json()["results"][0] == {"id": r.json()["results"][0]["id"], "status": 201, "problem": None}
    (back,) = r.json()["cases"]
    assert back["status"] == "closed" and back["disposition"] == "1.1" and back["response"]["status"] == "complete"
    assert [v["result"] for v in back["visits"]] == ["appointment", "interviewed"]
    done = get(app, case.id)
    assert (done.eligible, done.line, done.p_person, done.status) == (2, line, 0.5, "closed")
    with Session(app.state.engine) as session:
        stored = responses.find_response(session, "women", case.instance_id)
        assert stored is not None and stored.staff_id == field["staff"] and stored.channel == "case"
    assert verbs(app) == ["device.register", "case.visit", "case.visit", "case.respondent", "field.sync",
                          "response.submit", "case.close", "field.sync"]
    assert [c["id"] for c in client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(token)).json()["cases"]] == \
        [c.id for c in own[1:]]  # a closed case leaves the bundle


def _work(case: Case, code: str) -> list[dict[str, Any]]:
    """A day's updates of one case: a visit, the respondent, the closing."""
    return [fk.update(case, "visit", result="interviewed" if code == "1.1" else "refused"),
            fk.update(case, "respondent", eligible=1), fk.update(case, "close", disposition=code)]


def test_three_cases_synced_ten_times_are_three_responses_and_three_closed_cases(app: Any, client: Any,
                                                                                field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    worked = list(zip(field["cases"][:3], ("1.1", "1.2", "2.12"), (30, 45, 70), strict=True))  # 2.12: broken off
    batch = [u for case, code, _ in worked for u in _work(case, code)]
    for press in range(10):  # sync pressed ten times: the interviews first, then the case updates
        for case, _, age in worked:
            assert fk.interview(client, app, case, token, age=age).status_code == (201 if press == 0 else 200)
        r = fk.sync(client, token, batch)
        assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {201 if press == 0 else 200}
    assert [x["id"] for x in r.json()["results"]] == [u["id"] for u in batch]
    assert count(app, Response) == 3 and count(app, Visit) == 3 and count(app, FieldUpdate) == 9
    assert count(app, Case, Case.status == "closed") == 3
    assert [get(app, c.id).disposition for c, _, _ in worked] == ["1.1", "1.2", "2.12"]
    assert verbs(app).count("case.visit") == 3 and verbs(app).count("case.close") == 3
    assert verbs(app).count("field.sync") == 10 and verbs(app).count("response.submit") == 3
    with Session(app.state.engine) as session:
        sums = [e.summary for e in session.exec(select(AuditEntry).where(AuditEntry.verb == "field.sync")
                                                .order_by(AuditEntry.id))]
    assert sums[0] == {"updates": 9, "applied": 9, "duplicate": 0, "409": 0, "422": 0}
    assert sums[-1] == {"updates": 9, "applied": 0, "duplicate": 9, "409": 0, "422": 0}


def test_the_same_update_id_with_other_content_is_a_conflict_and_changes_nothing(app: Any, client: Any,
                                                                               field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    first = fk.update(field["cases"][0], "visit", result="no_contact")
    assert fk.sync(client, token, [first]).json()["results"][0]["status"] == 201
    before = (count(app, Visit), count(app, FieldUpdate))
    for changed in ({**first, "result": "refused"}, {**first, "at": "2026-05-02T09:00:00+08:00"},
                    {**first, "case": field["cases"][1].id}):
        (result,) = fk.sync(client, token, [changed]).json()["results"]
        assert result["status"] == 409 and result["problem"]["code"] == "sync.update_conflict"
    same_moment = {**first, "at": "2026-05-01T01:00:00Z"}  # the same time in another zone is the same update
    assert fk.sync(client, token, [same_moment]).json()["results"][0] == {"id": first["id"], "status": 200,
                                                                          "problem": None}
    assert (count(app, Visit), count(app, FieldUpdate)) == before
    with Session(app.state.engine) as session:
        (visit,) = cases.visits_of(session, field["cases"][0].id)
        assert visit.result == "no_contact"


def test_a_device_interview_of_its_case_resent_is_one_response(app: Any, client: Any, field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    case = field["cases"][0]
    first = fk.interview(client, app, case, token, age=40)
    again = fk.interview(client, app, case, token, age=40)
    assert (first.status_code, again.status_code) == (201, 200) and again.json()["id"] == first.json()["id"]
    other = fk.interview(client, app, case, token, age=41)
    assert other.status_code == 409 and other.json()["code"] == "response.instance_conflict"
    assert count(app, Response) == 1
    r = fk.sync(client, token, [fk.update(case, "respondent", eligible=1), fk.update(case, "close")])
    assert [x["status"] for x in r.json()["results"]] == [201, 201]  # the respondent may follow the interview
    assert fk.interview(client, app, case, token, age=40).status_code == 200  # a late resend after closing


def test_an_interrupted_sync_sent_again_applies_the_rest_and_nothing_twice(app: Any, field: dict[str, Any],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    batch = [u for case in field["cases"][:3] for u in _work(case, "2.11")]
    calls: list[int] = []
    record = audit.record

    def failing(session: Any, *args: Any, **kw: Any) -> Any:
        """The server dies inside the fifth update, after its write and before its commit."""
        if args[2].startswith("case."):
            calls.append(1)
            if len(calls) == 5:
                raise RuntimeError("killed mid-sync")
        return record(session, *args, **kw)

    with TestClient(app, raise_server_exceptions=False) as client:
        token = fk.device_token(client, "zhuren")
        monkeypatch.setattr(fieldsync.audit, "record", failing)
        assert fk.sync(client, token, batch).status_code == 500
        assert count(app, FieldUpdate) == 4 and count(app, Visit) == 2  # the fifth rolled back whole
        assert get(app, field["cases"][1].id).eligible is None
        monkeypatch.setattr(fieldsync.audit, "record", record)
        r = fk.sync(client, token, batch)
    assert [x["status"] for x in r.json()["results"]] == [200] * 4 + [201] * 5
    assert count(app, FieldUpdate) == 9 and count(app, Visit) == 3 and count(app, Case, Case.status == "closed") == 3
    assert verbs(app).count("case.respondent") == 3 and verbs(app).count("field.sync") == 1


def test_a_case_closed_by_the_supervisor_meanwhile_is_a_409_kept_and_shown_on_the_case_page(
        app: Any, client: Any, field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    case = field["cases"][0]
    with fk.signed_in(app, "dudao", "supervisor", TOWN) as sup:
        assert fk.post(sup, f"/console/cases/{case.id}/close", disposition="2.22").status_code == 303
        before = (count(app, Visit), get(app, case.id).disposition)
        r = fk.sync(client, token, [fk.update(case, "visit", result="refused"),
                                    fk.update(case, "close", disposition="2.11")])
        assert [(x["status"], x["problem"]["code"]) for x in r.json()["results"]] == [(409, "case.closed")] * 2
        assert r.json()["cases"][0]["status"] == "closed"  # the device learns the case's state
        assert (count(app, Visit), get(app, case.id).disposition) == before
        page = sup.get(f"/console/cases/{case.id}").text
        refused = fk.text_of(page, "ol.refused")
        assert "zhuren" in refused and "拒访" in refused and "2.11" in refused and "case.closed" in refused
    with Session(app.state.engine) as session:
        assert len(updates.rejected_on(session, case.id)) == 2
    resent = fk.sync(client, token, [fk.update(case, "visit")] + [  # a new update, and the two sent again
        {k: v for k, v in u.items()} for u in json.loads(r.request.content)["updates"]])
    assert [x["status"] for x in resent.json()["results"]] == [409, 409, 409]
    assert resent.json()["results"][1:] == r.json()["results"]  # the first results, as they were
    assert count(app, FieldUpdate, FieldUpdate.case_id == case.id) == 3


def test_ten_devices_racing_with_one_batch_apply_each_update_once(app: Any, field: dict[str, Any],
                                                                  live_url: str) -> None:
    """The same batch sent at once on ten connections (a phone retrying while the first reply is lost)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    with httpx.Client(base_url=live_url, timeout=60) as http:
        token = fk.device_token(http, "zhuren")
    batch = [u for case in field["cases"][:2] for u in _work(case, "2.11")]
    barrier = threading.Barrier(10)

    def send(_: int) -> list[int]:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            barrier.wait()
            r = fk.sync(http, token, batch)
            assert r.status_code == 200, r.text
            return [x["status"] for x in r.json()["results"]]

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))
    for position in range(len(batch)):  # each update: applied by exactly one request, a resend for the others
        assert sorted(a[position] for a in answers) == [200] * 9 + [201]
    assert count(app, FieldUpdate) == 6 and count(app, Visit) == 2 and count(app, Case, Case.status == "closed") == 2
    assert verbs(app).count("case.close") == 2 and verbs(app).count("field.sync") == 10
