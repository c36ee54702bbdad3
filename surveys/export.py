"""Plain-data renderings of a compiled questionnaire (for the JSON API and field devices).

A rendering, not a second description: everything comes from the compiled `Survey`. Every condition
is served twice, as its text (`show_if`) and as its syntax tree (`show_if_tree`, see `surveys.expr`),
and every question with the keys its kind reads when an answer is checked, so a field device can run
the same skip logic and checks offline (static/field/engine.js).
"""

from __future__ import annotations

from typing import Any

from surveys.expr import Condition, Node
from surveys.kinds import kind_of
from surveys.model import Page, Question, Survey


def _source(cond: Condition | None) -> str | None:
    return cond.source if cond else None


def _tree(cond: Condition | None) -> Node | None:
    return cond.tree if cond else None


def _question(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"name": q.name, "kind": q.kind, "label": q.label, "required": q.required}
    keys = kind_of(q).keys
    optional = {
        "label_en": q.label_en, "help": q.help, "show_if": _source(q.show_if), "show_if_tree": _tree(q.show_if),
        "choices": [{"code": c.code, "label": c.label} for c in q.choices] or None,
        "special": [{"code": s.code, "label": s.label} for s in q.special] or None,
        "rows": [{"name": r.name, "label": r.label} for r in q.rows] or None,
        "exclusive": sorted(q.exclusive) or None, "max_choices": q.max_choices, "min_choices": q.min_choices,
        "min": q.min, "max": q.max, "unit": q.unit, "top": q.top, "indicators": list(q.indicators) or None,
        "decimals": q.decimals if "decimals" in keys else None,
        "max_length": q.max_length if "max_length" in keys else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def _page(p: Page) -> dict[str, Any]:
    return {
        "name": p.name, "title": p.title,
        "show_if": _source(p.show_if), "show_if_tree": _tree(p.show_if),
        "end_if": _source(p.end_if), "end_if_tree": _tree(p.end_if), "end_message": p.end_message,
        "constraints": [{"check": c.check.source, "check_tree": c.check.tree, "message": c.message,
                         "question": c.question} for c in p.constraints],
        "questions": [_question(q) for q in p.questions],
    }


def definition_dict(survey: Survey) -> dict[str, Any]:
    """The questionnaire as JSON-ready data: pages, questions, choices, conditions as text and as trees."""
    return {
        "name": survey.name, "title": survey.title, "sha256": survey.sha256, "minutes": survey.minutes,
        "pages": [_page(p) for p in survey.pages],
    }
