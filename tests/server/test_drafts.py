"""Save and resume, and a finished response that cannot be submitted twice."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.store import responses
from tests.server.robot import VILLAGE, Robot


def stored(app: Any) -> int:
    with Session(app.state.engine) as session:
        return responses.count_responses(session)


def first_page(client: Any, survey: str = "women") -> Any:
    return client.post(f"/s/{survey}/start", data={"village": VILLAGE})


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
        wrong = phone.post("/resume", data={"resume_code": "XXXX-0000"})
        assert wrong.status_code == 404 and "draft.resume_code_invalid" in wrong.text
        resumed = phone.post("/resume", data={"resume_code": code.lower()})
        assert resumed.url.path == "/s/women/p/p_basic"
        back = phone.post("/s/women/p/p_basic", data={"csrf": BeautifulSoup(resumed.text, "html.parser").select_one(
            "input[name=csrf]")["value"], "nav": "back"})
        assert back.url.path == "/s/women/p/p_screen"
        soup = BeautifulSoup(back.text, "html.parser")
        assert soup.select_one(f"input[name=age][value='{robot.answers['age']}']") is not None
        assert soup.select_one("input[name=sex][value='1']").has_attr("checked")
        phone_robot = Robot(phone, survey)
        phone_robot.answers = dict(robot.answers)
        response = back
        while not response.url.path.endswith("/done"):
            name = response.url.path.rsplit("/", 1)[1]
            response = phone.post(response.url.path, data=phone_robot.fill(name, response.text))
    assert stored(app) == 1
    assert client.post("/resume", data={"resume_code": code}).status_code == 404  # no longer works


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
