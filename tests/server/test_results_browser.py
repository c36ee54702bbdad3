"""The results page in headless chromium at a phone's 360 px and a desktop's 1280 px: choose a
question, read the table and the chart. Screenshots go to the temporary folder, or to
docs/screenshots with `make screenshots`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.staffkit import COUNTY, PASSWORD, make_staff
from tests.server.test_results import seeded

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 1280])
def test_the_results_page_reads_at_phone_and_desktop_widths(app: Any, live_url: str, chromium: Any, shots: Path,
                                                            width: int) -> None:
    seeded(app)
    make_staff(app, "pinggu", "evaluator", COUNTY)
    context = chromium.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        page.goto(f"{live_url}/login?next=/console/results/women")
        page.fill("[name=username]", "pinggu")
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/console/results/women")
        page.select_option("select[name=q]", "health_self")
        page.get_by_role("button", name="查看").click()
        page.wait_for_url("**q=health_self**")
        assert "非概率样本，按人口结构事后加权" in page.inner_text("main")
        page.wait_for_function("document.querySelector('img.chart').complete"
                               " && document.querySelector('img.chart').naturalWidth > 0")
        assert page.evaluate("document.querySelector('img.chart').getBoundingClientRect().width") <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # only tables scroll sideways
        page.screenshot(path=str(shots / f"13_results_{width}.png"), full_page=True)
    finally:
        context.close()
