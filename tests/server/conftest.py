"""Fixtures of the server tests: cheap password hashes for many accounts, the test's app on a real
socket, and Playwright itself for tests that launch chromium their own way (headless Debian chromium
and where screenshots go are tests/conftest.py's `chromium` and `shots`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.server.live import free_port


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of accounts: argon2id at its lowest cost (the hash format and checks are unchanged)."""
    from argon2 import PasswordHasher

    from server.store import staff

    monkeypatch.setattr(staff, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """The test's app served by uvicorn in a thread, on a free port of 127.0.0.1."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


@pytest.fixture
def playwright() -> Iterator[Any]:
    """Playwright itself, for tests that launch Debian chromium their own way (a persistent profile); a
    missing chromium fails (never skips) the test."""
    from analysis.report.pdf import chromium_path

    if chromium_path() is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (the README's test command, make test, does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p
