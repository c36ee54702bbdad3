"""What every response says about itself, and posts that must come from our own pages."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from bs4 import BeautifulSoup
from starlette.requests import ClientDisconnect

from tests.server.robot import VILLAGE, browser_csrf


def test_every_response_carries_the_security_headers(client: Any) -> None:
    for url in ("/", "/s/women", "/api/v1/surveys", "/nope"):
        headers = client.get(url).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_draft_pages_are_never_stored_by_a_cache_but_static_files_are(client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    assert page.url.path == "/s/women/p/p_screen" and page.headers["cache-control"] == "no-store"
    assert "immutable" in client.get("/static/app.css").headers["cache-control"]


@pytest.mark.parametrize("header", [{"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"},
                                    {"Origin": "null"}])
def test_a_form_posted_from_another_site_is_refused_and_plants_no_draft(app: Any, client: Any,
                                                                       header: dict[str, str]) -> None:
    r = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)}, headers=header, follow_redirects=False)
    assert r.status_code == 403 and "request.cross_site" in r.text and "cs_women" not in r.cookies
    resume = client.post("/resume", data={"resume_code": "ABCD2345", "csrf": browser_csrf(client)}, headers=header)
    assert resume.status_code == 403 and "request.cross_site" in resume.text


def _drafts(app: Any) -> int:
    from sqlmodel import Session, func, select

    from server.store.drafts import Draft

    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(Draft)).one())


@pytest.mark.parametrize("token", ["", "0" * 32, "forged"])
def test_start_without_this_browsers_token_plants_no_draft_and_offers_the_button_again(
        app: Any, client: Any, token: str) -> None:
    client.get(f"/s/women/{VILLAGE}")  # the browser has its form cookie; the post lacks the matching token
    r = client.post("/s/women/start", data={"village": VILLAGE, "csrf": token}, follow_redirects=False)
    assert r.status_code == 403 and "request.form_retry" in r.text and "请再点一次" in r.text
    assert "cs_women" not in r.cookies and _drafts(app) == 0
    fresh = BeautifulSoup(r.text, "html.parser")
    retry = {"village": fresh.select_one("input[name=village]")["value"], "csrf": fresh.select_one("input[name=csrf]")["value"]}
    assert client.post("/s/women/start", data=retry, follow_redirects=False).status_code == 303  # one more tap
    assert _drafts(app) == 1


def test_a_token_read_by_another_site_is_useless_in_the_victims_browser(app: Any, client: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app) as attacker:  # the attacker loads our form and copies its token into his own page
        stolen = browser_csrf(attacker)
    r = client.post("/s/women/start", data={"village": VILLAGE, "csrf": stolen}, follow_redirects=False)
    assert r.status_code == 403 and _drafts(app) == 0
    resume = client.post("/resume", data={"resume_code": "ABCD2345", "csrf": stolen})
    assert resume.status_code == 403 and "request.form_retry" in resume.text
    assert BeautifulSoup(resume.text, "html.parser").select_one("input[name=resume_code]") is not None


def test_the_form_cookie_is_http_only_and_same_site(client: Any) -> None:
    cookie = client.get("/resume").headers["set-cookie"]
    assert cookie.startswith("cunsheng_form=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "set-cookie" not in client.get("/s/women").headers  # kept, not renewed, once the browser has it


def test_a_form_from_our_own_pages_passes_the_origin_check(client: Any) -> None:
    r = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)}, headers={"Origin": "http://testserver"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_redirects_never_use_the_host_header(client: Any) -> None:
    r = client.get("/leave/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 404 and "evil.example" not in r.headers.get("location", "")
    start = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)}, headers={"Host": "evil.example"},
                        follow_redirects=False)
    assert start.headers["location"].startswith("/s/women/")


def test_cookies_are_secure_when_the_request_came_over_https(app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as secure:
        r = secure.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(secure)}, follow_redirects=False)
        assert "secure" in r.headers["set-cookie"].lower()


def test_a_wrong_method_is_405_with_allow(client: Any) -> None:
    r = client.delete("/api/v1/surveys")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed" and "GET" in r.headers["allow"]


def test_a_client_disconnect_is_one_info_line_not_a_traceback(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    @app.get("/__gone")
    def gone() -> None:
        raise ClientDisconnect()

    with caplog.at_level(logging.INFO, logger="cunsheng"), TestClient(app, raise_server_exceptions=False) as client:
        client.get("/__gone")
    records = [r for r in caplog.records if r.name == "cunsheng"]
    assert [r.levelname for r in records] == ["INFO"] and records[0].exc_info is None
