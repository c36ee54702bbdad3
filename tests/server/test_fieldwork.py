"""A wave end to end through the HTTP interface, once per database: the sample, listings, household and
respondent selection, interviews (through the phone pages and a device's API posts), refusals,
non-contacts and ineligibles, two-level review with rejections, then rates, weights and the results
page, every number checked against a hand computation or the analysis room's pure functions."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session

from analysis.design.spec import Design
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.fieldwork import design as wave_design
from analysis.io.columns import from_frame
from analysis.sampling.respondent import kish_line, kish_table_for
from server.store import cases, tokens, units, waves
from tests.server import fieldkit as fk
from tests.server.robot import Robot, complete_answers
from tests.server.staffkit import COUNTY

PLAN = {0: ("2.11", "refused"), 1: ("2.22", "no_contact"), 2: ("4.70", "other")}  # by case index % 9


def _frame(app: Any) -> pd.DataFrame:
    with open(fk.UNITS_CSV, encoding="utf-8-sig") as f:
        frame = pd.read_csv(f, dtype=str)
    frame = frame[frame["level"] == "village"]
    frame["urban"] = frame["urban_rural"].isin(sorted(units.URBAN))
    frame["households"] = frame["households"].astype(int)
    return frame


def _check_sample(app: Any, wid: int) -> list[waves.WaveVillage]:
    """Stage 1 by hand: within each stratum, certainty villages have probability 1 and the others
    n'_h · M_i / M'_h; the expected sizes add up to the villages asked for."""
    drawn = fk.sample(app, wid)
    frame = _frame(app).set_index("code")
    assert len(drawn) == 20 and len({v.village for v in drawn}) == 20
    for row in drawn:
        if row.certainty:
            assert row.prob == 1.0 and row.stratum == row.village
    strata: dict[str, list[waves.WaveVillage]] = {}
    for row in drawn:
        strata.setdefault(row.stratum, []).append(row)
    sure = {row.village for row in drawn if row.certainty}
    for stratum, rows in strata.items():
        if rows[0].certainty:
            continue
        members = [c for c in frame.index if c not in sure and _stratum_of(c, frame, stratum)]
        sizes = frame.loc[members, "households"]
        for row in rows:
            assert row.prob == pytest.approx(len(rows) * sizes[row.village] / sizes.sum(), rel=1e-12)
    return drawn


def _stratum_of(code: str, frame: pd.DataFrame, stratum: str) -> bool:
    """Whether a village lies in a (possibly merged) township × 城乡 stratum id like `149901001000-urban`."""
    cells = set(stratum.split("+"))
    cell = f"{code[:9]}000-{'urban' if frame.loc[code, 'urban'] else 'rural'}"
    return cell in cells or any(c == f"{code[:9]}000" for c in cells)


def _interview_by_pages(client: Any, app: Any, case: cases.Case, age: int) -> None:
    r = fk.post(client, f"/console/cases/{case.id}/interview")
    assert r.status_code == 303
    survey = app.state.catalog.current[case.survey].survey
    robot = Robot(client, survey, {"age": age})
    robot.walk(client.get(r.headers["location"]))


def _interview_by_api(client: Any, app: Any, case: cases.Case, secret: str, age: int, health: int) -> None:
    survey = app.state.catalog.current[case.survey].survey
    body = {"instance_id": case.instance_id, "version": 1, "village": case.village,
            "answers": complete_answers(survey, {"age": age, "health_self": health})}
    r = client.post("/api/v1/surveys/women/responses", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 201, r.text


def _work_village(app: Any, wid: int, village: str, counter: list[int], planned: dict[int, str]) -> None:
    """The village's collector works every released case: respondent, interview or outcome, disposition."""
    with fk.signed_in(app, f"zr{village[-6:]}", "collector", village, make=False) as client:
        with Session(app.state.engine) as session:  # the collector's device token, for the API posts
            staff_id = next(c.collector_id for c in cases.cases_of(session, wid, under=village))
            _, secret = tokens.issue(session, staff_id or 0, "平板", datetime.now(UTC))
            session.commit()
        for case in fk.cases_of(app, wid, under=village):
            k = counter[0]
            counter[0] += 1
            code, result = PLAN.get(k % 9, ("1.1", "interviewed"))
            assert fk.post(client, f"/console/cases/{case.id}/visits", result=result).status_code == 303
            eligible = 0 if code == "4.70" else 1 + k % 3
            assert fk.post(client, f"/console/cases/{case.id}/respondent", eligible=str(eligible)).status_code == 303
            if code == "1.1":
                age = (25, 45, 70)[k % 3]
                if k < 2:
                    _interview_by_pages(client, app, case, age)
                else:
                    _interview_by_api(client, app, case, secret, age, 1 + (k * 7) % 5)
            r = fk.post(client, f"/console/cases/{case.id}/close", disposition=code)
            assert r.status_code == 303, fk.problem_code(r.text)
            planned[case.id or 0] = code


