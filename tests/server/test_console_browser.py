"""The console in headless chromium at a phone's 360 px and a desktop's 1280 px: sign-in, the county's
dashboard and a village's. Screenshots go to the temporary folder, or to docs/screenshots with
`make screenshots`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.staffkit import COUNTY, PASSWORD, make_staff
from tests.server.test_dashboard import VILLAGE_A, _seed

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_the_console_signs_in_and_drills_down_at_phone_and_desktop_widths(app: Any, live_url: str, chromium: Any,
                                                                          shots: Path, width: int) -> None:
    _seed(app)
    make_staff(app, "fuer", "admin", COUNTY)
    context = chromium.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_url}/console")
        page.wait_for_url("**/login**")
        page.screenshot(path=str(shots / f"10_login_{width}.png"), full_page=True)
        page.fill("[name=username]", "fuer")
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/console")
        assert page.locator("table.board tbody tr").count() == 10
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # only the table scrolls sideways
        page.screenshot(path=str(shots / f"11_county_dashboard_{width}.png"), full_page=True)
        page.locator("table.board tbody tr th a").first.click()
        page.wait_for_url("**/console/units/149901001000")
        page.get_by_role("link", name=page.locator("table.board tbody tr th a").first.inner_text()).click()
        page.wait_for_url(f"**/console/units/{VILLAGE_A}")
        assert "3" in page.locator(".totals li", has_text="妇女").locator(".big").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"12_village_dashboard_{width}.png"), full_page=True)
    finally:
        context.close()
