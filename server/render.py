"""Templates and the few helpers every page uses: one Jinja environment, htmx detection, static URLs.

`render` is the only way a route produces HTML. It sets `Vary: HX-Request` because the same URL
answers a full page to a plain request and a partial to an htmx request.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from server.settings import ROOT
from surveys.kinds import KINDS


def bundled(name: str) -> Path:
    """The `templates` or `static` folder: inside the installed package (a wheel puts them in
    `server/`), else the checkout's top level, where the project keeps them (see setup.py)."""
    installed = Path(__file__).resolve().parent / name
    return installed if installed.is_dir() else ROOT / name


TEMPLATES = bundled("templates")
STATIC = bundled("static")


def is_htmx(request: Request) -> bool:
    """True for a request made by htmx (not for a history restore, which wants the full page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


@cache
def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


@pass_context
def path_for(context: Any, name: str, /, **params: Any) -> str:
    """The path of a named route (templates never build a link by hand)."""
    return str(context["request"].app.url_path_for(name, **{k: str(v) for k, v in params.items()}))


def static_url(request: Request, name: str) -> str:
    """URL of a static file with a content fingerprint, so it can be cached for a year."""
    return f"{request.app.url_path_for('static', path=name)}?v={_fingerprint(STATIC / name)}"


@pass_context
def _static_url(context: Any, name: str) -> str:
    return static_url(context["request"], name)


BEIJING = timezone(timedelta(hours=8), "北京时间")  # China keeps one zone and no daylight saving


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (UTC; naive from SQLite) as Beijing time for staff pages."""
    if value is None:
        return ""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING).strftime(fmt)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["path_for"] = path_for
    templates.env.globals["static_url"] = _static_url
    templates.env.globals["kinds"] = KINDS
    templates.env.filters["local"] = local_time
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    return templates


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page: the whole document, or only its main block for an htmx request."""
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, {"htmx": is_htmx(request), **context},
                                          status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    if is_htmx(request) and request.method == "GET":  # the partial came by htmx: keep the address bar true
        response.headers["HX-Push-Url"] = request.url.path
    return response
