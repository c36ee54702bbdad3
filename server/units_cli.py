"""`cunsheng units import UNITS.csv [--population POP.csv]`: the org-unit tree into the database.

Every problem of a broken file is printed (file, row, column, what to fix) and nothing is stored;
a good file is stored in one transaction and reported (added, updated, unchanged, kept). Audited.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlmodel import Session

from server.db import make_engine, migrate
from server.settings import Settings
from server.startup_errors import StartErr
from server.store import audit
from server.units_import import UnitsInvalid, import_files
from surveys.problem import Problem


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cunsheng units", description="行政区划（单位树）")
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="导入单位文件（及人口文件）")
    imp.add_argument("units", type=Path, help="units.csv")
    imp.add_argument("--population", type=Path, help="population.csv")
    args = parser.parse_args(argv)
    engine = make_engine(Settings().database_url)
    try:
        for path in (args.units, args.population):
            if path is not None and not path.is_file():
                raise Problem(StartErr.UNITS_MISSING, path=path)
        migrate(engine)
        with Session(engine) as session:
            stats = import_files(session, args.units, args.population)
            audit.record(session, "cli", None, "units.import", "unit", args.units.name, None,
                         {k: v for k, v in stats.items() if k != "kept"} | {"kept": len(stats["kept"])})  # type: ignore[arg-type]
            session.commit()
        print(f"导入完成：新增 {stats['added']} 个单位，更新 {stats['updated']} 个，未变 {stats['unchanged']} 个；"
              f"人口新增 {stats['population_added']} 格，更新 {stats['population_updated']} 格。")
        kept = stats["kept"]
        if kept:
            print(f"文件中没有、但数据库中保留的单位（不会删除）：{', '.join(kept)}")  # type: ignore[arg-type]
        return 0
    except UnitsInvalid as exc:
        for finding in exc.findings:
            print(f"cunsheng units: {finding.line()}", file=sys.stderr)
        print(f"cunsheng units: 错误 {exc.line()}", file=sys.stderr)
        return exc.status
    except Problem as exc:
        print(f"cunsheng units: 错误 {exc.line()}", file=sys.stderr)
        return exc.status
    finally:
        engine.dispose()
