"""Answering each bundled questionnaire through the HTML pages with JavaScript off (plain posts)."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session

from server.store import drafts, responses
from tests.server.robot import VILLAGE, Robot, browser_csrf

# survey -> list of (overrides, expected outcome); together the paths visit every page
PATHS: dict[str, list[tuple[dict[str, Any], str]]] = {
    "women": [
        ({"age": 18, "marital": 1, "training": 2, "women_home": 2}, "complete"),
        ({"age": 40, "marital": 2, "cervical_screen": 3, "training": 1, "women_home": 1}, "complete"),
        ({"resp_sex": 2}, "ended"),
    ],
    "caregiver": [
        ({"children_total": 1, "children_0_3": 1, "youngest_age": 1}, "complete"),
        ({"children_total": 2, "children_0_3": 0, "youngest_age": 8, "oldest_age": 12, "injury": 1}, "complete"),
        ({"main_carer": 2}, "ended"),
    ],
    "child": [
        ({"school": 1, "voice": 1}, "complete"),
        ({"guardian_consent": 2}, "ended"),
        ({"child_assent": 2}, "ended"),
    ],
}


def stored(app: Any, survey: str) -> list[Any]:
    with Session(app.state.engine) as session:
        return list(responses.iter_responses(session, survey))


@pytest.mark.parametrize("name", sorted(PATHS))
def test_each_questionnaire_can_be_answered_with_plain_posts(name: str, app: Any, client: Any) -> None:
    survey = app.state.catalog.current[name].survey
    visited: set[str] = set()
    for i, (overrides, outcome) in enumerate(PATHS[name]):
        client.cookies.clear()
        robot = Robot(client, survey, overrides)
        final = robot.run()
        visited.update(robot.visited)
        rows = stored(app, name)
        assert len(rows) == i + 1
        assert rows[-1].answers == robot.answers
        assert rows[-1].outcome == outcome and rows[-1].village == VILLAGE and rows[-1].channel == "web"
        heading = BeautifulSoup(final, "html.parser").select_one("h1").get_text()
        assert ("提交成功" in heading) == (outcome == "complete")
    assert visited == {p.name for p in survey.pages}


def test_skip_logic_removes_a_module_in_both_directions(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["women"].survey
    young = Robot(client, survey, {"age": 18})
    young.run()
    assert "p_screening" not in young.visited
    client.cookies.clear()
    older = Robot(client, survey, {"age": 40})
    older.run()
    assert "p_screening" in older.visited
    assert "cervical_screen" in stored(app, "women")[-1].answers
    assert "cervical_screen" not in stored(app, "women")[0].answers


def test_refusal_stores_only_the_refusal(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["child"].survey
    html = Robot(client, survey, {"guardian_consent": 2}).run()
    assert stored(app, "child")[0].answers == {"guardian_consent": 2}
    assert "谢谢" in html and "12355" not in BeautifulSoup(html, "html.parser").select_one("main p").get_text()


def test_errors_are_shown_next_to_the_field_and_answers_kept(client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    soup = BeautifulSoup(page.text, "html.parser")
    csrf = soup.select_one("input[name=csrf]")["value"]
    again = client.post(page.url.path, data={"csrf": csrf, "nav": "next", "resp_sex": "1", "resident": "1", "age": "abc"})
    soup = BeautifulSoup(again.text, "html.parser")
    assert again.url.path == page.url.path
    assert "整数" in soup.select_one("#q-age .error").get_text()
    assert soup.select_one("#q-age input[name=age]")["value"] == "abc"
    assert soup.select_one("input[name=resp_sex][value='1']").has_attr("checked")
    assert soup.select_one("input[name=age]").has_attr("autofocus")
    assert soup.select_one(".summary a[href='#q-age']") is not None


def test_form_without_a_valid_token_is_refused_and_changes_nothing(app: Any, client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    bad = client.post(page.url.path, data={"csrf": "forged", "nav": "next", "resp_sex": "1"})
    assert bad.status_code == 403 and "request.form_expired" in bad.text
    with Session(app.state.engine) as session:
        draft = drafts.draft_by_token(session, "women", client.cookies.get("cs_women"), 30)
        assert draft is not None and draft.answers == {}


def test_unknown_survey_village_and_page_are_clear_errors(client: Any) -> None:
    assert client.get("/s/nosuch").status_code == 404
    village = client.get("/s/women/999999")
    assert village.status_code == 404 and "village.not_found" in village.text and "999999" in village.text
    bad_start = client.post("/s/women/start", data={"village": "nope", "csrf": browser_csrf(client)})
    assert bad_start.status_code == 404 and "village.not_found" in bad_start.text
    client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    assert client.get("/s/women/p/nosuch").status_code == 404


def test_home_lists_every_questionnaire_and_village_links(client: Any) -> None:
    soup = BeautifulSoup(client.get("/").text, "html.parser")
    links = {a["href"] for a in soup.select("a.card")}
    assert links == {"/s/women", "/s/caregiver", "/s/child"}
    assert soup.select_one(f"a[href='/s/women/{VILLAGE}']") is not None


def test_htmx_request_gets_the_page_body_only(client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    partial = client.get(page.url.path, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and 'id="qs"' in partial.text
    assert partial.headers["HX-Push-Url"] == page.url.path and "HX-Request" in partial.headers["Vary"]
    assert "<html" in client.get(page.url.path).text


def test_same_page_skip_logic_without_and_with_javascript(app: Any, client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("noscript #q-age") is not None  # JS off: shown with a note, checked on the server
    assert soup.select_one("#q-resp_sex")["hx-post"].endswith("/p/p_screen/refresh")
    csrf = soup.select_one("input[name=csrf]")["value"]
    refreshed = client.post(page.url.path + "/refresh", data={"csrf": csrf, "resp_sex": "1", "resident": "1"},
                            headers={"HX-Request": "true"})
    soup = BeautifulSoup(refreshed.text, "html.parser")
    assert soup.select_one("#q-age") is not None and soup.select_one("noscript #q-age") is None
    assert soup.select_one("input[name=resp_sex][value='1']").has_attr("checked")
    with Session(app.state.engine) as session:  # a refresh saves nothing
        assert drafts.draft_by_token(session, "women", client.cookies.get("cs_women"), 30).answers == {}


def test_sensitive_module_offers_quick_exit_and_help_lines(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["women"].survey
    robot = Robot(client, survey)
    response = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    while not response.url.path.endswith("/p_rights"):
        response = client.post(response.url.path, data=robot.fill(response.url.path.rsplit("/", 1)[1], response.text))
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one(".notice a.exit")["href"] == "/leave"
    assert [a.get_text() for a in soup.select(".helplines a")] == ["12338", "110"]
    assert "生活" in client.get("/leave").text and "问卷" not in client.get("/leave").text


def test_quick_exit_forgets_the_draft_so_back_cannot_show_her_answers(app: Any, client: Any) -> None:
    robot = Robot(client, app.state.catalog.current["women"].survey)
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    page = client.post(page.url.path, data=robot.fill("p_screen", page.text))
    assert page.url.path == "/s/women/p/p_basic" and client.cookies.get("cs_women")
    left = client.get("/leave")
    assert 'cs_women=""' in left.headers["set-cookie"] and "Max-Age=0" in left.headers["set-cookie"]
    back = client.get("/s/women/p/p_screen")  # what Back or the history would load
    assert back.url.path == "/s/women" and "name=\"resp_sex\"" not in back.text
    with Session(app.state.engine) as session:  # the draft itself is kept, resumable with its code
        assert drafts.draft_by_code(session, robot_code(page.text), 30) is not None


def robot_code(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one(".resume strong").get_text().replace("-", "")


def test_dead_ends_offer_a_way_on(client: Any) -> None:
    """A wrong resume code keeps the box to retype; an unknown village offers the village list; the first
    page has no Back button; error pages do not show codes to respondents."""
    wrong = client.post("/resume", data={"resume_code": "XXXX-0000", "csrf": browser_csrf(client)})
    soup = BeautifulSoup(wrong.text, "html.parser")
    assert wrong.status_code == 404 and soup.select_one("input[name=resume_code]") and soup.select_one(".error")
    village = client.get("/s/women/999999999999")
    assert village.status_code == 404 and BeautifulSoup(village.text, "html.parser").select("select#village option")
    first = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    assert not BeautifulSoup(first.text, "html.parser").select("button[value=back]")
    assert "page.not_found" not in BeautifulSoup(client.get("/s/women/p/nope").text, "html.parser").get_text()


@pytest.mark.parametrize(("name", "overrides"), [
    ("women", {"age": 17}), ("child", {"age": 9}), ("child", {"age": 18}), ("caregiver", {"carer_age": 15}),
])
def test_a_respondent_outside_the_target_age_is_ended_politely_not_told_the_range(
        name: str, overrides: dict[str, Any], app: Any, client: Any) -> None:
    survey = app.state.catalog.current[name].survey
    robot = Robot(client, survey, overrides)
    final = robot.run()  # the robot fails on any error message, such as "请填写 18–99岁 之间的数"
    screen = next(p for p in survey.pages if p.end_if and set(overrides) & p.end_if.names)
    assert robot.visited[-1] == screen.name
    text = BeautifulSoup(final, "html.parser").select_one("main").get_text()
    assert screen.end_message and screen.end_message in text and "岁" in screen.end_message
    row = stored(app, name)[-1]
    assert row.outcome == "ended" and row.answers == robot.answers


def test_without_javascript_a_conditional_question_names_the_answer_it_depends_on(client: Any) -> None:
    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    note = BeautifulSoup(page.text, "html.parser").select_one("#i-age noscript")
    assert note is not None
    assert "如果“您的性别是？”选了“女”，并且“您是否在本县" in note.decode_contents()


def page_number(html: str) -> tuple[int, int]:
    """(n, N) of the page's "第 n / N 页"."""
    text = BeautifulSoup(html, "html.parser").select_one(".pageno").get_text()
    n, total = text.removeprefix("第").removesuffix("页").split("/")
    return int(n), int(total)


