"""`cunsheng staff`: accounts from the command line (also how the first admin is created).

    cunsheng staff add USERNAME --role ROLE --unit CODE --password-stdin
    cunsheng staff token USERNAME [--label TEXT]     (prints a new device / API token once)

The password is read from standard input (never from an argument, which other users can see in
the process list). Each write is audited with the actor `cli`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, datetime

from sqlmodel import Session

from server.db import make_engine, migrate
from server.settings import Settings
from server.staff_errors import S
from server.store import audit, staff, tokens
from surveys.problem import Problem


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cunsheng staff", description="工作人员账号")
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="新建账号")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=sorted(staff.ROLES))
    add.add_argument("--unit", required=True, help="12 位统计用区划代码")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")
    token = sub.add_parser("token", help="为账号发放设备/接口令牌")
    token.add_argument("username")
    token.add_argument("--label", default="设备")
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass("密码：")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    engine = make_engine(Settings().database_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            if args.action == "add":
                account = staff.add_staff(session, args.username, _password(args.password_stdin), args.role, args.unit)
                audit.record(session, "cli", None, "staff.add", "staff", account.username, args.unit, {"role": args.role})
                session.commit()
                print(f"已新建账号 {account.username}（{staff.ROLES[args.role]}，单位 {args.unit}）。")
                return 0
            found = staff.find_staff(session, args.username)
            if found is None or found.id is None:
                raise Problem(S.STAFF_NOT_FOUND, username=args.username[:40])
            row, text = tokens.issue(session, found.id, args.label, datetime.fromtimestamp(time.time(), UTC))
            grants = staff.grants_of(session, found.id)
            audit.record(session, "cli", None, "token.issue", "api_token", row.id,
                         grants[0].unit_code if grants else None, {"account": found.username, "label": row.label})
            session.commit()
            print(text)
            print(f"（令牌只显示这一次：请复制到“{row.label}”。）", file=sys.stderr)
            return 0
    except Problem as exc:
        print(f"cunsheng staff: 错误 {exc.line()}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
