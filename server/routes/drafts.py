"""The respondent's phone pages, around her draft: introduction, start, one page at a time, resume, done.

Each handler is guard clauses, one domain call (`surveys.flow` decides, `server.store.drafts`
keeps) and one render. Every post works as a plain form post; htmx requests get the page body as a
partial and the URL pushed into history. Links come from named routes, never by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from server import ratelimit
from server.catalog import Published
from server.deps import (
    CatalogDep,
    DraftDep,
    FormDep,
    OpenSurveyDep,
    SessionDep,
    SurveyDep,
    check_form_token,
    form_token,
    getlist_of,
    set_draft_cookie,
)
from server.errors import P
from server.render import is_htmx, render
from server.security import browser_token, browser_token_valid, check_same_origin, keep_browser_secret
from server.store import drafts, responses, units
from server.store.drafts import DONE, OPEN, Draft
from surveys import flow
from surveys.kinds import Getlist
from surveys.model import Page
from surveys.problem import Problem

router = APIRouter(dependencies=[Depends(check_same_origin)], include_in_schema=False)
PURGE_EVERY = 3600.0  # seconds between two sweeps of expired drafts
SAVE_ATTEMPTS = 20  # optimistic retries of one page save against concurrent saves of the same draft


def _see(request: Request, name: str, **params: str) -> RedirectResponse:
    return RedirectResponse(request.app.url_path_for(name, **params), status_code=303)


def _draft_survey(catalog: CatalogDep, draft: Draft) -> Published:
    """The version that started the draft (a newer definition never changes a draft in progress)."""
    return catalog.by_id[draft.version_id]


def _target(published: Published, page: str) -> Page:
    target = published.survey.page(page)
    if target is None:
        raise Problem(P.PAGE_NOT_FOUND)
    return target


def _intro(request: Request, session: SessionDep, pub: Published, draft: Draft | None, village: str | None,
           problem: Problem | None = None) -> Response:
    token, new = browser_token(request)
    choices = units.list_villages(session)
    response = render(request, "intro.html", {
        "survey": pub.survey, "village": next((v for v in choices if v.code == village), None) if village else None,
        "villages": choices, "draft": draft if draft is not None and draft.status == OPEN else None,
        "problem": problem, "form_csrf": token, "office": request.app.state.catalog.state(pub.survey.name),
    }, status_code=problem.status if problem else 200)
    return keep_browser_secret(request, response, new)


@router.get("/s/{survey}", name="intro")
def intro(request: Request, session: SessionDep, pub: OpenSurveyDep, draft: DraftDep, v: str = "") -> Response:
    """The introduction; `?v=<village code>` names her village as the village link does."""
    if v and units.find_village(session, v) is None:  # the introduction with the village list instead
        return _intro(request, session, pub, draft, None, Problem(P.VILLAGE_NOT_FOUND, village=v[:20]))
    return _intro(request, session, pub, draft, v or None)


@router.post("/s/{survey}/start", name="start")
def start(request: Request, session: SessionDep, pub: OpenSurveyDep, draft: DraftDep,
          village: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    if not browser_token_valid(request, csrf):  # the introduction again, with a fresh token: tap once more
        known = units.find_village(session, village) is not None
        return _intro(request, session, pub, draft, village if known else None, Problem(P.FORM_RETRY))
    if units.find_village(session, village) is None:  # the introduction again, to pick her village
        return _intro(request, session, pub, draft, None, Problem(P.VILLAGE_NOT_FOUND, village=village[:20]))
    ratelimit.count(request, session, "start")
    _purge_now_and_then(request, session)
    first = flow.first_page(pub.survey)
    if first is None:
        raise Problem(P.PAGE_NOT_FOUND)
    new_draft = drafts.start_draft(session, pub.survey.name, pub.version_id, village, first.name)
    response = _see(request, "show_page", survey=pub.survey.name, page=first.name)
    set_draft_cookie(request, response, new_draft)
    return response


def _purge_now_and_then(request: Request, session: SessionDep) -> None:
    """Retention: expired drafts are deleted at start-up and at most hourly after (per process)."""
    state = request.app.state
    if state.clock() - getattr(state, "purged_at", 0.0) > PURGE_EVERY:
        state.purged_at = state.clock()
        drafts.purge_expired(session, state.settings.draft_days)


@router.get("/s/{survey}/done", name="done")
def done(request: Request, session: SessionDep, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep) -> Response:
    if draft is None or draft.status != DONE:
        return _see(request, "intro", survey=pub.survey.name)
    return _done(request, session, catalog, draft)


def _done(request: Request, session: SessionDep, catalog: CatalogDep, draft: Draft) -> Response:
    stored = responses.find_response(session, draft.survey, draft.instance_id)
    survey = _draft_survey(catalog, draft).survey
    ended = flow.end_message(survey, stored.answers) if stored and stored.outcome == flow.ENDED else None
    return render(request, "done.html", {"survey": survey, "ended": ended})


@router.get("/s/{survey}/p/{page}", name="show_page")
def show_page(request: Request, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep, page: str) -> Response:
    if draft is None:
        return _see(request, "intro", survey=pub.survey.name)
    if draft.status == DONE:
        return _see(request, "done", survey=pub.survey.name)
    published = _draft_survey(catalog, draft)
    target = _target(published, page)
    survey = published.survey
    edge = flow.reachable(survey, draft.answers, target)
    if edge is not None:  # not there yet: the first page still to answer
        return _see(request, "show_page", survey=survey.name, page=edge.name)
    return _page(request, draft, flow.page_view(survey, target, draft.answers))


def _page(request: Request, draft: Draft, view: flow.PageView) -> Response:
    context = {"view": view, "draft": draft, "csrf": form_token(request, draft), "survey_name": draft.survey}
    return render(request, "page.html", context)


def _turn(request: Request, answer: Callable[[], Response], name: str, **params: str) -> Response:
    """Where a post leads: a plain form post is redirected (post-redirect-get); htmx gets the next
    page itself in the same round trip, with its address pushed into the browser's history."""
    url = request.app.url_path_for(name, **params)
    if not is_htmx(request):
        return RedirectResponse(url, status_code=303)
    response = answer()
    response.headers["HX-Push-Url"] = str(url)
    return response


