"""Save and resume, and a finished response that cannot be submitted twice."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.store import responses
from tests.server.robot import VILLAGE, Robot, browser_csrf


def stored(app: Any) -> int:
    with Session(app.state.engine) as session:
        return responses.count_responses(session)


def first_page(client: Any, survey: str = "women") -> Any:
    return client.post(f"/s/{survey}/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})


def resume_code(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one(".resume strong").get_text()


def test_draft_resumed_in_a_second_client_by_resume_code(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["women"].survey
    robot = Robot(client, survey)
    page = first_page(client)
    second_page = client.post(page.url.path, data=robot.fill("p_screen", page.text))
    assert second_page.url.path == "/s/women/p/p_basic"
    code = resume_code(second_page.text)
    with TestClient(app) as phone:
        wrong = phone.post("/resume", data={"resume_code": "XXXX-0000", "csrf": browser_csrf(phone)})
        assert wrong.status_code == 404 and "draft.resume_code_invalid" in wrong.text
        resumed = phone.post("/resume", data={"resume_code": code.lower(), "csrf": browser_csrf(phone)})
        assert resumed.url.path == "/s/women/p/p_basic"
        back = phone.post("/s/women/p/p_basic", data={"csrf": BeautifulSoup(resumed.text, "html.parser").select_one(
            "input[name=csrf]")["value"], "nav": "back"})
        assert back.url.path == "/s/women/p/p_screen"
        soup = BeautifulSoup(back.text, "html.parser")
        assert soup.select_one(f"input[name=age][value='{robot.answers['age']}']") is not None
        assert soup.select_one("input[name=resp_sex][value='1']").has_attr("checked")
        phone_robot = Robot(phone, survey)
        phone_robot.answers = dict(robot.answers)
        response = back
        while not response.url.path.endswith("/done"):
            name = response.url.path.rsplit("/", 1)[1]
            response = phone.post(response.url.path, data=phone_robot.fill(name, response.text))
    assert stored(app) == 1
    assert client.post("/resume", data={"resume_code": code, "csrf": browser_csrf(client)}).status_code == 404  # no longer works


def test_closing_the_tab_and_coming_back_continues_where_she_stopped(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["women"].survey
    page = first_page(client)
    client.post(page.url.path, data=Robot(client, survey).fill("p_screen", page.text))
    intro = BeautifulSoup(client.get("/s/women").text, "html.parser")
    assert intro.select_one("a[href='/s/women/p/p_basic']").get_text() == "继续上次的填写"
    assert client.get("/s/women/p/p_satisfaction").url.path == "/s/women/p/p_basic"  # cannot jump ahead


def _to_last_page(client: Any, app: Any, survey_name: str = "child") -> tuple[Any, Robot]:
    survey = app.state.catalog.current[survey_name].survey
    robot = Robot(client, survey)
    response = first_page(client, survey_name)
    last = survey.pages[-1].name
    while response.url.path.rsplit("/", 1)[1] != last:
        response = client.post(response.url.path, data=robot.fill(response.url.path.rsplit("/", 1)[1], response.text))
    return response, robot


def test_double_tap_on_submit_stores_one_response(app: Any, client: Any) -> None:
    last, robot = _to_last_page(client, app)
    data = robot.fill(last.url.path.rsplit("/", 1)[1], last.text)
    first = client.post(last.url.path, data=data)
    second = client.post(last.url.path, data=data)
    assert first.url.path == second.url.path == "/s/child/done"
    assert stored(app) == 1


def test_back_button_resubmit_after_finishing_changes_nothing(app: Any, client: Any) -> None:
    last, robot = _to_last_page(client, app)
    data = robot.fill(last.url.path.rsplit("/", 1)[1], last.text)
    client.post(last.url.path, data=data)
    again = client.post("/s/child/p/p_about", data={**data, "age": "11"})
    assert again.url.path == "/s/child/done" and "提交成功" in again.text
    assert client.get("/s/child/p/p_about").url.path == "/s/child/done"
    assert stored(app) == 1


def test_retry_after_a_lost_reply_is_answered_from_the_stored_response(app: Any, client: Any) -> None:
    last, robot = _to_last_page(client, app)
    data = robot.fill(last.url.path.rsplit("/", 1)[1], last.text)
    client.post(last.url.path, data=data, follow_redirects=False)  # the reply never reached the phone
    retry = client.post(last.url.path, data=data, follow_redirects=False)
    assert retry.status_code == 303 and retry.headers["location"] == "/s/child/done"
    assert stored(app) == 1


def test_going_back_and_changing_course_drops_answers_no_longer_asked(app: Any, client: Any) -> None:
    survey = app.state.catalog.current["women"].survey
    robot = Robot(client, survey, {"age": 40})
    page = first_page(client)
    screening = client.post(page.url.path, data=robot.fill("p_screen", page.text))
    response = client.post(screening.url.path, data=robot.fill("p_basic", screening.text))
    response = client.post(response.url.path, data=robot.fill("p_health", response.text))
    assert response.url.path == "/s/women/p/p_screening"
    robot.overrides["age"] = 20
    for _ in range(3):  # back to the first page
        csrf = BeautifulSoup(response.text, "html.parser").select_one("input[name=csrf]")["value"]
        response = client.post(response.url.path, data={"csrf": csrf, "nav": "back"})
    assert response.url.path == "/s/women/p/p_screen"
    robot.answers = {}
    while not response.url.path.endswith("/done"):
        name = response.url.path.rsplit("/", 1)[1]
        assert name != "p_screening"
        response = client.post(response.url.path, data=robot.fill(name, response.text))
    with Session(app.state.engine) as session:
        row = list(responses.iter_responses(session, "women"))[0]
    assert row.answers["age"] == 20 and "cervical_screen" not in row.answers


def _page_form(survey: Any, page: str, answers: dict[str, Any], csrf: str) -> dict[str, Any]:
    from surveys.kinds import to_form

    data: dict[str, Any] = {"csrf": csrf, "nav": "next"}
    for q in survey.page(page).questions:
        data.update(to_form(q, answers))
    return data


def _csrf(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one("input[name=csrf]")["value"]


def _draft(app: Any, client: Any) -> Any:
    from server.store import drafts

    with Session(app.state.engine) as session:
        return drafts.draft_by_token(session, "women", client.cookies.get("cs_women"), 30)


def test_a_page_beyond_the_frontier_is_redirected_and_never_stored(app: Any, client: Any) -> None:
    """Posting the last page right after starting must not finish a response with 10 of 54 answers."""
    from tests.server.robot import default_answer

    survey = app.state.catalog.current["women"].survey
    page = first_page(client)
    last: dict[str, Any] = {}
    for q in survey.page("p_satisfaction").questions:
        last.update({r.name: q.choices[0].code for r in q.rows} if q.rows else
                    {v: default_answer(q) for v in q.variables})
    r = client.post("/s/women/p/p_satisfaction", data=_page_form(survey, "p_satisfaction", last, _csrf(page.text)),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/s/women/p/p_screen"
    assert stored(app) == 0 and _draft(app, client).answers == {}
    assert client.get("/s/women/p/p_rights", follow_redirects=False).headers["location"] == "/s/women/p/p_screen"


def test_finishing_with_a_gap_goes_to_the_gap_and_stores_nothing(app: Any, client: Any) -> None:
    """The pages' finish runs the API's full check: an answer removed behind her back is asked again."""
    from server.store import drafts

    survey = app.state.catalog.current["women"].survey
    robot = Robot(client, survey)
    page = first_page(client)
    while page.url.path.rsplit("/", 1)[1] != "p_satisfaction":
        page = client.post(page.url.path, data=robot.fill(page.url.path.rsplit("/", 1)[1], page.text))
    draft = _draft(app, client)
    with Session(app.state.engine, expire_on_commit=False) as session:  # as if a page save had been lost
        draft = session.merge(draft)
        assert drafts.save_draft(session, draft, {k: v for k, v in draft.answers.items() if k != "hh_size"},
                                 "p_satisfaction")
    r = client.post(page.url.path, data=robot.fill("p_satisfaction", page.text), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/s/women/p/p_basic" and stored(app) == 0


def test_concurrent_saves_of_two_pages_of_one_draft_lose_no_answer(app: Any, live_url: str) -> None:
    """Two tabs (or a double submit racing a Next) saving two pages at once: both pages' answers are kept."""
    import contextlib
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    survey = app.state.catalog.current["women"].survey
    phones = []
    stack = contextlib.ExitStack()
    for _ in range(10):
        http = stack.enter_context(httpx.Client(base_url=live_url, timeout=60, follow_redirects=True))
        robot = Robot(http, survey)
        page = http.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(http)})
        assert page.status_code == 200, (page.url, page.text[:300])
        while page.url.path.rsplit("/", 1)[1] != "p_family":  # p_screening is skipped at 18
            page = http.post(page.url.path, data=robot.fill(page.url.path.rsplit("/", 1)[1], page.text))
        phones.append((http, robot, _csrf(page.text)))
    changed = {"education": survey.question_of("education").choices[1].code, "exercise_days": 5}
    posts = [(http, name, _page_form(survey, name, {**robot.answers, **changed}, csrf))
             for http, robot, csrf in phones for name in ("p_basic", "p_health")]
    barrier = threading.Barrier(len(posts))

    def send(post: tuple[Any, str, dict[str, Any]]) -> int:
        http, name, data = post
        barrier.wait()
        return http.post(f"/s/women/p/{name}", data=data, follow_redirects=False).status_code

    with stack, ThreadPoolExecutor(len(posts)) as pool:
        assert set(pool.map(send, posts)) == {303}
    for http, robot, _ in phones:
        answers = _draft(app, http).answers
        assert {k: answers[k] for k in changed} == changed
        assert {k: v for k, v in answers.items() if k not in changed} == {
            k: v for k, v in robot.answers.items() if k not in changed}


