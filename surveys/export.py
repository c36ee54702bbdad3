"""Plain-data renderings of a compiled questionnaire (for the JSON API and field devices).

A rendering, not a second description: everything comes from the compiled `Survey`.
"""

from __future__ import annotations

from typing import Any

from surveys.model import Question, Survey


def _question(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"name": q.name, "kind": q.kind, "label": q.label, "required": q.required}
    optional = {
        "label_en": q.label_en, "help": q.help, "show_if": q.show_if.source if q.show_if else None,
        "choices": [{"code": c.code, "label": c.label} for c in q.choices] or None,
        "special": [{"code": s.code, "label": s.label} for s in q.special] or None,
        "rows": [{"name": r.name, "label": r.label} for r in q.rows] or None,
        "exclusive": sorted(q.exclusive) or None, "max_choices": q.max_choices, "min_choices": q.min_choices,
        "min": q.min, "max": q.max, "unit": q.unit, "top": q.top, "indicators": list(q.indicators) or None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def definition_dict(survey: Survey) -> dict[str, Any]:
    """The questionnaire as JSON-ready data: pages, questions, choices, conditions as text."""
    return {
        "name": survey.name, "title": survey.title, "sha256": survey.sha256, "minutes": survey.minutes,
        "pages": [
            {"name": p.name, "title": p.title, "show_if": p.show_if.source if p.show_if else None,
             "end_if": p.end_if.source if p.end_if else None, "questions": [_question(q) for q in p.questions]}
            for p in survey.pages
        ],
    }
