"""Questionnaires in the console: the list with versions and counts of one's subtree, a read-only
preview, publishing from an uploaded definition (checked first, audited, seen by every process),
opening and closing for responses, the office's introduction and contact line, and QR posters."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from server.app import create_app
from server.routes import questionnaires
from server.store.drafts import Draft
from server.store.questionnaires import Questionnaire
from server.store.versions import SurveyVersion
from tests.conftest import BUNDLED
from tests.server.robot import VILLAGE, browser_csrf, complete_answers
from tests.server.staffkit import COUNTY, TOWNSHIP, audit_count, csrf_of, make_staff, sign_in

OTHER_TOWNSHIP = "149901002000"
OTHER_VILLAGE = "149901002200"
WOMEN = (BUNDLED / "women.yaml").read_text(encoding="utf-8")
REVISED = WOMEN.replace("妇女发展满意度与需求调查", "妇女发展满意度与需求调查（修订）", 1)


def _count(app: Any, table: Any) -> int:
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


def _stored(app: Any) -> tuple[int, int, int, int]:
    """What a refused request must leave as it was: versions, questionnaire rows, drafts, audit rows."""
    return _count(app, SurveyVersion), _count(app, Questionnaire), _count(app, Draft), audit_count(app)


def _csrf(client: Any) -> str:
    return csrf_of(client.get("/console/surveys").text)


def _upload(client: Any, data: bytes, name: str = "women.yaml", csrf: str | None = None) -> Any:
    return client.post("/console/surveys/publish", data={"csrf": _csrf(client) if csrf is None else csrf},
                       files={"definition": (name, data, "application/x-yaml")}, follow_redirects=False)


def _post(client: Any, village: str, survey: str = "women") -> Any:
    answers = complete_answers(client.app.state.catalog.current[survey].survey)
    return client.post(f"/api/v1/surveys/{survey}/responses", json={
        "instance_id": str(uuid.uuid4()), "version": client.app.state.catalog.current[survey].number,
        "village": village, "answers": answers})


def _text(html: str, selector: str = "main") -> str:
    node = BeautifulSoup(html, "html.parser").select_one(selector)
    return node.get_text(" ", strip=True) if node else ""


@pytest.fixture
def admin(app: Any, client: Any) -> Any:
    make_staff(app, "fuer", "admin", COUNTY)
    sign_in(client, "fuer")
    return client


ROUTES = {"survey_list": ("GET", "/console/surveys"), "survey_preview": ("GET", "/console/surveys/women/preview"),
          "survey_publish": ("POST", "/console/surveys/publish"), "survey_open": ("POST", "/console/surveys/women/open"),
          "survey_close": ("POST", "/console/surveys/women/close"),
          "survey_settings": ("POST", "/console/surveys/women/settings"),
          "survey_posters": ("GET", f"/console/surveys/women/posters?township={TOWNSHIP}"),
          "survey_poster": ("GET", f"/console/surveys/women/poster/{VILLAGE}.png")}


def test_every_route_declares_the_surveys_verb() -> None:
    routes = [r for r in questionnaires.router.routes if isinstance(r, APIRoute)]
    assert {r.name for r in routes} == set(ROUTES)  # a new route must be listed here (and in the tests below)
    for route in routes:
        verbs = [getattr(d.call, "verb", None) for d in route.dependant.dependencies]
        assert "surveys.manage" in verbs, route.name
        assert not route.include_in_schema, route.name


@pytest.mark.parametrize("role", ["supervisor", "viewer", "evaluator", "collector"])
def test_other_roles_get_404_and_change_nothing(app: Any, client: Any, role: str) -> None:
    make_staff(app, "other", role, COUNTY)
    sign_in(client, "other")
    assert "问卷管理" not in client.get("/console").text
    csrf = csrf_of(client.get("/console/password").text)
    before = _stored(app)
    for name, (method, path) in ROUTES.items():
        r = client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        assert r.status_code == 404 and "not_found" in r.text, (name, r.status_code)
    assert _stored(app) == before and app.state.catalog.state("women").is_open


def test_without_a_sign_in_every_route_leads_to_the_login(client: Any) -> None:
    for name, (method, path) in ROUTES.items():
        r = client.request(method, path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), name


def test_every_post_without_its_csrf_token_is_403_and_changes_nothing(app: Any, admin: Any) -> None:
    before = _stored(app)
    for name, (method, path) in ROUTES.items():
        if method != "POST":
            continue
        for token in ("", "0" * 32):
            upload = {"definition": ("women.yaml", REVISED.encode(), "application/x-yaml")}
            r = admin.post(path, data={"csrf": token, "intro": "x", "contact": "y"},
                           files=upload if name == "survey_publish" else None)
            assert r.status_code == 403 and "request.form_expired" in r.text, (name, token)
    assert _stored(app) == before and app.state.catalog.current["women"].number == 1


def test_the_list_shows_versions_and_the_counts_of_the_callers_subtree(app: Any, admin: Any) -> None:
    assert _post(admin, VILLAGE).status_code == 201 and _post(admin, OTHER_VILLAGE).status_code == 201
    page = admin.get("/console/surveys")
    assert page.status_code == 200
    women = BeautifulSoup(page.text, "html.parser").select_one("#survey-women")
    assert women is not None
    row = women.select("table.versions tbody tr")[0].get_text(" ", strip=True)
    with Session(app.state.engine) as session:
        sha = session.exec(select(SurveyVersion.sha256).where(SurveyVersion.survey == "women")).one()
    assert "第 1 版" in row and sha[:12] in row and row.split()[-2] == "2"
    assert women.select_one("form[action='/console/surveys/publish']") is None  # one publish form for the page
    assert BeautifulSoup(page.text, "html.parser").select_one("input[type=file][name=definition]") is not None

    make_staff(app, "xiang", "admin", TOWNSHIP)  # a township's admin: her villages only
    with TestClient(app) as township:
        sign_in(township, "xiang")
        mine = township.get("/console/surveys")
        soup = BeautifulSoup(mine.text, "html.parser")
        row = soup.select_one("#survey-women table.versions tbody tr").get_text(" ", strip=True)
        assert row.split()[-2] == "1"
        assert [o["value"] for o in soup.select("#township-women option")] == [TOWNSHIP]
        twin = {q["name"]: q for q in township.get("/api/v1/questionnaires").json()}  # the page's JSON twin
        assert twin["women"]["responses"] == 1 and twin["women"]["versions"][0]["sha256"] == sha
        assert twin["women"]["open"] is True and twin["women"]["current_version"] == 1
        assert soup.select_one("input[type=file]") is None and "需要县级管理员账号" in mine.text
    county = {q["name"]: q for q in admin.get("/api/v1/questionnaires").json()}
    assert county["women"]["responses"] == 2 and set(county) == {"women", "child", "caregiver"}


def test_a_township_admin_changes_no_questionnaire(app: Any, client: Any) -> None:
    make_staff(app, "xiang", "admin", TOWNSHIP)
    sign_in(client, "xiang")
    csrf = _csrf(client)
    before = _stored(app)
    assert _upload(client, REVISED.encode(), csrf=csrf).status_code == 404
    for action in ("close", "open"):
        assert client.post(f"/console/surveys/women/{action}", data={"csrf": csrf}).status_code == 404
    r = client.post("/console/surveys/women/settings", data={"csrf": csrf, "intro": "x", "contact": "y"})
    assert r.status_code == 404
    assert _stored(app) == before and app.state.catalog.current["women"].number == 1


def test_the_preview_lists_every_page_read_only_and_starts_no_draft(app: Any, admin: Any) -> None:
    before = _stored(app)
    page = admin.get("/console/surveys/women/preview")
    assert page.status_code == 200
    survey = app.state.catalog.current["women"].survey
    soup = BeautifulSoup(page.text, "html.parser")
    assert [s["id"] for s in soup.select("section.preview-page")] == [f"page-{p.name}" for p in survey.pages]
    assert {li["id"] for li in soup.select("li[id^=q-]")} == {f"q-{q.name}" for q in survey.questions()}
    assert soup.select_one("main form[action*='/s/']") is None and not soup.select("main input:not([type=hidden])")
    assert "显示条件" in page.text and "单选" in page.text
    assert _stored(app) == before and "cs_women" not in admin.cookies


def test_the_preview_of_a_version_that_does_not_exist_or_a_survey_that_does_not(admin: Any) -> None:
    r = admin.get("/console/surveys/women/preview?version=9")
    assert r.status_code == 422 and "survey.version_not_found" in r.text and "没有第 9 版" in r.text
    r = admin.get("/console/surveys/nosuch/preview")
    assert r.status_code == 404 and "survey.not_found" in r.text and "找不到问卷" in r.text
    assert admin.get("/console/surveys/women/preview?version=x").status_code == 422


def test_publishing_stores_a_version_updates_this_process_and_is_audited(app: Any, admin: Any) -> None:
    old = app.state.catalog.current["women"]
    phone = TestClient(app)
    phone.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(phone)})  # a draft under version 1
    r = _upload(admin, REVISED.encode())
    assert r.status_code == 303 and r.headers["location"] == "/console/surveys/women/preview?version=2"
    new = app.state.catalog.current["women"]
    assert new.number == 2 and new.survey.title.endswith("（修订）") and app.state.catalog.by_id[old.version_id] == old
    assert audit_count(app, "survey.publish") == 1 and _count(app, SurveyVersion) == 4
    assert "（修订）" in admin.get("/s/women").text
    assert "第 2 版（当前）" in admin.get(r.headers["location"]).text
    with Session(app.state.engine) as session:
        draft = session.exec(select(Draft)).one()
    assert draft.version_id == old.version_id  # a draft in progress keeps its version
    assert _post(admin, VILLAGE).status_code == 201  # the API takes the new version


def test_a_published_version_stays_current_after_a_restart(app: Any, admin: Any, make_settings: Any) -> None:
    assert _upload(admin, REVISED.encode()).status_code == 303
    again = create_app(make_settings())  # the folder still holds version 1's text
    try:
        assert again.state.catalog.current["women"].number == 2
        assert {n for (name, n) in again.state.catalog.versions if name == "women"} == {1, 2}
    finally:
        again.state.engine.dispose()


BROKEN = {
    "not_yaml": (b"name: [women\ntitle: {", 422, "YAML 语法错误"),
    "not_a_mapping": (b"- just\n- a list\n", 422, "缺少必填键"),
    "compile_error": (REVISED.replace("kind: single", "kind: singel", 1).encode(), 422, "题型 `singel` 不存在"),
    "kind_change": (REVISED.replace("      - name: hh_size\n        kind: integer\n", "      - name: hh_size\n        kind: decimal\n")
                    .encode(), 422, "已发布的名称不能改题型"),
    "too_large": (b"# " + b"x" * (questionnaires.DEFINITION_MAX_KB * 1024) + b"\n", 413, "问卷定义文件太大"),
    "not_utf8": ("name: women\ntitle: 妇女".encode("gbk"), 422, "不是 UTF-8 编码"),
    "binary": (b"name: women\x00\x01\x02", 422, "不是 UTF-8 编码"),
    "empty": (b"", 422, "请选择要上传的问卷定义文件"),
    "same_as_published": (WOMEN.encode(), 409, "完全相同，没有发布新版本"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_upload_is_refused_with_the_compilers_message_and_stores_nothing(app: Any, admin: Any,
                                                                                 case: str) -> None:
    data, status, message = BROKEN[case]
    before = _stored(app)
    r = _upload(admin, data)
    assert r.status_code == status and message in _text(r.text, ".error"), (case, r.status_code, _text(r.text))
    assert "问卷管理" in _text(r.text, "h1")  # the page again, with its forms
    assert _stored(app) == before and app.state.catalog.current["women"].number == 1


def test_a_compile_error_lists_every_finding_with_its_place(admin: Any) -> None:
    bad = REVISED.replace("kind: single", "kind: singel", 1).replace("kind: integer", "kind: integr", 1)
    r = _upload(admin, bad.encode())
    findings = [li.get_text(strip=True) for li in BeautifulSoup(r.text, "html.parser").select("ul.findings li")]
    assert r.status_code == 422 and len(findings) == 2 and all("题型" in f and "问题" in f for f in findings)
    assert "survey.definition_invalid" in r.text


def test_an_upload_without_a_file_part_is_refused(app: Any, admin: Any) -> None:
    before = _stored(app)
    r = admin.post("/console/surveys/publish", data={"csrf": _csrf(admin)})
    assert r.status_code == 422 and "请选择要上传的问卷定义文件" in r.text and _stored(app) == before


def test_a_body_over_the_servers_limit_is_413_and_stores_nothing(app: Any, admin: Any) -> None:
    before = _stored(app)
    r = _upload(admin, b"#" * (app.state.settings.max_body_kb * 1024 + 10))
    assert r.status_code == 413 and "request.too_large" in r.text and _stored(app) == before


def test_a_new_questionnaire_can_be_published_from_the_console(app: Any, admin: Any) -> None:
    text = REVISED.replace("name: women", "name: women_pilot", 1)
    assert text != REVISED
    r = _upload(admin, text.encode(), "pilot.yaml")
    assert r.status_code == 303 and app.state.catalog.current["women_pilot"].number == 1
    assert admin.get("/s/women_pilot").status_code == 200 and _post(admin, VILLAGE, "women_pilot").status_code == 201


def _advance(app: Any, seconds: float) -> None:
    now = app.state.clock()
    app.state.clock = lambda: now + seconds


def test_another_process_sees_a_publish_and_a_close_within_seconds(app: Any, admin: Any, make_settings: Any) -> None:
    other = create_app(make_settings())  # a second process on the same database
    try:
        other.state.clock = lambda: 1_900_000_000.0
        with TestClient(other) as there:
            assert there.get("/s/women").status_code == 200  # its first request: the catalogue is fresh
            assert _upload(admin, REVISED.encode()).status_code == 303
            admin.post("/console/surveys/women/close", data={"csrf": _csrf(admin)})
            assert "（修订）" not in there.get("/s/women").text  # within REFRESH_SECONDS it may be stale
            _advance(other, 3)
            closed = there.get("/s/women")
            assert closed.status_code == 410 and "本问卷已结束收集" in closed.text
            assert other.state.catalog.current["women"].number == 2
            assert there.post("/api/v1/surveys/women/responses", json={}).json()["code"] == "survey.closed"
            admin.post("/console/surveys/women/open", data={"csrf": _csrf(admin)})
            _advance(other, 6)
            assert "（修订）" in there.get("/s/women").text
    finally:
        other.state.engine.dispose()


def test_a_closed_questionnaire_shows_a_polite_page_and_the_api_refuses(app: Any, admin: Any) -> None:
    phone = TestClient(app)
    csrf = browser_csrf(phone)
    r = admin.post("/console/surveys/women/settings", data={"csrf": _csrf(admin), "intro": "",
                                                             "contact": "县妇儿工委办 0351-1234567"}, follow_redirects=False)
    assert r.status_code == 303
    assert admin.post("/console/surveys/women/close", data={"csrf": _csrf(admin)}, follow_redirects=False).status_code == 303
    assert audit_count(app, "survey.close") == 1
    before = _stored(app)
    for path in ("/s/women", f"/s/women/{VILLAGE}"):
        page = phone.get(path)
        assert page.status_code == 410 and _text(page.text, "h1") == "本问卷已结束收集", path
        assert "0351-1234567" in page.text and "survey.closed" in page.text
    started = phone.post("/s/women/start", data={"village": VILLAGE, "csrf": csrf}, follow_redirects=False)
    assert started.status_code == 410 and "本问卷已结束收集" in started.text
    api = _post(phone, VILLAGE)
    assert api.status_code == 410 and api.json()["code"] == "survey.closed" and "已结束收集" in api.json()["message"]
    assert _stored(app) == before and _count(app, Draft) == 0
    assert phone.get("/s/child").status_code == 200  # the others stay open
    assert "已结束收集" in _text(admin.get("/console/surveys").text, "#survey-women")

    assert admin.post("/console/surveys/women/open", data={"csrf": _csrf(admin)}, follow_redirects=False).status_code == 303
    assert audit_count(app, "survey.open") == 1
    assert phone.get("/s/women").status_code == 200 and _post(phone, VILLAGE).status_code == 201


def test_the_offices_introduction_and_contact_show_on_the_intro_page_escaped(app: Any, admin: Any) -> None:
    r = admin.post("/console/surveys/women/settings", data={
        "csrf": _csrf(admin), "intro": "<script>alert(1)</script>第一段\r\n\r\n第二段", "contact": "电话\n0351-1234567"},
        follow_redirects=False)
    assert r.status_code == 303 and audit_count(app, "survey.settings") == 1
    page = TestClient(app).get("/s/women")
    soup = BeautifulSoup(page.text, "html.parser")
    assert [p.get_text() for p in soup.select(".office-intro p")] == ["<script>alert(1)</script>第一段", "第二段"]
    assert "<script>alert(1)" not in page.text and soup.select_one("p.contact").get_text() == "联系方式：电话 0351-1234567"
    assert app.state.catalog.current["women"].survey.intro.split("\n")[0][:10] in page.text  # the definition's too


@pytest.mark.parametrize("field,limit", [("intro", 1000), ("contact", 100)])
def test_an_introduction_or_contact_too_long_is_refused(app: Any, admin: Any, field: str, limit: int) -> None:
    before = _stored(app)
    r = admin.post("/console/surveys/women/settings", data={"csrf": _csrf(admin), field: "字" * (limit + 1)})
    assert r.status_code == 422 and f"最多 {limit} 个字，现在是 {limit + 1} 个字" in _text(r.text, ".error")
    assert _stored(app) == before and app.state.catalog.state("women").intro == ""


def test_settings_of_a_questionnaire_that_does_not_exist(app: Any, admin: Any) -> None:
    before = _stored(app)
    for path in ("/console/surveys/nosuch/settings", "/console/surveys/nosuch/close"):
        r = admin.post(path, data={"csrf": _csrf(admin), "intro": "x"})
        assert r.status_code == 404 and "找不到问卷" in r.text
    assert _stored(app) == before


def _pdf_pages(body: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


def _villages_of(app: Any, township: str) -> list[Any]:
    from server.store import units

    with Session(app.state.engine) as session:
        return units.list_villages(session, under=township)


def test_the_posters_pdf_has_one_page_per_village_of_the_township(app: Any, admin: Any) -> None:
    admin.post("/console/surveys/women/settings", data={"csrf": _csrf(admin), "contact": "县妇儿工委办 0351-1234567"})
    r = admin.get(f"/console/surveys/women/posters?township={TOWNSHIP}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pages = _pdf_pages(r.content)
    villages = _villages_of(app, TOWNSHIP)
    assert len(pages) == len(villages) > 1 and r.content.count(b"/Type /Page\n") == len(villages)
    for text, village in zip(pages, villages, strict=True):
        assert f"http://testserver/s/women/{village.code}" in text
        assert village.name in text and village.township in text and "妇女发展满意度与需求调查" in text
        assert "0351-1234567" in text


def test_posters_use_the_public_url_when_set(app: Any, admin: Any) -> None:
    app.state.settings.public_url = "https://cunsheng.example.cn/"
    r = admin.get(f"/console/surveys/women/posters?township={TOWNSHIP}")
    assert "https://cunsheng.example.cn/s/women/" in _pdf_pages(r.content)[0]


@pytest.mark.parametrize("township", ["", "149901099000", VILLAGE, COUNTY, "abc", "1" * 40])
def test_posters_for_a_township_that_does_not_exist_are_404(admin: Any, township: str) -> None:
    r = admin.get(f"/console/surveys/women/posters?township={township}")
    assert r.status_code == 404 and "survey.township_not_found" in r.text and "乡镇代码" in r.text


def test_posters_of_an_unknown_questionnaire_are_404(admin: Any) -> None:
    r = admin.get(f"/console/surveys/nosuch/posters?township={TOWNSHIP}")
    assert r.status_code == 404 and "找不到问卷" in r.text


def _decode_png(body: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(body)))]


def test_a_villages_png_is_a_qr_code_of_its_full_link(admin: Any) -> None:
    r = admin.get(f"/console/surveys/women/poster/{VILLAGE}.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.startswith(b"\x89PNG")
    assert _decode_png(r.content) == [f"http://testserver/s/women/{VILLAGE}"]
    link = admin.get(f"/s/women/{VILLAGE}")
    assert link.status_code == 200 and "所在村（社区）" in link.text


@pytest.mark.parametrize("village", ["149901001999", "abc", COUNTY])
def test_the_png_of_a_village_that_does_not_exist_is_404(admin: Any, village: str) -> None:
    r = admin.get(f"/console/surveys/women/poster/{village}.png")
    assert r.status_code == 404 and "village.not_found" in r.text


def test_a_township_admin_prints_only_her_villages(app: Any, client: Any) -> None:
    make_staff(app, "xiang", "admin", TOWNSHIP)
    sign_in(client, "xiang")
    assert client.get(f"/console/surveys/women/posters?township={TOWNSHIP}").status_code == 200
    other = client.get(f"/console/surveys/women/posters?township={OTHER_TOWNSHIP}")
    assert other.status_code == 404 and "survey.township_not_found" in other.text
    assert client.get(f"/console/surveys/women/poster/{VILLAGE}.png").status_code == 200
    assert client.get(f"/console/surveys/women/poster/{OTHER_VILLAGE}.png").status_code == 404


def test_a_village_admin_prints_her_village_but_no_township(app: Any, client: Any) -> None:
    make_staff(app, "cun", "admin", VILLAGE)
    sign_in(client, "cun")
    assert client.get(f"/console/surveys/women/poster/{VILLAGE}.png").status_code == 200
    r = client.get(f"/console/surveys/women/posters?township={TOWNSHIP}")
    assert r.status_code == 200 and len(_pdf_pages(r.content)) == 1


def test_the_docs_mention_the_console_pages() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide" / "county_office.md").read_text(encoding="utf-8")
    assert "问卷管理" in guide and "二维码" in guide


def test_a_draft_begun_before_the_close_may_be_finished(app: Any, admin: Any) -> None:
    phone = TestClient(app)
    started = phone.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(phone)},
                         follow_redirects=False)
    assert started.status_code == 303
    admin.post("/console/surveys/women/close", data={"csrf": _csrf(admin)})
    page = phone.get(started.headers["location"])
    assert page.status_code == 200 and "本问卷已结束收集" not in page.text