@router.post("/s/{survey}/p/{page}", name="post_page")
def post_page(request: Request, session: SessionDep, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep,
              form: FormDep, page: str) -> Response:
    if draft is None:
        return _see(request, "intro", survey=pub.survey.name)
    if draft.status == DONE:  # double tap, back-button resubmit or retry after a lost reply
        return _see(request, "done", survey=pub.survey.name)
    check_form_token(request, draft, str(form.get("csrf", "")))
    ratelimit.count(request, session, "post")
    published = _draft_survey(catalog, draft)
    target = _target(published, page)
    getlist = getlist_of(form)
    step = _save(session, published, draft, target, getlist, str(form.get("nav", "next")))
    if isinstance(step, flow.ShowErrors):
        view = flow.page_view(published.survey, target, step.answers, flow.form_of(getlist, list(form.keys())),
                              step.errors)
        return _page(request, draft, view)
    if isinstance(step, flow.Finish) or draft.status == DONE:
        return _turn(request, lambda: _done(request, session, catalog, draft), "done", survey=draft.survey)
    goal = step.page
    if goal is None:  # back before the first page
        return _turn(request, lambda: _intro(request, session, pub, draft, None), "intro", survey=draft.survey)
    page_view = flow.page_view(published.survey, _target(published, goal), draft.answers)
    return _turn(request, lambda: _page(request, draft, page_view), "show_page", survey=draft.survey, page=goal)


def _save(session: SessionDep, published: Published, draft: Draft, target: Page, getlist: Getlist,
          nav: str) -> flow.Step:
    """Decide the step and keep it; a concurrent save of the same draft makes us re-read and merge again."""
    for _ in range(SAVE_ATTEMPTS):
        step = flow.step(published.survey, draft.answers, target, getlist, nav)
        if isinstance(step, flow.Finish):  # claim the draft's revision first, so no concurrent save is lost
            if drafts.save_draft(session, draft, step.answers, target.name, answered=target.name):
                drafts.finish_draft(session, draft, published.number, step.answers, step.outcome)
                return step
        elif not isinstance(step, flow.GoTo) or drafts.save_draft(session, draft, step.answers, step.at,
                                                                  answered=target.name):
            return step
        if draft.status == DONE:  # finished meanwhile (a double tap on the last page)
            return step
    raise Problem(P.DRAFT_BUSY)


@router.post("/s/{survey}/p/{page}/refresh", name="refresh_page")
def refresh(request: Request, catalog: CatalogDep, pub: SurveyDep, draft: DraftDep, form: FormDep,
            page: str) -> Response:
    """htmx: re-apply this page's skip logic to the values being entered (nothing is saved).

    Only the questions whose visibility changed come back, each swapped out of band by its id: what
    she typed or tapped while the request was in flight stays where it is, focus and keyboard too.
    The page tells us what it shows (`_shown`); refreshes replace each other (`hx-sync`), so every
    answer is computed from the page as it stands."""
    if draft is None or draft.status == DONE:
        raise Problem(P.FORM_EXPIRED)
    published = _draft_survey(catalog, draft)
    target = _target(published, page)
    getlist = getlist_of(form)
    answers = flow.refreshed(published.survey, draft.answers, target, getlist)
    view = flow.page_view(published.survey, target, answers, flow.form_of(getlist, list(form.keys())))
    changed = flow.visibility_changes(view, set(getlist("_shown")))
    return render(request, "partials/refresh.html", {"view": view, "changed": changed, "survey_name": draft.survey})


def _resume_form(request: Request, problem: Problem | None = None, typed: str = "") -> Response:
    token, new = browser_token(request)
    response = render(request, "resume.html", {"problem": problem, "form_csrf": token, "typed": typed},
                      status_code=problem.status if problem else 200)
    return keep_browser_secret(request, response, new)


@router.get("/resume", name="resume_form")
def resume_form(request: Request) -> Response:
    return _resume_form(request)


@router.post("/resume", name="resume")
def resume(request: Request, session: SessionDep, catalog: CatalogDep,
           resume_code: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:
    typed = resume_code.strip()[:20]
    if not browser_token_valid(request, csrf):
        return _resume_form(request, Problem(P.FORM_RETRY), typed)
    ratelimit.check_locked(request, session, "resume")  # guessing codes: locked out for the window
    draft = drafts.draft_by_code(session, resume_code, request.app.state.settings.draft_days)
    if draft is None:  # the form again, with the message, so she can retype
        ratelimit.count(request, session, "resume")
        return _resume_form(request, Problem(P.RESUME_CODE_INVALID, resume_code=typed), typed)
    page = draft.page or getattr(flow.first_page(_draft_survey(catalog, draft).survey), "name", None)
    response = (_see(request, "show_page", survey=draft.survey, page=page) if page
                else _see(request, "intro", survey=draft.survey))
    set_draft_cookie(request, response, draft)
    return response


@router.get("/s/{survey}/{village}", name="intro_village")
def intro_village(request: Request, session: SessionDep, pub: OpenSurveyDep, draft: DraftDep, village: str) -> Response:
    if units.find_village(session, village) is None:  # the introduction with the village list instead
        return _intro(request, session, pub, draft, None, Problem(P.VILLAGE_NOT_FOUND, village=village[:20]))
    return _intro(request, session, pub, draft, village)
