"""A unit's dashboard: responses by questionnaire × child unit, drill-down, and its JSON twin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

import server
from server.store import responses, staff, tokens
from tests.server.staffkit import COUNTY, PASSWORD, audit_count, make_staff, sign_in

TOWNSHIP_1, TOWNSHIP_2 = "149901001000", "149901002000"
VILLAGE_A, VILLAGE_B, VILLAGE_C = "149901001001", "149901001002", "149901002200"


VILLAGES_OF_TOWNSHIP_1 = sum(1 for line in (Path(server.__file__).parent / "data/county/units.csv")
                             .read_text(encoding="utf-8").splitlines() if line.split(",")[3] == TOWNSHIP_1)


def _store(app: Any, survey: str, village: str, outcome: str, n: int) -> None:
    pub = app.state.catalog.current[survey]
    with Session(app.state.engine) as session:
        for _ in range(n):
            new = responses.prepare(survey, pub.version_id, pub.number, str(uuid.uuid4()), village, {"x": 1}, outcome,
                                    "api", None, None)
            responses.save_response(session, new)


def _seed(app: Any) -> None:
    _store(app, "women", VILLAGE_A, "complete", 3)
    _store(app, "women", VILLAGE_A, "ended", 1)
    _store(app, "women", VILLAGE_B, "complete", 2)
    _store(app, "women", VILLAGE_C, "complete", 5)
    _store(app, "child", VILLAGE_C, "ended", 2)


def _bearer(app: Any, username: str) -> dict[str, str]:
    with Session(app.state.engine) as session:
        account = staff.find_staff(session, username)
        _, secret = tokens.issue(session, account.id, "系统对接", datetime.now(UTC))
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_county_sees_its_townships_and_drills_down_to_a_village(app: Any, client: Any) -> None:
    _seed(app)
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer")
    county = BeautifulSoup(client.get("/console").text, "html.parser")
    assert "示范县" in county.h1.get_text() and "下辖 169 个" in county.h1.get_text()
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.select("td.n")]
            for tr in county.select("table.board tbody tr")}
    assert len(rows) == 10  # the ten townships, each linked
    titles = [th.get_text() for th in county.select("table.board thead th")][1:-1]
    women = next(i for i, t in enumerate(titles) if "妇女" in t)
    child = next(i for i, t in enumerate(titles) if "自填" in t)
    first, second = list(rows)[:2]
    assert rows[first][women] == "5 / 1" and rows[second][women] == "5 / 0" and rows[second][child] == "0 / 2"
    link = county.select_one("table.board tbody tr th a")["href"]
    assert link == f"/console/units/{TOWNSHIP_1}"
    township = BeautifulSoup(client.get(link).text, "html.parser")
    villages = {tr.th.get_text(strip=True): tr.select("td.n")[women].get_text(strip=True)
                for tr in township.select("table.board tbody tr")}
    assert list(villages.values())[:2] == ["3 / 1", "2 / 0"]
    assert township.select_one(".crumbs a")["href"] == f"/console/units/{COUNTY}"  # back up to the county
    village = BeautifulSoup(client.get(township.select_one("table.board tbody tr th a")["href"]).text, "html.parser")
    totals = {li.strong.get_text(): li.select_one(".big").get_text() for li in village.select(".totals li")}
    assert village.select_one("table.board") is None and totals["妇女发展满意度与需求调查"] == "3"


def test_the_json_twin_answers_the_same_to_a_session_and_a_token(app: Any, client: Any) -> None:
    _seed(app)
    make_staff(app, "fuer", "evaluator", COUNTY)
    sign_in(client, "fuer")
    by_session = client.get(f"/api/v1/units/{TOWNSHIP_1}")
    assert by_session.status_code == 200, by_session.text
    with TestClient(app, headers=_bearer(app, "fuer")) as system:
        by_token = system.get(f"/api/v1/units/{TOWNSHIP_1}")
    body = by_session.json()
    assert by_token.json() == body
    assert (body["code"], body["name"], body["level"], body["parent"]) == (TOWNSHIP_1, "枣岭镇", "township", COUNTY)
    assert body["villages"] == len(body["children"]) == VILLAGES_OF_TOWNSHIP_1
    assert [a["code"] for a in body["ancestors"]] == ["140000000000", "149900000000", COUNTY]
    assert body["counts"]["women"]["complete"] == 5 and body["counts"]["women"]["ended"] == 1
    assert body["counts"]["women"]["last_received"] is not None and body["counts"]["child"]["last_received"] is None
    kids = {k["code"]: k for k in body["children"]}
    assert set(kids[VILLAGE_A]) == {"code", "name", "level", "counts"} and kids[VILLAGE_A]["level"] == "village"
    assert kids[VILLAGE_A]["counts"]["women"]["complete"] == 3 and kids[VILLAGE_B]["counts"]["women"]["complete"] == 2
    assert "answers" not in by_session.text  # aggregates only


def test_a_township_sees_only_its_own_subtree(app: Any, client: Any) -> None:
    _seed(app)
    make_staff(app, "ducha", "supervisor", TOWNSHIP_1)
    sign_in(client, "ducha")
    home = BeautifulSoup(client.get("/console").text, "html.parser")
    assert "枣岭镇" in home.h1.get_text() and home.select_one(".crumbs a") is None  # the county is not a link
    for path in (f"/console/units/{TOWNSHIP_2}", f"/console/units/{COUNTY}", f"/console/units/{VILLAGE_C}",
                 f"/api/v1/units/{TOWNSHIP_2}", f"/api/v1/units/{COUNTY}"):
        r = client.get(path)
        assert r.status_code == 404 and "5 / 0" not in r.text and VILLAGE_C not in r.text, path
    assert client.get(f"/api/v1/units/{VILLAGE_A}").json()["counts"]["women"]["complete"] == 3


def test_unknown_or_malformed_units_and_anonymous_callers_get_problems(app: Any, client: Any) -> None:
    anonymous = client.get(f"/api/v1/units/{COUNTY}")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth.sign_in_required"
    bad = client.get(f"/api/v1/units/{COUNTY}", headers={"Authorization": "Bearer csk_nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "auth.token_invalid"
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer")
    for code in ("149901001999", "14990100100X", "x" * 300, "149901000000%00"):
        r = client.get(f"/api/v1/units/{code}")
        assert r.status_code == 404 and r.json()["code"] == "not_found" and "。" in r.json()["message"], code
        assert client.get(f"/console/units/{code}").status_code == 404
    assert PASSWORD not in client.get("/console").text


def test_the_accounts_and_audit_twins_list_what_the_pages_list(app: Any, client: Any) -> None:
    make_staff(app, "fuer", "admin", COUNTY)
    make_staff(app, "xiang", "admin", TOWNSHIP_1)
    make_staff(app, "zhuren", "collector", VILLAGE_A)
    make_staff(app, "other", "collector", VILLAGE_C)
    sign_in(client, "xiang")
    page = client.get("/console/staff").text
    listed = client.get("/api/v1/staff").json()
    assert sorted(a["username"] for a in listed) == ["xiang", "zhuren"] and "other" not in page
    assert all(name in page for name in ("xiang", "zhuren"))
    assert "argon2" not in str(listed) and listed[1]["grants"] == [{"role": "collector", "unit": VILLAGE_A}]
    client.cookies.clear()
    sign_in(client, "fuer")
    entries = client.get("/api/v1/audit", params={"verb": "login"}).json()
    assert [e["actor"] for e in entries] == ["fuer", "xiang"] and all(e["verb"] == "login" for e in entries)
    assert {e["actor"] for e in client.get("/api/v1/audit", params={"unit": TOWNSHIP_1, "verb": "login"}).json()} \
        == {"xiang"}
    today = datetime.now(UTC).astimezone().date().isoformat()
    assert client.get("/api/v1/audit", params={"until": "2020-01-01"}).json() == []
    assert len(client.get("/api/v1/audit", params={"since": "2020-01-01", "verb": "login"}).json()) == 2
    html = client.get("/console/audit", params={"unit": TOWNSHIP_1, "verb": "login"}).text
    assert "xiang" in html and ">fuer<" not in html and today[:4] in html


@pytest.mark.parametrize("params", [{"since": "2026-13-01"}, {"until": "昨天"}, {"unit": "12345"},
                                    {"unit": "149902000000"}, {"verb": "x" * 41}])
def test_a_bad_audit_filter_is_a_clear_422_and_reads_nothing(app: Any, client: Any, params: dict[str, str]) -> None:
    make_staff(app, "xiang", "admin", TOWNSHIP_1)
    sign_in(client, "xiang")
    before = audit_count(app)
    r = client.get("/api/v1/audit", params=params)
    assert r.status_code == 422 and r.json()["code"] == "request.invalid" and "请求格式不正确" in r.json()["message"]
    if "verb" not in params:
        page = client.get("/console/audit", params=params)
        assert page.status_code == 422 and "请求格式不正确" in page.text and "<td>xiang" not in page.text
    assert audit_count(app) == before  # a refused read is not a read
