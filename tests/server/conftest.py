"""Fixtures of the server tests: cheap password hashes for many accounts, the test's app on a real
socket, and headless Debian chromium."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.server.live import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


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
def chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright; a missing chromium fails (never skips) the test."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install chromium` (the README's test command, make test, does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


@pytest.fixture
def playwright() -> Iterator[Any]:
    """Playwright itself, for tests that launch Debian chromium their own way (a persistent profile)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: `apt-get install chromium` (the README's test command, make test, does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $CUNSHENG_SCREENSHOTS_DIR (`make screenshots`), else the temporary folder."""
    folder = Path(os.environ.get("CUNSHENG_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
