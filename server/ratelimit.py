"""Rate limits per client address: draft creation, resume attempts (with lockout), public posts.

Limits are settings (`CUNSHENG_RATE_LIMITS`, e.g. `start=300/600,resume=10/600,post=3000/600,
ingest=1200/60`: hits per window in seconds); `CUNSHENG_RATE_LIMITS=off` turns them off (benchmarks,
trusted networks). The defaults let 60 villagers behind one carrier address at a 妇女之家 meeting all
start and finish. Resume counts only failed codes: after the limit the address is locked out for
the rest of the window, whatever it types. A limited request gets `request.rate_limited` (429) with
`Retry-After`. Counters live in the database (`server.store.limits`), so every process shares them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request
from sqlmodel import Session

from server.errors import P
from server.startup_errors import StartErr
from server.store import limits
from surveys.problem import Problem

ACTIONS = ("start", "resume", "post", "ingest")


@dataclass(frozen=True)
class Limit:
    hits: int
    seconds: int


def parse(text: str) -> dict[str, Limit]:
    """`action=hits/seconds,…` as limits by action; `off` (or empty) as none."""
    if text.strip().lower() in ("", "off", "none", "0"):
        return {}
    out = {}
    for item in text.split(","):
        action, _, rule = item.partition("=")
        hits, _, seconds = rule.partition("/")
        if action.strip() not in ACTIONS or not hits.strip().isdigit() or not seconds.strip().isdigit() \
                or int(seconds) < 1:
            raise Problem(StartErr.RATE_LIMITS, item=item.strip(), actions=", ".join(ACTIONS))
        out[action.strip()] = Limit(int(hits), int(seconds))
    return out


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now) // limit.seconds * limit.seconds
    return start, start + limit.seconds - int(now)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def count(request: Request, session: Session, action: str) -> None:
    """Count one `action` by this client; 429 once its limit in the current window is passed."""
    limit = request.app.state.rate_limits.get(action)
    if limit is None:
        return
    start, retry = _window(limit, time.time())
    if limits.hit(session, f"{action}:{_client(request)}", start) > limit.hits:
        raise Problem(P.RATE_LIMITED, details={"retry_after": retry}, seconds=retry)


def check_locked(request: Request, session: Session, action: str) -> None:
    """429 when this client already used up `action` (e.g. failed resume codes) in this window."""
    limit = request.app.state.rate_limits.get(action)
    if limit is None:
        return
    start, retry = _window(limit, time.time())
    if limits.peek(session, f"{action}:{_client(request)}", start) >= limit.hits:
        raise Problem(P.RATE_LIMITED, details={"retry_after": retry}, seconds=retry)
