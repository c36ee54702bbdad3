"""Staff accounts and their grants (role × unit): who may sign in to the console, and where.

Passwords are kept only as argon2id hashes (argon2-cffi's defaults, RFC 9106 low-memory profile);
a password is never stored, logged or echoed. A grant covers its unit and everything below it
(`server.unitcodes.is_under`); one account may hold several.
"""

from __future__ import annotations

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from server.staff_errors import S
from server.store import known_id, utcnow
from server.unitcodes import level_of
from surveys.problem import Problem

ROLES = {"admin": "管理员（妇儿工委办）", "evaluator": "评估员", "supervisor": "督导员", "collector": "儿童主任",
         "viewer": "查看者"}
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{1,31}")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("cunsheng-timing-equaliser")


class Staff(SQLModel, table=True):
    """A console account."""

    __tablename__ = "staff"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=32, unique=True)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class Grant(SQLModel, table=True):
    """A role on a unit's subtree."""

    __tablename__ = "staff_grant"
    __table_args__ = (UniqueConstraint("staff_id", "role", "unit_code", name="uq_grant"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    role: str = Field(max_length=16)
    unit_code: str = Field(max_length=12)


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD or password.strip() != password or len(set(password)) < 4:
        raise Problem(S.PASSWORD_WEAK, length=MIN_PASSWORD)


def add_staff(session: Session, username: str, password: str, role: str, unit_code: str) -> Staff:
    """A new account with one grant (flushed, not committed: the caller audits in the same transaction)."""
    if not USERNAME.fullmatch(username):
        raise Problem(S.USERNAME_INVALID, username=username[:40])
    if role not in ROLES:
        raise Problem(S.ROLE_UNKNOWN, role=role[:20], roles=", ".join(ROLES))
    if level_of(unit_code) is None:
        raise Problem(S.UNIT_CODE_INVALID, code=unit_code[:20])
    check_password_rule(password)
    if find_staff(session, username) is not None:
        raise Problem(S.USERNAME_TAKEN, username=username)
    staff = Staff(username=username, password_hash=_HASHER.hash(password))
    session.add(staff)
    session.flush()
    assert staff.id is not None
    session.add(Grant(staff_id=staff.id, role=role, unit_code=unit_code))
    session.flush()
    return staff


def find_staff(session: Session, username: str) -> Staff | None:
    if not USERNAME.fullmatch(username):
        return None
    return session.exec(select(Staff).where(Staff.username == username)).first()


def get_staff(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id) if known_id(staff_id) else None


def grants_of(session: Session, staff_id: int) -> list[Grant]:
    return list(session.exec(select(Grant).where(Grant.staff_id == staff_id).order_by(Grant.id)))


def authenticate(session: Session, username: str, password: str) -> Staff | None:
    """The active account whose password this is; the same work whether or not the name exists."""
    staff = find_staff(session, username)
    try:
        _HASHER.verify(staff.password_hash if staff else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if staff is None or not staff.active:
        return None
    if _HASHER.check_needs_rehash(staff.password_hash):
        staff.password_hash = _HASHER.hash(password)
        session.add(staff)
    return staff


def set_password(session: Session, staff: Staff, password: str) -> None:
    """A new password (flushed; the caller revokes the account's sessions in the same transaction)."""
    check_password_rule(password)
    staff.password_hash = _HASHER.hash(password)
    staff.password_changed_at = utcnow()
    session.add(staff)
    session.flush()


def list_staff(session: Session) -> list[tuple[Staff, list[Grant]]]:
    rows = list(session.exec(select(Staff).order_by(Staff.username)))
    return [(s, grants_of(session, s.id)) for s in rows if s.id is not None]


def holders(session: Session, role: str, unit_code: str) -> list[int]:
    """Active accounts holding `role` on exactly this unit, oldest first."""
    query = (select(Staff.id).join(Grant, col(Grant.staff_id) == col(Staff.id))
             .where(Grant.role == role, Grant.unit_code == unit_code, Staff.active == True)  # noqa: E712
             .order_by(Staff.id))
    return [int(i) for i in session.exec(query)]


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    """id → username of these accounts."""
    if not ids:
        return {}
    return {int(s.id or 0): s.username for s in session.exec(select(Staff).where(col(Staff.id).in_(sorted(ids))))}
