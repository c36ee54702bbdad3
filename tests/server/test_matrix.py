"""Role × unit matrix, generated from the app's route table and the one permission table.

Every route that is not public declares a verb (`auth.need`). For each such route, each role and each
relation of the caller's grant to the target unit T (own, ancestor, sibling, descendant, another
county), the request is made with a fresh account's token and must be allowed exactly when the role
holds the verb (and, for a route about an object in T's subtree, when the grant covers it); a denied
request answers 404 (422 for a new account's unit outside the caller's subtree) and shows none of the target's data. A route that
is neither public nor has a verb, or has no request below, fails the test.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth import PERMISSIONS, PUBLIC_ROUTES
from server.store import audit, responses, staff, tokens
from server.unitcodes import is_under
from tests.server.staffkit import COUNTY, PASSWORD, app_routes, verb_of

T = "149901001000"  # the target unit: 枣岭镇
RELATIONS = {"own": T, "ancestor": COUNTY, "sibling": "149901002000", "descendant": "149901001002",
             "other county": "149902000000"}
OBJECT_VILLAGE = "149901001001"  # a response's village in T, not under the descendant grant


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    data: dict[str, str] | None = None
    marker: str = ""  # text only an allowed caller may see
    scoped: bool = True  # about an object in `unit`'s subtree (else only the role decides)
    allowed: tuple[int, ...] = (200,)
    denied: tuple[int, ...] = (404,)
    unit: str = T  # where the object lives: the grant must cover it
    files: dict[str, Any] | None = None
    overlap: bool = False  # a listing of `unit`'s subtree: also allowed to a grant below it (its part)
    collectors: bool = True  # False: a collector may only if the object is his or her own (never a fresh account's)
    json: Any = None  # a JSON body (the field app's API)


def _fresh_account(session: Session, unit: str) -> staff.Staff:
    account = staff.add_staff(session, f"u{uuid.uuid4().hex[:12]}", PASSWORD, "collector", unit)
    session.flush()
    return account


def _response_in(app: Any, session: Session, village: str) -> str:
    pub = app.state.catalog.current["women"]
    instance = str(uuid.uuid4())
    responses.save_response(session, responses.prepare("women", pub.version_id, pub.number, instance, village,
                                                       {"x": 1}, "complete", "api", None, None))
    return instance


def _target_account(session: Session) -> str:
    account = _fresh_account(session, T)
    audit.record(session, "test", None, "staff.add", "staff", account.username, T)  # an audit row in T
    session.commit()
    return account.username


def _new_questionnaire() -> dict[str, Any]:
    name = f"mx{uuid.uuid4().hex[:8]}"
    text = (f"name: {name}\ntitle: 矩阵测试\npages:\n  - name: p1\n    title: 一\n    questions:\n"
            "      - {name: q1, kind: integer, label: 题一}\n")
    return {"definition": (f"{name}.yaml", text.encode(), "application/x-yaml")}


def _calls(app: Any, session: Session) -> dict[str, Callable[[], Call]]:
    """One request per route name, each building its own fresh objects in T's subtree."""
    def token_of_target() -> Call:
        name = _target_account(session)
        account = staff.find_staff(session, name)
        row, _ = tokens.issue(session, account.id, "平板", datetime.now(UTC))
        session.commit()
        return Call("POST", f"/console/tokens/{row.id}/revoke", allowed=(303,))

    def erase() -> Call:
        instance = _response_in(app, session, OBJECT_VILLAGE)
        return Call("POST", f"/console/responses/women/{instance}/erase", marker=instance)

    def issue() -> Call:
        name = _target_account(session)
        return Call("POST", f"/console/staff/{name}/tokens", {"label": "平板"}, marker="csk_")

    def staff_list() -> Call:
        return Call("GET", "/console/staff", marker=_target_account(session), scoped=False)

    def audit_log() -> Call:
        return Call("GET", "/console/audit", marker=_target_account(session), scoped=False)

    def api_staff() -> Call:
        return Call("GET", "/api/v1/staff", marker=_target_account(session), scoped=False)

    def api_audit() -> Call:
        return Call("GET", "/api/v1/audit", marker=_target_account(session), scoped=False)

    def export() -> Call:
        instance = _response_in(app, session, OBJECT_VILLAGE)
        return Call("GET", f"/console/exports/download?survey=women&unit={T}&format=csv", marker=instance)

    county_wide = {"unit": COUNTY, "allowed": (303,)}  # a questionnaire's state is every village's

    seeded: list[bool] = []

    def results(path: str, marker: str = "") -> Callable[[], Call]:
        def call() -> Call:
            if not seeded:  # self-completed responses in T, so every results route has a pool to weigh
                pub = app.state.catalog.current["women"]
                for age in (25, 45, 70) * 4:
                    responses.save_response(session, responses.prepare(
                        "women", pub.version_id, pub.number, str(uuid.uuid4()), OBJECT_VILLAGE,
                        {"resp_sex": 1, "age": age, "health_self": 1 + age % 5}, "complete", "web", None, None))
                session.commit()
                seeded.append(True)
            return Call("GET", f"{path}?unit={T}&q=health_self", marker=marker)
        return call

    return {**_field_calls(app, session), **{
        "survey_list": lambda: Call("GET", "/console/surveys", scoped=False),
        "survey_preview": lambda: Call("GET", "/console/surveys/women/preview", scoped=False),
        "survey_publish": lambda: Call("POST", "/console/surveys/publish", files=_new_questionnaire(), **county_wide),
        "survey_open": lambda: Call("POST", "/console/surveys/women/open", **county_wide),
        "survey_close": lambda: Call("POST", "/console/surveys/caregiver/close", **county_wide),
        "survey_settings": lambda: Call("POST", "/console/surveys/women/settings",
                                        {"intro": "本办公室的说明", "contact": "联系电话 0000-1234567"}, **county_wide),
        "survey_posters": lambda: Call("GET", f"/console/surveys/women/posters?township={T}", overlap=True),
        "survey_poster": lambda: Call("GET", f"/console/surveys/women/poster/{OBJECT_VILLAGE}.png", unit=OBJECT_VILLAGE),
        "api_questionnaires": lambda: Call("GET", "/api/v1/questionnaires", scoped=False),
        "exports_form": lambda: Call("GET", "/console/exports", scoped=False),
        "exports_download": export,
        "results_index": lambda: Call("GET", "/console/results", scoped=False),
        "results_page": results("/console/results/women", marker="枣岭镇"),
        "results_chart": results("/console/results/women/chart.svg"),
        "results_design": results("/console/results/women/design.json", marker="poststratum"),
        "api_results": results("/api/v1/results/women", marker="枣岭镇"),
        "api_indicators": lambda: Call("GET", "/api/v1/indicators", scoped=False),
        "api_staff": api_staff,
        "api_audit": api_audit,
        "console_home": lambda: Call("GET", "/console", scoped=False),
        "unit_dashboard": lambda: Call("GET", f"/console/units/{T}", marker="枣岭镇"),
        "api_unit": lambda: Call("GET", f"/api/v1/units/{T}", marker="枣岭镇"),
        "staff_list": staff_list,
        "staff_add": lambda: Call("POST", "/console/staff", {"username": f"n{uuid.uuid4().hex[:10]}", "role": "viewer",
                                                             "unit": T, "password": PASSWORD},
                                  allowed=(303,), denied=(422,)),
        "token_issue": issue,
        "token_revoke": token_of_target,
        "response_erase": erase,
        "audit_log": audit_log,
        "password_form": lambda: Call("GET", "/console/password", scoped=False),
        "password_change": lambda: Call("POST", "/console/password", {"current": PASSWORD, "new": "x9" + PASSWORD,
                                                                     "again": "x9" + PASSWORD}, scoped=False),
        "logout": lambda: Call("POST", "/logout", scoped=False, allowed=(303,)),
    }}


