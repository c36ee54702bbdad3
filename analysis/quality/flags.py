"""Automatic review flags on responses (issue 13): speeding, straightlining, duplicates, item nonresponse.

Each response is described by `Facts` (what the server knows of it: its answers as stored, its village,
its duration); `flag_responses` returns, for one batch of responses to one questionnaire version, the
flags of each response, each with a Chinese label for reviewers and a detail mapping saying why.

An *item* is one stored variable: a question, or one row of a matrix (each row is a variable of its
own). An item is *asked* when the questionnaire's skip logic shows it given the response's own answers
(`surveys.answers.shown_pages` and `shown_questions`: a page filtered out, a question hidden by its
`show_if` or a page after an `end_if` is not asked). The indicators follow the survey-methodology
literature on paradata and response quality:

- speeding: completion time per item well below a plausible reading time, or far below the typical
  time of the batch (Zhang & Conrad, "Speeding in web surveys", Survey Research Methods 8(2), 2014;
  Greszki, Meyer & Schoen, Public Opinion Quarterly 79, 2015, use a share of the median);
- straightlining: the same answer on every row of a long grid (Kim, Dykema, Stevenson, Black & Moberg,
  "Straightlining: overview of measurement, comparison of indicators", Social Science Computer Review
  37(2), 2019; only grids of several rows, since short grids are often answered alike honestly);
- duplicate: the same answers, exactly, in several responses of one village, a sign of copied or
  fabricated interviews (Kuriakose & Robbins, "Don't get duped: fraud through duplication in public
  opinion surveys", Statistical Journal of the IAOS 32, 2016);
- item nonresponse: the share of asked items left unanswered or answered with a special code
  (don't know, refuse), as in de Leeuw, Hox & Huisman, "Prevention and treatment of item nonresponse",
  Journal of Official Statistics 19(2), 2003.

Must not read storage or render anything; imports of ours: the compiled questionnaire and its skip logic.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.answers import shown_pages, shown_questions
from surveys.model import Question, Survey

SPEEDING, STRAIGHTLINING, DUPLICATE, ITEM_NONRESPONSE = "speeding", "straightlining", "duplicate", "item_nonresponse"
LABELS = {SPEEDING: "答题过快", STRAIGHTLINING: "矩阵题同一答案", DUPLICATE: "答案重复",
          ITEM_NONRESPONSE: "项目无回答比例高"}
# The reasons a speeding flag records (both may hold at once).
PER_ANSWER, MEDIAN = "per_answer", "median"


@dataclass(frozen=True)
class Facts:
    """What the server knows about one response: its answers as stored (variable -> value), the village
    it was collected in, its duration in seconds (None when unknown), time per page and page revisits.
    No flag of this module reads `page_seconds` or `revisits` yet; they travel with the facts so that
    reviewers and later paradata flags see them."""

    response_id: str
    village_code: str | None
    answers: Mapping[str, Any]
    duration_seconds: float | None
    page_seconds: Mapping[str, float] | None = None
    revisits: int = 0


@dataclass(frozen=True)
class Thresholds:
    """When a flag is raised; the defaults are conservative, meant to send a response to review only.

    - `seconds_per_answer`: speeding when the duration is below this many seconds times the number of
      items answered (2 s: less than the time to read a short question and tap an answer);
    - `median_fraction`: speeding when the duration is below this fraction of the median duration of
      the responses of the batch that have one (1/3);
    - `matrix_min_rows`: straightlining when every row of an asked matrix of at least this many rows
      has the same answer (5);
    - `item_nonresponse`: flagged when more than this share of asked items is unanswered or a special
      code (0.2);
    - `duplicate_min_answers`: identical answers make a duplicate only when at least this many items
      are answered (5), so that two short ended interviews (say, both refusing consent) are not flagged;
      the duplicate group is every response of a village with the same answers, two or more.
    """

    seconds_per_answer: float = 2.0
    median_fraction: float = 1 / 3
    matrix_min_rows: int = 5
    item_nonresponse: float = 0.2
    duplicate_min_answers: int = 5


@dataclass(frozen=True)
class Flag:
    """One reason to review a response: `code` (stable), `label` (Chinese, for reviewers), `detail`."""

    code: str
    label: str
    detail: Mapping[str, Any]


def _flag(code: str, **detail: Any) -> Flag:
    return Flag(code, LABELS[code], detail)


def fingerprint(answers: Mapping[str, Any]) -> str:
    """The sha256 (hex) of the answers' canonical JSON: keys sorted, no spaces, UTF-8."""
    text = json.dumps(dict(answers), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _asked_questions(survey: Survey, answers: Mapping[str, Any]) -> Iterator[Question]:
    """The questions the skip logic asks, given the answers, in questionnaire order."""
    for page in shown_pages(survey, answers):
        yield from shown_questions(survey, page, answers)


def _asked(survey: Survey, answers: Mapping[str, Any]) -> Iterator[str]:
    """The items (stored variables) asked, given the answers."""
    for question in _asked_questions(survey, answers):
        yield from question.variables


def _given(value: Any) -> bool:
    """Is a stored value an answer at all (a special code counts; missing or empty does not)?"""
    return value is not None and value != [] and value != ""


def _special(survey: Survey, variable: str, value: Any) -> bool:
    codes = survey.special_codes_of().get(variable, frozenset())
    return isinstance(value, int) and not isinstance(value, bool) and value in codes


def answered_count(questionnaire: Survey, answers: Mapping[str, Any]) -> int:
    """How many asked items have an answer (special codes such as don't know included)."""
    return sum(1 for v in _asked(questionnaire, answers) if _given(answers.get(v)))


def _nonresponse(survey: Survey, answers: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """The asked items, those left unanswered, and those answered with a special code."""
    asked = list(_asked(survey, answers))
    missing = [v for v in asked if not _given(answers.get(v))]
    special = [v for v in asked if _special(survey, v, answers.get(v))]
    return asked, missing, special


def _share(asked: list[str], missing: list[str], special: list[str]) -> float:
    return (len(missing) + len(special)) / len(asked) if asked else 0.0


def item_nonresponse_share(questionnaire: Survey, answers: Mapping[str, Any]) -> float:
    """The share of asked items unanswered or answered with a special code (0.0 when none is asked)."""
    return _share(*_nonresponse(questionnaire, answers))


def _speeding(survey: Survey, facts: Facts, median: float | None, t: Thresholds) -> Flag | None:
    if facts.duration_seconds is None:
        return None
    answered = answered_count(survey, facts.answers)
    floor = t.seconds_per_answer * answered
    reasons = []
    if facts.duration_seconds < floor:
        reasons.append(PER_ANSWER)
    if median is not None and facts.duration_seconds < median * t.median_fraction:
        reasons.append(MEDIAN)
    if not reasons:
        return None
    return _flag(SPEEDING, reasons=tuple(reasons), duration_seconds=facts.duration_seconds, answered=answered,
                 minimum_seconds=floor, median_seconds=median)


def _straightlining(survey: Survey, answers: Mapping[str, Any], t: Thresholds) -> Flag | None:
    """Asked matrices of at least `matrix_min_rows` rows whose rows all hold one same answer (a special
    code such as don't know included); detail: matrix name -> that answer."""
    same: dict[str, Any] = {}
    for question in _asked_questions(survey, answers):
        if len(question.rows) < t.matrix_min_rows:
            continue
        values = [answers.get(row.name) for row in question.rows]
        if _given(values[0]) and all(v == values[0] for v in values):
            same[question.name] = values[0]
    return _flag(STRAIGHTLINING, matrices=same) if same else None


def _item_nonresponse(survey: Survey, answers: Mapping[str, Any], t: Thresholds) -> Flag | None:
    asked, missing, special = _nonresponse(survey, answers)
    share = _share(asked, missing, special)
    if share <= t.item_nonresponse:
        return None
    return _flag(ITEM_NONRESPONSE, share=share, asked=len(asked), missing=tuple(missing), special=tuple(special))


def _duplicates(survey: Survey, batch: Sequence[Facts], t: Thresholds) -> dict[str, Flag]:
    """A flag for every member of a group of two or more responses of one village with the same answers."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for facts in batch:
        if facts.village_code is None or answered_count(survey, facts.answers) < t.duplicate_min_answers:
            continue
        groups[(facts.village_code, fingerprint(facts.answers))].append(facts.response_id)
    out = {}
    for (village, print_), ids in groups.items():
        if len(ids) < 2:
            continue
        for rid in ids:
            others = tuple(other for other in ids if other != rid)
            out[rid] = _flag(DUPLICATE, fingerprint=print_, village_code=village, others=others)
    return out


def flag_responses(questionnaire: Survey, facts: Sequence[Facts],
                   thresholds: Thresholds = Thresholds()) -> dict[str, tuple[Flag, ...]]:
    """The flags of each response of a batch (one questionnaire version), by response id; () when clean.

    Flags come in a fixed order: speeding, straightlining, duplicate, item nonresponse. The median for
    speeding is over the responses of the batch that have a duration; a response without one is never
    flagged as speeding but gets every other flag."""
    durations = [f.duration_seconds for f in facts if f.duration_seconds is not None]
    median = statistics.median(durations) if durations else None
    duplicates = _duplicates(questionnaire, facts, thresholds)
    out: dict[str, tuple[Flag, ...]] = {}
    for one in facts:
        found = (_speeding(questionnaire, one, median, thresholds),
                 _straightlining(questionnaire, one.answers, thresholds),
                 duplicates.get(one.response_id),
                 _item_nonresponse(questionnaire, one.answers, thresholds))
        out[one.response_id] = tuple(f for f in found if f is not None)
    return out
