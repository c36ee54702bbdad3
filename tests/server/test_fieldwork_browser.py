"""The collector's and the supervisor's fieldwork pages in headless chromium at a phone's 360 px: the case
list, a case with its visits, and the supervisor's dashboard. Screenshots go to the temporary folder,
or to docs/screenshots with `make screenshots`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from tests.server import fieldkit as fk
from tests.server.staffkit import COUNTY, PASSWORD

pytestmark = pytest.mark.browser
TOWN = "149901001000"
VILLAGES = ["149901001001", "149901001002", "149901001205"]


def _wave(app: Any) -> int:
    """A wave in fieldwork on three villages of one township, some cases worked."""
    with Session(app.state.engine) as session:
        wid = fk.seed_wave(session, COUNTY, VILLAGES, name="2026 年中期评估入户调查").id or 0
        session.commit()
    for v in VILLAGES:
        fk.make_staff(app, f"zr{v[-6:]}", "collector", v)
    with fk.signed_in(app, "dudao", "supervisor", TOWN) as sup:
        for v in VILLAGES:
            assert fk.upload_listing(sup, wid, v, fk.listing_csv(40)).status_code == 303
    for v in VILLAGES:
        with fk.signed_in(app, f"zr{v[-6:]}", "collector", v, make=False) as client:
            for i, case in enumerate(fk.cases_of(app, wid, under=v)[:2]):
                assert fk.post(client, f"/console/cases/{case.id}/visits", result="no_contact").status_code == 303
                assert fk.post(client, f"/console/cases/{case.id}/visits", result="refused" if i else "appointment"
                               ).status_code == 303
                if i:
                    assert fk.post(client, f"/console/cases/{case.id}/close", disposition="2.11").status_code == 303
                else:
                    assert fk.post(client, f"/console/cases/{case.id}/respondent", eligible="3").status_code == 303
    return wid


def _sign_in(page: Any, live_url: str, username: str) -> None:
    page.goto(f"{live_url}/login")
    page.fill("[name=username]", username)
    page.fill("[name=password]", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/console")


def test_the_collector_and_supervisor_pages_at_phone_width(app: Any, live_url: str, chromium: Any, shots: Path,
                                                          cheap_hashes: None) -> None:
    wid = _wave(app)
    context = chromium.new_context(viewport={"width": 360, "height": 760}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        _sign_in(page, live_url, f"zr{VILLAGES[0][-6:]}")
        page.goto(f"{live_url}/console/cases")
        assert page.locator("ul.cases li").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "30_case_list_360.png"), full_page=True)
        page.locator("ul.cases li a").first.click()
        page.wait_for_url("**/console/cases/*")
        assert page.locator("ol.visits li").count() == 2 and page.locator(".selected-line").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "31_case_visits_360.png"), full_page=True)
        context.clear_cookies()
        _sign_in(page, live_url, "dudao")
        page.goto(f"{live_url}/console/waves/{wid}")
        assert page.locator("table.dashboard-village tbody tr").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(shots / "32_supervisor_dashboard_360.png"), full_page=True)
    finally:
        context.close()