class CountingRobot(Robot):
    """Notes each page's "第 n / N 页" as it fills the page."""

    seen: list[tuple[int, int]]

    def fill(self, page_name: str, html: str) -> dict[str, Any]:
        self.seen = [*getattr(self, "seen", []), page_number(html)]
        return super().fill(page_name, html)


@pytest.mark.parametrize("name", sorted(PATHS))
def test_the_page_total_never_jumps_up_on_a_walk_forward(name: str, app: Any, client: Any) -> None:
    survey = app.state.catalog.current[name].survey
    for overrides, outcome in PATHS[name]:
        client.cookies.clear()
        robot = CountingRobot(client, survey, overrides)
        robot.run()
        seen = robot.seen
        assert [n for n, _ in seen] == list(range(1, len(seen) + 1)), seen
        assert all(before >= after for (_, before), (_, after) in zip(seen, seen[1:], strict=False)), seen
        if outcome == "complete":  # the last page says so (and its button says 提交)
            assert seen[-1][0] == seen[-1][1], seen


# the help lines each thank-you page lists, in order, and how it speaks to the respondent
HELPLINES = {"women": (["12338", "110"], "您"), "child": (["12355", "110"], "你"),
             "caregiver": (["12355", "12338", "110"], "您")}


@pytest.mark.parametrize("name", sorted(HELPLINES))
def test_the_thank_you_page_lists_its_own_help_lines_once_and_speaks_to_its_respondent(
        name: str, app: Any, client: Any) -> None:
    numbers, pronoun = HELPLINES[name]
    final = Robot(client, app.state.catalog.current[name].survey, PATHS[name][0][0]).run()
    main = BeautifulSoup(final, "html.parser").select_one("main")
    assert [a.get_text() for a in main.select(".helplines a")] == numbers
    assert [a["href"] for a in main.select(".helplines a")] == [f"tel:{n}" for n in numbers]
    text = main.get_text()
    assert all(text.count(n) == 1 for n in ["12338", "12355", "110"] if n in numbers), text
    assert not any(n in text for n in ["12338", "12355"] if n not in numbers), text
    assert pronoun in text and ("您" not in text if pronoun == "你" else True), text


