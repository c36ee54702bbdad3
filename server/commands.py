"""`cunsheng serve`, `init-db` and `check`: the server-side commands, run through `server.cli`.

A start-up problem (`surveys.problem.Problem`, e.g. `settings.secret_missing`) is printed as one
line on stderr and becomes the exit status; these commands never print a traceback for one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.settings import Settings
from server.startup_errors import StartErr
from surveys.errors import DefinitionInvalid
from surveys.problem import Problem


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import inspect
    from sqlmodel import Session

    from server.catalog import check_files, definition_files
    from server.db import make_engine
    from surveys.indicator_defs.compiler import indicator_files

    files: list[Path] = []
    for item in args.paths or [settings.definitions_dir]:
        path = Path(item)
        if not path.exists():
            raise Problem(StartErr.PATH_MISSING, path=path)
        files.extend([*definition_files(path), *indicator_files(path)] if path.is_dir() else [path])
    engine = make_engine(settings.database_url)
    has_db = "survey_version" in inspect(engine).get_table_names()
    with Session(engine) as session:
        problems = check_files(session if has_db else None, files)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        raise Problem(StartErr.DEFINITIONS_FAILED, count=len(problems), files=len(files))
    for path in files:
        print(f"通过 ok  {path}")
    return 0


def _init_db(settings: Settings) -> int:
    from server.app import prepare_database

    _, catalog = prepare_database(settings)
    for name, pub in catalog.current.items():
        print(f"{name}: 第 {pub.number} 版 ({pub.survey.sha256[:12]})  {pub.survey.title}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """One process serving the app built here, or `--workers N` processes that each build their own.

    Workers are separate processes (uvicorn imports `server.app:serve_app` in each), so they read
    their settings from the same environment as this one. The schema is migrated and the
    questionnaires published here first, so the workers never race to do it.
    """
    import uvicorn

    from server.app import prepare_database, serve_app

    settings.resolved_secret()  # a missing shared secret stops us before any connection
    host, port = args.host or settings.host, args.port or settings.port
    print(f"村声 cunsheng: http://{host}:{port}/")
    if args.workers == 1:
        uvicorn.run(serve_app(settings), host=host, port=port, proxy_headers=True, server_header=False,
                    access_log=settings.access_log)
        return 0
    engine, _ = prepare_database(settings)
    engine.dispose()
    uvicorn.run("server.app:serve_app", factory=True, workers=args.workers, host=host, port=port,
                proxy_headers=True, server_header=False, access_log=settings.access_log)
    return 0


def run(command: str, argv: list[str]) -> int:
    """Run one of the server commands with its own options."""
    parser = argparse.ArgumentParser(prog=f"cunsheng {command}")
    if command == "serve":
        parser.add_argument("--host", help="listen address (default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port (default 8000)")
        parser.add_argument("--workers", type=int, default=1,
                            help="number of server processes (default 1); needs PostgreSQL and CUNSHENG_SECRET_KEY "
                                 "to share drafts and form tokens across machines")
    if command == "check":
        parser.add_argument("paths", nargs="*", help="definition files or folders (default: the bundled ones)")
    args = parser.parse_args(argv)
    settings = Settings()

    try:
        if getattr(args, "workers", 1) < 1:
            raise Problem(StartErr.WORKERS, workers=args.workers)
        if command == "check":
            return _check(args, settings)
        if command == "init-db":
            return _init_db(settings)
        return _serve(args, settings)
    except DefinitionInvalid as exc:
        print(exc, file=sys.stderr)
        stop = Problem(StartErr.DEFINITIONS_INVALID)
        print(f"cunsheng {command}: 错误 {stop.line()}", file=sys.stderr)
        return stop.status
    except Problem as exc:
        print(f"cunsheng {command}: 错误 {exc.line()}", file=sys.stderr)
        return exc.status
