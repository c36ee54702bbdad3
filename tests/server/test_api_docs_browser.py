"""`/api/docs` works with no internet: headless chromium renders the Swagger operations while every
request to a host other than the test server is aborted, and none was even attempted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

LOCAL = {"127.0.0.1", "localhost"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the page reads no table: one database is enough
def test_api_docs_render_from_vendored_assets_without_external_requests(live_url: str, chromium: Any) -> None:
    page = chromium.new_page()
    page.set_default_timeout(15000)
    aborted: list[str] = []
    served: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL or url.startswith(("data:", "blob:")):
            served.append(url)
            route.continue_()
        else:
            aborted.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_url}/api/docs")
    operation = page.locator(".opblock-post", has_text="/api/v1/surveys/{survey}/responses")
    try:
        operation.first.wait_for()
    except Exception as exc:
        raise AssertionError(f"Swagger UI did not render; aborted external requests: {aborted}") from exc
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/surveys" in paths and "/api/v1/surveys/{survey}" in paths
    assert "/api/v1/surveys/{survey}/responses" in page.locator(".opblock-post .opblock-summary-path").all_inner_texts()
    assert aborted == []  # nothing external was even requested
    assets = [urlsplit(u).path for u in served]
    assert "/static/swagger-ui-5.35.0/swagger-ui-bundle.js" in assets
    assert "/static/swagger-ui-5.35.0/swagger-ui.css" in assets
    assert "/api/openapi.json" in assets
    page.close()
