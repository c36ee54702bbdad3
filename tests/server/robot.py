"""A respondent with JavaScript off: reads each page's HTML, fills the questions the page asks with
plain form posts, and records what it answered, so tests can compare with what was stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bs4 import BeautifulSoup

from surveys.answers import make_env
from surveys.kinds import to_form
from surveys.model import Question, Survey

VILLAGE = "149901001205"
# Answers that keep a respondent inside each questionnaire's target group (the age screens accept any
# plausible age and end the interview politely outside it), unless a test overrides them.
ELIGIBLE: dict[str, dict[str, Any]] = {"women": {"age": 18}, "child": {"age": 10}, "caregiver": {"carer_age": 16}}


def browser_csrf(client: Any) -> str:
    """The anti-forgery token of this client's start and resume forms (as a browser gets it from the
    form it is about to post: the token is bound to the client's form cookie)."""
    page = client.get("/resume")
    return str(BeautifulSoup(page.text, "html.parser").select_one("input[name=csrf]")["value"])


def default_answer(q: Question) -> Any:
    """A valid answer a respondent could give, from the compiled question alone."""
    if q.kind == "single":
        return q.choices[0].code
    if q.kind == "multiple":
        return [next(c.code for c in q.choices if c.code not in q.exclusive)]
    if q.kind == "ranking":
        return [c.code for c in q.choices[: q.top]]
    if q.kind == "integer":
        return q.min if q.min is not None else 1
    if q.kind == "decimal":
        return float(q.min if q.min is not None else 1)
    if q.kind == "duration":
        return min(90, q.max if q.max is not None else 1440)
    if q.kind == "date":
        return (dt.date.today() if q.max == "today" or q.min is None else dt.date.fromisoformat(q.min)).isoformat()
    if q.kind == "text":
        return "希望多组织亲子活动"
    raise AssertionError(q.kind)


class Robot:
    def __init__(self, client: Any, survey: Survey, overrides: dict[str, Any] | None = None):
        self.client, self.survey = client, survey
        self.overrides = {**ELIGIBLE.get(survey.name, {}), **(overrides or {})}
        self.answers: dict[str, Any] = {}
        self.visited: list[str] = []

    def fill(self, page_name: str, html: str) -> dict[str, Any]:
        """The form post for a page: every question the page asks, given the answers so far."""
        soup = BeautifulSoup(html, "html.parser")
        rendered = {fs["id"][2:] for fs in soup.select("fieldset[id], div.note[id]")}
        page = self.survey.page(page_name)
        assert page is not None
        data: dict[str, Any] = {"csrf": soup.select_one("input[name=csrf]")["value"], "nav": "next"}
        for q in page.questions:
            if q.kind == "note" or (q.show_if is not None and not q.show_if(make_env(self.survey, self.answers))):
                continue
            assert q.variables[0] in rendered, f"{q.name} is asked but not on the page"
            if q.kind == "matrix":
                values = {r.name: self.overrides.get(r.name, q.choices[i % len(q.choices)].code)
                          for i, r in enumerate(q.rows)}
            else:
                values = {q.name: self.overrides.get(q.name, default_answer(q))}
            self.answers.update(values)
            data.update(to_form(q, values))
        return data

    def run(self, village: str = VILLAGE) -> str:
        """Answer from the introduction to the end; returns the final page's HTML."""
        assert self.client.get(f"/s/{self.survey.name}/{village}").status_code == 200
        response = self.client.post(f"/s/{self.survey.name}/start", data={"village": village, "csrf": browser_csrf(self.client)})
        return self.walk(response)

    def walk(self, response: Any) -> str:
        """Answer from the page `response` shows (the first, after a start) to the end."""
        while not response.url.path.endswith("/done"):
            assert response.status_code == 200, response.text
            page_name = response.url.path.rsplit("/", 1)[1]
            self.visited.append(page_name)
            response = self.client.post(response.url.path, data=self.fill(page_name, response.text))
            errors = BeautifulSoup(response.text, "html.parser").select(".error")
            assert not errors, [e.get_text() for e in errors]
        return response.text


def complete_answers(survey: Survey, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A whole valid response (as the JSON API takes it), following the skip logic."""
    from surveys.answers import ends_after, page_shown

    overrides = {**ELIGIBLE.get(survey.name, {}), **(overrides or {})}
    answers: dict[str, Any] = {}
    for page in survey.pages:
        if not page_shown(survey, page, answers):
            continue
        for q in page.questions:
            if q.kind == "note" or (q.show_if is not None and not q.show_if(make_env(survey, answers))):
                continue
            if q.kind == "matrix":
                answers.update({r.name: overrides.get(r.name, q.choices[0].code) for r in q.rows})
            else:
                answers[q.name] = overrides.get(q.name, default_answer(q))
        if ends_after(survey, page, answers):
            break
    return answers
