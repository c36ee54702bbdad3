"""Rate limits per client address, shared by every process through the database; off by a setting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, func, select

from server.app import create_app
from server.store import staff, tokens
from server.store.drafts import Draft
from server.store.responses import Response, count_responses
from tests.server.robot import VILLAGE, browser_csrf
from tests.server.staffkit import PASSWORD, audit_count

# Ten pages of one question each: the page turns of a real questionnaire, quick to answer.
TEN_PAGES = "name: tiny\ntitle: 小问卷\npages:\n" + "".join(
    f"  - name: p{i}\n    title: 第{i}页\n    questions:\n"
    f"      - {{name: q{i}, kind: single, label: 题{i}, choices: [{{code: 1, label: 是}}, {{code: 2, label: 否}}]}}\n"
    for i in range(10))


@contextmanager
def served(make_settings: Any, tmp_path: Path, limits: str | None = None) -> Iterator[tuple[Any, TestClient]]:
    folder = tmp_path / "defs"
    folder.mkdir(exist_ok=True)
    (folder / "tiny.yaml").write_text(TEN_PAGES, encoding="utf-8")
    settings = make_settings(folder)
    if limits is not None:
        settings = settings.model_copy(update={"rate_limits": limits})
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield app, client
    finally:
        app.state.engine.dispose()


def answer_all(client: TestClient) -> int:
    page = client.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    while "/done" not in page.url.path:
        assert page.status_code == 200, page.text
        csrf = BeautifulSoup(page.text, "html.parser").select_one("input[name=csrf]")["value"]
        name = page.url.path.rsplit("/", 1)[1]
        page = client.post(page.url.path, data={"csrf": csrf, f"q{name[1:]}": "1", "nav": "next"})
    return page.status_code


@pytest.mark.slow
def test_sixty_villagers_behind_one_address_all_finish(make_settings: Any, tmp_path: Path) -> None:
    """A 妇女之家 meeting: 60 phones on one carrier address start and finish under the default limits."""
    with served(make_settings, tmp_path) as (app, _):
        for _ in range(60):
            with TestClient(app) as phone:  # each phone has its own cookie; all share testclient's address
                assert answer_all(phone) == 200
        with Session(app.state.engine) as session:
            assert count_responses(session, "tiny") == 60


def test_a_client_over_the_limit_gets_429_with_retry_after(make_settings: Any, tmp_path: Path) -> None:
    with served(make_settings, tmp_path, "start=3/600") as (app, client):
        for _ in range(3):
            assert client.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(client)}).status_code == 200
        r = client.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(client)}, follow_redirects=False)
        assert r.status_code == 429 and "request.rate_limited" in r.text and 0 < int(r.headers["retry-after"]) <= 600
        api = client.get("/api/v1/surveys")
        assert api.status_code == 200  # other actions are not limited by it


def test_resume_guessing_locks_the_address_out(make_settings: Any, tmp_path: Path) -> None:
    with served(make_settings, tmp_path, "resume=3/600") as (app, client):
        page = client.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
        code = BeautifulSoup(page.text, "html.parser").select_one(".resume strong").get_text()
        for guess in ("AAAA2222", "BBBB3333", "CCCC4444"):
            assert client.post("/resume", data={"resume_code": guess, "csrf": browser_csrf(client)}).status_code == 404
        with TestClient(app) as other_phone_same_address:
            right = other_phone_same_address.post("/resume", data={"resume_code": code, "csrf": browser_csrf(other_phone_same_address)})
            assert right.status_code == 429 and "request.rate_limited" in right.text


def test_limits_are_shared_by_every_process_on_the_database(make_settings: Any, tmp_path: Path) -> None:
    with served(make_settings, tmp_path, "start=4/600") as (_, first), \
            served(make_settings, tmp_path, "start=4/600") as (_, second):
        statuses = [c.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(c)}, follow_redirects=False).status_code
                    for c in (first, second, first, second, first)]
        assert statuses == [303, 303, 303, 303, 429]


def test_rate_limits_off_turns_them_off(make_settings: Any, tmp_path: Path) -> None:
    with served(make_settings, tmp_path, "off") as (_, client):
        assert all(client.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(client)}, follow_redirects=False).status_code == 303
                   for _ in range(20))


@pytest.mark.parametrize("limits", ["start=3", "nope=1/60", "start=1/0"])
def test_a_broken_limit_setting_is_a_clear_start_up_problem(make_settings: Any, tmp_path: Path, limits: str) -> None:
    from surveys.problem import Problem

    with pytest.raises(Problem) as info, served(make_settings, tmp_path, limits):
        pass
    assert info.value.code == "settings.rate_limits"


def test_drafts_and_resume_codes_expire_after_draft_days(make_settings: Any, tmp_path: Path) -> None:
    with served(make_settings, tmp_path) as (app, client):
        page = client.post("/s/tiny/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
        code = BeautifulSoup(page.text, "html.parser").select_one(".resume strong").get_text()
        with Session(app.state.engine) as session:
            session.execute(update(Draft).values(updated_at=Draft.updated_at - timedelta(days=31)))
            session.commit()
        assert client.get("/s/tiny/p/p0", follow_redirects=False).headers["location"] == "/s/tiny"
        with TestClient(app) as phone:
            assert phone.post("/resume", data={"resume_code": code, "csrf": browser_csrf(phone)}).status_code == 404


def _tiny_response(village: str = VILLAGE) -> dict[str, Any]:
    return {"instance_id": str(uuid.uuid4()), "version": 1, "village": village,
            "answers": {f"q{i}": 1 for i in range(10)}}


def _token_of(app: Any, username: str, role: str, unit: str) -> str:
    with Session(app.state.engine) as session:
        account = staff.add_staff(session, username, PASSWORD, role, unit)
        session.flush()
        _, secret = tokens.issue(session, account.id, "平板", datetime.now(UTC))
        session.commit()
    return secret


def _submitted(app: Any) -> list[tuple[int | None, int]]:
    with Session(app.state.engine) as session:
        rows = session.exec(select(Response.staff_id, func.count()).group_by(Response.staff_id)).all()
        return sorted(((s, n) for s, n in rows), key=lambda r: r[0] or 0)


def test_a_device_token_is_not_limited_by_address_and_its_responses_are_its_own(make_settings: Any,
                                                                                 tmp_path: Path) -> None:
    """A 儿童主任's tablet uploads a day's interviews at once through the carrier address everyone shares."""
    with served(make_settings, tmp_path, "ingest=3/600") as (app, client):
        secret = _token_of(app, "zhuren", "collector", "149901001000")
        for _ in range(3):
            assert client.post("/api/v1/surveys/tiny/responses", json=_tiny_response()).status_code == 201
        assert client.post("/api/v1/surveys/tiny/responses", json=_tiny_response()).status_code == 429
        device = {"Authorization": f"Bearer {secret}"}
        sent = [client.post("/api/v1/surveys/tiny/responses", json=_tiny_response(), headers=device)
                for _ in range(12)]
        assert [r.status_code for r in sent] == [201] * 12
        assert client.post("/api/v1/surveys/tiny/responses", json=_tiny_response()).status_code == 429  # still
        account_id = _submitted(app)[1][0]
        assert _submitted(app) == [(None, 3), (account_id, 12)]
        assert audit_count(app, "response.submit") == 12  # every account's write is in the audit log


@pytest.mark.parametrize("case", ["unknown token", "revoked token", "village outside the subtree", "viewer role"])
def test_a_bad_token_or_a_village_outside_its_subtree_stores_nothing(make_settings: Any, tmp_path: Path,
                                                                   case: str) -> None:
    with served(make_settings, tmp_path, "ingest=3/600") as (app, client):
        secret = _token_of(app, "zhuren", "viewer" if case == "viewer role" else "collector", "149901001000")
        if case == "unknown token":
            secret = "csk_" + "0" * 40
        if case == "revoked token":
            with Session(app.state.engine) as session:
                tokens.revoke(session, tokens.live_token(session, secret).id, datetime.now(UTC))
                session.commit()
        village = "149901002001" if case == "village outside the subtree" else VILLAGE
        r = client.post("/api/v1/surveys/tiny/responses", json=_tiny_response(village),
                        headers={"Authorization": f"Bearer {secret}"})
        expected = (403, "auth.forbidden") if case in ("village outside the subtree", "viewer role") \
            else (401, "auth.token_invalid")
        assert (r.status_code, r.json()["code"]) == expected, r.text
        assert "。" in r.json()["message"] and _submitted(app) == [] and audit_count(app, "response.submit") == 0
