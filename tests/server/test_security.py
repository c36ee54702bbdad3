"""What every response says about itself, and posts that must come from our own pages."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.requests import ClientDisconnect

from tests.server.robot import VILLAGE


def test_every_response_carries_the_security_headers(client: Any) -> None:
    for url in ("/", "/s/women", "/api/v1/surveys", "/nope"):
        headers = client.get(url).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self';" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_draft_pages_are_never_stored_by_a_cache_but_static_files_are(client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE})
    assert page.url.path == "/s/women/p/p_screen" and page.headers["cache-control"] == "no-store"
    assert "immutable" in client.get("/static/app.css").headers["cache-control"]


@pytest.mark.parametrize("header", [{"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"},
                                    {"Origin": "null"}])
def test_a_form_posted_from_another_site_is_refused_and_plants_no_draft(app: Any, client: Any,
                                                                       header: dict[str, str]) -> None:
    r = client.post("/s/women/start", data={"village": VILLAGE}, headers=header, follow_redirects=False)
    assert r.status_code == 403 and "request.cross_site" in r.text and "cs_women" not in r.cookies
    resume = client.post("/resume", data={"resume_code": "ABCD2345"}, headers=header)
    assert resume.status_code == 403 and "request.cross_site" in resume.text


def test_a_form_from_our_own_pages_passes_the_origin_check(client: Any) -> None:
    r = client.post("/s/women/start", data={"village": VILLAGE}, headers={"Origin": "http://testserver"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_redirects_never_use_the_host_header(client: Any) -> None:
    r = client.get("/leave/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 404 and "evil.example" not in r.headers.get("location", "")
    start = client.post("/s/women/start", data={"village": VILLAGE}, headers={"Host": "evil.example"},
                        follow_redirects=False)
    assert start.headers["location"].startswith("/s/women/")


def test_cookies_are_secure_when_the_request_came_over_https(app: Any) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as secure:
        r = secure.post("/s/women/start", data={"village": VILLAGE}, follow_redirects=False)
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
