"""Request size limits, checked while the body streams in (never after reading it whole).

`BodyLimit` is ASGI middleware: a declared `Content-Length` over the limit, or a streamed body that
grows past it, becomes `request.too_large` (413) from the catalogue at the moment the app reads the
body, so a 100 MB upload costs at most the limit in memory. Forms are also bounded in fields and part
size (`FORM_FIELDS`, `FORM_PART_BYTES`, see `server.deps.read_form`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import P
from surveys.problem import Problem

FORM_FIELDS = 400          # the longest page has well under 100 fields
FORM_PART_BYTES = 16 * 1024


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes with 413 while they stream."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > self.limit:
                raise Problem(P.BODY_TOO_LARGE, limit=self.limit // 1024)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise Problem(P.BODY_TOO_LARGE, limit=self.limit // 1024)
            return message

        await self.app(scope, limited, send)
