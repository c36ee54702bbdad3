"""Staff accounts: the first admin from the command line, sign-in with lockout and slowdown, sessions
that end on logout, password change and idling, CSRF on every staff post, device tokens."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from server.store.staff import Staff
from tests.server.staffkit import COUNTY, PASSWORD, app_routes, audit_count, csrf_of, make_staff, sign_in, verb_of


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Any) -> Clock:
    app.state.clock = Clock()
    return app.state.clock


def _accounts(app: Any) -> int:
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(Staff)).one())


def test_the_first_admin_is_created_from_the_command_line(app: Any, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from server.cli import main

    monkeypatch.setenv("CUNSHENG_DATABASE_URL", str(app.state.engine.url.render_as_string(hide_password=False)))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "add", "fuer", "--role", "admin", "--unit", COUNTY, "--password-stdin"]) == 0
    assert "fuer" in capsys.readouterr().out and _accounts(app) == 1 and audit_count(app, "staff.add") == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["staff", "add", "other", "--role", "admin", "--unit", COUNTY, "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "staff.password_weak" in err and "short" not in err and _accounts(app) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["staff", "add", "x2", "--role", "admin", "--unit", "149901000001", "--password-stdin"]) == 2
    assert "staff.unit_invalid" in capsys.readouterr().err and _accounts(app) == 1
    with TestClient(app) as client:
        assert sign_in(client, "fuer").headers["location"] == "/console"


def test_sign_in_sets_a_session_cookie_that_is_http_only_and_same_site(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    r = sign_in(client, "fuer")
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("cunsheng_staff=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "您好，fuer" in client.get("/console").text
    assert audit_count(app, "login") == 1


def test_a_wrong_password_is_refused_without_echoing_it(app: Any, client: Any, caplog: pytest.LogCaptureFixture) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    caplog.set_level(logging.DEBUG)
    r = sign_in(client, "fuer", "Wrong-password-123")
    assert r.status_code == 401 and "auth.login_failed" in r.text and 'value="fuer"' in r.text
    assert "Wrong-password-123" not in r.text and "Wrong-password-123" not in caplog.text
    assert "cunsheng_staff" not in r.cookies and audit_count(app, "login.failed") == 1
    with Session(app.state.engine) as session:
        stored = session.exec(select(Staff)).one().password_hash
    assert PASSWORD not in stored and stored.startswith("$argon2id$")


def test_pages_need_a_sign_in_and_come_back_after_it(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    r = client.get("/console/audit", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fconsole%2Faudit"
    form = client.get(r.headers["location"])
    signed = client.post("/login", data={"username": "fuer", "password": PASSWORD, "csrf": csrf_of(form.text),
                                         "next": "/console/audit"}, follow_redirects=False)
    assert signed.headers["location"] == "/console/audit"
    evil = client.post("/login", data={"username": "fuer", "password": PASSWORD, "csrf": csrf_of(form.text),
                                       "next": "//evil.example/console"}, follow_redirects=False)
    assert evil.headers["location"] == "/console"


def test_repeated_failures_lock_the_account_on_that_address_only(app: Any, clock: Clock) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    with TestClient(app, client=("10.0.0.9", 1)) as stranger, TestClient(app, client=("10.0.0.1", 1)) as office:
        for _ in range(5):
            assert sign_in(stranger, "fuer", "guess-guess-guess").status_code == 401
        locked = sign_in(stranger, "fuer")  # even the right password, from that address
        assert locked.status_code == 429 and "auth.login_locked" in locked.text
        assert sign_in(office, "fuer").status_code == 303  # the admin elsewhere is not locked out
        clock.now += 15 * 60 + 1
        assert sign_in(stranger, "fuer").status_code == 303


def test_failures_from_many_addresses_slow_the_account_down_but_never_lock_it(app: Any, clock: Clock) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    for i in range(10):
        with TestClient(app, client=(f"10.1.0.{i}", 1)) as bot:
            assert sign_in(bot, "fuer", "guess-guess-guess").status_code == 401
    with TestClient(app, client=("10.0.0.1", 1)) as office:
        slowed = sign_in(office, "fuer")
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
        clock.now += 1.5
        assert sign_in(office, "fuer").status_code == 303


def test_logout_ends_the_session(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer")
    cookie = client.cookies.get("cunsheng_staff")
    home = client.get("/console")
    assert client.post("/logout", data={"csrf": csrf_of(home.text)}, follow_redirects=False).status_code == 303
    with TestClient(app, cookies={"cunsheng_staff": cookie}) as replay:
        assert replay.get("/console", follow_redirects=False).status_code == 303  # to the sign-in form
    assert audit_count(app, "logout") == 1


def test_a_password_change_ends_every_other_session(app: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    with TestClient(app) as laptop, TestClient(app) as phone:
        sign_in(laptop, "fuer")
        sign_in(phone, "fuer")
        form = laptop.get("/console/password")
        weak = laptop.post("/console/password", data={"csrf": csrf_of(form.text), "current": PASSWORD,
                                                      "new": "abc", "again": "abc"})
        assert weak.status_code == 422 and phone.get("/console", follow_redirects=False).status_code == 200
        new = "a-new-long-passphrase"
        changed = laptop.post("/console/password", data={"csrf": csrf_of(form.text), "current": PASSWORD,
                                                         "new": new, "again": new})
        assert changed.status_code == 200 and "密码已修改" in changed.text and new not in changed.text
        assert phone.get("/console", follow_redirects=False).status_code == 303  # signed out
        assert laptop.get("/console", follow_redirects=False).status_code == 200  # this one continues
        assert sign_in(phone, "fuer").status_code == 401 and sign_in(phone, "fuer", new).status_code == 303


def test_an_idle_session_ends(app: Any, client: Any, clock: Clock) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer")
    clock.now += 59 * 60
    assert client.get("/console", follow_redirects=False).status_code == 200
    clock.now += 61 * 60
    assert client.get("/console", follow_redirects=False).status_code == 303


def _staff_posts(app: Any) -> list[str]:
    return sorted(r.name for r in app_routes(app) if "POST" in r.methods and verb_of(r) is not None)


def test_every_staff_post_without_its_csrf_token_is_403_and_changes_nothing(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    make_staff(app, "zhuren", "collector", "149901001001")
    sign_in(client, "fuer")
    paths = {"logout": "/logout", "password_change": "/console/password", "staff_add": "/console/staff",
             "token_issue": "/console/staff/zhuren/tokens", "token_revoke": "/console/tokens/1/revoke",
             "response_erase": "/console/responses/women/00000000-0000-4000-8000-000000000000/erase",
             "survey_publish": "/console/surveys/publish", "survey_open": "/console/surveys/women/open",
             "survey_close": "/console/surveys/women/close", "survey_settings": "/console/surveys/women/settings",
             "wave_create": "/console/waves", "wave_sample": "/console/waves/1/sample", "wave_given": "/console/waves/1/given",
             "wave_advance": "/console/waves/1/advance", "case_assign": "/console/cases/1/assign",
             "case_replace": "/console/cases/1/replace", "review_post": "/console/reviews/1"}
    fieldwork = {"listing_upload": "/console/waves/1/villages/149901001001/listing", "case_visit": "/console/cases/1/visits",
                 "case_respondent": "/console/cases/1/respondent", "case_interview": "/console/cases/1/interview",
                 "case_close": "/console/cases/1/close", "case_practice": "/console/cases/practice",
                 "case_correct": "/console/cases/1/correct",
                 "field_sync": "/api/v1/field/sync"}  # a supervisor's (the field sync takes a session's too)
    assert set(paths) | set(fieldwork) == set(_staff_posts(app))  # a new staff post must be added here
    make_staff(app, "dudao", "supervisor", "149901001000")
    with TestClient(app) as supervisor:
        sign_in(supervisor, "dudao")
        before = audit_count(app)
        for who, name, path in [*((client, n, p) for n, p in paths.items()),
                                *((supervisor, n, p) for n, p in fieldwork.items())]:
            for token in ("", "0" * 32):
                r = who.post(path, data={"csrf": token, "username": "new1", "role": "viewer", "unit": COUNTY,
                                         "password": PASSWORD, "current": PASSWORD, "new": "x" * 12,
                                         "again": "x" * 12, "name": "轮次"})
                assert r.status_code == 403 and "request.form_expired" in r.text, (name, r.status_code)
    assert audit_count(app) == before and _accounts(app) == 3
    assert client.get("/console", follow_redirects=False).status_code == 200  # still signed in


def test_a_device_token_acts_as_its_account_until_revoked(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    make_staff(app, "zhuren", "collector", "149901001001")
    sign_in(client, "fuer")
    page = client.get("/console/staff")
    issued = client.post("/console/staff/zhuren/tokens", data={"csrf": csrf_of(page.text), "label": "平板 1"})
    token = issued.text.split("<code>")[1].split("</code>")[0]
    assert token.startswith("csk_") and audit_count(app, "token.issue") == 1
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as device:
        assert "您好，zhuren" in device.get("/console").text
        assert device.get("/console/staff").status_code == 404  # a collector manages no accounts
        page = client.get("/console/staff")
        token_id = page.text.split("/console/tokens/")[1].split("/")[0]
        client.post(f"/console/tokens/{token_id}/revoke", data={"csrf": csrf_of(page.text)})
        assert device.get("/console").status_code == 401  # revoked: stopped at once


def test_an_admin_creates_accounts_only_inside_her_subtree(app: Any, client: Any) -> None:
    make_staff(app, "xiang", "admin", "149901001000")  # a township's admin
    sign_in(client, "xiang")
    csrf = csrf_of(client.get("/console/staff").text)
    form = {"csrf": csrf, "username": "zhuren2", "role": "collector", "password": PASSWORD}
    outside = client.post("/console/staff", data={**form, "unit": "149901002001"})
    assert outside.status_code == 422 and _accounts(app) == 1
    inside = client.post("/console/staff", data={**form, "unit": "149901001002"}, follow_redirects=False)
    assert inside.status_code == 303 and _accounts(app) == 2 and audit_count(app, "staff.add") == 1
    again = client.post("/console/staff", data={**form, "unit": "149901001002"})
    assert again.status_code == 409 and "staff.username_taken" in again.text and _accounts(app) == 2
