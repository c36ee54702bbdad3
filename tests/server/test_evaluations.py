"""Indicators against targets on the synthetic county (acceptance 3 of issue 15), once per database: two
waves (基线 2022, 中期评估 2024) made and drawn through the console's forms, their interviews seeded
through the store (HTTP would take minutes for 500 interviews) with a known truth per indicator and a
planted decline of regular exercise between the waves; then `GET /api/v1/evaluations/{wave}` with an
upper level's bearer token, every status checked against the contract's rule on its own interval,
the decline warned about, the console page and its report pack downloads, `GET /api/v1/indicators`,
and each input path and role boundary."""

from __future__ import annotations

import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from analysis.evaluation.status import z_value
from server.store import audit, responses, staff, tokens, waves
from tests.server import fieldkit as fk
from tests.server.robot import complete_answers
from tests.server.staffkit import COUNTY, PASSWORD, TOWNSHIP, VILLAGE_UNIT

# the share of women exercising 3+ days a week and knowing the mood item, by wave year: the truth
TRUTH = {2022: {"exercise": 0.70, "mood": 0.60}, 2024: {"exercise": 0.40, "mood": 0.60}}
PER_VILLAGE, LISTED = 14, 70
EXERCISE, MOOD = "W-EXERCISE-GE50-2025", "W-MENTAL-KNOW-UP-2025"


def _seed_interviews(app: Any, wid: int, year: int, rng: np.random.Generator) -> int:
    """Every sampled village listed and PER_VILLAGE households interviewed, answers drawn from TRUTH."""
    pub = app.state.catalog.current["women"]
    done = 0
    with Session(app.state.engine) as session:
        wave = waves.get_wave(session, wid)
        assert wave is not None
        for row in waves.sample_of(session, wid):
            waves.mark_listed(session, row, LISTED)
            for k in range(PER_VILLAGE):
                eligible = 1 + k % 3
                case = fk.seed_case(session, wave, row.village, p_village=row.prob, p_household=PER_VILLAGE / LISTED,
                                    eligible=eligible, p_person=1 / eligible, status="closed", disposition="1.1",
                                    closed_at=datetime.now(UTC))
                truth = TRUTH[year]
                answers = complete_answers(pub.survey, {
                    "age": int(rng.integers(18, 80)),
                    "exercise_days": int(rng.integers(3, 8)) if rng.random() < truth["exercise"] else int(rng.integers(0, 3)),
                    "hk_mood": 1 if rng.random() < truth["mood"] else 2})
                responses.save_response(session, responses.prepare("women", pub.version_id, pub.number, case.instance_id,
                                                                   row.village, answers, "complete", "case", None, None))
                done += 1
        session.commit()
    return done


def _upper_token(app: Any) -> str:
    """An upper level's system: a viewer account on the county with an API token."""
    with Session(app.state.engine) as session:
        account = staff.add_staff(session, "shiji-xitong", PASSWORD, "viewer", COUNTY)
        session.flush()
        _, secret = tokens.issue(session, account.id or 0, "市级系统", datetime.now(UTC))
        session.commit()
    return secret


def expected_status(e: dict[str, Any], z: float) -> str:
    """design/evaluation.md's status rule applied to the entry's own interval (or its change's)."""
    op, v, t = e["target"]["op"], e["target"]["value"], e["target"].get("tolerance")
    low, high = e["ci_low"], e["ci_high"]
    if op == "qual":
        return "不适用"
    if e["suppressed"]:
        return "无法判断"
    if op in ("up", "down"):
        if e.get("change") is None:
            return "无法判断"
        c_low, c_high = e["change"] - z * e["change_se"], e["change"] + z * e["change_se"]
        if (c_low > 0 if op == "up" else c_high < 0):
            return "达标"
        return "未达标" if (c_high < 0 if op == "up" else c_low > 0) else "无法判断"
    if op == "~":
        return "达标" if v - t <= low and high <= v + t else "未达标" if high < v - t or low > v + t else "无法判断"
    if op in (">=", "=", ">"):  # "=" is read as ">=" (达到/保持/全覆盖)
        met = low > v if op == ">" else low >= v
        return "达标" if met else "未达标" if (high <= v if op == ">" else high < v) else "无法判断"
    met = high < v if op == "<" else high <= v
    return "达标" if met else "未达标" if (low >= v if op == "<" else low > v) else "无法判断"