@pytest.mark.parametrize("how", ["query", "link", "start"])
def test_an_unknown_village_code_explains_and_offers_the_village_picker(how: str, client: Any) -> None:
    if how == "query":
        page = client.get("/s/women?v=999")
    elif how == "link":
        page = client.get("/s/women/999")
    else:
        page = client.post("/s/women/start", data={"village": "999", "csrf": browser_csrf(client)})
    soup = BeautifulSoup(page.text, "html.parser")
    assert page.status_code == 404
    message = soup.select_one("main .error[role=alert]").get_text()
    assert "999" in message and "请在下面选择您所在的村（社区）" in message
    form = soup.select_one("form[action='/s/women/start']")
    assert form.select_one(f"select#village option[value='{VILLAGE}']") is not None
    assert form.select_one("input[name=csrf]")["value"] and "village.not_found" not in soup.get_text()
    assert client.cookies.get("cs_women") is None  # no draft was started


def test_a_known_village_code_in_the_query_names_her_village(client: Any) -> None:
    soup = BeautifulSoup(client.get(f"/s/women?v={VILLAGE}").text, "html.parser")
    assert soup.select_one(f"form input[type=hidden][name=village][value='{VILLAGE}']") is not None
    assert soup.select_one("select#village") is None and soup.select_one(".error") is None