def _review(app: Any, wid: int, rejected: int = 2) -> set[int]:
    """Township approves all but the first `rejected` interviews (rejected), then the county approves."""
    with Session(app.state.engine) as session:
        done = [c for c in cases.cases_of(session, wid) if c.disposition == "1.1"]
    from server.store import responses as store

    with Session(app.state.engine) as session:
        ids = [store.by_instances(session, [c.instance_id])[c.instance_id].id for c in done]
    out: set[int] = set()
    with fk.signed_in(app, "dudao", "supervisor", COUNTY) as sup, fk.signed_in(app, "banshi", "admin", COUNTY) as office:
        for i, rid in enumerate(ids):
            if i < rejected:
                r = fk.post(sup, f"/console/reviews/{rid}", decision="reject", reason="答题时间过短，疑似未入户")
                out.add(rid or 0)
            else:
                r = fk.post(sup, f"/console/reviews/{rid}", decision="approve")
                assert r.status_code == 303
                r = fk.post(office, f"/console/reviews/{rid}", decision="approve")
            assert r.status_code == 303, fk.problem_code(r.text)
    return out


def _expected(app: Any, wid: int, rejected: set[int]) -> Any:
    """The estimate from the pure functions on the records the test made."""
    from server import wavedesign

    with Session(app.state.engine) as session:
        wave = waves.get_wave(session, wid)
        assert wave is not None
        frame = wavedesign.case_frame(session, app.state.catalog, wave, "women")
        pop = units.population_by_place(session, COUNTY)
    assert set(frame.loc[frame["response_id"].isin(rejected), "disposition"]) == {"2.30"}
    margin = {(age, ur): float(n) for (ur, sex, age), n in pop.items() if sex == "F" and age in ("18-34", "35-59", "60+")}
    done = wave_design.wave_design(frame, [wave_design.Margin(("age_group", "urban_rural"), margin)])
    data = done.respondents
    design = Design.from_json(done.design)
    request = Request("prop", "health_self", (), na="drop")  # a single choice: the share of each answer
    names = list(dict.fromkeys([*design.columns(), "health_self"]))
    return done, estimate(from_frame(data, names), design.resolve(list(data.columns)), request).records()


