"""Which process answered: `GET /healthz` (the `X-Cunsheng-Worker` header on every response is added
by `server.security.SecurityHeaders`).

Behind a load balancer or with `cunsheng serve --workers N`, these tell a probe (or a test) that the
process is up and which one it was. They read nothing from the database and must not: a health
check that queries would turn a slow database into a restart storm.
"""

from __future__ import annotations

import os

from fastapi import APIRouter

from server.apidoc import HealthOut

router = APIRouter()

WORKER_HEADER = "X-Cunsheng-Worker"


@router.get("/healthz", response_model=HealthOut)
def healthz() -> dict[str, object]:
    """The process is up; `worker` is its process id."""
    return {"status": "ok", "worker": os.getpid()}
