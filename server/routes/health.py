"""Which process answered: `GET /healthz` and the `X-Cunsheng-Worker` header on every response.

Behind a load balancer or with `cunsheng serve --workers N`, these tell a probe (or a test) that the
process is up and which one it was. They read nothing from the database and must not: a health
check that queries would turn a slow database into a restart storm.
"""

from __future__ import annotations

import os

from fastapi import APIRouter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

router = APIRouter()

WORKER_HEADER = "X-Cunsheng-Worker"


@router.get("/healthz")
def healthz() -> dict[str, object]:
    """The process is up; `worker` is its process id."""
    return {"status": "ok", "worker": os.getpid()}


class WorkerHeader:
    """ASGI middleware: name the answering process in a response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (WORKER_HEADER.lower().encode(), str(os.getpid()).encode())]
            await send(message)

        await self.app(scope, receive, send_with_header)
