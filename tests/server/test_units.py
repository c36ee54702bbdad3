"""The org-unit tree: the bundled county, `cunsheng units import` (idempotent, never deleting), and
one broken file per rule of ../shared/fieldwork/README.md §1, each refused whole with row and column."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from server.cli import main
from server.settings import ROOT
from server.store import units
from server.store.units import Population, Unit

COUNTY = ROOT / "server" / "data" / "county"
HEADER = "code,name,level,parent,urban_rural,households\n"
TOP = ("140000000000,示范省,province,,,\n149900000000,示范市,city,140000000000,,\n"
       "149901000000,示范县,county,149900000000,,\n149901001000,枣岭镇,township,149901000000,,\n")


def _snapshot(app: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with Session(app.state.engine) as session:
        return ([(u.code, u.name, u.level, u.parent, u.urban_rural, u.households)
                 for u in session.exec(select(Unit).order_by(Unit.code))],
                [(p.code, p.year, p.sex, p.age_group, p.count) for p in session.exec(select(Population).order_by(Population.id))])


@pytest.fixture
def cli_db(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUNSHENG_DATABASE_URL", app.state.engine.url.render_as_string(hide_password=False))


def test_the_bundled_county_is_the_default_tree(app: Any) -> None:
    with Session(app.state.engine) as session:
        rows = list(session.exec(select(Unit)))
        levels = [u.level for u in rows]
        assert levels.count("township") == 10 and levels.count("village") == 169
        assert [u.name for u in units.children(session, "149901000000")][0] == "枣岭镇"
        totals = units.population_totals(session, "149901000000")
        assert set(totals) == {(s, a) for s in units.SEXES for a in units.AGE_GROUPS} and sum(totals.values()) > 0
        village = units.find_village(session, "149901001205")
        assert village is not None and village.urban is False
        assert [u.level for u in units.ancestors(session, village)] == ["province", "city", "county", "township"]
        assert units.find_village(session, "149901001000") is None  # a township is not a village


def test_reimporting_the_county_changes_nothing(app: Any, cli_db: None, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(app)
    assert main(["units", "import", str(COUNTY / "units.csv"), "--population", str(COUNTY / "population.csv")]) == 0
    out = capsys.readouterr().out
    assert "新增 0 个单位，更新 0 个" in out and "人口新增 0 格，更新 0 格" in out
    assert _snapshot(app) == before


def test_a_changed_name_is_updated_and_missing_units_are_kept(app: Any, cli_db: None, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + TOP.replace("枣岭镇", "枣岭乡") + "149901001205,峪中村,village,149901001000,220,290\n",
                    encoding="utf-8")
    assert main(["units", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "更新 2 个" in out and "149901001001" in out  # the other villages are kept and listed
    with Session(app.state.engine) as session:
        assert units.get_unit(session, "149901001000").name == "枣岭乡"
        assert units.get_unit(session, "149901001205").households == 290
        assert units.village_count(session) == 169


BROKEN_UNITS = {
    "bad code": ("14990100120X,坏村,village,149901001000,220,10\n", 7, "code"),
    "not under its parent": ("149901002201,错村,village,149901001000,220,10\n", 7, "parent"),
    "missing parent": ("149901011201,孤村,village,149901011000,220,10\n", 7, "parent"),
    "duplicate code": ("149901001205,峪中村,village,149901001000,220,10\n149901001205,又一村,village,149901001000,220,5\n",
                       8, "code"),
    "unknown level": ("149901001207,新村,hamlet,149901001000,220,10\n", 7, "level"),
    "level that skips one": ("149901000000,示范县,county,149900000000,,\n", 5, "level"),
    "unknown urban-rural code": ("149901001207,新村,village,149901001000,230,10\n", 7, "urban_rural"),
    "urban-rural on a non-village row": ("149901002000,新镇,township,149901000000,220,\n", 7, "urban_rural"),
    "village without households": ("149901001207,新村,village,149901001000,220,\n", 7, "households"),
    "negative count": ("149901001207,新村,village,149901001000,220,-3\n", 7, "households"),
}


@pytest.mark.parametrize("rule", sorted(BROKEN_UNITS))
def test_a_broken_unit_file_is_refused_whole_naming_row_and_column(app: Any, cli_db: None, tmp_path: Path, rule: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text, row, column = BROKEN_UNITS[rule]
    top = TOP
    if rule == "level that skips one":  # a county directly under the province
        top = TOP.replace("149901000000,示范县,county,149900000000", "149901000000,示范县,county,140000000000")
        text = ""
    path = tmp_path / "units.csv"
    path.write_text(HEADER + top + "149901001206,西岔村,village,149901001000,220,1300\n" + text, encoding="utf-8")
    before = _snapshot(app)
    assert main(["units", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"units.csv 第 {row if rule != 'level that skips one' else 4} 行，{column} 列" in err, err
    assert "units.invalid" in err and _snapshot(app) == before  # not even the good row 西岔村 1300


BROKEN_POPULATION = {
    "unknown code": ("149901001299,2025,F,0-2,5\n", "code"),
    "unknown sex": ("149901001205,2025,X,0-2,5\n", "sex"),
    "unknown age group": ("149901001205,2025,F,0-4,5\n", "age_group"),
    "negative count": ("149901001205,2025,F,0-2,-1\n", "count"),
}


@pytest.mark.parametrize("rule", sorted(BROKEN_POPULATION))
def test_a_broken_population_file_is_refused_whole(app: Any, cli_db: None, tmp_path: Path, rule: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    text, column = BROKEN_POPULATION[rule]
    pop = tmp_path / "population.csv"
    pop.write_text("code,year,sex,age_group,count\n149901001205,2025,M,0-2,999\n" + text, encoding="utf-8")
    before = _snapshot(app)
    assert main(["units", "import", str(COUNTY / "units.csv"), "--population", str(pop)]) == 2
    err = capsys.readouterr().err
    assert f"population.csv 第 3 行，{column} 列" in err and _snapshot(app) == before


def test_a_file_without_the_right_header_or_at_all(app: Any, cli_db: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "units.csv"
    path.write_text("code,name\n1,x\n", encoding="utf-8")
    assert main(["units", "import", str(path)]) == 2 and "level 列" in capsys.readouterr().err
    assert main(["units", "import", str(tmp_path / "none.csv")]) == 2
    assert "units.file_missing" in capsys.readouterr().err


def test_the_bundled_county_with_a_bom_imports_into_an_empty_database(make_settings: Any, tmp_path: Path) -> None:
    from server.app import create_app

    folder = tmp_path / "county"
    folder.mkdir()
    shutil.copy(COUNTY / "population.csv", folder / "population.csv")
    (folder / "units.csv").write_bytes(b"\xef\xbb\xbf" + (COUNTY / "units.csv").read_bytes())
    settings = make_settings().model_copy(update={"units_csv": folder / "units.csv",
                                                   "population_csv": folder / "population.csv"})
    app = create_app(settings)
    with Session(app.state.engine) as session:
        assert units.village_count(session) == 169
    app.state.engine.dispose()