def test_continue_link_of_a_fresh_draft_opens_its_first_page(app: Any, client: Any) -> None:
    first_page(client)
    intro = client.get(f"/s/women/{VILLAGE}")
    link = BeautifulSoup(intro.text, "html.parser").select_one("a.button.primary")["href"]
    assert link == "/s/women/p/p_screen" and client.get(link).status_code == 200


def test_hostile_form_values_are_answered_not_crashed(app: Any, client: Any) -> None:
    page = first_page(client)
    csrf = _csrf(page.text)
    huge = client.post("/s/women/p/p_screen", data={"csrf": csrf, "resp_sex": "1", "resident": "1", "age": "9" * 5000,
                                                    "area": "1"})
    assert huge.status_code == 200 and "answer.form_integer" not in huge.text  # shown as a message, not a code
    assert BeautifulSoup(huge.text, "html.parser").select_one("#e-age") is not None
    for village in ("1400\x00", "\ud800", "x" * 5000):
        r = client.post("/s/women/start", data={"village": village.encode("utf-8", "surrogatepass"), "csrf": browser_csrf(client)})
        assert r.status_code == 404 and "village.not_found" in r.text
    many = client.post("/s/women/p/p_screen", data={f"f{i}": "1" for i in range(2000)} | {"csrf": csrf})
    assert many.status_code == 413 and "request.form_too_large" in many.text
    assert _draft(app, client).answers == {} and stored(app) == 0


