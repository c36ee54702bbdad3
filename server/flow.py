"""The respondent's walk through a questionnaire: what a page shows and what a page post does.

Routes call `page_view` to get a page's template data and `submit_page` to handle a post; both read
the compiled questionnaire (surveys.answers) and write only through `server.store`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from server import store
from server.catalog import Published
from server.tables import Draft, utcnow
from surveys.answers import (
    Errors,
    ends_after,
    make_env,
    next_page,
    previous_page,
    prune,
    read_page,
    shown_pages,
)
from surveys.kinds import Getlist, to_form
from surveys.model import Page, Question, Survey


@dataclass(frozen=True)
class Item:
    """A question as rendered: `noscript` when skip logic on this same page hides it for now."""

    question: Question
    noscript: bool
    controls: bool


@dataclass
class PageView:
    page: Page
    items: list[Item]
    form: dict[str, list[str]]
    errors: Errors
    number: int
    total: int
    first: bool

    @property
    def labels(self) -> dict[str, str]:
        """Short labels by variable for the error summary (a matrix row by its own label)."""
        out = {}
        for q in self.page.questions:
            out[q.name] = q.label
            out.update({r.name: r.label for r in q.rows})
        return {k: v if len(v) <= 24 else v[:23] + "…" for k, v in out.items()}


def page_vars(page: Page) -> set[str]:
    return {v for q in page.questions for v in q.variables}


def page_view(survey: Survey, page: Page, answers: dict[str, Any], form: dict[str, list[str]] | None = None,
              errors: Errors | None = None) -> PageView:
    """Everything the page template needs, with skip logic applied to `answers`."""
    env = make_env(survey, answers)
    on_page = page_vars(page)
    controls = {ref for q in page.questions if q.show_if for ref in q.show_if.names if ref in on_page}
    items = []
    for q in page.questions:
        shown = q.show_if is None or q.show_if(env)
        same_page = q.show_if is not None and bool(q.show_if.names & on_page)
        if shown or same_page:
            items.append(Item(q, noscript=not shown, controls=bool(set(q.variables) & controls)))
    if form is None:
        form = {}
        for q in page.questions:
            form.update(to_form(q, answers))
    pages = shown_pages(survey, answers)
    names = [p.name for p in pages]
    number = names.index(page.name) + 1 if page.name in names else 1
    return PageView(page, items, form, errors or {}, number, max(len(pages), number), number == 1)


def merge(saved: dict[str, Any], page: Page, answers: dict[str, Any]) -> dict[str, Any]:
    """Saved answers with this page's answers replaced by a new post."""
    return {**{k: v for k, v in saved.items() if k not in page_vars(page)}, **answers}


def form_dict(getlist: Getlist, keys: list[str]) -> dict[str, list[str]]:
    return {k: getlist(k) for k in keys}


@dataclass
class Outcome:
    """What a page post led to: errors to show, or the URL to go to next."""

    errors: Errors = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    url: str | None = None


def submit_page(session: Session, pub: Published, draft: Draft, page: Page, getlist: Getlist,
                nav: str) -> Outcome:
    """Read a page post; save it; move on (or back), finishing the response after the last page."""
    survey = pub.survey
    answers, errors = read_page(survey, page, getlist, draft.answers)
    merged = merge(draft.answers, page, answers)
    base = f"/s/{survey.name}"
    if nav == "back":
        before = previous_page(survey, page.name, merged)
        store.save_draft_page(session, draft, page_vars(page), answers, before.name if before else page.name)
        return Outcome(url=f"{base}/p/{before.name}" if before else base)
    if errors:
        return Outcome(errors=errors, answers=merged)
    following = None if ends_after(survey, page, merged) else next_page(survey, page.name, merged)
    if following is None:
        finish(session, pub, draft, merged, "ended" if ends_after(survey, page, merged) else "complete")
        return Outcome(url=f"{base}/done")
    store.save_draft_page(session, draft, page_vars(page), answers, following.name)
    return Outcome(url=f"{base}/p/{following.name}")


def payload_hash(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a payload (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def finish(session: Session, pub: Published, draft: Draft, answers: dict[str, Any], outcome: str) -> None:
    """Store the draft's response once, keeping only answers to questions that were asked."""
    kept = prune(pub.survey, answers)
    digest = payload_hash({"version": pub.number, "village": draft.village, "answers": kept})
    new = store.NewResponse(
        survey=pub.survey.name, version_id=draft.version_id, instance_id=draft.instance_id, village=draft.village,
        answers=kept, outcome=outcome, channel="web", payload_sha256=digest, started_at=draft.started_at,
        completed_at=utcnow(),
    )
    store.finish_draft(session, draft, new)


def end_message(survey: Survey, answers: dict[str, Any]) -> str | None:
    """The end_message of the page that ended an interview early, if any."""
    for page in shown_pages(survey, answers):
        if ends_after(survey, page, answers):
            return page.end_message
    return None
