"""The compiled questionnaire: frozen, typed objects that every other part of cunsheng reads.

Produced only by `surveys.compiler`; never built by hand elsewhere. Holds no I/O and no rendering.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from surveys.expr import Condition


@dataclass(frozen=True)
class Choice:
    code: int
    label: str
    label_en: str | None = None


@dataclass(frozen=True)
class Special:
    """A "don't know" / "refuse" code: stored as its code, never as missing."""

    key: str
    code: int
    label: str


@dataclass(frozen=True)
class Helpline:
    """A help line offered after sensitive modules and on the thank-you page (`tel:` link)."""

    number: str
    label: str


@dataclass(frozen=True)
class Row:
    """One row of a Likert matrix; each row is a variable of its own."""

    name: str
    label: str
    label_en: str | None = None


@dataclass(frozen=True)
class Question:
    name: str
    kind: str
    label: str
    page: str
    label_en: str | None = None
    help: str | None = None
    required: bool = True
    special: tuple[Special, ...] = ()
    show_if: Condition | None = None
    indicators: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    exclusive: frozenset[int] = frozenset()
    min_choices: int | None = None
    max_choices: int | None = None
    rows: tuple[Row, ...] = ()
    min: Any = None
    max: Any = None
    unit: str | None = None
    decimals: int = 1
    max_length: int = 200
    top: int | None = None
    variables: tuple[str, ...] = ()  # the stored variable names, set by the compiler from the kind table

    @cached_property
    def special_codes(self) -> frozenset[int]:
        return frozenset(s.code for s in self.special)

    @cached_property
    def choice_codes(self) -> frozenset[int]:
        """The codes of the question's choices (computed once: every answer check reads them)."""
        return frozenset(c.code for c in self.choices)

    def choice_label(self, code: int) -> str | None:
        for c in self.choices:
            if c.code == code:
                return c.label
        for s in self.special:
            if s.code == code:
                return s.label
        return None


@dataclass(frozen=True)
class Constraint:
    check: Condition
    message: str
    question: str


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    questions: tuple[Question, ...]
    intro: str | None = None
    show_if: Condition | None = None
    sensitive: bool = False
    end_if: Condition | None = None
    end_message: str | None = None
    constraints: tuple[Constraint, ...] = ()

    @property
    def variables(self) -> frozenset[str]:
        """Every variable stored by the page's questions."""
        return frozenset(v for q in self.questions for v in q.variables)


@dataclass(frozen=True)
class FrameMap:
    """The questionnaire's `frame:` mapping: the variable and codes that give `sex` (F/M), the
    variable that gives the age in years (from which `age_group`)."""

    sex_variable: str | None = None
    sex_codes: tuple[tuple[int, str], ...] = ()
    age_variable: str | None = None


@dataclass(frozen=True)
class PopulationMap:
    """The questionnaire's `population:` declaration: whom its self-completed respondents are weighted
    to (residents of some sexes and age groups, or households) and over which cells."""

    count: str = "residents"
    sexes: tuple[str, ...] = ("F", "M")
    age_groups: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()


@dataclass(frozen=True)
class Survey:
    """One compiled questionnaire version."""

    name: str
    title: str
    pages: tuple[Page, ...]
    sha256: str
    source: str
    file: str
    title_en: str | None = None
    organiser: str | None = None
    audience: str | None = None
    minutes: int | None = None
    intro: str = ""
    thanks: str = ""
    pronoun: str = "您"  # how the pages address the respondent: 您, or 你 for children
    helplines: tuple[Helpline, ...] = ()
    helplines_intro: str = ""
    specials: tuple[Special, ...] = ()
    frame: FrameMap = FrameMap()
    population: PopulationMap | None = None
    _by_var: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)
    _specials: dict[str, frozenset[int]] = field(default_factory=dict, compare=False, repr=False)

    def questions(self) -> Iterator[Question]:
        for page in self.pages:
            yield from page.questions

    def question_of(self, variable: str) -> Question | None:
        """The question that stores `variable` (a matrix row maps to its matrix)."""
        return self._by_var.get(variable)

    def special_codes_of(self) -> dict[str, frozenset[int]]:
        """The special codes by variable, for the variables whose question allows any (filled by the compiler)."""
        return self._specials

    def page(self, name: str) -> Page | None:
        return next((p for p in self.pages if p.name == name), None)

    def page_index(self, name: str) -> int:
        return next(i for i, p in enumerate(self.pages) if p.name == name)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for q in self.questions() for v in q.variables)
