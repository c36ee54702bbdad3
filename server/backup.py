"""`cunsheng backup OUT` and `cunsheng restore IN [--force]`: the whole database, to a file and back.

SQLite (the embedded default) uses its online backup API, so a running server keeps answering while
the copy is taken; PostgreSQL uses `pg_dump --format=custom` and `pg_restore --clean`. A backup
never overwrites a file; a restore over a database that holds responses needs `--force`. Both are
audited (the restore's row is written into the restored database, after it).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from server.db import make_engine, migrate, normalise_url
from server.settings import Settings
from server.startup_errors import StartErr
from server.store import audit, responses
from surveys.problem import Problem

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[1]


def _pg_url(url: str) -> str:
    """A libpq URL (no SQLAlchemy driver suffix) for pg_dump / pg_restore."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _run(tool: str, args: list[str]) -> None:
    if shutil.which(tool) is None:
        raise Problem(StartErr.BACKUP_FAILED, tool=tool, reason="找不到该程序，请安装 PostgreSQL 客户端（postgresql-client）")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Problem(StartErr.BACKUP_FAILED, tool=tool, reason=(done.stderr.strip().splitlines() or ["?"])[-1][:200])


def backup(url: str, out: Path) -> None:
    if out.exists():
        raise Problem(StartErr.BACKUP_EXISTS, path=out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        source, target = sqlite3.connect(_sqlite_path(url)), sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    _run("pg_dump", ["--format=custom", "--no-owner", f"--file={out}", _pg_url(url)])


def restore(url: str, source: Path) -> None:
    head = source.read_bytes()[:16] if source.is_file() else b""
    if not source.is_file():
        raise Problem(StartErr.BACKUP_MISSING, path=source)
    if url.startswith("sqlite"):
        if not head.startswith(SQLITE_MAGIC):
            raise Problem(StartErr.BACKUP_KIND, path=source, kind=" SQLite ")
        backup_db, target = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(_sqlite_path(url))
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    if not head.startswith(PGDUMP_MAGIC):
        raise Problem(StartErr.BACKUP_KIND, path=source, kind=" pg_dump ")
    _run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={_pg_url(url)}",
                        str(source)])


def _record(engine: Engine, verb: str, path: Path) -> None:
    with Session(engine) as session:
        audit.record(session, "cli", None, verb, "database", path.name, summary={"file": str(path)})
        session.commit()


def main(command: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"cunsheng {command}")
    parser.add_argument("file", type=Path, help="备份文件" if command == "backup" else "要恢复的备份文件")
    if command == "restore":
        parser.add_argument("--force", action="store_true", help="目标数据库已有答卷时也恢复（替换全部数据）")
    args = parser.parse_args(argv)
    url = Settings().database_url
    engine = make_engine(url)
    try:
        migrate(engine)
        if command == "backup":
            _record(engine, "backup.create", args.file)
            backup(url, args.file)
            print(f"已备份到 {args.file}")
            return 0
        with Session(engine) as session:
            held = responses.count_responses(session)
        if held and not args.force:
            raise Problem(StartErr.BACKUP_NOT_EMPTY, count=held)
        engine.dispose()
        restore(url, args.file)
        migrate(engine)  # a backup from an older release is brought up to this schema
        _record(engine, "backup.restore", args.file)
        print(f"已从 {args.file} 恢复")
        return 0
    except Problem as exc:
        print(f"cunsheng {command}: 错误 {exc.line()}", file=sys.stderr)
        return exc.status
    finally:
        engine.dispose()
