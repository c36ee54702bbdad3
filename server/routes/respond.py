"""The respondent's phone pages: introduction, one page at a time, the thank-you page.

Each handler is guard clauses, one domain call (server.flow) and one render. Every post works as a
plain form post; htmx requests get the page body as a partial and the URL pushed into history.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from server import flow, store
from server.catalog import Published
from server.deps import (
    CatalogDep,
    DraftDep,
    FormDep,
    SessionDep,
    SurveyDep,
    check_form_token,
    cookie_name,
    form_token,
)
from server.errors import P, Problem
from server.render import render
from server.tables import Draft

router = APIRouter()


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _draft_survey(catalog: CatalogDep, draft: Draft) -> Published:
    """The version that started the draft (a newer definition never changes a draft in progress)."""
    return catalog.by_id[draft.version_id]


def _intro(request: Request, session: SessionDep, pub: Published, draft: Draft | None, village: str | None) -> Response:
    open_draft = draft if draft is not None and draft.status == "open" else None
    return render(request, "intro.html", {
        "survey": pub.survey, "village": store.get_village(session, village) if village else None,
        "villages": store.list_villages(session), "draft": open_draft,
    })


@router.get("/s/{survey}")
def intro(request: Request, session: SessionDep, pub: SurveyDep, draft: DraftDep) -> Response:
    return _intro(request, session, pub, draft, None)


@router.post("/s/{survey}/start")
def start(request: Request, session: SessionDep, pub: SurveyDep, village: Annotated[str, Form()] = "") -> Response:
    if store.get_village(session, village) is None:
        raise Problem(P.VILLAGE_NOT_FOUND, village=village)
    draft = store.start_draft(session, pub.survey.name, pub.version_id, village)
    first = flow.next_page(pub.survey, None, {})
    response = _see(f"/s/{pub.survey.name}/p/{first.name}" if first else f"/s/{pub.survey.name}")
    settings = request.app.state.settings
    response.set_cookie(cookie_name(pub.survey.name), draft.token, max_age=settings.draft_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure)
    return response


@router.get("/s/{survey}/done")
def done(request: Request, session: SessionDep, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep) -> Response:
    if draft is None or draft.status != "done":
        return _see(f"/s/{pub.survey.name}")
    response = store.find_response(session, draft.survey, draft.instance_id)
    survey = _draft_survey(catalog, draft).survey
    ended = flow.end_message(survey, response.answers) if response and response.outcome == "ended" else None
    return render(request, "done.html", {"survey": survey, "ended": ended})


@router.get("/s/{survey}/p/{page}")
def show_page(request: Request, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep, page: str) -> Response:
    if draft is None:
        return _see(f"/s/{pub.survey.name}")
    if draft.status == "done":
        return _see(f"/s/{pub.survey.name}/done")
    survey = _draft_survey(catalog, draft).survey
    target = survey.page(page)
    if target is None:
        raise Problem(P.PAGE_NOT_FOUND)
    if draft.page and survey.page_index(page) > survey.page_index(draft.page):
        return _see(f"/s/{survey.name}/p/{draft.page}")
    view = flow.page_view(survey, target, draft.answers)
    return _page(request, survey.name, draft, view)


def _page(request: Request, name: str, draft: Draft, view: flow.PageView) -> Response:
    context = {"view": view, "draft": draft, "csrf": form_token(request, draft), "survey_name": name}
    return render(request, "page.html", context)


@router.post("/s/{survey}/p/{page}")
def post_page(request: Request, session: SessionDep, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep,
              form: FormDep, page: str) -> Response:
    if draft is None:
        return _see(f"/s/{pub.survey.name}")
    if draft.status == "done":  # double tap, back-button resubmit or retry after a lost reply
        return _see(f"/s/{pub.survey.name}/done")
    check_form_token(request, draft, str(form.get("csrf", "")))
    published = _draft_survey(catalog, draft)
    target = published.survey.page(page)
    if target is None:
        raise Problem(P.PAGE_NOT_FOUND)
    getlist = lambda key: [str(v) for v in form.getlist(key)]  # noqa: E731
    outcome = flow.submit_page(session, published, draft, target, getlist, str(form.get("nav", "next")))
    if outcome.url:
        return _see(outcome.url)
    view = flow.page_view(published.survey, target, outcome.answers, flow.form_dict(getlist, list(form.keys())),
                          outcome.errors)
    return _page(request, published.survey.name, draft, view)


@router.post("/s/{survey}/p/{page}/refresh")
def refresh(request: Request, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep, form: FormDep,
            page: str) -> Response:
    """htmx: re-apply this page's skip logic to the values being entered (nothing is saved)."""
    if draft is None or draft.status == "done":
        raise Problem(P.FORM_EXPIRED)
    survey = _draft_survey(catalog, draft).survey
    target = survey.page(page)
    if target is None:
        raise Problem(P.PAGE_NOT_FOUND)
    getlist = lambda key: [str(v) for v in form.getlist(key)]  # noqa: E731
    answers, _ = flow.read_page(survey, target, getlist, draft.answers)
    view = flow.page_view(survey, target, flow.merge(draft.answers, target, answers),
                          flow.form_dict(getlist, list(form.keys())))
    return render(request, "partials/questions.html", {"view": view, "survey_name": survey.name})


@router.get("/s/{survey}/{village}")
def intro_village(request: Request, session: SessionDep, pub: SurveyDep, draft: DraftDep, village: str) -> Response:
    if store.get_village(session, village) is None:
        raise Problem(P.VILLAGE_NOT_FOUND, village=village)
    return _intro(request, session, pub, draft, village)