def test_respondent_error_pages_keep_the_code_out_of_sight_and_the_api_keeps_it(client: Any) -> None:
    from bs4 import Comment

    page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    pages = {
        "not_found": client.get("/no/such/page"),
        "survey.not_found": client.get("/s/nosuch"),
        "request.form_expired": client.post(page.url.path, data={"csrf": "forged", "nav": "next"}),
        "method_not_allowed": client.delete("/s/women"),
    }
    for code, response in pages.items():
        soup = BeautifulSoup(response.text, "html.parser")
        assert response.status_code >= 400 and soup.select_one("main h1") is not None, code
        assert code not in soup.get_text() and "错误代码" not in soup.get_text(), code  # not shown to her
        assert any(code in c for c in soup.find_all(string=lambda s: isinstance(s, Comment))), code  # for support
    api = client.get("/api/v1/surveys/nosuch")
    assert api.json()["code"] == "survey.not_found"
    assert client.head("/").status_code == 200
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 204 and not favicon.content


def test_paradata_keeps_seconds_and_visits_per_page(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["women"].survey
    robot = Robot(client, survey, {"age": 40})
    robot.run()
    stored_row = stored(app, "women")[-1]
    paradata = stored_row.paradata
    assert set(paradata["seconds"]) == set(robot.visited) and all(v >= 0 for v in paradata["seconds"].values())
    assert paradata["visits"] == {page: 1 for page in robot.visited}


def test_paradata_caps_a_visit_and_counts_revisits() -> None:
    once = drafts.with_time(None, "p1", 12.34)
    twice = drafts.with_time(once, "p1", 99999)
    assert once == {"seconds": {"p1": 12.3}, "visits": {"p1": 1}}
    assert twice == {"seconds": {"p1": round(12.3 + drafts.PAGE_SECONDS_MAX, 1)}, "visits": {"p1": 2}}
    assert drafts.with_time(twice, "p2", -5)["seconds"]["p2"] == 0.0  # a clock step back counts nothing