def _field_calls(app: Any, session: Session) -> dict[str, Callable[[], Call]]:
    """Fieldwork routes: each call on a fresh wave in T (villages of T sampled) and fresh cases."""
    from tests.server import fieldkit as fk

    def wave(**kw: Any) -> Any:
        made = fk.seed_wave(session, T, [OBJECT_VILLAGE], **kw)
        session.commit()
        return made

    def case(**kw: Any) -> Any:
        made = fk.seed_case(session, wave(listed=True), OBJECT_VILLAGE, **kw)
        session.commit()
        return made

    def interview(returned: bool = False) -> Any:
        c = case(eligible=1, p_person=1.0)
        pub = app.state.catalog.current["women"]
        row, _ = responses.save_response(session, responses.prepare("women", pub.version_id, pub.number, c.instance_id,
                                                                    OBJECT_VILLAGE, {"x": 1}, "complete", "case", None, None))
        if returned:
            from server.store import reviews

            reviews.add_review(session, row.id, "township", "return", "", {"x": "请核实"}, None)
        session.commit()
        return (row.id, c.id) if returned else row.id

    def correct() -> Call:
        _, case_id = interview(returned=True)
        return Call("POST", f"/console/cases/{case_id}/correct", unit=OBJECT_VILLAGE, collectors=False, allowed=(303,))

    def wave_call(path: str, marker: str = "", **kw: Any) -> Callable[[], Call]:
        def call() -> Call:
            w = wave()
            return Call("GET", path.format(w=w.id), marker=marker.format(name=w.name), overlap=True, **kw)
        return call

    def on_case(suffix: str, data: dict[str, str] | None = None, method: str = "POST", **kw: Any) -> Callable[[], Call]:
        def call() -> Call:
            c = case(**kw)
            return Call(method, f"/console/cases/{c.id}{suffix}", data, unit=OBJECT_VILLAGE, collectors=False,
                        allowed=(303,) if method == "POST" else (200,), marker="" if method == "POST" else "九组")
        return call

    def assign() -> Call:
        c = case()
        fk.make_staff(app, f"a{uuid.uuid4().hex[:10]}", "collector", OBJECT_VILLAGE)
        name = staff.list_staff(session)[-1][0].username
        return Call("POST", f"/console/cases/{c.id}/assign", {"username": name}, unit=OBJECT_VILLAGE, allowed=(303,))

    def replace() -> Call:
        c = case(status="closed", disposition="2.11")
        fk.seed_case(session, waves_of(c), OBJECT_VILLAGE, reserve=True, released=False, reserve_order=1)
        session.commit()
        return Call("POST", f"/console/cases/{c.id}/replace", unit=OBJECT_VILLAGE, allowed=(303,))

    def waves_of(c: Any) -> Any:
        from server.store import waves

        return waves.get_wave(session, c.wave_id)

    def listing(method: str) -> Callable[[], Call]:
        def call() -> Call:
            w = wave(listed=False)
            path = f"/console/waves/{w.id}/villages/{OBJECT_VILLAGE}/listing"
            if method == "GET":
                return Call("GET", path, unit=OBJECT_VILLAGE, marker="number,locator")
            return Call("POST", path, unit=OBJECT_VILLAGE, allowed=(303,),
                        files={"listing": ("l.csv", fk.listing_csv(30), "text/csv")})
        return call

    def create() -> Call:
        return Call("POST", "/console/waves", {**fk.wave_form(name=f"n{uuid.uuid4().hex[:10]}", unit=T)},
                    allowed=(303,), denied=(422,))

    def review(method: str) -> Callable[[], Call]:
        def call() -> Call:
            rid = interview()
            if method == "GET":
                return Call("GET", f"/console/reviews/{rid}", unit=OBJECT_VILLAGE, marker=f"答卷 #{rid}")
            return Call("POST", f"/console/reviews/{rid}", {"decision": "approve"}, unit=OBJECT_VILLAGE,
                        allowed=(303, 409))  # the county office reviews only after the township approved
        return call

    def field_sync() -> Call:  # the case is nobody's: every caller's update is refused on it, with a 200
        c = case()
        return Call("POST", "/api/v1/field/sync", scoped=False, json={"updates": [
            {"id": str(uuid.uuid4()), "case": c.id, "type": "visit", "at": "2026-05-01T09:00:00+08:00",
             "result": "no_contact"}]})

    return {
        "field_bundle": lambda: Call("GET", "/api/v1/field/bundle", scoped=False),
        "field_sync": field_sync,
        "field_device_logout": lambda: Call("DELETE", "/api/v1/field/devices/current", scoped=False, allowed=(204,)),
        "wave_list": lambda: Call("GET", "/console/waves", scoped=False),
        "wave_create": create,
        "wave_page": wave_call("/console/waves/{w}", marker="{name}"),
        "wave_rates": wave_call("/console/waves/{w}/rates.json", marker="RR1"),
        "wave_design": wave_call("/console/waves/{w}/design.json?survey=women", marker="psu"),
        "review_list": wave_call("/console/waves/{w}/review", marker="审核答卷"),
        "wave_sample": lambda: Call("POST", f"/console/waves/{wave(drawn=False, status='planning').id}/sample",
                                    allowed=(303,)),
        "wave_given": lambda: Call("POST", f"/console/waves/{wave(drawn=False, status='planning', allocation='given').id}"
                                           "/given", {f"n_{T}-rural": "2", f"n_{T}-urban": "0"}, allowed=(303,)),
        "wave_advance": lambda: Call("POST", f"/console/waves/{wave(status='planning').id}/advance", allowed=(303,)),
        "listing_page": listing("GET"),
        "listing_upload": listing("POST"),
        "case_list": lambda: Call("GET", "/console/cases", scoped=False),
        "case_page": on_case("", method="GET"),
        "case_visit": on_case("/visits", {"result": "no_contact"}),
        "case_respondent": on_case("/respondent", {"eligible": "2"}),
        "case_interview": on_case("/interview", eligible=1, p_person=1.0),
        "case_close": on_case("/close", {"disposition": "2.22"}),
        "case_assign": assign,
        "case_replace": replace,
        "case_correct": correct,
        "case_practice": lambda: Call("POST", "/console/cases/practice", scoped=False, allowed=(303, 409)),
        # a wave of T whose one village has no weighable interview: the evaluation is the wave's 422 problem
        "evaluation_page": wave_call("/console/waves/{w}/evaluation", allowed=(422,)),
        "evaluation_report": wave_call("/console/waves/{w}/evaluation/report.xlsx", allowed=(422,)),
        "api_evaluation": wave_call("/api/v1/evaluations/{w}", allowed=(422,)),
        "review_page": review("GET"),
        "review_post": review("POST"),
    }


