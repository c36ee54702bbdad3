"""Helpers for the offline field app's browser tests: a wave with cases for one collector, stored on the
test's database; Debian chromium on a persistent profile at a phone's 360 px; and a collector who works
cases through the app's screens (respondent, visits, the interview page by page, closing)."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from analysis.report.pdf import QUIET, chromium_path
from server.app import create_app
from server.render import STATIC
from server.settings import Settings
from server.store import cases, responses, staff, versions, waves
from surveys.answers import make_env
from surveys.kinds import to_form
from surveys.model import Survey
from tests.server import fieldkit as fk
from tests.server.live import Served, clean_env, free_port
from tests.server.robot import ELIGIBLE, default_answer
from tests.server.staffkit import COUNTY, PASSWORD, make_staff

VILLAGE = "149901001001"
COLLECTOR = "zhuren01"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 12; V2118A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230202 MicroMessenger/8.0.33.2320")


def seed_cases(app: Any, surveys: list[str], username: str = COLLECTOR) -> list[int]:
    """A wave in fieldwork on VILLAGE with one case per questionnaire in `surveys`, all assigned to a
    new collector of the village; returns the case ids in that order."""
    make_staff(app, username, "collector", VILLAGE)
    with Session(app.state.engine) as session:
        account = staff.find_staff(session, username)
        assert account is not None
        wave = fk.seed_wave(session, COUNTY, [VILLAGE], listed=True, name="2026 年中期评估入户调查")
        wave.surveys = [{"survey": s, "population": {"women": "women18", "child": "child10"}.get(s, "women18")}
                        for s in dict.fromkeys(surveys)]
        session.add(wave)
        made = [fk.seed_case(session, wave, VILLAGE, survey=s, collector_id=account.id) for s in surveys]
        session.commit()
        return [c.id or 0 for c in made]


CUNSHENG = str(Path(sys.executable).parent / "cunsheng")


@dataclass
class Field:
    """A `cunsheng serve` process on the test's database, the app the test seeded it with (to read what
    the server stored) and the folder the shell is served from (a deploy changes a file there)."""

    served: Served
    app: Any
    shell: Path
    profile: Path

    @property
    def url(self) -> str:
        return self.served.url

    def survey(self, name: str) -> Any:
        return self.app.state.catalog.current[name].survey


@contextmanager
def field_server(database_url: str, tmp_path: Path, definitions: Path) -> Iterator[Field]:
    """The database migrated and published by an app in this process (which the test seeds), then served
    by `cunsheng serve` from a copy of the shell; the process is ended and the app disposed afterwards."""
    shell = tmp_path / "field"
    shutil.copytree(STATIC / "field", shell)
    settings = Settings(database_url=database_url, definitions_dir=definitions, instance_dir=tmp_path,
                        secret_key="test-secret")
    app = create_app(settings)
    env = clean_env(CUNSHENG_DATABASE_URL=database_url, CUNSHENG_DEFINITIONS_DIR=str(definitions),
                    CUNSHENG_INSTANCE_DIR=str(tmp_path), CUNSHENG_SECRET_KEY="test-secret",
                    CUNSHENG_FIELD_APP_DIR=str(shell))
    served = Served([CUNSHENG, "serve", "--port", str(free_port())], tmp_path, env)
    try:
        yield Field(served, app, shell, tmp_path / "profile")
    finally:
        served.stop()
        app.state.engine.dispose()


def stored(engine: Any) -> dict[str, Any]:
    """What the server holds: responses by instance id (answers; the version number that collected each),
    cases by id (status, disposition, eligible, visits)."""
    with Session(engine) as session:
        rows = {r.instance_id: r for r in session.exec(select(responses.Response)).all()}
        numbers = {v.id: v.number for v in session.exec(select(versions.SurveyVersion)).all()}
        out_cases = {}
        for case in session.exec(select(cases.Case)).all():
            visits = session.exec(select(func.count()).select_from(cases.Visit).where(cases.Visit.case_id == case.id)).one()
            out_cases[case.id] = {"status": case.status, "disposition": case.disposition, "eligible": case.eligible,
                                  "line": case.line, "visits": int(visits), "instance_id": case.instance_id}
        return {"responses": {k: dict(v.answers) for k, v in rows.items()}, "cases": out_cases,
                "versions": {k: numbers[v.version_id] for k, v in rows.items()},
                "waves": [w.status for w in session.exec(select(waves.Wave)).all()]}


def close_on_server(app: Any, case_id: int, disposition: str) -> None:
    """The supervisor's closing of a case, straight in the database (as the console would store it)."""
    from datetime import UTC, datetime

    with Session(app.state.engine) as session:
        case = cases.get_case(session, case_id)
        assert case is not None
        cases.close(session, case, disposition, datetime.now(UTC))
        session.commit()


def launch(playwright: Any, profile: Path, offline: bool = False, user_agent: str | None = None) -> Any:
    """Chromium on `profile` (kept between launches: its IndexedDB, service worker and caches) at 360 px."""
    extra = {"user_agent": user_agent} if user_agent else {}
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True, args=["--no-sandbox", *QUIET],
        viewport={"width": 360, "height": 760}, device_scale_factor=1, locale="zh-CN", offline=offline,
        service_workers="allow", **extra)