def test_a_wave_end_to_end_through_http(app: Any, cheap_hashes: None, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with fk.signed_in(app, "fuer", "admin", COUNTY) as admin:
        wid = fk.drawn_wave(admin)
        drawn = _check_sample(app, wid)
        for row in drawn:
            fk.make_staff(app, f"zr{row.village[-6:]}", "collector", row.village)
        with fk.signed_in(app, "zhendudao", "supervisor", COUNTY) as sup:
            for row in drawn:
                size = fk.households(row.village)
                assert fk.upload_listing(sup, wid, row.village, fk.listing_csv(size)).status_code == 303
        for case in fk.cases_of(app, wid, released_only=False):
            size = fk.households(case.village)
            assert case.p_household == pytest.approx(4 / size, rel=1e-12)
        assert len(fk.cases_of(app, wid)) == 80 and len(fk.cases_of(app, wid, released_only=False)) == 120
        counter, planned = [0], {}
        for row in drawn:
            _work_village(app, wid, row.village, counter, planned)
        for case in fk.cases_of(app, wid):
            if case.eligible:
                assert case.p_person == pytest.approx(1 / case.eligible)
                assert case.line == kish_line(kish_table_for(case.id or 0), case.eligible)
        rates = admin.get(f"/console/waves/{wid}/rates.json").json()
        counts = rates["overall"]["counts"]
        n_i = sum(code == "1.1" for code in planned.values())
        assert counts == {"I": n_i, "P": 0, "R": sum(c == "2.11" for c in planned.values()),
                          "NC": sum(c == "2.22" for c in planned.values()), "O": 0, "UH": 0, "UO": 0,
                          "NE": sum(c == "4.70" for c in planned.values())}
        assert rates["overall"]["RR1"] == pytest.approx(n_i / (80 - counts["NE"]))
        rejected = _review(app, wid)
        done, want = _expected(app, wid, rejected)
        assert len(done.respondents) == n_i - 2 and not set(done.respondents["response_id"]) & rejected
        got = admin.get(f"/api/v1/results/women?wave={wid}&unit={COUNTY}&q=health_self").json()
        overall = [r for r in got["rows"] if r["breakdown"] == "overall"]
        assert len(overall) == len(want) == 5
        for row, expected in zip(overall, want, strict=True):
            assert row["level"] == expected["level"] and row["n"] == expected["n"] == n_i - 2
            assert row["estimate"] == pytest.approx(expected["estimate"], rel=1e-9)
            assert row["se"] == pytest.approx(expected["se"], rel=1e-9)
            assert math.isfinite(row["se"]) and row["se"] > 0
        _same_from_the_cli(app, monkeypatch, capsys, overall)
        page = admin.get(f"/console/waves/{wid}").text
        assert "概率样本" in admin.get(f"/console/results/women?wave={wid}&unit={COUNTY}&q=health_self").text
        assert fk.text_of(page, ".totals li:nth-of-type(2) .big") == str(n_i)
        exported = pd.read_csv(io.StringIO(admin.get(f"/console/exports/download?survey=women&unit={COUNTY}&format=csv")
                                           .content.decode("utf-8-sig")))
        status = dict(zip(exported["response_id"], exported["review_status"], strict=True))
        assert {status[r] for r in rejected} == {"rejected"}  # kept, and exported with their status
        assert sum(v == "approved" for v in status.values()) == n_i - 2
        weights = np.asarray(done.respondents["weight"])
        assert weights.sum() == pytest.approx(sum(v for v in _women(app).values()), rel=0.05)
        _the_wave_export(app, admin, wid, done, rejected, overall, monkeypatch, capsys)


def _the_wave_export(app: Any, admin: Any, wid: int, done: Any, rejected: set[int], rows: list[dict[str, Any]],
                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The wave's export holds its weighted interviews with the design's columns; with the wave's design file,
    the file-based `cunsheng estimate` gives the results page's numbers; `cunsheng export --wave` writes the same."""
    from server.cli import main

    got = admin.get(f"/console/exports/download?survey=women&unit={COUNTY}&format=csv&wave={wid}")
    assert got.status_code == 200 and f"wave{wid}" in got.headers["content-disposition"]
    data = pd.read_csv(io.StringIO(got.content.decode("utf-8-sig")), dtype={"stratum": str, "psu": str})
    want = done.respondents.set_index("response_id")
    assert sorted(data["response_id"]) == sorted(want.index) and not set(data["response_id"]) & rejected
    for column in ("weight", "base_weight", "nr_weight", "cal_weight", "village", "household", "person"):
        source = column if "weight" in column else f"p_{column}"
        exported = data[column if "weight" in column else f"prob_{column}"].to_numpy()
        assert exported == pytest.approx(want.loc[data["response_id"], source].to_numpy(), rel=1e-12)
    with Session(app.state.engine) as session:
        listed = {v.village: v.listed for v in waves.sample_of(session, wid)}
        strata = {v.village: v.stratum for v in waves.sample_of(session, wid)}
        sure = {v.village for v in waves.sample_of(session, wid) if v.certainty}
    frame = _frame(app).set_index("code")
    for row in data.itertuples():
        village = str(row.village_code)
        assert row.fpc2 == listed[village] and row.fpc3 >= 1
        assert row.fpc1 == (listed[village] if village in sure
                            else sum(c not in sure and _stratum_of(c, frame, strata[village]) for c in frame.index))
    town = str(data["village_code"].iloc[0])[:9] + "000"
    part = pd.read_csv(io.StringIO(admin.get(f"/console/exports/download?survey=women&unit={town}&format=csv&wave={wid}")
                                   .content.decode("utf-8-sig")), dtype={"village_code": str})
    assert sorted(part["response_id"]) == sorted(data.loc[data["village_code"].astype(str).str.startswith(town[:9]),
                                                          "response_id"])
    design = admin.get(f"/console/waves/{wid}/design.json?survey=women").json()
    folder = app.state.settings.instance_dir
    (folder / "wave.csv").write_bytes(got.content)
    (folder / "wave.design.json").write_text(json.dumps(design), encoding="utf-8")
    capsys.readouterr()
    assert main(["estimate", str(folder / "wave.csv"), "--design", str(folder / "wave.design.json"), "--stat", "prop",
                 "--var", "health_self", "--na", "drop", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["estimates"]
    assert [e["estimate"] for e in printed] == pytest.approx([r["estimate"] for r in rows], rel=1e-9)
    assert [e["se"] for e in printed] == pytest.approx([r["se"] for r in rows], rel=1e-9)
    settings = app.state.settings
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUNSHENG_DEFINITIONS_DIR", str(settings.definitions_dir))
    monkeypatch.setenv("CUNSHENG_INSTANCE_DIR", str(settings.instance_dir))
    assert main(["export", "women", "--format", "parquet", "--out", str(folder / "wave.parquet"), "--wave",
                 "2026 年中期评估"]) == 0
    parquet = pd.read_parquet(folder / "wave.parquet")
    assert list(parquet.columns) == list(data.columns)
    assert parquet["weight"].to_numpy() == pytest.approx(data["weight"].to_numpy(), rel=1e-12)


def _same_from_the_cli(app: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                       rows: list[dict[str, Any]]) -> None:
    """`cunsheng estimate --survey women --wave NAME` prints the page's numbers."""
    from server.cli import main

    settings = app.state.settings
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUNSHENG_DEFINITIONS_DIR", str(settings.definitions_dir))
    monkeypatch.setenv("CUNSHENG_INSTANCE_DIR", str(settings.instance_dir))
    capsys.readouterr()
    assert main(["estimate", "--survey", "women", "--wave", "2026 年中期评估", "--unit", COUNTY, "--stat", "prop",
                 "--var", "health_self", "--na", "drop", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)["estimates"]
    assert [e["estimate"] for e in printed] == pytest.approx([r["estimate"] for r in rows], rel=1e-12)
    assert [e["se"] for e in printed] == pytest.approx([r["se"] for r in rows], rel=1e-12)


def _women(app: Any) -> dict[tuple[str, str], int]:
    with Session(app.state.engine) as session:
        pop = units.population_by_place(session, COUNTY)
    return {(ur, age): n for (ur, sex, age), n in pop.items() if sex == "F" and age in ("18-34", "35-59", "60+")}
