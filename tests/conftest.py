"""Shared fixtures: a real app on a real database per test, on SQLite and (when TEST_DATABASE_URL is
set) on PostgreSQL, where each test gets its own database cloned from a migrated template; headless
Debian chromium; and where screenshots go (the browser tests' pages, the report pack's PDF pages)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from analysis.report.pdf import QUIET, chromium_path
from server.db import make_engine, migrate, normalise_url
from server.settings import ROOT, Settings

PG_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
BUNDLED = ROOT / "surveys" / "definitions"


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI is set but TEST_DATABASE_URL is not: the PostgreSQL run would be missing.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` exist only with TEST_DATABASE_URL, like the PostgreSQL params of DATABASES:
    without it they are deselected (never skipped); CI always sets it (see pytest_configure)."""
    if PG_URL:
        return
    dropped = [item for item in items if item.get_closest_marker("postgresql")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


class Postgres:
    """Creates databases on the test server and drops every one of them at the end of the run."""

    def __init__(self, url: str):
        self.admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        self.base = normalise_url(url).rsplit("/", 1)[0]
        self.created: list[str] = []
        self.template = self.create()
        engine = make_engine(f"{self.base}/{self.template}")
        migrate(engine)
        engine.dispose()

    def create(self, template: str | None = None) -> str:
        name = f"cunsheng_test_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}{clause}"))
        self.created.append(name)
        return name

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres | None]:
    if not PG_URL:
        yield None
        return
    pg = Postgres(PG_URL)
    yield pg
    pg.drop_all()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres: Postgres | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cunsheng.db'}"
    assert postgres is not None
    return f"{postgres.base}/{postgres.create(postgres.template)}"


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(definitions: Path = BUNDLED) -> Settings:
        return Settings(database_url=database_url, definitions_dir=definitions, instance_dir=tmp_path,
                        secret_key="test-secret")
    return make


@pytest.fixture
def app(make_settings):  # type: ignore[no-untyped-def]
    from server.app import create_app

    application = create_app(make_settings())
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $CUNSHENG_SCREENSHOTS_DIR (`make screenshots`), else the temporary folder."""
    folder = Path(os.environ.get("CUNSHENG_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chromium() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright; a missing chromium fails (never skips) the test."""
    executable = chromium_path()
    if executable is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (the README's test command, make test, does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox", *QUIET])
        yield browser
        browser.close()
