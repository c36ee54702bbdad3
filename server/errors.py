"""The server's catalogue of request problems, and the one handler that renders any `Problem`.

Entries are of the project's one problem type (`surveys.problem`): a stable code (tests assert on
it), an HTTP status and a Chinese message template. The JSON API answers `{code, message, details}`;
pages render the same problem for people. Problems raised by other rooms (a definition, an analysis
spec) are rendered the same way. Invalid answers are not exceptions: they are data shown next to the
fields (see surveys.answers).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from surveys.problem import Catalogue, Problem, validation_details


class P(Catalogue):
    """Request problems: (code, HTTP status, Chinese message template)."""

    NOT_FOUND = ("not_found", 404, "页面不存在。请检查链接是否完整。")
    SURVEY_NOT_FOUND = ("survey.not_found", 404, "找不到问卷“{survey}”。请检查链接，或回到首页选择问卷。")
    SURVEY_CLOSED = ("survey.closed", 410, "问卷“{title}”已结束收集，不再接收新的答卷。感谢您的关注和支持！")
    VERSION_NOT_FOUND = ("survey.version_not_found", 422, "问卷“{survey}”没有第 {version} 版。")
    VILLAGE_NOT_FOUND = ("village.not_found", 404, "没有找到村（社区）代码“{village}”，链接可能不完整。请在下面选择您所在的村（社区），再开始填写。")
    VILLAGE_UNKNOWN = ("response.village_unknown", 422, "村（社区）代码“{village}”不存在。请检查村（社区）代码。")
    PAGE_NOT_FOUND = ("page.not_found", 404, "问卷中没有这一页，请从头开始或用恢复码继续。")
    RESUME_CODE_INVALID = ("draft.resume_code_invalid", 404, "恢复码“{resume_code}”无效，或这份问卷已经提交。请检查后重新输入。")
    CROSS_SITE = ("request.cross_site", 403, "这个表单来自其他网站，已拒绝。请直接打开问卷链接填写。")
    FORM_EXPIRED = ("request.form_expired", 403, "页面已过期，请回到问卷重新打开。您已保存的答案不会丢失。")
    FORM_RETRY = ("request.form_retry", 403, "页面已过期，已经为您刷新。请再点一次下面的按钮。")
    REQUEST_INVALID = ("request.invalid", 422, "请求格式不正确，请检查这些字段：{fields}")
    BODY_NOT_JSON = ("request.not_json", 422, "请求体不是有效的 JSON（UTF-8 编码的 JSON 对象）。")
    BODY_NOT_OBJECT = ("request.not_object", 422, "请求体应为 JSON 对象，例如 {{\"instance_id\": …, \"answers\": {{…}}}}。")
    BODY_TOO_DEEP = ("request.too_deep", 422, "请求体嵌套太深（最多 {depth} 层），请检查 {path}。")
    BAD_TEXT = ("request.bad_characters", 422, "字段 {path} 含有无法保存的字符（空字符、控制字符或不成对的代理字符）。")
    BAD_NUMBER = ("request.bad_number", 422, "字段 {path} 的数无法保存：NaN、Infinity 和超出范围的数（如 1e999）都不是有效的 JSON 数。请改为普通的数。")
    NOT_JSON_MEDIA = ("request.media_type", 415, "请以 Content-Type: application/json 提交 JSON。")
    BODY_TOO_LARGE = ("request.too_large", 413, "提交的内容太大（上限 {limit} KB）。")
    FORM_TOO_LARGE = ("request.form_too_large", 413, "表单太大：最多 {fields} 个字段，每个字段不超过 {part} KB。")
    ANSWERS_INVALID = ("response.answers_invalid", 422, "有 {count} 个答案不符合问卷要求，请逐项修改。")
    INSTANCE_CONFLICT = (
        "response.instance_conflict",
        409,
        "实例编号 {instance_id} 已经提交过内容不同的答卷。同一份答卷重发时内容必须完全相同；新的答卷请使用新的实例编号。",
    )
    DRAFT_BUSY = ("draft.busy", 409, "这份问卷正在另一个页面同时保存，请稍后再点一次。已保存的答案不会丢失。")
    RATE_LIMITED = ("request.rate_limited", 429, "操作太频繁，请 {seconds} 秒后再试。已保存的答案不会丢失。")
    METHOD_NOT_ALLOWED = ("method_not_allowed", 405, "不支持这种请求方式。")
    RESPONSE_NOT_FOUND = ("response.not_found", 404, "没有实例编号为 {instance_id} 的答卷。")
    SERVER_ERROR = ("server.error", 500, "服务器出了点问题，您的答案已保存到上一页。请稍后刷新页面重试。")


def invalid_request(errors: Any) -> Problem:
    """`request.invalid` listing each field at fault (pydantic errors, translated to Chinese)."""
    details = validation_details(errors)
    return Problem(P.REQUEST_INVALID, details=details, fields="；".join(f"{k}：{v}" for k, v in details.items()))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def handle_problem(request: Request, exc: Exception) -> Response:
    """Render a Problem as JSON for the API and as a Chinese page for people."""
    assert isinstance(exc, Problem)
    status = exc.status if 400 <= exc.status < 600 else 500
    headers = {"Retry-After": str(exc.params["seconds"])} if exc.entry is P.RATE_LIMITED else None
    if _wants_json(request):
        return JSONResponse(exc.body(), status_code=status, headers=headers)
    if exc.code == "auth.sign_in_required":  # a console page: to the sign-in form, and back afterwards
        from urllib.parse import urlencode

        login = request.app.url_path_for("login_form")
        return RedirectResponse(f"{login}?{urlencode({'next': request.url.path})}", status_code=303)
    from server.render import render

    return render(request, "problem.html", {"problem": exc}, status_code=status, headers=headers)


async def handle_http(request: Request, exc: Exception) -> Response:
    """Map the framework's own HTTP errors into the catalogue (405 keeps its `Allow` header)."""
    status = getattr(exc, "status_code", 500)
    if status == 405:
        response = await handle_problem(request, Problem(P.METHOD_NOT_ALLOWED))
        response.headers.update(getattr(exc, "headers", None) or {})
        return response
    if status == 404:
        return await handle_problem(request, Problem(P.NOT_FOUND))
    return await handle_problem(request, Problem(P.REQUEST_INVALID, details={}, fields="请求"))


async def handle_validation(request: Request, exc: Exception) -> Response:
    """FastAPI's request validation errors become request.invalid with each field listed."""
    assert isinstance(exc, RequestValidationError)
    return await handle_problem(request, invalid_request(exc.errors()))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """A bug must not show a stack trace to a respondent: log it, answer from the catalogue.
    A client that went away mid-request is not a bug: one info line."""
    if isinstance(exc, ClientDisconnect):
        logging.getLogger("cunsheng").info("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=499)
    logging.getLogger("cunsheng").exception("unhandled error on %s %s", request.method, request.url.path)
    return await handle_problem(request, Problem(P.SERVER_ERROR))


HANDLERS: dict[Any, Any] = {
    Exception: handle_unexpected,
    Problem: handle_problem,
    HTTPException: handle_http,
    RequestValidationError: handle_validation,
}
