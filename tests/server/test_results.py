"""Weighted results pages: post-stratified self-completed responses, scoped by unit, with JSON/CSV
twins, a design file that reproduces the page with `cunsheng estimate`, and the --survey CLI."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session

from server import frames
from server.cli import main as cli_main
from server.store import responses
from server.store.units import population_by_place
from surveys.frame import to_pandas
from tests.server.robot import complete_answers
from tests.server.staffkit import COUNTY, make_staff, sign_in

TOWN_A, TOWN_B = "149901001000", "149901002000"
URBAN_A, RURAL_A, RURAL_B = "149901001001", "149901001205", "149901002200"


def seed(app: Any, village: str, n: int, seed_: int = 0, channel: str = "web", survey: str = "women") -> None:
    """`n` women's responses in `village` with varied ages and answers (reproducible)."""
    rng = np.random.default_rng(seed_)
    pub = app.state.catalog.current[survey]
    base = complete_answers(pub.survey)
    with Session(app.state.engine) as session:
        for _ in range(n):
            answers = {**base, "age": int(rng.choice([25, 45, 70], p=[0.45, 0.4, 0.15])),
                       "health_self": int(rng.integers(1, 6)), "exercise_days": int(rng.integers(0, 8))}
            responses.save_response(session, responses.prepare(survey, pub.version_id, pub.number, str(uuid.uuid4()),
                                                               village, answers, "complete", channel, None, None))


def seeded(app: Any) -> None:
    seed(app, URBAN_A, 60, 1)
    seed(app, RURAL_A, 70, 2)
    seed(app, RURAL_B, 45, 3)
    seed(app, RURAL_B, 7, 4, channel="api")  # staff-collected: not in the self-completed pool


def admin(app: Any, client: Any, role: str = "admin", unit: str = COUNTY) -> None:
    name = f"{role}{uuid.uuid4().hex[:6]}"
    make_staff(app, name, role, unit)
    sign_in(client, name)


def test_the_results_page_shows_weighted_estimates_by_default_breakdowns_with_the_note(app: Any, client: Any) -> None:
    seeded(app)
    admin(app, client)
    r = client.get("/console/results/women", params={"unit": COUNTY, "q": "health_self"})
    assert r.status_code == 200, r.text
    soup = BeautifulSoup(r.text, "html.parser")
    assert "非概率样本，按人口结构事后加权" in soup.get_text()
    headings = [h.get_text() for h in soup.select("h3")]
    assert headings[:4] == ["总体", "年龄组", "城乡", "乡镇"]  # no 性别: the women's questionnaire has one sex
    assert soup.select_one("img.chart")["src"].startswith("/console/results/women/chart.svg?")
    assert soup.select("select[name=q] option[selected]")[0]["value"] == "health_self"
    links = {a.get_text(): a["href"] for a in soup.select(".downloads a")}
    assert set(links) == {"JSON", "CSV", "设计文件（design.json）"}
    chart = client.get(soup.select_one("img.chart")["src"])
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.lstrip().startswith("<?xml") and "<svg" in chart.text


def test_small_cells_are_merged_and_listed_and_thin_cells_are_a_dash_with_a_footnote(app: Any, client: Any) -> None:
    seed(app, URBAN_A, 40, 1)
    seed(app, RURAL_A, 12, 2)
    admin(app, client)
    doc = client.get("/api/v1/results/women", params={"unit": TOWN_A, "q": "health_self"}).json()
    assert doc["merges"] and all("少于 10 份" in m for m in doc["merges"])
    page = BeautifulSoup(client.get("/console/results/women", params={"unit": TOWN_A, "q": "health_self"}).text,
                         "html.parser")
    assert [li.get_text() for li in page.select("ul.merges li")] == doc["merges"]
    thin = [r for r in doc["rows"] if r["n"] < 30]
    assert thin and not any(r["shown"] for r in thin)
    assert "—" in page.select("table.results")[0].get_text() or any(not r["shown"] for r in doc["rows"])
    assert "少于 30 份" in page.select_one(".footnote").get_text()


