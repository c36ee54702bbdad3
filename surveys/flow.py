"""The respondent's walk through a questionnaire, one page at a time: pure functions, no storage, no URLs.

`step` takes (questionnaire, answers so far, current page, posted form, navigation) and says what
happens next: show the page again with its errors, go to another page, or finish (complete, or ended
politely by an `end_if`) with the final answers. `page_view` says what a page shows. The server
renders these and stores what they return; it never decides flow itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surveys.answers import (
    Answers,
    Errors,
    check_response,
    ends_after,
    make_env,
    merge_page,
    next_page,
    page_errors,
    previous_page,
    prune,
    read_page,
    shown_pages,
)
from surveys.describe import when_to_answer
from surveys.kinds import Form, Getlist, to_form
from surveys.model import Page, Question, Survey

COMPLETE, ENDED = "complete", "ended"


@dataclass(frozen=True)
class ShowErrors:
    """The post has invalid answers: show the page again with them (nothing is saved)."""

    answers: Answers
    errors: Errors


@dataclass(frozen=True)
class GoTo:
    """Save the answers and go to `page` (None: back before the first page, to the introduction);
    `at` is the page a resumed draft reopens."""

    answers: Answers
    page: str | None
    at: str


@dataclass(frozen=True)
class Finish:
    """The interview is over: store `answers` (only questions asked) with `outcome` complete or ended."""

    answers: Answers
    outcome: str


@dataclass(frozen=True)
class Elsewhere:
    """The post is for a page the respondent has not reached, or would finish with gaps: go to `page`
    (the first page still to answer) and save nothing."""

    page: str


Step = ShowErrors | GoTo | Finish | Elsewhere


def first_page(survey: Survey) -> Page | None:
    """Where a new draft starts."""
    return next_page(survey, None, {})


def frontier(survey: Survey, answers: Mapping[str, Any]) -> Page | None:
    """The first page asked whose answers are not all valid yet (None: every page asked is)."""
    return next((p for p in shown_pages(survey, answers) if page_errors(survey, p, answers)), None)


def reachable(survey: Survey, answers: Mapping[str, Any], page: Page) -> Page | None:
    """None when the respondent may be on `page`; else the page she must answer first."""
    edge = frontier(survey, answers)
    if edge is None or survey.page_index(page.name) <= survey.page_index(edge.name):
        return None
    return edge


def step(survey: Survey, answers: Mapping[str, Any], page: Page, getlist: Getlist, nav: str) -> Step:
    """What a page post leads to; `nav` is "back" or "next"."""
    edge = reachable(survey, answers, page)
    if edge is not None:
        return Elsewhere(edge.name)
    posted, errors = read_page(survey, page, getlist, answers)
    merged = merge_page(answers, page, posted)
    if nav == "back":
        before = previous_page(survey, page.name, merged)
        return GoTo(merged, before.name if before else None, before.name if before else page.name)
    if errors:
        return ShowErrors(merged, errors)
    following = None if ends_after(survey, page, merged) else next_page(survey, page.name, merged)
    if following is not None:
        return GoTo(merged, following.name, following.name)
    final = prune(survey, merged)
    outcome, problems = check_response(survey, final)  # the same full check as the JSON API
    if problems:
        gap = frontier(survey, final)
        return Elsewhere(gap.name if gap else page.name)
    return Finish(final, outcome)


def refreshed(survey: Survey, answers: Mapping[str, Any], page: Page, getlist: Getlist) -> Answers:
    """The answers with this page's values as typed so far, to re-apply its skip logic (htmx)."""
    posted, _ = read_page(survey, page, getlist, answers)
    return merge_page(answers, page, posted)


def end_message(survey: Survey, answers: Mapping[str, Any]) -> str | None:
    """The end_message of the page that ended an interview early, if any."""
    for page in shown_pages(survey, answers):
        if ends_after(survey, page, answers):
            return page.end_message
    return None


@dataclass(frozen=True)
class Item:
    """A question as rendered: `noscript` when skip logic on this same page hides it for now, then
    `condition` says in words when to answer it (for a respondent with JavaScript off)."""

    question: Question
    noscript: bool
    controls: bool
    condition: str | None = None


@dataclass(frozen=True)
class PageView:
    """Everything a page template needs."""

    survey: Survey
    page: Page
    items: list[Item]
    form: Form
    errors: Errors
    number: int
    total: int

    @property
    def labels(self) -> dict[str, str]:
        """Short labels by variable for the error summary (a matrix row by its own label)."""
        out = {}
        for q in self.page.questions:
            out[q.name] = q.label
            out.update({r.name: r.label for r in q.rows})
        return {k: v if len(v) <= 24 else v[:23] + "…" for k, v in out.items()}


def page_view(survey: Survey, page: Page, answers: Mapping[str, Any], form: Form | None = None,
              errors: Errors | None = None) -> PageView:
    """The page with skip logic applied to `answers`; `form` refills it as posted (else from `answers`)."""
    env = make_env(survey, answers)
    controls = {ref for q in page.questions if q.show_if for ref in q.show_if.names if ref in page.variables}
    items = []
    for q in page.questions:
        shown = q.show_if is None or q.show_if(env)
        same_page = q.show_if is not None and bool(q.show_if.names & page.variables)
        if shown or same_page:
            condition = when_to_answer(survey, q.show_if) if not shown and q.show_if is not None else None
            items.append(Item(q, noscript=not shown, controls=bool(set(q.variables) & controls), condition=condition))
    if form is None:
        form = {}
        for q in page.questions:
            form.update(to_form(q, dict(answers)))
    number, total = page_count(survey, page, answers)
    return PageView(survey, page, items, form, errors or {}, number, total)


def page_count(survey: Survey, page: Page, answers: Mapping[str, Any]) -> tuple[int, int]:
    """"第 n / N 页": n counts the pages asked up to this one; N adds every later page that may still be
    asked. A later page is left out only when its filter reads nothing from this page on and is false, so
    walking forward N never grows: it only shrinks when an answer rules a module out."""
    here = survey.page_index(page.name)
    number = 1 + sum(1 for p in shown_pages(survey, answers) if survey.page_index(p.name) < here)
    settled = frozenset(v for p in survey.pages[:here] for v in p.variables)
    env = make_env(survey, answers)
    later = [p for p in survey.pages[here + 1:]
             if p.show_if is None or not p.show_if.names <= settled or p.show_if(env)]
    return number, number + len(later)


def visibility_changes(view: PageView, shown: set[str]) -> list[Item]:
    """The items whose visibility differs from what the page shows now (`shown`: names on screen)."""
    return [it for it in view.items if it.noscript == (it.question.name in shown)]


def form_of(getlist: Getlist, keys: list[str]) -> Form:
    """A posted form as the dict `page_view` refills a page from."""
    return {k: getlist(k) for k in keys}
