"""Answers against a compiled questionnaire: skip logic, reading a page post, merging it, checking a response.

Invalid answers are data (a dict variable -> `Invalid`), never exceptions. The same rules serve the
phone pages (one page at a time, see `surveys.flow`) and the JSON API (a whole response at once).
No storage, no HTML, no URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveys.errors import AnswerErr, Invalid, invalid
from surveys.expr import Env
from surveys.kinds import AnswerError, Getlist, kind_of
from surveys.model import Page, Question, Survey

Answers = dict[str, Any]
Errors = dict[str, Invalid]


def make_env(survey: Survey, answers: Mapping[str, Any]) -> Env:
    """The environment conditions are evaluated in."""
    return Env(answers, survey.special_codes_of())


def page_shown(survey: Survey, page: Page, answers: Mapping[str, Any]) -> bool:
    """Is the page (module) asked, given the answers so far (its eligibility filter)?"""
    return page.show_if is None or page.show_if(make_env(survey, answers))


def shown_pages(survey: Survey, answers: Mapping[str, Any]) -> list[Page]:
    """The pages asked, in order, given the answers so far; stops after a page whose end_if holds."""
    out = []
    for page in survey.pages:
        if page_shown(survey, page, answers):
            out.append(page)
            if ends_after(survey, page, answers):
                break
    return out


def ends_after(survey: Survey, page: Page, answers: Mapping[str, Any]) -> bool:
    """Does the interview end after this page (refusal, screening out)?"""
    return page.end_if is not None and page.end_if(make_env(survey, answers))


def next_page(survey: Survey, current: str | None, answers: Mapping[str, Any]) -> Page | None:
    """The page after `current` (or the first page), skipping pages the filters remove."""
    pages = shown_pages(survey, answers)
    if current is None:
        return pages[0] if pages else None
    names = [p.name for p in pages]
    if current not in names:
        later = survey.pages[survey.page_index(current) + 1:]
        return next((p for p in later if p in pages), None)
    i = names.index(current)
    return pages[i + 1] if i + 1 < len(pages) else None


def previous_page(survey: Survey, current: str, answers: Mapping[str, Any]) -> Page | None:
    """The page before `current` among the pages asked."""
    pages = shown_pages(survey, answers)
    earlier = survey.pages[: survey.page_index(current)]
    return next((p for p in reversed(earlier) if p in pages), None)


def shown_questions(survey: Survey, page: Page, answers: Mapping[str, Any]) -> list[Question]:
    """Questions of the page that are asked, given answers (earlier ones on the page included)."""
    env = make_env(survey, answers)
    return [q for q in page.questions if q.show_if is None or q.show_if(env)]


def read_page(survey: Survey, page: Page, getlist: Getlist, prior: Mapping[str, Any]) -> tuple[Answers, Errors]:
    """Read one page's form post: its answers (hidden questions dropped) and errors by variable."""
    answers: Answers = {}
    errors: Errors = {}
    merged = merge_page(prior, page, {})
    for q in page.questions:
        if q.show_if is not None and not q.show_if(make_env(survey, merged)):
            continue
        try:
            values = kind_of(q).from_form(q, getlist)
        except AnswerError as exc:
            errors[q.variables[0]] = exc.invalid
            continue
        for var, value in values.items():
            if value is not None:
                answers[var] = merged[var] = value
        errors.update(_check_question(q, values))
    errors.update(_check_constraints(survey, page, merged, errors))
    return answers, errors


def merge_page(saved: Mapping[str, Any], page: Page, answers: Mapping[str, Any]) -> Answers:
    """Saved answers with this page's answers replaced by `answers` (the one merge of a page post)."""
    return {**{k: v for k, v in saved.items() if k not in page.variables}, **answers}


def _check_question(q: Question, values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    for var in q.variables:
        value = values.get(var)
        if value is None:
            if q.required:
                errors[var] = invalid(kind_of(q).missing)
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value in q.special_codes:
            continue
        problem = kind_of(q).check(q, value)
        if problem:
            errors[var] = problem
    return errors


def _check_constraints(survey: Survey, page: Page, merged: Mapping[str, Any], errors: Errors) -> Errors:
    out: Errors = {}
    env = make_env(survey, merged)
    for c in page.constraints:
        if c.question in errors or any(n in errors or env.ordinary(n) is None for n in c.check.names):
            continue
        if not c.check(env):
            out[c.question] = invalid(AnswerErr.CONSTRAINT, message=c.message)
    return out


def prune(survey: Survey, answers: Mapping[str, Any]) -> Answers:
    """Keep only answers to questions still asked (after the respondent went back and changed course)."""
    kept: Answers = {}
    for page in shown_pages(survey, answers):
        for q in shown_questions(survey, page, {**answers, **kept}):
            kept.update({v: answers[v] for v in q.variables if v in answers})
    return kept


def page_errors(survey: Survey, page: Page, answers: Mapping[str, Any]) -> Errors:
    """What is wrong with the answers to one page as a whole response would be checked."""
    errors: Errors = {}
    for q in shown_questions(survey, page, answers):
        errors.update(_check_question(q, {v: answers.get(v) for v in q.variables}))
    errors.update(_check_constraints(survey, page, answers, errors))
    return errors


def check_response(survey: Survey, answers: Mapping[str, Any]) -> tuple[str, Errors]:
    """Check a whole response: outcome ("complete" or "ended") and errors by variable."""
    errors: Errors = {}
    known = set(survey.variables)
    for var in answers:
        if var not in known:
            errors[var] = invalid(AnswerErr.UNKNOWN_QUESTION)
    asked: set[str] = set()
    outcome = "complete"
    for page in shown_pages(survey, answers):
        asked.update(v for q in shown_questions(survey, page, answers) for v in q.variables)
        errors.update(page_errors(survey, page, answers))
        if ends_after(survey, page, answers):
            outcome = "ended"
    for var in known & set(answers) - asked:
        errors[var] = invalid(AnswerErr.NOT_ASKED)
    return outcome, errors