def test_every_route_is_public_or_declares_a_verb_of_the_permission_table(app: Any) -> None:
    names = {r.name: verb_of(r) for r in app_routes(app)}
    unruled = sorted(n for n, verb in names.items() if verb is None and n not in PUBLIC_ROUTES)
    assert unruled == [], f"routes without a permission rule: {unruled}"
    assert all(verb in PERMISSIONS for verb in names.values() if verb is not None)
    assert not (PUBLIC_ROUTES & {n for n, verb in names.items() if verb}), "a public route must not need a verb"


def test_each_route_role_and_unit_is_allowed_exactly_as_the_permission_table_says(app: Any, cheap_hashes: None) -> None:
    ruled = sorted((r.name, verb) for r in app_routes(app) if (verb := verb_of(r)) is not None)
    wrong: list[str] = []
    with Session(app.state.engine, expire_on_commit=False) as session:
        calls = _calls(app, session)
        assert sorted(calls) == sorted(name for name, _ in ruled), "every ruled route needs a request here"
        for (name, verb), role, relation in itertools.product(ruled, staff.ROLES, RELATIONS):
            call = calls[name]()
            account = staff.add_staff(session, f"c{uuid.uuid4().hex[:12]}", PASSWORD, role, RELATIONS[relation])
            session.flush()
            _, secret = tokens.issue(session, account.id, "matrix", datetime.now(UTC))
            session.commit()
            with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as caller:
                r = caller.request(call.method, call.path, data=call.data, files=call.files, json=call.json,
                                   follow_redirects=False)
            grant = RELATIONS[relation]
            covers = is_under(call.unit, grant) or (call.overlap and is_under(grant, call.unit))
            may = role in PERMISSIONS[verb] and (not call.scoped or covers) and (call.collectors or role != "collector")
            sees = may and (covers or not call.marker)
            ok = r.status_code in (call.allowed if may else call.denied if role in PERMISSIONS[verb] else (404,))
            if call.marker:
                ok = ok and ((call.marker in r.text) == sees)
            if not ok:
                wrong.append(f"{name} {role} {relation}: {r.status_code} (expected {'allowed' if may else 'denied'})")
    assert wrong == [], "\n".join(wrong)
