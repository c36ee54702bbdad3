"""The JSON ingest API: idempotent on the client's instance id, validated by the compiled questionnaire."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from server.store import responses
from server.store.responses import Response
from tests.server.robot import VILLAGE, complete_answers

URL = "/api/v1/surveys/women/responses"


def payload(app: Any, **changes: Any) -> dict[str, Any]:
    survey = app.state.catalog.current["women"].survey
    body = {"instance_id": str(uuid.uuid4()), "version": 1, "village": VILLAGE,
            "answers": complete_answers(survey), "started_at": "2026-05-01T08:00:00+08:00",
            "completed_at": "2026-05-01T08:12:30+08:00"}
    body.update(changes)
    return body


def count(app: Any) -> int:
    with Session(app.state.engine) as session:
        return responses.count_responses(session)


def test_new_response_is_created_with_timing(app: Any, client: Any) -> None:
    body = payload(app)
    r = client.post(URL, json=body)
    assert r.status_code == 201, r.json()
    assert r.json()["instance_id"] == body["instance_id"] and r.json()["outcome"] == "complete"
    with Session(app.state.engine) as session:
        row = responses.find_response(session, "women", body["instance_id"])
        assert row is not None and row.answers == body["answers"] and row.duration_seconds == 750
        assert row.channel == "api"


def test_resend_with_same_instance_id_stores_one_response(app: Any, client: Any) -> None:
    body = payload(app)
    first = client.post(URL, json=body)
    again = client.post(URL, content=first.request.content, headers={"Content-Type": "application/json"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert count(app) == 1


def test_different_payload_under_same_instance_id_is_a_conflict(app: Any, client: Any) -> None:
    body = payload(app)
    client.post(URL, json=body)
    changed = {**body, "answers": {**body["answers"], "age": 50}}
    r = client.post(URL, json=changed)
    assert r.status_code == 409 and r.json()["code"] == "response.instance_conflict"
    assert body["instance_id"] in r.json()["message"]
    with Session(app.state.engine) as session:
        assert responses.find_response(session, "women", body["instance_id"]).answers["age"] == body["answers"]["age"]
    assert count(app) == 1


def test_invalid_answers_list_each_question_and_store_nothing(app: Any, client: Any) -> None:
    body = payload(app)
    body["answers"].update({"age": 130, "hh_size": "three", "nosuch": 1})
    del body["answers"]["area"]
    r = client.post(URL, json=body)
    assert r.status_code == 422 and r.json()["code"] == "response.answers_invalid"
    details = r.json()["details"]
    assert set(details) == {"age", "hh_size", "nosuch", "area"}
    assert {v: d["code"] for v, d in details.items()} == {
        "age": "answer.out_of_range", "hh_size": "answer.not_integer", "nosuch": "answer.unknown_question",
        "area": "answer.required"}
    assert "120" in details["age"]["message"]
    assert count(app) == 0


def test_answers_to_questions_skip_logic_removed_are_rejected(app: Any, client: Any) -> None:
    body = payload(app)
    body["answers"]["housework_spouse"] = 60  # asked only of married women; default is unmarried
    r = client.post(URL, json=body)
    assert r.status_code == 422 and r.json()["details"]["housework_spouse"]["code"] == "answer.not_asked"


@pytest.mark.parametrize("content, code", [
    (b"{not json", "request.not_json"),
    (b"\xff\xfe", "request.not_json"),
    (b"[1, 2]", "request.not_object"),
])
def test_malformed_body_is_a_clear_error(app: Any, client: Any, content: bytes, code: str) -> None:
    r = client.post(URL, content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == code
    assert count(app) == 0


@pytest.mark.parametrize("change, field", [
    ({"instance_id": "not-a-uuid"}, "instance_id"),
    ({"version": "first"}, "version"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"extra": 1}, "extra"),
])
def test_bad_fields_are_named(app: Any, client: Any, change: dict[str, Any], field: str) -> None:
    r = client.post(URL, json=payload(app, **change))
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"
    assert field in r.json()["details"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in v) for v in r.json()["details"].values())  # Chinese
    assert count(app) == 0


def test_unknown_survey_version_and_village(app: Any, client: Any) -> None:
    r = client.post("/api/v1/surveys/nosuch/responses", json=payload(app))
    assert r.status_code == 404 and r.json()["code"] == "survey.not_found"
    r = client.post(URL, json=payload(app, version=7))
    assert r.status_code == 422 and r.json()["code"] == "survey.version_not_found"
    r = client.post(URL, json=payload(app, village="000"))
    assert r.status_code == 422 and r.json()["code"] == "response.village_unknown"
    assert r.json()["details"] == {"village": "000"}
    assert count(app) == 0


def test_definition_is_served_as_json(client: Any) -> None:
    listing = client.get("/api/v1/surveys").json()
    assert {s["name"] for s in listing} == {"women", "caregiver", "child"}
    women = client.get("/api/v1/surveys/women").json()
    assert women["version"] == 1 and women["pages"][0]["questions"][0]["name"] == "resp_sex"


def test_database_constraint_is_the_last_defence(app: Any) -> None:
    with Session(app.state.engine) as session:
        version_id = app.state.catalog.current["women"].version_id
        for _ in range(2):
            session.add(Response(survey="women", version_id=version_id, instance_id="same", village=VILLAGE,
                                 answers={}, outcome="complete", channel="api", payload_sha256="x"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_twenty_concurrent_posts_of_one_instance_store_exactly_one(app: Any, live_url: str) -> None:
    body = payload(app)
    barrier = threading.Barrier(20)

    def post(_: int) -> int:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            barrier.wait()
            return http.post(URL, json=body).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(post, range(20)))
    assert sorted(statuses) == [200] * 19 + [201]
    assert count(app) == 1


def test_a_device_can_ask_whether_its_response_arrived(app: Any, client: Any) -> None:
    body = payload(app)
    created = client.post(URL, json=body)
    status = client.get(created.headers["Location"])
    assert status.status_code == 200 and status.json()["id"] == created.json()["id"] and "answers" not in status.json()
    missing = client.get(f"{URL}/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["code"] == "response.not_found"


def test_an_unexpected_error_is_a_catalogue_problem_not_a_stack_trace(app: Any) -> None:
    from fastapi.testclient import TestClient

    def broken() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/v1/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/api/v1/broken")
    assert r.status_code == 500 and r.json()["code"] == "server.error" and "boom" not in r.text


def test_a_resend_with_reordered_keys_and_equal_times_is_the_same_response(app: Any, client: Any) -> None:
    body = payload(app)
    first = client.post(URL, json=body)
    reordered = dict(reversed(list(body.items())))
    reordered["completed_at"] = "2026-05-01T00:12:30+00:00"  # the same moment, written in UTC
    again = client.post(URL, json=reordered)
    assert (first.status_code, again.status_code) == (201, 200) and count(app) == 1


def test_a_web_response_resent_through_the_api_keeps_its_fingerprint(app: Any, client: Any) -> None:
    """Both channels fingerprint one canonical payload: the API recognises a response the pages stored."""
    from tests.server.robot import Robot

    Robot(client, app.state.catalog.current["women"].survey).run()
    with Session(app.state.engine) as session:
        (row,) = list(responses.iter_responses(session, "women"))
    aware = {k: getattr(row, k).replace(tzinfo=getattr(row, k).tzinfo or UTC).isoformat()
             for k in ("started_at", "completed_at")}
    body = {"instance_id": row.instance_id, "version": 1, "village": row.village, "answers": row.answers, **aware}
    r = client.post(URL, json=body)
    assert r.status_code == 200 and r.json()["id"] == row.id
    changed = {**body, "answers": {**row.answers, "age": row.answers["age"] + 1}}
    conflicting = client.post(URL, json=changed)
    assert conflicting.status_code == 409 and conflicting.json()["code"] == "response.instance_conflict"
    assert count(app) == 1


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("make, code", [
    (lambda body: json.dumps({**body, "answers": {"x": json.loads(_nested(900))}}), "request.too_deep"),
    (lambda body: '{"answers": ' + _nested(3000) + "}", "request.too_deep"),
    (lambda body: json.dumps({**body, "village": "\ud800"}), "request.bad_characters"),
    (lambda body: json.dumps({**body, "answers": {**body["answers"], "\ud800": 1}}), "request.bad_characters"),
    (lambda body: json.dumps({**body, "answers": {**body["answers"], "suggestion": "a\u0000b"}}),
     "request.bad_characters"),
    (lambda body: json.dumps({**body, "village": "1400\u0000"}), "request.bad_characters"),
    (lambda body: json.dumps({**body, "started_at": "0001-01-01T00:00+23:59"}), "request.invalid"),
    (lambda body: json.dumps({**body, "completed_at": "9999-12-31T23:59-23:59"}), "request.invalid"),
    (lambda body: json.dumps({**body, "started_at": "1970-01-01T00:00:00+00:00"}), "request.invalid"),
    (lambda body: json.dumps({**body, "started_at": body["completed_at"], "completed_at": body["started_at"]}),
     "request.invalid"),
    (lambda body: json.dumps({**body, "version": True}), "request.invalid"),
    (lambda body: json.dumps({**body, "version": "1"}), "request.invalid"),
    (lambda body: json.dumps({**body, "instance_id": "0000\u0000"}), "request.bad_characters"),
])
def test_hostile_bodies_are_clear_4xx_and_store_nothing(app: Any, client: Any, make: Any, code: str) -> None:
    r = client.post(URL, content=make(payload(app)).encode("utf-8", "surrogatepass"),
                    headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()["code"] == code, r.text
    assert count(app) == 0


def test_the_api_takes_only_json_so_no_cross_site_form_can_post(app: Any, client: Any) -> None:
    for kind in ("text/plain", "application/x-www-form-urlencoded", ""):
        r = client.post(URL, content=json.dumps(payload(app)), headers={"Content-Type": kind})
        assert r.status_code == 415 and r.json()["code"] == "request.media_type"
    assert count(app) == 0


def test_a_body_over_the_limit_is_refused_while_streaming(app: Any, client: Any) -> None:
    sent = []

    def chunks() -> Any:
        for _ in range(1000):  # 64 MB if it were read whole
            sent.append(1)
            yield b" " * 65536

    r = client.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "request.too_large" and count(app) == 0
    declared = client.post(URL, content=b"{}", headers={"Content-Type": "application/json",
                                                        "Content-Length": str(10 ** 9)})
    assert declared.status_code == 413


def test_a_status_query_for_a_malformed_instance_id_is_a_4xx(client: Any) -> None:
    r = client.get("/api/v1/surveys/women/responses/0000%00")
    assert r.status_code == 422 and r.json()["code"] == "request.invalid"


def test_the_openapi_document_describes_the_ingest_body_and_lists_no_html_pages(client: Any) -> None:
    spec = client.get("/api/openapi.json").json()
    post = spec["paths"]["/api/v1/surveys/{survey}/responses"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"instance_id", "version", "village", "answers"} <= set(body["required"])
    assert {"201", "200", "409", "413", "415", "422"} <= set(post["responses"])
    assert not [p for p in spec["paths"] if p.startswith("/s/") or p in ("/", "/resume", "/leave")]


def test_head_of_the_home_page_and_the_favicon_are_not_errors(client: Any) -> None:
    assert client.head("/").status_code == 200 and client.get("/favicon.ico").status_code == 204


UNBOUNDED = ("name: open\ntitle: 无界的数\npages:\n  - name: p1\n    title: 第一页\n    questions:\n"
             "      - {name: amount, kind: decimal, label: 金额, decimals: 2}\n")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_a_number_no_json_column_can_hold_is_a_422_and_stores_nothing(make_settings: Any, tmp_path: Any,
                                                                       number: str) -> None:
    """Python's json reads NaN, Infinity and 1e999 (as inf); an unbounded decimal accepted them and the
    canonical payload then failed with a 500 (found by fuzzing the API)."""
    from fastapi.testclient import TestClient

    from server.app import create_app

    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "open.yaml").write_text(UNBOUNDED, encoding="utf-8")
    app = create_app(make_settings(tmp_path / "defs"))
    body = {"instance_id": str(uuid.uuid4()), "version": 1, "village": VILLAGE, "answers": {"amount": "X"}}
    raw = json.dumps(body).replace('"X"', number)
    try:
        with TestClient(app) as client:
            r = client.post("/api/v1/surveys/open/responses", content=raw, headers={"Content-Type": "application/json"})
            fine = client.post("/api/v1/surveys/open/responses", json={
                "instance_id": str(uuid.uuid4()), "version": 1, "village": VILLAGE, "answers": {"amount": 1e308}})
        assert r.status_code == 422 and r.json()["code"] == "request.bad_number", r.text
        assert r.json()["details"] == {"path": "answers.amount"}
        assert fine.status_code == 201 and count(app) == 1  # the largest finite number is still an answer
    finally:
        app.state.engine.dispose()


def test_a_village_added_after_start_is_accepted(app: Any, client: Any) -> None:
    """The ingest API keeps village codes in memory, but a code it has not seen is looked up."""
    from server.store.units import Unit

    assert client.post(URL, json=payload(app)).status_code == 201  # the known codes are now cached
    assert client.post(URL, json=payload(app, village="149901001399")).json()["code"] == "response.village_unknown"
    with Session(app.state.engine) as session:
        session.add(Unit(code="149901001399", name="新村", level="village", parent="149901001000", urban_rural="220", households=10))
        session.commit()
    r = client.post(URL, json=payload(app, village="149901001399"))
    assert r.status_code == 201 and r.json()["village"] == "149901001399"


def test_a_new_response_costs_one_statement_and_a_resend_two(app: Any, client: Any) -> None:
    """Stored with one INSERT … ON CONFLICT DO NOTHING RETURNING; only a resend reads the stored row."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "rate_bucket" not in statement:  # the rate limit's counter is tested in test_ratelimit.py
            statements.append(statement.split()[0].upper())

    client.post(URL, json=payload(app))  # the first post loads the village codes
    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        body = payload(app)
        created = client.post(URL, json=body)
        assert created.status_code == 201 and statements == ["INSERT"]
        statements.clear()
        again = client.post(URL, json=body)
        assert again.status_code == 200 and again.json() == created.json() and statements == ["INSERT", "SELECT"]
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)


def test_the_answer_to_a_new_response_matches_the_stored_row(app: Any, client: Any) -> None:
    body = payload(app)
    r = client.post(URL, json=body).json()
    with Session(app.state.engine) as session:
        row = responses.find_response(session, "women", body["instance_id"])
        assert row is not None
        assert r == {"id": row.id, "survey": "women", "version": 1, "instance_id": body["instance_id"],
                     "village": VILLAGE, "outcome": "complete", "received_at": row.received_at.isoformat()}


def test_twenty_concurrent_posts_of_one_instance_with_two_payloads_store_one(app: Any, live_url: str) -> None:
    """Racing resends: one is stored (201), the same payload gets 200, the other payload 409."""
    body = payload(app)
    other = {**body, "answers": {**body["answers"], "age": body["answers"]["age"] + 1}}
    barrier = threading.Barrier(20)

    def post(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=live_url, timeout=60) as http:
            barrier.wait()
            return i % 2, http.post(URL, json=body if i % 2 == 0 else other).status_code

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(post, range(20)))
    winner = next(kind for kind, status in results if status == 201)
    assert sorted(status for kind, status in results if kind == winner) == [200] * 9 + [201]
    assert [status for kind, status in results if kind != winner] == [409] * 10
    assert count(app) == 1
