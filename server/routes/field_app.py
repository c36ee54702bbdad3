"""The installable offline field app at `/field/`: its shell (HTML, CSS, JS, manifest, icons) and its
service worker at `/field/sw.js` (scope `/field/`).

The shell files live in `static/field/` (or `CUNSHENG_FIELD_APP_DIR`); the phone pages' stylesheet
`static/app.css` is shared with them. The service worker precaches every shell file under a cache
named after their joint sha256 (`shell_version`), so a deploy that changes any of them changes the
worker's bytes, and every device installs the new version and drops the old cache. Shell files are
served `no-cache` (the worker is their cache; the network copy is always the deployed one). The
app itself talks only to the JSON API (`docs/field_api.md`). Serves files; reads no table.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from server.errors import P
from server.render import STATIC, static_url
from surveys.problem import Problem

router = APIRouter(include_in_schema=False)

# The shell's files besides index.html and sw.js, with their media types (each served at /field/<name>).
FILES = {
    "engine.js": "text/javascript; charset=utf-8",
    "form.js": "text/javascript; charset=utf-8",
    "store.js": "text/javascript; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
}
SHARED_CSS = "app.css"  # the phone pages' stylesheet, in static/ (questions look the same on- and offline)
SHELL_HEADERS = {"Cache-Control": "no-cache"}


def field_dir(request: Request) -> Path:
    """The folder of the shell's files: the configured one, else the bundled `static/field`."""
    return request.app.state.settings.field_app_dir or STATIC / "field"


def shell_version(folder: Path) -> str:
    """The joint sha256 (16 hex digits) of every file the service worker serves, itself included."""
    digest = hashlib.sha256()
    for path in [folder / "index.html", folder / "sw.js", *(folder / n for n in FILES), STATIC / SHARED_CSS]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _urls(request: Request) -> list[str]:
    """The URLs the service worker precaches: the shell, its files and the shared stylesheet."""
    shell = request.app.url_path_for("field_shell")
    return [shell, *(request.app.url_path_for("field_file", name=n) for n in FILES), static_url(request, SHARED_CSS)]


@router.get("/field", name="field_entry")
def field_entry(request: Request) -> Response:
    """The app's address without its slash: to the shell (a relative redirect, never built from Host)."""
    return RedirectResponse(request.app.url_path_for("field_shell"), status_code=308)


@router.get("/field/", name="field_shell")
def field_shell(request: Request) -> Response:
    """The shell page: the shared stylesheet's fingerprinted URL and the version filled in."""
    folder = field_dir(request)
    html = (folder / "index.html").read_text(encoding="utf-8")
    html = html.replace("__APP_CSS__", static_url(request, SHARED_CSS)).replace("__VERSION__", shell_version(folder))
    return Response(html, media_type="text/html; charset=utf-8", headers=SHELL_HEADERS)


@router.get("/field/sw.js", name="field_worker")
def field_worker(request: Request) -> Response:
    """The service worker, preceded by its version and precache list (so a deploy changes its bytes)."""
    folder = field_dir(request)
    config = json.dumps({"version": shell_version(folder), "files": _urls(request)}, separators=(",", ":"))
    source = f"self.CUNSHENG_FIELD = {config};\n" + (folder / "sw.js").read_text(encoding="utf-8")
    headers = {**SHELL_HEADERS, "Service-Worker-Allowed": request.app.url_path_for("field_shell")}
    return Response(source, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/field/{name}", name="field_file")
def field_file(request: Request, name: str) -> Response:
    """One of the shell's files; any other name is 404."""
    if name not in FILES:
        raise Problem(P.NOT_FOUND)
    return Response((field_dir(request) / name).read_bytes(), media_type=FILES[name], headers=SHELL_HEADERS)
