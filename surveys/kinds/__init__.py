"""The question-kind table: one row per kind, the single place that says what a kind is.

For each kind: the definition keys it accepts and needs, how its min/max bounds are checked, its
stored variables and their pandas dtype, its value labels and export columns, the ways a condition
may use it, the template macro (and the control it draws), how a form post becomes an answer, how
a stored answer refills a form, and how an answer is checked. Pages, the JSON API, exports and
analysis all go through this table (pyxform's question-type dictionary). No code outside this
package compares a kind's name. Pure functions; no rendering, no storage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.errors import AnswerErr, Invalid
from surveys.kinds import checks as c
from surveys.kinds import forms as f
from surveys.kinds.checks import BoundProblems
from surveys.kinds.forms import AnswerError, Form, Getlist
from surveys.model import Question

__all__ = ["KINDS", "Kind", "AnswerError", "Answers", "Column", "Form", "Getlist", "kind_of", "to_form", "value_labels", "dtypes",
           "export_columns", "frame_columns"]


# --- stored variables and export columns ----------------------------------------------------------


def _own(name: str, rows: tuple[str, ...]) -> tuple[str, ...]:
    return (name,)


def _rows(name: str, rows: tuple[str, ...]) -> tuple[str, ...]:
    return rows


def _none(name: str, rows: tuple[str, ...]) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Column:
    """One column of the analysis frame that a question contributes (see surveys/frame.py)."""

    name: str
    dtype: str
    label: str
    label_en: str | None = None
    values: tuple[tuple[int, str], ...] = ()  # value labels: code -> Chinese label
    question: str = ""
    free_text: bool = False


def _labels(q: Question, codes: bool = True) -> tuple[tuple[int, str], ...]:
    return tuple(sorted(value_labels(q).items())) if codes else tuple((s.code, s.label) for s in q.special)


# Exports are column-wise: a batch of responses' answers in, the question's columns out (one value per
# response each), so an export of a million responses loops over columns, not over cells of dicts.
Answers = Sequence[dict[str, Any]]


def _export_plain(q: Question, answers: Answers) -> dict[str, list[Any]]:
    return {v: [a.get(v) for a in answers] for v in q.variables}


def _columns_plain(q: Question) -> tuple[Column, ...]:
    """One column per stored variable (a matrix row's label is the question's and the row's)."""
    dtype = kind_of(q).dtype or "object"
    rows = {r.name: r for r in q.rows}
    return tuple(Column(v, dtype, f"{q.label}：{rows[v].label}" if v in rows else q.label,
                        (f"{q.label_en}: {rows[v].label_en}" if v in rows and q.label_en and rows[v].label_en
                         else q.label_en if v not in rows else None),
                        _labels(q), q.name, kind_of(q).free_text) for v in q.variables)


def _export_indicators(q: Question, answers: Answers) -> dict[str, list[Any]]:
    """A multiple choice: `<q>` holds a special code given instead of choices; one 0/1 column per
    choice (`<q>_<code>`, missing when unanswered or special) and `<q>_n`, how many were chosen."""
    values = [a.get(q.name) for a in answers]
    chosen = [v if isinstance(v, list) else None for v in values]
    out = {q.name: [v if isinstance(v, int) and not isinstance(v, bool) else None for v in values]}
    for code in (choice.code for choice in q.choices):
        out[f"{q.name}_{code}"] = [None if picked is None else 1 if code in picked else 0 for picked in chosen]
    out[f"{q.name}_n"] = [None if picked is None else len(picked) for picked in chosen]
    return out


_PICKED = ((0, "未选"), (1, "选中"))


def _columns_indicators(q: Question) -> tuple[Column, ...]:
    special = Column(q.name, "Int64", f"{q.label}（特殊代码）", q.label_en, _labels(q, codes=False), q.name)
    picks = tuple(Column(f"{q.name}_{c.code}", "Int64", f"{q.label}：{c.label}",
                         f"{q.label_en}: {c.label_en}" if q.label_en and c.label_en else None, _PICKED, q.name)
                  for c in q.choices)
    count = Column(f"{q.name}_n", "Int64", f"{q.label}（选了几项）", f"{q.label_en} (number chosen)" if q.label_en else None,
                   (), q.name)
    return (special, *picks, count)


def _export_ranks(q: Question, answers: Answers) -> dict[str, list[Any]]:
    """A ranking as `<q>_r1`, `<q>_r2`, …: the code ranked at each position (a special code given
    instead of a ranking is kept in `<q>_r1`)."""
    values = [a.get(q.name) for a in answers]
    ranked = [v if isinstance(v, list) else [v] if isinstance(v, int) else [] for v in values]
    return {f"{q.name}_r{i}": [r[i - 1] if i <= len(r) else None for r in ranked] for i in range(1, (q.top or 1) + 1)}


def _columns_ranks(q: Question) -> tuple[Column, ...]:
    return tuple(Column(f"{q.name}_r{i}", "Int64", f"{q.label}：第{i}位",
                        f"{q.label_en}: rank {i}" if q.label_en else None, _labels(q), q.name)
                 for i in range(1, (q.top or 1) + 1))


# --- the table ------------------------------------------------------------------------------------

COMPARE, SELECTED, COUNT, ANSWERED = "compare", "selected", "count", "answered"


@dataclass(frozen=True)
class Kind:
    """One row of the kind table."""

    name: str
    label: str                       # the kind in Chinese, for messages
    keys: frozenset[str]             # definition keys it accepts
    needs: frozenset[str]            # definition keys it requires
    bounds: Callable[[Any, Any], BoundProblems]  # what is wrong with a definition's `min`/`max`
    dtype: str | None                # pandas dtype of each stored variable
    macro: str                       # template macro in templates/partials/macros.html
    control: str                     # what the macro draws: radio, checkbox, numeric, decimal, …
    uses: frozenset[str]             # how a condition may read it (compare/selected/count/answered)
    variables: Callable[[str, tuple[str, ...]], tuple[str, ...]]
    from_form: Callable[[Question, Getlist], dict[str, Any]]
    to_form: Callable[[str, Any], Form]
    check: Callable[[Question, Any], Invalid | None]
    export: Callable[[Question, Answers], dict[str, list[Any]]]  # its export columns, column-wise
    columns: Callable[[Question], tuple[Column, ...]] = _columns_plain  # its analysis-frame columns
    free_text: bool = False          # answers may hold names: out of exports unless asked for
    missing: AnswerErr = AnswerErr.REQUIRED
    special_below_min: bool = False  # special codes must lie below `min` (numbers)
    codes: bool = False              # answers are choice codes (value labels are its choices)
    unit: str = ""                   # unit of the stored number when the definition names none
    estimate: str | None = None      # results pages: prop (per level), mean, or share (per choice 0/1 column)


def _k(name: str, label: str, keys: str, needs: str, **kw: Any) -> Kind:
    return Kind(name=name, label=label, keys=frozenset(keys.split()), needs=frozenset(needs.split()), **kw)


_ANY = frozenset({COMPARE, ANSWERED})
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        _k("single", "单选", "choices", "choices", bounds=c.no_bounds, dtype="Int64", macro="choice", control="radio",
           uses=frozenset({COMPARE, SELECTED, ANSWERED}), variables=_own, from_form=f.form_code,
           to_form=f.plain_form, check=c.check_code, export=_export_plain, codes=True, estimate="prop"),
        _k("multiple", "多选", "choices exclusive min_choices max_choices", "choices", bounds=c.no_bounds, dtype="object",
           macro="choice", control="checkbox", uses=frozenset({SELECTED, COUNT, ANSWERED}), variables=_own,
           from_form=f.form_codes, to_form=f.plain_form, check=c.check_codes, export=_export_indicators, columns=_columns_indicators,
           codes=True, estimate="share"),
        _k("matrix", "矩阵", "choices rows", "choices rows", bounds=c.no_bounds, dtype="Int64", macro="matrix",
           control="radio", uses=frozenset({COMPARE, SELECTED, ANSWERED}), variables=_rows, from_form=f.form_code,
           to_form=f.plain_form, check=c.check_code, export=_export_plain, missing=AnswerErr.ROW_REQUIRED,
           codes=True, estimate="prop"),
        _k("integer", "整数", "min max unit", "", bounds=c.number_bounds, dtype="Int64", macro="number", control="numeric",
           uses=_ANY, variables=_own, from_form=f.form_integer, to_form=f.plain_form, check=c.check_integer,
           export=_export_plain, special_below_min=True, estimate="mean"),
        _k("decimal", "小数", "min max unit decimals", "", bounds=c.number_bounds, dtype="Float64", macro="number",
           control="decimal", uses=_ANY, variables=_own, from_form=f.form_decimal, to_form=f.plain_form,
           check=c.check_decimal, export=_export_plain, special_below_min=True, estimate="mean"),
        _k("duration", "时长", "max", "", bounds=c.number_bounds, dtype="Int64", macro="duration", control="numeric",
           uses=_ANY, variables=_own, from_form=f.form_duration, to_form=f.duration_form, check=c.check_duration,
           export=_export_plain, unit="分钟"),
        _k("date", "日期", "min max", "", bounds=c.date_bounds, dtype="string", macro="date", control="date", uses=_ANY,
           variables=_own, from_form=f.form_text, to_form=f.plain_form, check=c.check_date, export=_export_plain),
        _k("text", "文字", "max_length", "", bounds=c.no_bounds, dtype="string", macro="text", control="textarea",
           uses=_ANY, variables=_own, from_form=f.form_text, to_form=f.plain_form, check=c.check_text,
           export=_export_plain, free_text=True),
        _k("ranking", "排序", "choices top", "choices top", bounds=c.no_bounds, dtype="object", macro="ranking",
           control="select", uses=frozenset({SELECTED, COUNT, ANSWERED}), variables=_own, from_form=f.form_ranking,
           to_form=f.ranking_form, check=c.check_ranking, export=_export_ranks, columns=_columns_ranks,
           codes=True),
        _k("note", "说明", "", "", bounds=c.no_bounds, dtype=None, macro="note", control="none",
           uses=frozenset({ANSWERED}), variables=_none, from_form=f.form_none, to_form=f.plain_form,
           check=lambda q, v: None, export=lambda q, a: {}, columns=lambda q: ()),
    )
}
ROW_KIND = KINDS["single"]  # a matrix row is read by conditions like a single choice
ALL_KEYS = frozenset().union(*(k.keys for k in KINDS.values()))


