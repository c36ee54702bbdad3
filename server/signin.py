"""Signing in and out (the console, and a field device getting its token), and changing a password:
lockout, slowdown and the audit trail.

Failures are counted per account × client address (after `LOCK_AFTER` the pair is locked for
`LOCK_MINUTES`) and per account from anywhere (after `SLOW_AFTER`, each further attempt must wait
a doubling delay of at most `SLOW_MAX` seconds): a stranger elsewhere can slow the admin down a
little but never lock her out. Every attempt is audited (the password never is). The clock is
`app.state.clock`, so tests control it.
"""

from __future__ import annotations

import math
from dataclasses import replace

from fastapi import Request
from sqlmodel import Session

from server.auth import Caller, caller_of, now
from server.errors import P
from server.staff_errors import S
from server.store import audit, logins, sessions, staff, tokens
from surveys.problem import Problem

LOCK_AFTER, LOCK_MINUTES = 5, 15
SLOW_AFTER, SLOW_MAX = 10, 60


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _keys(request: Request, username: str) -> tuple[str, str]:
    name = username[:40]
    return f"addr:{name}:{address(request)}"[:120], f"acct:{name}"


def _gate(request: Request, session: Session, username: str) -> None:
    """Refuse an attempt from a locked account × address, or one that comes too soon after failures."""
    clock, window = request.app.state.clock(), LOCK_MINUTES * 60
    pair, account = _keys(request, username)
    failed, last = logins.failures(session, pair, clock, window)
    if failed >= LOCK_AFTER:
        raise Problem(S.LOGIN_LOCKED, minutes=math.ceil((last + window - clock) / 60))
    failed, last = logins.failures(session, account, clock, window)
    if failed >= SLOW_AFTER:
        wait = min(2 ** (failed - SLOW_AFTER), SLOW_MAX) - (clock - last)
        if wait > 0:
            seconds = math.ceil(wait)
            raise Problem(P.RATE_LIMITED, details={"retry_after": seconds}, seconds=seconds)


def _checked(request: Request, session: Session, username: str, password: str) -> staff.Staff:
    """The account whose password this is, under the lockout and slowdown; a failure is counted,
    audited and committed, then LOGIN_FAILED (or locked / too soon)."""
    username = username.strip().lower()
    _gate(request, session, username)
    account = staff.authenticate(session, username, password)
    pair, acct = _keys(request, username)
    if account is None or account.id is None:
        clock, window = request.app.state.clock(), LOCK_MINUTES * 60
        logins.add_failure(session, pair, clock, window)
        logins.add_failure(session, acct, clock, window)
        audit.record(session, username[:40] or "?", None, "login.failed", "staff", username[:40],
                     address=address(request))
        session.commit()
        raise Problem(S.LOGIN_FAILED)
    logins.clear(session, pair)
    logins.clear(session, acct)
    return account


def sign_in(request: Request, session: Session, username: str, password: str) -> str:
    """A new session token for the right password; else LOGIN_FAILED (or locked / too soon)."""
    account = _checked(request, session, username, password)
    assert account.id is not None
    token = sessions.open_session(session, account.id, now(request))
    grants = staff.grants_of(session, account.id)
    audit.record(session, account.username, account.id, "login", "staff", account.username,
                 grants[0].unit_code if grants else None, address=address(request))
    session.commit()
    return token


def register_device(request: Request, session: Session, username: str, password: str,
                    label: str) -> tuple[Caller, tokens.ApiToken, str]:
    """A field device's sign-in: the console's password check (same lockout and slowdown), an account
    that works cases (else FORBIDDEN), and a new device token for it, audited; returns the account as
    a caller, the token's row and its text (shown this once)."""
    account = _checked(request, session, username, password)
    assert account.id is not None
    caller = caller_of(session, account.id, "token", "")
    if caller is None or not caller.may("cases.work"):
        session.commit()  # the failures just cleared stay cleared: the password was right
        raise Problem(S.FORBIDDEN)
    row, token = tokens.issue(session, account.id, label.strip() or "离线采集设备", now(request))
    audit.record(session, account.username, account.id, "device.register", "api_token", row.id, caller.home,
                 {"label": row.label}, address(request))
    session.commit()
    return replace(caller, token_id=row.id), row, token


def sign_out(request: Request, session: Session, caller: Caller) -> None:
    sessions.revoke(session, caller.secret, now(request))
    audit.record(session, caller.username, caller.staff_id, "logout", "staff", caller.username, caller.home,
                 address=address(request))
    session.commit()


def change_password(request: Request, session: Session, caller: Caller, current: str, new: str, again: str) -> str:
    """Check the current password, set the new one, end every session of the account; a new session."""
    account = staff.authenticate(session, caller.username, current)
    if account is None or account.id is None:
        raise Problem(S.PASSWORD_WRONG)
    if new != again:
        raise Problem(S.PASSWORD_MISMATCH)
    staff.set_password(session, account, new)
    ended = sessions.revoke_all(session, account.id, now(request))
    token = sessions.open_session(session, account.id, now(request))
    audit.record(session, caller.username, caller.staff_id, "password.change", "staff", caller.username, caller.home,
                 summary={"sessions_ended": ended}, address=address(request))
    session.commit()
    return token