def _two_waves(app: Any) -> tuple[dict[int, int], str]:
    """The two waves of the bundled county with their interviews, and the upper level's token."""
    rng = np.random.default_rng(2024)
    ids = {}
    with fk.signed_in(app, "admin1", "admin", COUNTY) as admin:
        for year, stage, name in ((2022, "baseline", "2022 年基线调查"), (2024, "midterm", "2024 年中期评估")):
            ids[year] = fk.drawn_wave(admin, name=name, stage=stage, year=str(year), villages=20, seed=year)
            assert _seed_interviews(app, ids[year], year, rng) == 20 * PER_VILLAGE
    return ids, _upper_token(app)


@pytest.mark.slow
def test_two_waves_end_to_end(app: Any, cheap_hashes: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ids, secret = _two_waves(app)
    _statuses_follow_the_rule_and_the_decline_is_warned(app, ids, secret)
    _the_console_page_and_its_report_pack(app, ids)
    _scope(app, ids)
    _bad_requests_change_nothing(app, ids, secret)
    _a_failed_pack_is_a_problem_and_leaves_nothing(app, ids, secret, monkeypatch)


def _statuses_follow_the_rule_and_the_decline_is_warned(app: Any, ids: dict[int, int], secret: str) -> None:
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as upper:
        r = upper.get(f"/api/v1/evaluations/{ids[2024]}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["unit"], doc["year"], doc["baseline"]["wave"], doc["baseline"]["year"]) == (COUNTY, 2024, ids[2022], 2022)
    z = z_value(doc["level"])
    totals = [e for e in doc["indicators"] if e["breakdown"] is None]
    assert len(totals) > 20 and {e["breakdown"] for e in doc["indicators"]} >= {"age_group", "urban_rural", "township_code"}
    assert "sex" not in {e["breakdown"] for e in doc["indicators"]}  # women only: a single level is dropped
    for e in doc["indicators"]:
        assert e["status"] == expected_status(e, z), e
    skipped = {k["code"] for s in doc["surveys"] for k in s["skipped"]}  # e.g. the housework gaps: no partner asked
    assert skipped and not skipped & {e["code"] for e in doc["indicators"]}
    by_code = {e["code"]: e for e in totals}
    exercise, mood = by_code[EXERCISE], by_code[MOOD]
    for e, truth in ((exercise, TRUTH[2024]["exercise"]), (mood, TRUTH[2024]["mood"])):
        assert abs(e["estimate"] - 100 * truth) < 4 * e["se"], e  # the known truth
    assert exercise["change"] < -3 * exercise["change_se"] and exercise["change_method"] == "independent"
    assert "波动较大" in exercise["warnings"] and "预计达标困难" in exercise["warnings"]
    assert exercise["projected"] == pytest.approx(exercise["estimate"] + exercise["change"] * 0.5)
    assert "波动较大" not in mood["warnings"] and abs(mood["change"]) < 4 * mood["change_se"]
    assert {(g["code"], g["breakdown"]) for g in doc["gaps"]} >= {(EXERCISE, "urban_rural")}


def _the_console_page_and_its_report_pack(app: Any, ids: dict[int, int]) -> None:
    import openpyxl

    with fk.signed_in(app, "pinggu1", "evaluator", COUNTY) as evaluator:
        page = evaluator.get(f"/console/waves/{ids[2024]}/evaluation")
        assert page.status_code == 200 and "预计达标困难" in page.text and "status-unmet" in page.text
        assert f"/console/waves/{ids[2024]}/evaluation" in evaluator.get(f"/console/waves/{ids[2024]}").text
        xlsx = evaluator.get(f"/console/waves/{ids[2024]}/evaluation/report.xlsx")
        html = evaluator.get(f"/console/waves/{ids[2024]}/evaluation/report.html")
    assert xlsx.status_code == 200 and "report.xlsx" in xlsx.headers["content-disposition"]
    assert _report_folders() == 0  # built in a temporary folder, deleted once sent
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert EXERCISE in {row[1] for row in book["指标"].iter_rows(min_row=2, values_only=True)}
    book.close()
    with fk.signed_in(app, "chakan1", "viewer", COUNTY) as viewer:  # no fieldwork pages: reached from 加权结果
        assert f"/console/waves/{ids[2024]}/evaluation" in viewer.get("/console/results").text
        assert viewer.get(f"/console/waves/{ids[2024]}/evaluation").status_code == 200
    with fk.signed_in(app, "zr2", "collector", VILLAGE_UNIT) as collector:
        assert collector.get(f"/console/waves/{ids[2024]}/evaluation").status_code == 404
    assert html.status_code == 200 and "2024 年中期评估" in html.text and "预计达标困难" in html.text
    assert "2022 年基线调查" in html.text  # the baseline in the methods appendix


def test_the_indicator_list_has_every_bundled_definition(app: Any) -> None:
    secret = _upper_token(app)
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as upper:
        found = upper.get("/api/v1/indicators").json()
    with TestClient(app, headers={"Authorization": "Bearer csk_nonsense"}) as stranger:
        assert stranger.get("/api/v1/indicators").status_code == 401
    assert len(found) == 180 and len({i["code"] for i in found}) == 180
    exercise = next(i for i in found if i["code"] == EXERCISE)
    assert exercise["survey"] == "women" and exercise["target"] == {"op": ">=", "value": 50.0, "year": 2025, "tolerance": None}
    assert exercise["plan"][0]["row_id"] == "000:71.1" and exercise["plan"][0]["domain"]


def _scope(app: Any, ids: dict[int, int]) -> None:
    """A township supervisor sees the township's part only; a village's cells only its own roles."""
    other = "149901002000"
    with fk.signed_in(app, "dudao1", "supervisor", TOWNSHIP) as supervisor:
        own = supervisor.get(f"/api/v1/evaluations/{ids[2024]}")
        assert supervisor.get(f"/api/v1/evaluations/{ids[2024]}?unit={COUNTY}").status_code == 404
        assert supervisor.get(f"/api/v1/evaluations/{ids[2024]}?unit={other}").status_code == 404
        assert supervisor.get(f"/api/v1/evaluations/{ids[2024]}?unit={VILLAGE_UNIT}").status_code == 404  # a village's own
        assert supervisor.get(f"/console/waves/{ids[2024]}/evaluation/report.xlsx?unit={other}").status_code == 404
    assert own.status_code in (200, 422), own.text
    if own.status_code == 200:
        assert own.json()["unit"] == TOWNSHIP
        assert "township_code" not in {e["breakdown"] for e in own.json()["indicators"]}
    with fk.signed_in(app, "zr1", "collector", VILLAGE_UNIT) as collector:
        assert collector.get(f"/api/v1/evaluations/{ids[2024]}").status_code == 404


def _bad_requests_change_nothing(app: Any, ids: dict[int, int], secret: str) -> None:
    with fk.signed_in(app, "admin2", "admin", COUNTY) as admin:
        undrawn = fk.wave_id(fk.create_wave(admin, name="2025 年年度监测", stage="annual", year="2025", villages=4))
    with Session(app.state.engine) as session:
        before = (len(waves.list_waves(session)), audit_rows(session), _report_folders())
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as upper:
        assert upper.get("/api/v1/evaluations/999999").json()["code"] == "not_found"
        assert upper.get("/api/v1/evaluations/99999999999").status_code == 404
        bad = upper.get(f"/api/v1/evaluations/{ids[2024]}?unit=12ab")
        assert (bad.status_code, bad.json()["code"]) == (422, "results.bad_unit")
        assert upper.get(f"/api/v1/evaluations/{ids[2024]}?unit=149902000000").status_code == 404
        assert upper.get(f"/console/waves/{ids[2024]}/evaluation/report.doc").status_code == 404
        r = upper.get(f"/api/v1/evaluations/{undrawn}")
        assert (r.status_code, r.json()["code"]) == (422, "results.no_wave_weights")
        assert upper.get(f"/console/waves/{undrawn}/evaluation/report.pdf").status_code == 422
    with Session(app.state.engine) as session:
        assert (len(waves.list_waves(session)), audit_rows(session), _report_folders()) == before


def _a_failed_pack_is_a_problem_and_leaves_nothing(app: Any, ids: dict[int, int], secret: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from analysis.report import pdf

    monkeypatch.setattr(pdf, "chromium_path", lambda: None)
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as upper:
        r = upper.get(f"/console/waves/{ids[2024]}/evaluation/report.xlsx")
    assert r.status_code == 503 and fk.problem_code(r.text) == "results.report_failed" and "chromium" in r.text
    assert _report_folders() == 0


def _report_folders() -> int:
    """Report packs built for a download and not yet deleted."""
    return len(list(Path(tempfile.gettempdir()).glob("cunsheng-report-*")))


def audit_rows(session: Session) -> int:
    return len(audit.entries(session))


def test_the_openapi_document_describes_the_upward_api(client: Any) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    evaluation, indicators = paths["/api/v1/evaluations/{wave}"]["get"], paths["/api/v1/indicators"]["get"]
    assert evaluation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EvaluationOut"}
    assert "results.no_wave_weights" in evaluation["responses"]["422"]["description"]
    assert "not_found" in evaluation["responses"]["404"]["description"]
    assert "达标" in evaluation["description"] and "指标代码" in indicators["description"]
    assert [p["name"] for p in evaluation["parameters"]] == ["wave", "unit"]