def grant_persistence(context: Any, url: str) -> Any:
    """Let the origin keep its storage (what installing the app to the home screen gives on a phone); the
    grant lasts while the returned session is attached."""
    cdp = context.new_cdp_session(context.pages[0])
    cdp.send("Browser.grantPermissions", {"origin": url, "permissions": ["durableStorage"]})
    return cdp


class Collector:
    """A 儿童主任 working through the app's screens in one page."""

    def __init__(self, page: Any, url: str):
        self.page, self.url = page, url
        self.errors: list[str] = []  # the app's uncaught script errors (none expected)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.set_default_timeout(20000)

    def open_app(self) -> None:
        self.page.goto(f"{self.url}/field/")
        self.page.wait_for_function("() => window.CunshengApp !== undefined")
        self.page.evaluate("CunshengApp.ready")

    def sign_in(self, username: str = COLLECTOR, password: str = PASSWORD) -> None:
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_selector("ul.cases")

    def worker_ready(self) -> None:
        """The service worker controls the page and has cached the shell."""
        self.page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        self.page.evaluate("navigator.serviceWorker.ready")

    def unsent(self) -> int:
        match = re.search(r"未上传 (\d+)", self.page.inner_text("#unsent"))
        assert match, self.page.inner_text("#unsent")
        return int(match.group(1))

    def wait_unsent(self, text: str, timeout: float = 60000) -> None:
        """Until the outbox count reads `text` (e.g. 未上传 0), as syncs run by themselves."""
        self.page.wait_for_function("(t) => document.getElementById('unsent').textContent === t", arg=text,
                                    timeout=timeout)

    def sync(self) -> Any:
        """One sync as the app runs it; returns its tally."""
        return self.page.evaluate("CunshengApp.sync()")

    def case(self, case_id: int) -> None:
        self.page.goto(f"{self.url}/field/#/case/{case_id}")
        self.page.wait_for_selector(f"[data-case-view='{case_id}'], .locked")

    def respondent(self, eligible: int, line: int | None = None) -> None:
        self.page.fill("[data-form=respondent] [name=eligible]", str(eligible))
        if line is not None:
            self.page.fill("[data-form=respondent] [name=line]", str(line))
        self.page.click("[data-form=respondent] button")
        self.page.wait_for_selector(".selected-line" if eligible else "text=没有合格成员")

    def visit(self, result: str) -> None:
        before = self.page.locator("ol.visits li").count()
        self.page.select_option("[data-form=visit] select", result)
        self.page.click("[data-form=visit] button")
        self.page.wait_for_function("(n) => document.querySelectorAll('ol.visits li').length > n", arg=before)

    def close_case(self, disposition: str) -> None:
        self.page.select_option("[data-form=close] select", disposition)
        self.page.click("[data-form=close] button")
        self.page.wait_for_selector(f"text=已结案 {disposition}")

    def start_interview(self) -> None:
        self.page.click("[data-do=interview]")
        self.page.wait_for_selector("form#page")

    def current_page(self) -> str | None:
        form = self.page.query_selector("form#page")
        return form.get_attribute("data-page") if form else None

    def answer_page(self, survey: Survey, answers: dict[str, Any], overrides: dict[str, Any]) -> None:
        """Fill the questions the page asks (as the Robot answers the online pages), tapping like a person."""
        name = self.current_page()
        page = survey.page(name or "")
        assert page is not None, (name, self.page.url, self.page.inner_text("main")[:300], self.errors)
        for q in page.questions:
            if q.kind == "note" or (q.show_if is not None and not q.show_if(make_env(survey, answers))):
                continue
            if q.kind == "matrix":
                values = {r.name: overrides.get(r.name, q.choices[i % len(q.choices)].code) for i, r in enumerate(q.rows)}
            else:
                values = {q.name: overrides.get(q.name, default_answer(q))}
            answers.update(values)
            for key, wanted in to_form(q, values).items():
                self.put(key, wanted)

    def put(self, key: str, wanted: list[str]) -> None:
        fields = self.page.locator(f"#page [name='{key}']")
        kind = fields.first.evaluate("el => el.tagName === 'SELECT' ? 'select' : el.type")
        if kind in ("radio", "checkbox"):
            for i in range(fields.count()):
                box = fields.nth(i)
                box.set_checked(box.get_attribute("value") in wanted)
        elif kind == "select":
            fields.first.select_option(wanted[0])
        else:
            fields.first.fill(wanted[0])

    def next_page(self) -> None:
        before = self.current_page()
        self.page.click("#page button[data-nav=next]")
        self.page.wait_for_function(
            "(before) => { const form = document.querySelector('#page');"
            " return form ? form.dataset.page !== before || document.querySelector('.summary') !== null"
            " : location.hash.endsWith('/done'); }", arg=before)
        errors = self.page.query_selector_all("#page .error")
        assert not errors, [e.inner_text() for e in errors]

    def interview(self, survey: Survey, overrides: dict[str, Any] | None = None, pages: int | None = None,
                  answers: dict[str, Any] | None = None) -> dict[str, Any]:
        """Answer `pages` pages (all, by default) from the one shown; returns what was answered."""
        overrides = {**ELIGIBLE.get(survey.name, {}), **(overrides or {})}
        answers = {} if answers is None else answers
        done = 0
        while self.current_page() is not None and (pages is None or done < pages):
            self.answer_page(survey, answers, overrides)
            self.next_page()
            done += 1
        return answers

    def back_to_case(self) -> None:
        self.page.click("text=返回个案")
        self.page.wait_for_selector("h2")
