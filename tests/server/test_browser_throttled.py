"""A grandmother answers the caregiver's questionnaire on a slow-3G link (400 ms, 50 KB/s) with htmx on.

She types fast across number boxes whose first one shows another question, taps two radios 300 ms
apart while the skip-logic refresh is in flight, turns pages with Next and Back, and uses the
browser's own Back and reload. Every value she entered must stay on screen and be stored; each page
turn must be a single request; Back and reload must land on the page the address bar names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from server.store import responses
from tests.server.robot import VILLAGE, Robot
from tests.server.test_browser import WECHAT_UA, fill_in_browser

pytestmark = pytest.mark.browser
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50 * 1024, "uploadThroughput": 50 * 1024}
TYPED = {"relation": 3, "children_total": 2, "children_0_3": 0, "youngest_age": 8, "oldest_age": 12,
         "father_away": 1, "mother_away": 1, "away_contact": 2}


@pytest.fixture
def slow_phone(live_url: str, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA,
                                   is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests.append((r.method, r.url)))  # type: ignore[attr-defined]
    yield page
    context.close()


def _turn(page: Any, button: str, expect_path: str) -> list[tuple[str, str]]:
    """Tap a navigation button; the requests the page turn made (after any refresh still in flight)."""
    page.wait_for_load_state("networkidle")
    before = len(page.requests)
    page.locator(f"button[value={button}]").click()
    page.wait_for_function("p => location.pathname === p && !document.querySelector('.htmx-request')",
                           arg=expect_path)
    page.wait_for_load_state("networkidle")
    return [r for r in page.requests[before:] if "/static/" not in r[1]]


def _type_fast(page: Any, name: str, value: object) -> None:
    page.locator(f"input[name={name}]").tap()
    page.keyboard.type(str(value), delay=40)


def test_fast_typing_and_quick_taps_on_a_slow_link_keep_every_value(app: Any, live_url: str, slow_phone: Any) -> None:
    page = slow_phone
    robot = Robot(None, app.state.catalog.current["caregiver"].survey, TYPED)
    page.goto(f"{live_url}/s/caregiver/{VILLAGE}")
    page.get_by_role("button", name="同意并开始填写").click()
    page.wait_for_url("**/p/p_screen")
    fill_in_browser(page, robot.fill("p_screen", page.content()))
    turn = _turn(page, "next", "/s/caregiver/p/p_household")
    assert [m for m, _ in turn] == ["POST"], turn  # one round trip per page turn

    # children_total shows oldest_age: the refresh is in flight while she types the next two boxes
    robot.fill("p_household", page.content())
    _type_fast(page, "children_total", 2)
    _type_fast(page, "children_0_3", 0)
    _type_fast(page, "youngest_age", 8)
    page.locator("input[name=oldest_age]").wait_for()  # the refresh landed
    page.wait_for_load_state("networkidle")
    assert page.input_value("input[name=children_0_3]") == "0"
    assert page.input_value("input[name=youngest_age]") == "8"
    assert page.evaluate("document.activeElement.name") == "youngest_age"  # focus (and keyboard) kept
    _type_fast(page, "oldest_age", 12)
    page.locator("input[name=father_away][value='1']").tap()  # two taps 300 ms apart, both controls
    page.wait_for_timeout(300)
    page.locator("input[name=mother_away][value='1']").tap()
    page.locator("input[name=away_contact][value='2']").tap()  # shown by the refresh
    page.wait_for_load_state("networkidle")
    assert page.is_checked("input[name=father_away][value='1']") and page.is_checked("input[name=mother_away][value='1']")
    assert page.input_value("input[name=oldest_age]") == "12"

    assert [m for m, _ in _turn(page, "back", "/s/caregiver/p/p_screen")] == ["POST"]
    assert page.is_checked("input[name=relation][value='3']")
    page.go_back()  # the browser's Back: the household page again, as saved
    page.wait_for_url("**/p/p_household")
    page.locator("input[name=children_total]").wait_for()
    assert page.input_value("input[name=youngest_age]") == "8" and page.is_checked("input[name=mother_away][value='1']")
    page.reload()
    page.wait_for_url("**/p/p_household")
    assert page.input_value("input[name=oldest_age]") == "12"

    while True:  # the rest of the questionnaire, one request per page turn
        name = page.url.rsplit("/", 1)[1]
        if name != "p_household":
            fill_in_browser(page, robot.fill(name, page.content()))
        nxt = [p.name for p in robot.survey.pages if p.name not in robot.visited]
        robot.visited.append(name)
        target = "/s/caregiver/done" if page.locator("button[value=next]").inner_text() == "提交" else None
        before = len(page.requests)
        page.locator("button[value=next]").click()
        page.wait_for_function("p => location.pathname !== p", arg=f"/s/caregiver/p/{name}")
        page.wait_for_load_state("networkidle")
        turn = [r for r in page.requests[before:] if "/static/" not in r[1]]
        assert [m for m, _ in turn] == ["POST"], (name, turn)
        if target or "/done" in page.url:
            break
        assert page.url.rsplit("/", 1)[1] in nxt
    assert "/s/caregiver/done" in page.url and "提交成功" in page.locator("h1").inner_text()
    with Session(app.state.engine) as session:
        rows = list(responses.iter_responses(session, "caregiver"))
    assert len(rows) == 1 and rows[0].answers == robot.answers
    assert all(rows[0].answers[k] == v for k, v in TYPED.items())
