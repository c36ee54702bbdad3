"""A resident answers the children's questionnaire in headless Debian chromium with htmx on, at a
360 px viewport and a WeChat user agent. Screenshots go to the test's temporary folder, or to
$CUNSHENG_SCREENSHOTS_DIR when set: `make screenshots` sets it to docs/screenshots for the README."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.robot import VILLAGE, Robot

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 10; V2001A Build/QP1A.190711.020; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Version/4.0 Chrome/86.0.4240.99 XWEB/4365 MMWEBSDK/20221012 Mobile Safari/537.36 "
             "MMWEBID/6170 MicroMessenger/8.0.30.2260(0x28001E3B) WeChat/arm64 Weixin NetType/4G Language/zh_CN")
pytestmark = pytest.mark.browser


@pytest.fixture
def phone(live_url: str, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 360, "height": 740}, user_agent=WECHAT_UA,
                                   device_scale_factor=1, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG file's header (its IHDR chunk)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return struct.unpack(">II", head[16:24])


def fill_in_browser(page: Any, data: dict[str, Any]) -> None:
    """Enter a robot's answers the way a person would, waiting for htmx skip-logic refreshes."""
    for name, values in data.items():
        if name in ("csrf", "nav"):
            continue
        field = page.locator(f"[name='{name}']").first
        control = field.evaluate("e => !!e.closest('fieldset[hx-post]')")
        kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : (e.type || 'text')")

        if control:
            with page.expect_response(lambda r: r.url.endswith("/refresh")):
                _enter(page, field, name, kind, values)
        else:
            _enter(page, field, name, kind, values)


def _enter(page: Any, field: Any, name: str, kind: str, values: list[str]) -> None:
    if kind in ("radio", "checkbox"):
        for value in values:
            page.locator(f"input[name='{name}'][value='{value}']").check()
    elif kind == "select":
        field.select_option(values[0])
    else:
        field.fill(values[0])
        field.dispatch_event("change")


def test_child_questionnaire_in_chromium_with_htmx(app: Any, live_url: str, phone: Any, shots: Path) -> None:
    survey = app.state.catalog.current["child"].survey
    robot = Robot(None, survey, {"bullied_school": 2})
    phone.goto(f"{live_url}/s/child/{VILLAGE}")
    phone.get_by_role("button", name="同意并开始填写").click()
    phone.wait_for_url("**/p/p_guardian")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    phone.screenshot(path=str(shots / "01_first_page.png"), full_page=True)
    phone.evaluate("window.__samePage = true")

    with phone.expect_response(lambda r: r.request.method == "POST"):
        phone.get_by_role("button", name="下一页").click()
    phone.locator(".error").first.wait_for()
    assert "必须回答" in phone.locator("#q-guardian_consent .error").inner_text()
    assert phone.evaluate("document.activeElement.name") == "guardian_consent"
    phone.screenshot(path=str(shots / "02_validation_error.png"), full_page=True)

    while "/done" not in phone.url:
        name = phone.url.rsplit("/", 1)[1]
        html = phone.content()
        fill_in_browser(phone, robot.fill(name, html))
        if name == "p_safe":
            assert phone.locator("#q-bullied_told").is_visible()  # shown by htmx after bullied_school
        with phone.expect_response(lambda r: r.request.method == "POST" and "/refresh" not in r.url):
            phone.locator("button[value=next]").click()
        phone.wait_for_function("name => !location.pathname.endsWith('/' + name)", arg=name)
    phone.locator("h1").wait_for()
    assert "提交成功" in phone.locator("h1").inner_text()
    assert phone.evaluate("window.__samePage === true")  # every page came by htmx, no full reload
    phone.screenshot(path=str(shots / "03_thank_you.png"), full_page=True)
    from sqlmodel import Session

    from server.store import responses

    with Session(app.state.engine) as session:
        rows = list(responses.iter_responses(session, "child"))
    assert len(rows) == 1 and rows[0].answers == robot.answers
    for name in ("01_first_page.png", "02_validation_error.png", "03_thank_you.png"):
        width, height = png_size(shots / name)
        assert width == 360 and 300 <= height <= 20000, (name, width, height)  # a whole phone page


def test_quick_exit_cannot_be_undone_with_back(app: Any, live_url: str, phone: Any) -> None:
    robot = Robot(None, app.state.catalog.current["child"].survey, {"bullied_school": 2})
    phone.goto(f"{live_url}/s/child/{VILLAGE}")
    phone.get_by_role("button", name="同意并开始填写").click()
    phone.wait_for_url("**/p/p_guardian")
    while not phone.url.endswith("/p_safe"):
        name = phone.url.rsplit("/", 1)[1]
        fill_in_browser(phone, robot.fill(name, phone.content()))
        phone.locator("button[value=next]").click()
        phone.wait_for_function("name => !location.pathname.endsWith('/' + name)", arg=name)
    phone.locator("input[name=bullied_school][value='1']").check()
    phone.locator("a.exit").click()
    phone.wait_for_url("**/leave")
    phone.go_back()
    phone.wait_for_load_state("load")
    assert "/p_safe" not in phone.url and phone.locator("input[name=bullied_school]").count() == 0
    assert phone.url.endswith("/s/child")  # the introduction: the draft is no longer on this phone


RANK_TEXT_LINES = """label => {
    // the lines of the label's own text ("第 1 位"), outside its select
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    const tops = new Set();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim() || node.parentElement.closest('select')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) tops.add(Math.round(r.top));
    }
    return tops.size;
}"""


def test_the_ranking_question_fits_its_card_at_360_px(app: Any, live_url: str, phone: Any) -> None:
    robot = Robot(None, app.state.catalog.current["child"].survey)
    phone.goto(f"{live_url}/s/child/{VILLAGE}")
    phone.get_by_role("button", name="同意并开始填写").click()
    phone.wait_for_url("**/p/p_guardian")
    while not phone.url.endswith("/p_wishes"):
        name = phone.url.rsplit("/", 1)[1]
        fill_in_browser(phone, robot.fill(name, phone.content()))
        phone.locator("button[value=next]").click()
        phone.wait_for_function("name => !location.pathname.endsWith('/' + name)", arg=name)
    labels = phone.locator("#q-wishes label.rank")
    assert labels.count() == 3
    assert labels.evaluate_all(f"labels => labels.map({RANK_TEXT_LINES})") == [1, 1, 1]  # "第 1 位" on one line
    card = phone.locator("#q-wishes").bounding_box()
    for box in phone.locator("#q-wishes label.rank select").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"):
        assert box <= card["x"] + card["width"] + 0.5  # the select stays inside its card
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
