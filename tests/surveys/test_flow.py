"""Page flow is a pure function: (questionnaire, answers, page, post, navigation) -> step."""

from __future__ import annotations

from typing import Any

from surveys import flow
from tests.surveys.test_answers import GOOD, SURVEY


def getlist(form: dict[str, Any]):  # type: ignore[no-untyped-def]
    return lambda k: [form[k]] if isinstance(form.get(k), str) else form.get(k, [])


def page(name: str):  # type: ignore[no-untyped-def]
    found = SURVEY.page(name)
    assert found is not None
    return found


def test_next_goes_to_the_following_page_with_the_merged_answers() -> None:
    step = flow.step(SURVEY, {"consent": 1}, page("p1"), getlist({"consent": "1"}), "next")
    assert step == flow.GoTo({"consent": 1}, "p2", "p2")


def test_errors_are_shown_and_nothing_moves() -> None:
    step = flow.step(SURVEY, {"consent": 1}, page("p2"), getlist({**GOOD, "age": "12"}), "next")
    assert isinstance(step, flow.ShowErrors) and set(step.errors) == {"age"}


def test_back_saves_what_was_typed_and_goes_back_even_with_errors() -> None:
    step = flow.step(SURVEY, {"consent": 1}, page("p2"), getlist({"age": "12"}), "back")
    assert step == flow.GoTo({"consent": 1, "age": 12}, "p1", "p1")
    first = flow.step(SURVEY, {}, page("p1"), getlist({}), "back")
    assert first == flow.GoTo({}, None, "p1")  # back to the introduction; the draft reopens at p1


def test_end_if_finishes_politely_with_only_the_answers_given() -> None:
    step = flow.step(SURVEY, {"age": 30}, page("p1"), getlist({"consent": "2"}), "next")
    assert step == flow.Finish({"consent": 2}, flow.ENDED)
    assert flow.end_message(SURVEY, step.answers) is None  # the demo page has no end message


def test_last_page_finishes_complete_and_prunes_answers_no_longer_asked() -> None:
    answers = {"consent": 1, "screen": 1}
    step = flow.step(SURVEY, answers, page("p2"), getlist({**GOOD, "age": "30"}), "next")
    assert isinstance(step, flow.Finish) and step.outcome == flow.COMPLETE and "screen" not in step.answers


def test_page_view_counts_pages_and_marks_same_page_skip_logic() -> None:
    view = flow.page_view(SURVEY, page("p2"), {"consent": 1, "kids": 0})
    items = {i.question.name: i for i in view.items}
    assert items["kids_small"].noscript and items["kids"].controls
    assert (view.number, view.total) == (2, 3)  # p3's filter reads this page: it may still be asked
    older = {"consent": 1, "age": 30, "needs": [1]}
    assert (flow.page_view(SURVEY, page("p2"), older).number, flow.page_view(SURVEY, page("p1"), older).total) == (2, 3)
    assert flow.first_page(SURVEY) == page("p1")