def test_a_resume_code_typed_in_full_width_letters_is_accepted(app: Any, client: Any) -> None:
    code = resume_code(first_page(client).text).replace("-", "")
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())  # ａｂｃ１２３ from a Chinese keyboard
    with TestClient(app) as phone:
        assert phone.post("/resume", data={"resume_code": wide, "csrf": browser_csrf(phone)}).url.path == "/s/women/p/p_screen"


def test_expired_drafts_are_deleted_when_the_server_starts(make_settings: Any) -> None:
    from datetime import timedelta

    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from server.app import create_app
    from server.store import utcnow
    from server.store.drafts import Draft

    first = create_app(make_settings())
    with TestClient(first) as phone, TestClient(first) as other:
        first_page(phone)
        first_page(other)
    with Session(first.state.engine) as session:
        old = session.exec(select(Draft.id)).first()
        session.execute(update(Draft).where(Draft.id == old).values(updated_at=utcnow() - timedelta(days=31)))
        session.commit()
    first.state.engine.dispose()
    again = create_app(make_settings())
    with Session(again.state.engine) as session:
        kept = list(session.exec(select(Draft.id)))
    assert len(kept) == 1 and old not in kept
    again.state.engine.dispose()


def test_a_wrong_resume_code_offers_the_box_again_with_what_she_typed(app: Any, client: Any) -> None:
    code = resume_code(first_page(client).text).replace("-", "")
    with TestClient(app) as phone:
        wrong = phone.post("/resume", data={"resume_code": " k7m4-q2xq ", "csrf": browser_csrf(phone)})
        soup = BeautifulSoup(wrong.text, "html.parser")
        assert wrong.status_code == 404 and "k7m4-q2xq" in soup.select_one(".error").get_text()
        box = soup.select_one("form[action='/resume'] input[name=resume_code]")
        assert box["value"] == "k7m4-q2xq" and box.has_attr("autofocus")
        assert "draft.resume_code_invalid" not in soup.get_text()  # the code is for support, not for her
        typed = " ".join([code[:4].lower(), "-", "".join(chr(ord(ch) + 0xFEE0) for ch in code[4:])])  # "k7m4 - Ｑ２ＸＰ"
        resumed = phone.post("/resume", data={"resume_code": typed, "csrf": browser_csrf(phone)})
        assert resumed.url.path == "/s/women/p/p_screen"
