"""Fieldwork's rules at every boundary: who sees which cases and listings, and broken input on every
fieldwork form (a clear catalogue code, nothing stored)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, func, select

from server.store import cases, listings, reviews, waves
from server.store.responses import Response
from tests.server import fieldkit as fk
from tests.server.robot import complete_answers
from tests.server.staffkit import COUNTY

TOWN_A, TOWN_B = "149901001000", "149901002000"


def _count(app: Any, table: Any) -> int:
    with Session(app.state.engine) as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


@pytest.fixture
def wave(app: Any, cheap_hashes: None) -> dict[str, Any]:
    """A wave in fieldwork with two listed villages in township A and one in township B, each with its collector."""
    with Session(app.state.engine) as session:
        villages = ["149901001001", "149901001002", "149901002202"]
        made = fk.seed_wave(session, COUNTY, villages)
        session.commit()
        wid = made.id
    for v in villages:
        fk.make_staff(app, f"zr{v[-6:]}", "collector", v)
    with fk.signed_in(app, "dudao_a", "supervisor", TOWN_A) as sup_a, fk.signed_in(app, "dudao_b", "supervisor", TOWN_B) as sup_b:
        for v in villages:
            assert fk.upload_listing(sup_a if v.startswith(TOWN_A[:9]) else sup_b, wid, v, fk.listing_csv(25)).status_code == 303
    return {"id": wid, "villages": villages}


def test_a_collector_sees_only_his_or_her_cases_and_never_another_villages_listing(app: Any, wave: dict[str, Any]) -> None:
    mine, other, far = wave["villages"]
    own = fk.cases_of(app, wave["id"], under=mine)
    theirs = fk.cases_of(app, wave["id"], under=other)
    fk.make_staff(app, "zr_second", "collector", mine)  # a second collector of the same village: assigned nothing
    with fk.signed_in(app, f"zr{mine[-6:]}", "collector", mine, make=False) as client:
        page = client.get("/console/cases").text
        assert all(f'/console/cases/{c.id}"' in page for c in own)
        assert 'href="/field/"' in page  # the offline app, for villages without signal
        assert not any(f'/console/cases/{c.id}"' in page for c in theirs)
        assert client.get(f"/console/cases/{own[0].id}").status_code == 200
        for case in theirs:
            assert client.get(f"/console/cases/{case.id}").status_code == 404
            assert fk.post(client, f"/console/cases/{case.id}/visits", result="no_contact").status_code == 404
        for village in (other, far):
            r = client.get(f"/console/waves/{wave['id']}/villages/{village}/listing")
            assert r.status_code == 404 and "号" not in r.text.split("</nav>")[-1]
        assert "1 组 1 号" in client.get(f"/console/waves/{wave['id']}/villages/{mine}/listing").text
    with fk.signed_in(app, "zr_second", "collector", mine, make=False) as second:
        assert second.get(f"/console/cases/{own[0].id}").status_code == 404
    with Session(app.state.engine) as session:
        assert cases.visits_of(session, theirs[0].id or 0) == []


def test_supervisors_see_only_their_township(app: Any, wave: dict[str, Any]) -> None:
    a1, a2, b1 = wave["villages"]
    in_b = fk.cases_of(app, wave["id"], under=b1)
    with fk.signed_in(app, "dudao_a", "supervisor", TOWN_A, make=False) as sup:
        listed = sup.get(f"/console/cases?wave={wave['id']}").text
        assert all(f'/console/cases/{c.id}"' in listed for c in fk.cases_of(app, wave["id"], under=TOWN_A))
        assert not any(f'/console/cases/{c.id}"' in listed for c in in_b)
        assert sup.get(f"/console/cases/{in_b[0].id}").status_code == 404
        assert fk.post(sup, f"/console/cases/{in_b[0].id}/assign", username=f"zr{b1[-6:]}").status_code == 404
        assert sup.get(f"/console/waves/{wave['id']}/villages/{b1}/listing").status_code == 404
        page = sup.get(f"/console/waves/{wave['id']}").text
        assert fk.text_of(page, ".totals li:first-child .big") == str(len(fk.cases_of(app, wave["id"], under=TOWN_A)))
        rates = sup.get(f"/console/waves/{wave['id']}/rates.json?by=village").json()
        assert {g["by"]["village"] for g in rates["groups"]} <= {a1, a2}
        assert sup.get(f"/console/waves/{wave['id']}/review").status_code == 200


def test_listings_never_reach_an_export(app: Any, wave: dict[str, Any]) -> None:
    case = fk.cases_of(app, wave["id"])[0]
    pub = app.state.catalog.current["women"]
    from server.store import responses

    with Session(app.state.engine) as session:
        responses.save_response(session, responses.prepare("women", pub.version_id, pub.number, case.instance_id,
                                                           case.village, complete_answers(pub.survey), "complete",
                                                           "case", None, None))
    with fk.signed_in(app, "pinggu", "evaluator", COUNTY) as evaluator:
        exported = evaluator.get(f"/console/exports/download?survey=women&unit={COUNTY}&format=csv").text
        assert case.instance_id in exported and "组" not in exported and "locator" not in exported
        assert evaluator.get(f"/console/waves/{wave['id']}/villages/{case.village}/listing").status_code == 404


def _state(app: Any) -> tuple[int, ...]:
    return tuple(_count(app, t) for t in (waves.Wave, waves.WaveVillage, listings.ListingEntry, cases.Case, cases.Visit,
                                          reviews.Review, Response))


@pytest.mark.parametrize(("fields", "code"), [
    ({"year": "二〇二六"}, "wave.field_invalid"), ({"villages": "1"}, "wave.field_invalid"),
    ({"rule": "dice"}, "wave.field_invalid"), ({"survey": ["nosuch"], "population_nosuch": "women18"}, "wave.survey_unknown"),
    ({"survey": []}, "wave.field_invalid"), ({"name": "  "}, "wave.field_invalid"),
    ({"unit": "149902000000"}, "wave.field_invalid"), ({"name": "2026 年中期评估"}, "wave.name_taken"),
])
def test_a_broken_wave_form_is_a_clear_error_and_stores_nothing(app: Any, cheap_hashes: None, fields: dict[str, Any],
                                                                 code: str) -> None:
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        assert fk.create_wave(admin).status_code == 303
        before = _state(app)
        r = fk.create_wave(admin, **{"name": "另一轮调查", **fields})
        assert r.status_code in (409, 422) and fk.problem_code(r.text) == code
        assert _state(app) == before


@pytest.mark.parametrize(("data", "finding"), [
    (b"no,where\n1,a\n", "列名"), (b"number,locator\n1,1 \xe7\xbb\x84\n1,2 \xe7\xbb\x84\n", "连续编号"),
    (b"number,locator\n1,13912345678\n2,b\n", "电话"), (b"number,locator\nx,a\n", "正整数"),
    (b"number,locator\n1,\n", "locator"), (b"\xff\xfe\x00", "UTF-8"), (b"number,locator\n", "没有住户"),
])
def test_a_broken_listing_is_refused_whole_and_stores_nothing(app: Any, cheap_hashes: None, data: bytes,
                                                               finding: str) -> None:
    with Session(app.state.engine) as session:
        wid = fk.seed_wave(session, COUNTY, ["149901001001"]).id
        session.commit()
    with fk.signed_in(app, "dudao", "supervisor", TOWN_A) as sup:
        before = _state(app)
        r = fk.upload_listing(sup, wid or 0, "149901001001", data)
        assert r.status_code == 422 and fk.problem_code(r.text) == "listing.invalid"
        assert finding in fk.text_of(r.text, "ul.findings")
        small = fk.upload_listing(sup, wid or 0, "149901001001", fk.listing_csv(1))
        assert small.status_code == 422 and fk.problem_code(small.text) == "listing.too_small"
        assert _state(app) == before and fk.sample(app, wid or 0)[0].listed is None


def test_broken_case_input_is_a_clear_error_and_changes_nothing(app: Any, wave: dict[str, Any]) -> None:
    village = wave["villages"][0]
    case, other = fk.cases_of(app, wave["id"], under=village)[:2]
    with fk.signed_in(app, f"zr{village[-6:]}", "collector", village, make=False) as client:
        before = _state(app)
        checks = [(f"/console/cases/{case.id}/respondent", {"eligible": "三"}, "case.input_invalid"),
                  (f"/console/cases/{case.id}/respondent", {"eligible": "99"}, "case.input_invalid"),
                  (f"/console/cases/{case.id}/visits", {"result": "gone"}, "case.input_invalid"),
                  (f"/console/cases/{case.id}/close", {"disposition": "9.99"}, "case.disposition_unknown"),
                  (f"/console/cases/{case.id}/close", {"disposition": "1.1"}, "case.needs_response"),
                  (f"/console/cases/{case.id}/interview", {}, "case.respondent_first")]
        for path, data, code in checks:
            r = fk.post(client, path, **data)
            assert r.status_code in (409, 422) and fk.problem_code(r.text) == code, (path, data)
        assert _state(app) == before
        assert fk.post(client, f"/console/cases/{other.id}/close", disposition="2.22").status_code == 303
        after = _state(app)
        again = fk.post(client, f"/console/cases/{other.id}/visits", result="no_contact")
        assert again.status_code == 409 and fk.problem_code(again.text) == "case.closed" and _state(app) == after
    with Session(app.state.engine) as session:
        row = waves.get_wave(session, wave["id"])
        assert row is not None
        row.status = "closed"
        session.add(row)
        session.commit()
    with fk.signed_in(app, f"zr{village[-6:]}", "collector", village, make=False) as client:
        r = fk.post(client, f"/console/cases/{case.id}/visits", result="no_contact")
        assert r.status_code == 409 and fk.problem_code(r.text) == "wave.closed" and _state(app) == after


def test_review_rules_two_levels_reasons_and_comments(app: Any, wave: dict[str, Any]) -> None:
    case = fk.cases_of(app, wave["id"])[0]
    pub = app.state.catalog.current["women"]
    from server.store import responses

    with Session(app.state.engine) as session:
        stored, _ = responses.save_response(session, responses.prepare(
            "women", pub.version_id, pub.number, case.instance_id, case.village, complete_answers(pub.survey),
            "complete", "case", None, None))
    path = f"/console/reviews/{stored.id}"
    with fk.signed_in(app, "dudao_a", "supervisor", TOWN_A, make=False) as sup, \
            fk.signed_in(app, "fuer", "admin", COUNTY) as office:
        before = _state(app)
        for who, data, code in [(office, {"decision": "approve"}, "review.level"),
                                (sup, {"decision": "reject"}, "review.input_invalid"),
                                (sup, {"decision": "return"}, "review.input_invalid"),
                                (sup, {"decision": "return", "comment_nosuch": "?"}, "review.input_invalid"),
                                (sup, {"decision": "maybe"}, "review.input_invalid")]:
            r = fk.post(who, path, **data)
            assert r.status_code in (409, 422) and fk.problem_code(r.text) == code, data
        assert _state(app) == before
        assert fk.post(sup, path, decision="return", comment_age="年龄与户籍登记不一致，请核实").status_code == 303
        with fk.signed_in(app, f"zr{case.village[-6:]}", "collector", case.village, make=False) as collector:
            assert "年龄与户籍登记不一致" in collector.get(f"/console/cases/{case.id}").text
        assert fk.post(sup, path, decision="approve").status_code == 303
        assert fk.post(sup, path, decision="approve").status_code == 409  # the township has decided
        assert fk.post(office, path, decision="reject", reason="与邻户答案完全相同").status_code == 303
        assert "已拒绝" in office.get(path).text


def test_practice_cases_never_reach_rates_weights_or_exports(app: Any, wave: dict[str, Any]) -> None:
    village = wave["villages"][0]
    with fk.signed_in(app, f"zr{village[-6:]}", "collector", village, make=False) as client:
        r = fk.post(client, "/console/cases/practice")
        assert r.status_code == 303
        practice_id = int(r.headers["location"].rsplit("/", 1)[1])
        assert "练习个案" in client.get(r.headers["location"]).text
        assert fk.post(client, f"/console/cases/{practice_id}/respondent", eligible="1").status_code == 303
        with Session(app.state.engine) as session:
            case = cases.get_case(session, practice_id)
            assert case is not None and case.practice
            from datetime import UTC, datetime

            from server.store import tokens

            instance = case.instance_id
            _, secret = tokens.issue(session, case.collector_id or 0, "平板", datetime.now(UTC))
            session.commit()
        pub = app.state.catalog.current["women"]
        body = {"instance_id": instance, "version": pub.number, "village": village,
                "answers": complete_answers(pub.survey)}
        assert client.post("/api/v1/surveys/women/responses", json=body,
                           headers={"Authorization": f"Bearer {secret}"}).status_code == 201
        assert fk.post(client, f"/console/cases/{practice_id}/close", disposition="1.1").status_code == 303
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        rates = admin.get(f"/console/waves/{wave['id']}/rates.json").json()
        assert rates["overall"]["counts"]["I"] == 0  # the practice complete is not counted
        exported = admin.get(f"/console/exports/download?survey=women&unit={COUNTY}&format=csv").text
        assert instance not in exported
        assert "没有完成访问" in admin.get(f"/console/waves/{wave['id']}").text  # no weights from it either


def test_a_correction_is_a_new_version_naming_the_one_it_supersedes(app: Any, wave: dict[str, Any]) -> None:
    from server.store import responses
    from tests.server.robot import Robot

    village = wave["villages"][0]
    case = fk.cases_of(app, wave["id"], under=village)[0]
    pub = app.state.catalog.current["women"]
    with Session(app.state.engine) as session:
        first, _ = responses.save_response(session, responses.prepare(
            "women", pub.version_id, pub.number, case.instance_id, village,
            complete_answers(pub.survey, {"age": 30}), "complete", "case", None, None))
    with fk.signed_in(app, "dudao_a", "supervisor", TOWN_A, make=False) as sup, \
            fk.signed_in(app, f"zr{village[-6:]}", "collector", village, make=False) as collector:
        refused = fk.post(collector, f"/console/cases/{case.id}/correct")
        assert refused.status_code == 409 and fk.problem_code(refused.text) == "case.not_returned"
        assert fk.post(sup, f"/console/reviews/{first.id}", decision="return", comment_age="年龄有误").status_code == 303
        r = fk.post(collector, f"/console/cases/{case.id}/correct")
        assert r.status_code == 303
        Robot(collector, pub.survey, {"age": 31}).walk(collector.get(r.headers["location"]))
        with Session(app.state.engine) as session:
            rows = list(responses.iter_responses(session, "women"))
        assert len(rows) == 2 and rows[0].answers["age"] == 30  # both kept
        newer = rows[1]
        assert newer.supersedes == first.id and newer.answers["age"] == 31 and newer.instance_id != case.instance_id
        assert newer.staff_id is not None and newer.channel == "case"
        queue = sup.get(f"/console/waves/{wave['id']}/review").text
        assert f"/console/reviews/{newer.id}" in queue and f"/console/reviews/{first.id}\"" not in queue
        assert "待审核" in collector.get(f"/console/cases/{case.id}").text
        assert fk.post(sup, f"/console/reviews/{newer.id}", decision="approve").status_code == 303
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        exported = admin.get(f"/console/exports/download?survey=women&unit={COUNTY}&format=csv").text
        assert newer.instance_id in exported and case.instance_id not in exported  # the latest version only


def test_an_id_too_large_for_the_database_names_nothing(app: Any, cheap_hashes: None) -> None:
    """PostgreSQL refuses to compare an integer key with a number past 2³¹ − 1: such an id is simply not found."""
    huge = 2**31
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        for path in (f"/console/waves/{huge}", f"/console/cases/{huge}", f"/console/reviews/{huge}",
                     f"/console/waves/{huge}/design.json", f"/console/exports/download?survey=women&wave={huge}"):
            r = admin.get(path)
            assert r.status_code == 404, (path, r.status_code)
        r = admin.get(f"/api/v1/results/women?wave={huge}&unit={COUNTY}")  # the API's documented bound
        assert r.status_code == 422 and r.json()["code"] == "request.invalid"
        assert fk.post(admin, f"/console/tokens/{huge}/revoke").status_code == 404
        assert fk.post(admin, f"/console/waves/{huge}/sample").status_code == 404
