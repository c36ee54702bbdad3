"""htmx on: skip-logic refreshes swap only what changed, and a page turn is one round trip.

The browser side (a throttled link, fast typing, Back and reload) is in test_browser_throttled.py;
here the server's half of the contract is checked request by request.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from sqlmodel import Session

from server.store import drafts, responses
from tests.server.robot import VILLAGE, Robot, browser_csrf

HX = {"HX-Request": "true"}


def _start(client: Any, survey: str = "women") -> tuple[Any, str]:
    page = client.post(f"/s/{survey}/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    return page, BeautifulSoup(page.text, "html.parser").select_one("input[name=csrf]")["value"]


def test_every_question_sits_in_its_own_box_that_says_whether_it_is_shown(client: Any) -> None:
    page, _ = _start(client)
    soup = BeautifulSoup(page.text, "html.parser")
    assert [d["id"] for d in soup.select("#qs > div.item")] == ["i-resp_sex", "i-resident", "i-age", "i-area"]
    shown = [i["value"] for i in soup.select("#qs input[name=_shown]")]
    assert shown == ["resp_sex", "resident"]  # age and area wait for the screen (JS off: in <noscript>)
    assert soup.select_one("#q-resp_sex")["hx-swap"] == "none" and soup.select_one("#q-resp_sex")["hx-sync"] == "#qs:replace"


def test_refresh_answers_only_the_questions_whose_visibility_changed(app: Any, client: Any) -> None:
    page, csrf = _start(client)
    url = page.url.path + "/refresh"
    data = {"csrf": csrf, "resp_sex": "1", "resident": "1", "_shown": ["resp_sex", "resident"]}
    soup = BeautifulSoup(client.post(url, data=data, headers=HX).text, "html.parser")
    boxes = soup.select("div.item")
    assert [(b["id"], b["hx-swap-oob"]) for b in boxes] == [("i-age", "true"), ("i-area", "true")]
    assert soup.select_one("input[name=resp_sex]") is None  # what she tapped is never sent back over her input
    assert soup.select_one("noscript") is None and soup.select_one("#i-age input[name=_shown]")["value"] == "age"

    data["_shown"] = ["resp_sex", "resident", "age", "area"]  # nothing changed: nothing to swap
    assert BeautifulSoup(client.post(url, data=data, headers=HX).text, "html.parser").select("div.item") == []

    data["resp_sex"] = "2"  # the screen now ends: age and area go back to hiding
    soup = BeautifulSoup(client.post(url, data=data, headers=HX).text, "html.parser")
    assert [b["id"] for b in soup.select("div.item")] == ["i-age", "i-area"]
    assert soup.select_one("#i-age noscript") is not None and soup.select_one("#i-age input[name=_shown]") is None
    with Session(app.state.engine) as session:  # a refresh saves nothing
        assert drafts.draft_by_token(session, "women", client.cookies.get("cs_women"), 30).answers == {}


def test_next_with_htmx_answers_with_the_next_page_itself(app: Any, client: Any) -> None:
    page, _ = _start(client)
    robot = Robot(client, app.state.catalog.current["women"].survey)
    turned = client.post(page.url.path, data=robot.fill("p_screen", page.text), headers=HX, follow_redirects=False)
    assert turned.status_code == 200 and turned.headers["HX-Push-Url"] == "/s/women/p/p_basic"
    assert "<html" not in turned.text and "基本情况" in turned.text  # one round trip: no redirect to follow
    back = client.post("/s/women/p/p_basic", data={"csrf": robot.fill("p_basic", turned.text)["csrf"], "nav": "back"},
                       headers=HX, follow_redirects=False)
    assert back.status_code == 200 and back.headers["HX-Push-Url"] == "/s/women/p/p_screen"
    assert BeautifulSoup(back.text, "html.parser").select_one("input[name=resp_sex][value='1']").has_attr("checked")


def test_a_plain_post_still_redirects_to_the_next_page(app: Any, client: Any) -> None:
    page, _ = _start(client)
    robot = Robot(client, app.state.catalog.current["women"].survey)
    turned = client.post(page.url.path, data=robot.fill("p_screen", page.text), follow_redirects=False)
    assert turned.status_code == 303 and turned.headers["location"] == "/s/women/p/p_basic"
    assert "HX-Push-Url" not in turned.headers


def test_errors_with_htmx_stay_on_the_page_without_moving_the_address(client: Any) -> None:
    page, csrf = _start(client)
    again = client.post(page.url.path, data={"csrf": csrf, "nav": "next"}, headers=HX, follow_redirects=False)
    assert again.status_code == 200 and "HX-Push-Url" not in again.headers
    assert BeautifulSoup(again.text, "html.parser").select(".summary li")


def test_the_last_page_with_htmx_answers_with_the_thank_you_page(app: Any, client: Any) -> None:
    robot = Robot(client, app.state.catalog.current["women"].survey, {"resp_sex": 2})  # ends on the first page
    page, _ = _start(client)
    finished = client.post(page.url.path, data=robot.fill("p_screen", page.text), headers=HX, follow_redirects=False)
    assert finished.status_code == 200 and finished.headers["HX-Push-Url"] == "/s/women/done"
    assert "<html" not in finished.text and "谢谢" in finished.text
    with Session(app.state.engine) as session:
        assert responses.count_responses(session, "women") == 1
