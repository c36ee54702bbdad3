"""Rate limits per client address, shared by every process through the database; off by a setting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session

from server.app import create_app
from server.store.drafts import Draft
from server.store.responses import count_responses
from tests.server.robot import VILLAGE, browser_csrf

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
