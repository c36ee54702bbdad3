"""The interactive API documentation at `/api/docs`, served from the vendored Swagger UI.

FastAPI's default page loads Swagger UI from a CDN, which a county intranet or a phone on a weak
network may not reach; this page loads the pinned copy in `static/swagger-ui-<version>/` instead.
It must not reference any other host.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from server.render import static_url

SWAGGER_UI = "swagger-ui-5.35.0"  # swagger-ui-dist from the npm registry, files unchanged

router = APIRouter()


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI for the app's OpenAPI document, with every asset from our own static folder."""
    app = request.app
    return get_swagger_ui_html(
        openapi_url=request.scope.get("root_path", "") + app.openapi_url,
        title=f"{app.title} · API",
        swagger_js_url=static_url(request, f"{SWAGGER_UI}/swagger-ui-bundle.js"),
        swagger_css_url=static_url(request, f"{SWAGGER_UI}/swagger-ui.css"),
        swagger_favicon_url=static_url(request, f"{SWAGGER_UI}/favicon-32x32.png"),
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from validator.swagger.io
    )
