"""The field app's API at every boundary: who may get a device token, a revoked token, broken bodies
(refused whole, nothing stored), invalid values (refused on their update), another collector's case,
the case rules of a device's interview, and what the bundle holds."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, func, select

from server.store import cases, responses, reviews, staff, tokens, waves
from server.store.audit import AuditEntry
from server.store.cases import Case, Visit
from server.store.responses import Response
from server.store.tokens import ApiToken
from server.store.updates import FieldUpdate
from tests.server import fieldkit as fk
from tests.server.staffkit import COUNTY

VILLAGE, OTHER_VILLAGE = "149901001001", "149901001002"


def _state(app: Any) -> tuple[Any, ...]:
    """Everything a field call could write."""
    with Session(app.state.engine) as session:
        counts = tuple(int(session.exec(select(func.count()).select_from(t)).one())
                       for t in (Visit, FieldUpdate, AuditEntry, ApiToken, Response))
        return counts + tuple((c.status, c.eligible, c.disposition) for c in session.exec(select(Case).order_by(Case.id)))


@pytest.fixture
def field(app: Any, cheap_hashes: None) -> dict[str, Any]:
    """A wave in fieldwork: three cases of `zhuren`, one of `zhuren2` (another village)."""
    fk.make_staff(app, "zhuren", "collector", VILLAGE)
    fk.make_staff(app, "zhuren2", "collector", OTHER_VILLAGE)
    with Session(app.state.engine, expire_on_commit=False) as session:
        mine, theirs = (staff.find_staff(session, n).id for n in ("zhuren", "zhuren2"))  # type: ignore[union-attr]
        wave = fk.seed_wave(session, COUNTY, [VILLAGE, OTHER_VILLAGE], listed=True)
        own = [fk.seed_case(session, wave, VILLAGE, collector_id=mine) for _ in range(3)]
        other = fk.seed_case(session, wave, OTHER_VILLAGE, collector_id=theirs)
        session.commit()
        return {"wave": wave, "cases": own, "other": other, "staff": mine}


@pytest.mark.parametrize(("role", "status"), [("collector", 201), ("supervisor", 201), ("admin", 403),
                                              ("evaluator", 403), ("viewer", 403)])
def test_only_a_role_that_works_cases_gets_a_device_token(app: Any, client: Any, cheap_hashes: None, role: str,
                                                          status: int) -> None:
    fk.make_staff(app, "someone", role, "149901001000")
    before = _state(app)
    r = fk.device_sign_in(client, "someone")
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["code"] == "auth.forbidden" and _state(app) == before
    else:
        assert r.json()["staff"]["role"] == role and r.json()["token"].startswith("csk_")
        assert client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(r.json()["token"])).status_code == 200


def test_wrong_passwords_are_401_and_then_locked_as_at_the_console(app: Any, client: Any, field: dict[str, Any]) -> None:
    for _ in range(5):
        r = fk.device_sign_in(client, "zhuren", password="not-the-password")
        assert r.status_code == 401 and r.json()["code"] == "auth.login_failed"
    locked = fk.device_sign_in(client, "zhuren")  # the right password, too soon
    assert locked.status_code == 429 and locked.json()["code"] == "auth.login_locked"
    with Session(app.state.engine) as session:
        assert tokens.tokens_of(session, field["staff"]) == []
        failed = session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.verb == "login.failed"))
        assert failed.one() == 5


def test_a_revoked_token_is_401_on_every_field_call(app: Any, client: Any, field: dict[str, Any]) -> None:
    case = field["cases"][0]
    token = fk.device_token(client, "zhuren")
    with Session(app.state.engine) as session:
        (row,) = tokens.tokens_of(session, field["staff"])
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        assert fk.post(admin, f"/console/tokens/{row.id}/revoke").status_code == 303
        assert admin.delete(f"{fk.FIELD}/devices/current", headers={"X-CSRF-Token": fk.csrf(admin)}).status_code == 404
    before = _state(app)
    calls = [client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(token)),
             fk.sync(client, token, [fk.update(case, "visit")]),
             client.delete(f"{fk.FIELD}/devices/current", headers=fk.bearer(token)),
             fk.interview(client, app, case, token)]
    assert [(r.status_code, r.json()["code"]) for r in calls] == [(401, "auth.token_invalid")] * 4
    assert _state(app) == before
    second = fk.device_token(client, "zhuren")  # the device's own log-out
    assert client.delete(f"{fk.FIELD}/devices/current", headers=fk.bearer(second)).status_code == 204
    assert client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(second)).status_code == 401


def _valid(case_id: int) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "case": case_id, "type": "visit", "at": "2026-05-01T09:00:00+08:00",
            "result": "no_contact"}


BROKEN_SYNC = [
    (b"not json", "request.not_json"), (b"[]", "request.not_object"), ({}, "request.invalid"),
    ({"updates": "x"}, "request.invalid"), ({"updates": [{"type": "delete"}]}, "request.invalid"),
    ({"updates": [{"id": "nope"}]}, "request.invalid"), ({"updates": [], "more": 1}, "request.invalid"),
    ({"updates": ["VALID", {"id": str(uuid.uuid4()), "case": "1", "type": "visit", "at": "2026-05-01T09:00:00+08:00",
                            "result": "no_contact"}]}, "request.invalid"),  # a good update before a broken one
    ({"updates": ["VALID", {"extra": True}]}, "request.invalid"),
    ({"updates": [{"id": str(uuid.uuid4()), "case": 1, "type": "visit", "at": "2026-05-01T09:00:00",
                   "result": "no_contact"}]}, "request.invalid"),  # a time without its zone
    ({"updates": [{"id": str(uuid.uuid4()), "case": 2**40, "type": "respondent", "eligible": 1}]}, "request.invalid"),
    ({"updates": ["VALID"] * 501}, "request.invalid"),
    (b'{"updates": [{"id": "3e5f9a4c-1b2d-4e6f-9a8b-7c6d5e4f3a2b", "case": 1, "type": "respondent", "eligible": NaN}]}',
     "request.bad_number"),
    (b'{"updates": [{"id": "a\\u0000", "case": 1}]}', "request.bad_characters"),
]


@pytest.mark.parametrize(("body", "code"), BROKEN_SYNC)
def test_a_broken_sync_body_is_refused_whole_and_stores_nothing(app: Any, client: Any, field: dict[str, Any],
                                                                body: Any, code: str) -> None:
    token = fk.device_token(client, "zhuren")
    if isinstance(body, dict) and isinstance(body.get("updates"), list):
        body = {**body, "updates": [_valid(field["cases"][0].id) if u == "VALID" else u for u in body["updates"]]}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    before = _state(app)
    r = client.post(f"{fk.FIELD}/sync", content=content, headers={**fk.bearer(token), "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    assert _state(app) == before
    plain = client.post(f"{fk.FIELD}/sync", content=content, headers={**fk.bearer(token), "Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["code"] == "request.media_type" and _state(app) == before


@pytest.mark.parametrize(("body", "code"), [
    ({}, "request.invalid"), ({"username": 1, "password": "x"}, "request.invalid"),
    ({"username": "zhuren", "password": "correct-horse-battery", "label": "x", "role": "admin"}, "request.invalid"),
    ({"username": "zhuren", "password": "correct-horse-battery", "label": "x" * 101}, "request.invalid"),
    (b"username=zhuren", "request.not_json"), (b'"zhuren"', "request.not_object"),
])
def test_a_broken_device_sign_in_is_refused_and_stores_nothing(app: Any, client: Any, field: dict[str, Any],
                                                               body: Any, code: str) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    before = _state(app)
    r = client.post(f"{fk.FIELD}/devices", content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == code, r.text
    form = client.post(f"{fk.FIELD}/devices", data={"username": "zhuren", "password": "correct-horse-battery"})
    assert form.status_code == 415 and _state(app) == before


def test_invalid_values_are_422_on_their_update_and_the_others_apply(app: Any, client: Any,
                                                                     field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    case, second, _ = field["cases"]
    batch = [fk.update(case, "visit", result="gone"), fk.update(case, "visit", at="1999-12-31T23:00:00+08:00"),
             fk.update(case, "respondent", eligible=99), fk.update(case, "close", disposition="9.99"),
             fk.update(case, "respondent", eligible=2, line=99),  # the case's Kish table says otherwise
             fk.update(second, "visit", result="no_contact")]
    r = fk.sync(client, token, batch)
    got = [(x["status"], x["problem"] and x["problem"]["code"]) for x in r.json()["results"]]
    assert got == [(422, "case.input_invalid")] * 3 + [(422, "case.disposition_unknown"), (422, "case.input_invalid"),
                                                       (201, None)]
    with Session(app.state.engine) as session:
        assert cases.visits_of(session, case.id) == [] and len(cases.visits_of(session, second.id)) == 1
        found = cases.get_case(session, case.id)
        assert found is not None and (found.eligible, found.status) == (None, "open")
        refused = session.exec(select(FieldUpdate).where(FieldUpdate.case_id == case.id).order_by(FieldUpdate.id))
        assert [(u.status, u.problem["code"] if u.problem else None) for u in refused] == got[:5]


def test_another_collectors_case_is_refused_and_nothing_of_it_changes(app: Any, client: Any,
                                                                      field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    other = field["other"]
    r = fk.sync(client, token, [fk.update(other, "visit"), fk.update(other, "respondent", eligible=1),
                                {**fk.update(other, "visit"), "case": 999999}])
    assert [(x["status"], x["problem"]["code"]) for x in r.json()["results"]] == [(409, "case.not_assigned")] * 3
    assert r.json()["cases"] == []  # nothing of another's case comes back
    posted = fk.interview(client, app, other, token)
    assert posted.status_code == 403 and posted.json()["code"] == "auth.forbidden"
    with Session(app.state.engine) as session:
        assert cases.visits_of(session, other.id) == []
        assert cases.get_case(session, other.id).eligible is None  # type: ignore[union-attr]
        assert responses.count_responses(session) == 0
        ledger = list(session.exec(select(FieldUpdate).order_by(FieldUpdate.id)))
        assert [u.case_id for u in ledger] == [other.id, other.id, None]  # kept on the case for its supervisor


def _close_wave(app: Any, wave_id: int) -> None:
    with Session(app.state.engine) as session:
        row = waves.get_wave(session, wave_id)
        assert row is not None
        row.status = "closed"
        session.add(row)
        session.commit()


def test_a_device_interview_follows_the_case_rules(app: Any, client: Any, field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    case, closed, _ = field["cases"]
    assert fk.sync(client, token, [fk.update(closed, "close", disposition="2.22")]).status_code == 200
    before = _state(app)
    r = fk.interview(client, app, closed, token)
    assert r.status_code == 409 and r.json()["code"] == "case.closed"
    body = fk.interview_body(app, case)
    r = client.post("/api/v1/surveys/women/responses", json={**body, "village": OTHER_VILLAGE}, headers=fk.bearer(token))
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"  # outside the collector's village
    r = client.post("/api/v1/surveys/caregiver/responses", json={**body, "answers": {}}, headers=fk.bearer(token))
    assert r.status_code == 422 and r.json()["code"] == "case.interview_mismatch"
    assert _state(app) == before
    _close_wave(app, field["wave"].id)
    r = fk.interview(client, app, case, token)
    assert r.status_code == 409 and r.json()["code"] == "wave.closed"
    r = fk.sync(client, token, [fk.update(case, "visit")])
    assert r.json()["results"][0]["problem"]["code"] == "wave.closed"
    assert _state(app)[:2] == (before[0], before[1] + 1)  # only the refusal, in the ledger


def test_closing_as_complete_needs_the_interview_and_then_the_respondent(app: Any, client: Any,
                                                                         field: dict[str, Any]) -> None:
    token = fk.device_token(client, "zhuren")
    case = field["cases"][0]
    r = fk.sync(client, token, [fk.update(case, "close")])
    assert r.json()["results"][0]["problem"]["code"] == "case.needs_response"
    assert fk.interview(client, app, case, token).status_code == 201
    r = fk.sync(client, token, [fk.update(case, "close"), fk.update(case, "respondent", eligible=3),
                                fk.update(case, "close")])
    assert [(x["status"], x["problem"] and x["problem"]["code"]) for x in r.json()["results"]] == [
        (409, "case.respondent_missing"), (201, None), (201, None)]


def test_a_birthday_wave_needs_the_line_the_collector_found(app: Any, client: Any, field: dict[str, Any]) -> None:
    with Session(app.state.engine) as session:
        row = waves.get_wave(session, field["wave"].id)
        assert row is not None
        row.rule = "birthday"
        session.add(row)
        session.commit()
    token = fk.device_token(client, "zhuren")
    case = field["cases"][0]
    assert fk.sync(client, token, [fk.update(case, "respondent", eligible=3)]).json()["results"][0]["status"] == 422
    assert fk.sync(client, token, [fk.update(case, "respondent", eligible=3, line=4)]).json()["results"][0]["status"] == 422
    r = fk.sync(client, token, [fk.update(case, "respondent", eligible=3, line=2)])
    assert r.json()["results"][0]["status"] == 201 and r.json()["cases"][0]["kish"] is None
    assert r.json()["cases"][0]["line"] == 2 and r.json()["cases"][0]["respondent_rule"] == "birthday"


def test_the_bundle_holds_only_open_and_sent_back_cases_of_waves_in_fieldwork(app: Any, client: Any,
                                                                              field: dict[str, Any]) -> None:
    mine = field["staff"]
    pub = app.state.catalog.current["women"]
    with Session(app.state.engine, expire_on_commit=False) as session:
        wave = waves.get_wave(session, field["wave"].id)
        planning = fk.seed_wave(session, COUNTY, [VILLAGE], status="planning", listed=True)
        ended = fk.seed_wave(session, COUNTY, [VILLAGE], status="closed", listed=True)
        hidden = [fk.seed_case(session, planning, VILLAGE, collector_id=mine),
                  fk.seed_case(session, ended, VILLAGE, collector_id=mine),
                  fk.seed_case(session, wave, VILLAGE, collector_id=mine, status="closed", disposition="2.22"),
                  fk.seed_case(session, wave, VILLAGE, collector_id=mine, reserve=True, released=False)]
        returned = fk.seed_case(session, wave, VILLAGE, collector_id=mine, status="closed", disposition="1.1",
                                eligible=1, p_person=1.0)
        practice = fk.seed_case(session, wave, VILLAGE, collector_id=mine, practice=True)
        session.commit()
    with Session(app.state.engine) as session:
        stored, _ = responses.save_response(session, responses.prepare(
            "women", pub.version_id, pub.number, returned.instance_id, VILLAGE, {"x": 1}, "complete", "case", None, None))
        reviews.add_review(session, stored.id, "township", "return", "", {"age": "年龄有误，请核实"}, None)
        session.commit()
    token = fk.device_token(client, "zhuren")
    got = client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(token)).json()["cases"]
    assert [c["id"] for c in got] == [c.id for c in field["cases"]] + [returned.id, practice.id]
    assert not {c.id for c in hidden} & {c["id"] for c in got}
    back = got[-2]
    assert back["review"] == {"status": "returned", "reason": "", "comments": [{"question": "age", "text": "年龄有误，请核实"}]}
    assert back["response"] == {"instance_id": returned.instance_id, "status": "complete"}
    assert got[-1]["practice"] is True and got[0]["practice"] is False
    assert datetime.fromisoformat(client.get(f"{fk.FIELD}/bundle", headers=fk.bearer(token)).json()["server_time"]
                                  .replace("Z", "+00:00")).tzinfo == UTC


def test_an_interview_must_name_its_cases_village(app: Any, client: Any, field: dict[str, Any]) -> None:
    fk.make_staff(app, "dudao", "supervisor", "149901001000")  # a township's supervisor, working a case himself
    with Session(app.state.engine, expire_on_commit=False) as session:
        account = staff.find_staff(session, "dudao")
        assert account is not None
        case = fk.seed_case(session, field["wave"], VILLAGE, collector_id=account.id)
        session.commit()
    token = fk.device_token(client, "dudao")
    before = _state(app)
    body = {**fk.interview_body(app, case), "village": OTHER_VILLAGE}
    r = client.post("/api/v1/surveys/women/responses", json=body, headers=fk.bearer(token))
    assert r.status_code == 422 and r.json()["code"] == "case.interview_mismatch" and _state(app) == before
    assert fk.interview(client, app, case, token).status_code == 201
