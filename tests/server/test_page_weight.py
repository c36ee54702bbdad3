"""The first page of each questionnaire is at most 50 KB on the wire (HTML + CSS + JS, gzip)."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.server.robot import VILLAGE, browser_csrf

LIMIT = 50 * 1024


def wire_bytes(client: Any, url: str) -> int:
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200
        return sum(len(chunk) for chunk in response.iter_raw())


@pytest.mark.parametrize("survey", ["women", "caregiver", "child"])
def test_first_page_weighs_at_most_50_kb(client: Any, survey: str, record_property: Any) -> None:
    page = client.post(f"/s/{survey}/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
    soup = BeautifulSoup(page.text, "html.parser")
    assets = [link["href"] for link in soup.select("link[rel=stylesheet]")] + [s["src"] for s in soup.select("script[src]")]
    assert all(a.startswith("/static/") for a in assets)  # no external requests
    sizes = {"html": wire_bytes(client, page.url.path)} | {a: wire_bytes(client, a) for a in assets}
    total = sum(sizes.values())
    record_property("weights", sizes)
    print(survey, sizes, total)
    assert total <= LIMIT, sizes


def test_pages_are_compressed_and_assets_cached(client: Any) -> None:
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    css = BeautifulSoup(page.text, "html.parser").select_one("link[rel=stylesheet]")["href"]
    assert "immutable" in client.get(css).headers["cache-control"]
