"""Headers every response carries, and the same-origin rule for every state-changing form post.

`SecurityHeaders` (ASGI middleware) adds a Content-Security-Policy that allows only our own scripts,
styles and images and no framing, `X-Content-Type-Options`, `X-Frame-Options`, `Referrer-Policy:
same-origin`, and `Cache-Control: no-store` on anything that did not set its own caching (drafts'
pages must never sit in a shared or back-button cache). `check_same_origin` (a dependency of
every form router) refuses a post whose `Origin` (or, lacking it, `Referer`) names another site with
`request.cross_site` before the handler runs: nobody can plant a draft in a respondent's browser from
another page. The expected origin is `CUNSHENG_PUBLIC_URL` behind a proxy, else the request's own
scheme and host.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import P
from server.routes.health import WORKER_HEADER
from surveys.problem import Problem

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
CSP_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")  # Swagger UI's start-up script
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"same-origin")]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def check_same_origin(request: Request) -> None:
    """Refuse a state-changing request sent from another site (the browser names it in Origin/Referer)."""
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("origin") or request.headers.get("referer") or ""
    public = _origin(request.app.state.settings.public_url)
    expected = public or f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    if sent and _origin(sent) != expected:
        raise Problem(P.CROSS_SITE)


FORM_COOKIE = "cunsheng_form"  # this browser's anti-forgery secret for the forms before a draft exists
_FORM_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{22}")


def _browser_secret(request: Request) -> str | None:
    value = request.cookies.get(FORM_COOKIE, "")
    return value if _FORM_COOKIE_VALUE.fullmatch(value) else None


def _sign(request: Request, value: str) -> str:
    return hmac.new(request.app.state.secret.encode(), f"form:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def browser_token(request: Request) -> tuple[str, str | None]:
    """The CSRF token for the start and resume forms, bound to this browser's form cookie:
    (token, the new cookie value to set, or None when the browser already has one)."""
    known = _browser_secret(request)
    value = known or secrets.token_urlsafe(16)
    return _sign(request, value), None if known else value


def keep_browser_secret(request: Request, response: Response, new: str | None) -> Response:
    """Give the browser its form cookie (session-long, HTTP only, same-site) if it had none."""
    if new is not None:
        secure = request.app.state.settings.cookie_secure or request.url.scheme == "https"
        response.set_cookie(FORM_COOKIE, new, httponly=True, samesite="lax", secure=secure)
    return response


def browser_token_valid(request: Request, sent: str) -> bool:
    """Whether a start or resume post carries the token of this browser's own form (double submit,
    signed: another site can neither read the cookie nor forge the token)."""
    known = _browser_secret(request)
    return known is not None and hmac.compare_digest(sent.encode(), _sign(request, known).encode())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


class SecurityHeaders:
    """ASGI middleware: security headers (and the answering worker's pid) on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.worker = (WORKER_HEADER.lower().encode(), str(os.getpid()).encode())  # which process answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (CSP_DOCS if scope.get("path") == "/api/docs" else CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [*HEADERS, (b"content-security-policy", csp), self.worker]
                if b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

