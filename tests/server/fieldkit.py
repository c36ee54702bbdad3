"""Helpers for fieldwork tests: a wave made, drawn and listed through the console's real forms."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.store import cases, waves
from tests.server.staffkit import COUNTY, csrf_of, make_staff, sign_in

UNITS_CSV = "server/data/county/units.csv"


@contextmanager
def signed_in(app: Any, username: str, role: str, unit: str, make: bool = True) -> Any:
    """A client signed in as a (new) account with one grant."""
    if make:
        make_staff(app, username, role, unit)
    with TestClient(app) as client:
        assert sign_in(client, username).status_code == 303
        yield client


def csrf(client: Any, path: str = "/console/password") -> str:
    return csrf_of(client.get(path).text)


def wave_form(name: str = "2026 年中期评估", surveys: tuple[str, ...] = ("women",), villages: int = 20,
              per_village: int = 4, reserve: int = 2, rule: str = "kish", seed: int = 20261203,
              unit: str = COUNTY, **extra: str) -> dict[str, Any]:
    """The new-wave form's fields."""
    data: dict[str, Any] = {"name": name, "stage": "midterm", "year": "2026", "unit": unit,
                            "survey": list(surveys), "villages": str(villages), "per_village": str(per_village),
                            "reserve": str(reserve), "rule": rule, "strata": "township_urban",
                            "allocation": "proportional", "seed": str(seed)}
    data |= {f"population_{s}": {"women": "women18", "caregiver": "caregiver", "child": "child10"}[s] for s in surveys}
    return {**data, **extra}


def create_wave(client: Any, **kw: Any) -> Any:
    """Post the new-wave form; returns the response (303 to the wave's page when it worked)."""
    return client.post("/console/waves", data={"csrf": csrf(client), **wave_form(**kw)}, follow_redirects=False)


def wave_id(response: Any) -> int:
    match = re.search(r"/console/waves/(\d+)$", response.headers["location"])
    assert match, response.headers.get("location")
    return int(match.group(1))


def drawn_wave(client: Any, **kw: Any) -> int:
    """A wave created, its sample drawn and moved into fieldwork."""
    made = create_wave(client, **kw)
    assert made.status_code == 303, made.text
    wid = wave_id(made)
    assert client.post(f"/console/waves/{wid}/sample", data={"csrf": csrf(client)}).status_code == 200
    assert client.post(f"/console/waves/{wid}/advance", data={"csrf": csrf(client)}).status_code == 200
    return wid


def sample(app: Any, wid: int) -> list[waves.WaveVillage]:
    with Session(app.state.engine) as session:
        return waves.sample_of(session, wid)


def households(code: str) -> int:
    with open(UNITS_CSV, encoding="utf-8-sig") as f:
        return next(int(r["households"]) for r in csv.DictReader(f) if r["code"] == code)


def listing_csv(size: int) -> bytes:
    rows = "".join(f"{n},{1 + (n - 1) // 20} 组 {n} 号\n" for n in range(1, size + 1))
    return ("number,locator\n" + rows).encode()


def upload_listing(client: Any, wid: int, village: str, data: bytes) -> Any:
    path = f"/console/waves/{wid}/villages/{village}/listing"
    return client.post(path, data={"csrf": csrf(client)}, files={"listing": ("listing.csv", data, "text/csv")},
                       follow_redirects=False)


def cases_of(app: Any, wid: int, **kw: Any) -> list[cases.Case]:
    with Session(app.state.engine) as session:
        return cases.cases_of(session, wid, **kw)


def post(client: Any, path: str, **data: str) -> Any:
    """A console form post with the session's CSRF token (redirects not followed)."""
    return client.post(path, data={"csrf": csrf(client), **data}, follow_redirects=False)


def problem_code(html: str) -> str | None:
    """The catalogue code a console page shows in its problem comment."""
    match = re.search(r"<!-- problem: ([\w.]+) -->", html)
    return match.group(1) if match else None