def _weighted_frame(app: Any, unit: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame of server/frames.py for the unit, the web rows with the weight columns the page used."""
    frame = frames.frame_for(app.state.catalog, "women")
    with Session(app.state.engine) as session:
        data = to_pandas(frame, (r for b in frames.frame_rows(session, app.state.catalog, frame,
                                                              frames.Filters(under=unit)) for r in b))
    return data, {}


@pytest.mark.parametrize("q, stat", [("health_self", "prop"), ("exercise_days", "mean")])
def test_the_page_numbers_equal_cunsheng_estimate_on_a_parquet_file_with_the_offered_design(
        app: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], q: str, stat: str) -> None:
    seeded(app)
    admin(app, client)
    page = client.get("/api/v1/results/women", params={"unit": COUNTY, "q": q}).json()
    design = client.get("/console/results/women/design.json", params={"unit": COUNTY})
    assert design.status_code == 200 and "attachment" in design.headers["content-disposition"]
    (tmp_path / "design.json").write_text(design.text, encoding="utf-8")
    data, _ = _weighted_frame(app, COUNTY)
    pool = data[data["channel"] == "web"].reset_index(drop=True)
    cells = {row["poststratum"]: row["Freq"] for row in design.json()["calibration"]["population"]}
    # the weight columns, as the page computed them: N_cell / n_cell of each row's merged cell
    key = pool["age_group"].astype(str) + ":" + pool["urban_rural"].astype(str)
    label = {c: s for s in cells for c in s.split("|")}
    pool["poststratum"] = key.map(label)
    pool["weight"] = pool["poststratum"].map(cells) / pool["poststratum"].map(pool["poststratum"].value_counts())
    pool.to_parquet(tmp_path / "frame.parquet")
    for by in ("", "age_group", "urban_rural", "township"):
        argv = ["estimate", str(tmp_path / "frame.parquet"), "--design", str(tmp_path / "design.json"),
                "--stat", stat, "--var", q, "--na", "drop", "--json", *(["--by", by] if by else [])]
        assert cli_main(argv) == 0
        cli = json.loads(capsys.readouterr().out)["estimates"]
        rows = [r for r in page["rows"] if r["breakdown"] == (by or "overall")]
        assert len(rows) == len(cli)
        for mine, theirs in zip(sorted(rows, key=_key), sorted(cli, key=lambda e: _key(_flat(e, by))), strict=True):
            for name in ("estimate", "se", "ci_low", "ci_high", "n"):
                assert mine[name] == pytest.approx(theirs[name], rel=1e-9), (by, name)


def _flat(entry: dict[str, Any], by: str) -> dict[str, Any]:
    return {"group": entry["domain"].get(by) if by else None, "level": entry["level"]}


def _key(row: dict[str, Any]) -> tuple[str, float]:
    return str(row["group"]), float(row["level"]) if row["level"] is not None else 0.0


def test_weights_reproduce_the_units_population_margins(app: Any, client: Any) -> None:
    seeded(app)
    admin(app, client)
    design = client.get("/console/results/women/design.json", params={"unit": TOWN_A}).json()
    total = sum(row["Freq"] for row in design["calibration"]["population"])
    with Session(app.state.engine) as session:
        expected = sum(n for (ur, sex, age), n in population_by_place(session, TOWN_A).items()
                       if sex == "F" and age in ("18-34", "35-59", "60+"))
    assert total == expected


@pytest.mark.parametrize("role, allowed", [("admin", True), ("evaluator", True), ("supervisor", True),
                                           ("viewer", True), ("collector", False)])
def test_results_for_township_a_use_only_township_a_and_outside_the_subtree_is_404(
        app: Any, client: Any, role: str, allowed: bool) -> None:
    seeded(app)
    admin(app, client, role, TOWN_A)
    mine = client.get("/api/v1/results/women", params={"unit": TOWN_A, "q": "health_self"})
    assert mine.status_code == (200 if allowed else 404)
    for unit in (TOWN_B, COUNTY, RURAL_B):
        assert client.get("/api/v1/results/women", params={"unit": unit}).status_code == 404
        assert client.get("/console/results/women", params={"unit": unit}).status_code == 404
        assert client.get("/console/results/women/design.json", params={"unit": unit}).status_code == 404
    if allowed:
        rows = mine.json()["rows"]
        assert {r["group"] for r in rows if r["breakdown"] == "township"} <= {"枣岭镇"}
        assert max(r["n"] for r in rows) == 130  # township A's web responses only (60 + 70)
        assert client.get("/console/results/women").status_code == 200  # the caller's own unit by default


@pytest.mark.parametrize("params, code, status", [
    ({"q": "nope"}, "results.unknown_variable", 422),
    ({"unit": "12ab"}, "results.bad_unit", 422),
    ({"format": "xlsx"}, "results.bad_format", 422),
    ({"unit": "149901999000"}, "not_found", 404),
])
def test_bad_query_parameters_are_a_clear_chinese_problem(app: Any, client: Any, params: dict[str, str], code: str,
                                                          status: int) -> None:
    seeded(app)
    admin(app, client)
    r = client.get("/api/v1/results/women", params=params)
    assert r.status_code == status and r.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["message"])
    page = client.get("/console/results/women", params={k: v for k, v in params.items() if k != "format"})
    assert page.status_code == (status if "format" not in params else 200)
    assert client.get("/console/results/nosuch").status_code == 404


def test_the_csv_twin_is_the_same_table_with_a_bom(app: Any, client: Any) -> None:
    seeded(app)
    admin(app, client)
    doc = client.get("/api/v1/results/women", params={"q": "exercise_days"}).json()
    text = client.get("/api/v1/results/women", params={"q": "exercise_days", "format": "csv"}).content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(rows) == len(doc["rows"]) and rows[0]["breakdown_label"] == "总体"
    assert float(rows[0]["estimate"]) == pytest.approx(doc["rows"][0]["estimate"])


def test_a_questionnaire_without_responses_says_so(app: Any, client: Any) -> None:
    admin(app, client)
    r = client.get("/console/results/child")
    assert r.status_code == 200 and "暂无结果" in r.text


def test_the_survey_cli_gives_the_pages_numbers_from_the_database(app: Any, client: Any, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    seeded(app)
    admin(app, client)
    page = client.get("/api/v1/results/women", params={"unit": TOWN_A, "q": "health_self"}).json()
    settings = app.state.settings
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUNSHENG_DEFINITIONS_DIR", str(settings.definitions_dir))
    monkeypatch.setenv("CUNSHENG_INSTANCE_DIR", str(settings.instance_dir))
    assert cli_main(["estimate", "--survey", "women", "--unit", TOWN_A, "--stat", "prop", "--var", "health_self",
                     "--by", "urban_rural", "--na", "drop", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = sorted((r for r in page["rows"] if r["breakdown"] == "urban_rural"), key=_key)
    cli = sorted(out["estimates"], key=lambda e: _key(_flat(e, "urban_rural")))
    assert [r["estimate"] for r in rows] == pytest.approx([e["estimate"] for e in cli], rel=1e-12)


@pytest.mark.parametrize("argv", [
    ["--survey", "women", "--stat", "prop"],
    ["--survey", "women", "--stat", "prop", "--var", "nope", "--json"],
    ["--survey", "nosuch", "--stat", "mean", "--var", "age"],
    ["--survey", "women", "--stat", "mean", "--var", "age", "--wave", "w1"],
    ["--survey", "women", "--stat", "prop", "--var", "health_self", "--bogus"],
])
def test_the_survey_cli_with_bad_flags_exits_2_with_one_line(app: Any, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    seeded(app)
    settings = app.state.settings
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CUNSHENG_DEFINITIONS_DIR", str(settings.definitions_dir))
    monkeypatch.setenv("CUNSHENG_INSTANCE_DIR", str(settings.instance_dir))
    assert cli_main(["estimate", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("cunsheng estimate: 错误")