def kind_of(q: Question) -> Kind:
    """The kind table's row for a compiled question."""
    return KINDS[q.kind]


def to_form(q: Question, answers: dict[str, Any]) -> Form:
    """A stored answer as the form values that would have produced it (to refill a page)."""
    out: Form = {}
    for var in q.variables:
        value = answers.get(var)
        if value is None:
            continue
        if isinstance(value, int) and value in q.special_codes:
            out[var] = [str(value)]
        else:
            out.update(kind_of(q).to_form(var, value))
    return out


def value_labels(q: Question) -> dict[int, str]:
    """Code -> label for every stored code of the question: its choices (choice kinds) and specials."""
    labels = {c.code: c.label for c in q.choices} if kind_of(q).codes else {}
    return {**labels, **{s.code: s.label for s in q.special}}


def dtypes(q: Question) -> dict[str, str]:
    """The pandas dtype of each stored variable of the question."""
    dtype = kind_of(q).dtype
    return {v: dtype for v in q.variables} if dtype else {}


def frame_columns(q: Question) -> tuple[Column, ...]:
    """The question's columns in the analysis frame, with their dtypes and labels."""
    return kind_of(q).columns(q)


def export_columns(q: Question, answers: Answers) -> dict[str, list[Any]]:
    """The question's export columns for a batch of responses (name -> one value per response; e.g. a
    0/1 column per choice of a multiple)."""
    return kind_of(q).export(q, answers)