def text_of(html: str, selector: str) -> str:
    found = BeautifulSoup(html, "html.parser").select_one(selector)
    return found.get_text(" ", strip=True) if found else ""


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def seed_wave(session: Session, unit: str, villages: list[str], status: str = "fieldwork", drawn: bool = True,
              listed: bool = False, name: str = "", allocation: str = "proportional") -> waves.Wave:
    """A wave stored directly (for the role matrix): its sample is the given villages."""
    import uuid

    wave = waves.add_wave(session, name=name or f"mx{uuid.uuid4().hex[:10]}", stage="midterm", year=2026, unit=unit,
                          status="planning", surveys=[{"survey": "women", "population": "women18"}], villages=2,
                          per_village=2, reserve=1, rule="kish", strata="township_urban", allocation=allocation,
                          seed=1)
    if drawn:
        waves.store_sample(session, wave, [{"village": v, "stratum": "s", "prob": 0.5, "certainty": False,
                                            "selection_order": i + 1} for i, v in enumerate(villages)], [])
        if listed:
            for row in waves.sample_of(session, wave.id or 0):
                waves.mark_listed(session, row, 30)
    wave.status = status
    session.add(wave)
    session.flush()
    return wave


def seed_case(session: Session, wave: waves.Wave, village: str, **fields: Any) -> cases.Case:
    """A case of the wave's village with its listing entry (`fields` override the defaults)."""
    import uuid

    from server.store import listings

    number = 1 + len(cases.cases_of(session, wave.id or 0, under=village, released_only=False, practice=None))
    listings.add_listing(session, wave.id or 0, village, [(number, f"九组 {number} 号院")])
    row = {"wave_id": wave.id or 0, "village": village, "survey": "women", "number": number, "p_village": 0.5,
           "p_household": 0.1, "instance_id": str(uuid.uuid4()), **fields}
    return cases.add_cases(session, [row])[0]


# The field app's API (docs/field_api.md), as a device calls it.
FIELD = "/api/v1/field"


def device_sign_in(client: Any, username: str, password: str = "", label: str = "平板") -> Any:
    """POST /api/v1/field/devices (the account's password by default)."""
    from tests.server.staffkit import PASSWORD

    return client.post(f"{FIELD}/devices", json={"username": username, "password": password or PASSWORD,
                                                 "label": label})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def device_token(client: Any, username: str) -> str:
    r = device_sign_in(client, username)
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def sync(client: Any, token: str, updates: list[dict[str, Any]]) -> Any:
    return client.post(f"{FIELD}/sync", json={"updates": updates}, headers=bearer(token))


def update(case: Any, kind: str, **fields: Any) -> dict[str, Any]:
    """One case update with a fresh id: `visit` (result, at), `respondent` (eligible, line), `close` (disposition, at)."""
    import uuid

    defaults: dict[str, Any] = {"visit": {"at": "2026-05-01T09:00:00+08:00", "result": "interviewed"},
                                "respondent": {"eligible": 1, "line": None},
                                "close": {"at": "2026-05-01T10:00:00+08:00", "disposition": "1.1"}}[kind]
    return {"id": str(uuid.uuid4()), "case": case.id, "type": kind, **defaults, **fields}


def interview_body(app: Any, case: Any, **answers: Any) -> dict[str, Any]:
    """A whole valid interview of the case, under the case's instance id."""
    from tests.server.robot import complete_answers

    pub = app.state.catalog.current[case.survey]
    return {"instance_id": case.instance_id, "version": pub.number, "village": case.village,
            "answers": complete_answers(pub.survey, answers or None)}


def interview(client: Any, app: Any, case: Any, token: str, **answers: Any) -> Any:
    """POST the case's interview through the JSON API with the device's token."""
    return client.post(f"/api/v1/surveys/{case.survey}/responses", json=interview_body(app, case, **answers),
                       headers=bearer(token))
