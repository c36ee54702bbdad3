"""The raw shape of a definition file, checked by pydantic before the compiler reads meaning into it.

Only structure lives here (which keys exist, their types); references, kinds and logic are the
compiler's job. Unknown keys are rejected so that a typo never silently drops a rule.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class RawChoice(_Strict):
    code: int
    label: str
    label_en: str | None = None


class RawSpecial(_Strict):
    code: int = Field(lt=0)
    label: str


class RawRow(_Strict):
    name: str = Field(pattern=NAME)
    label: str
    label_en: str | None = None


class RawQuestion(_Strict):
    name: str = Field(pattern=NAME)
    kind: str
    label: str
    label_en: str | None = None
    help: str | None = None
    required: bool = True
    special: list[str] = []
    show_if: str | None = None
    indicators: list[str] = []
    choices: str | list[RawChoice] | None = None
    exclusive: list[int] | None = None
    min_choices: int | None = Field(default=None, ge=1)
    max_choices: int | None = Field(default=None, ge=1)
    rows: list[RawRow] | None = None
    min: int | float | str | None = None
    max: int | float | str | None = None
    unit: str | None = None
    decimals: int | None = Field(default=None, ge=0, le=6)
    max_length: int | None = Field(default=None, ge=1)
    top: int | None = Field(default=None, ge=1)


class RawConstraint(_Strict):
    check: str
    message: str
    question: str


class RawPage(_Strict):
    name: str = Field(pattern=NAME)
    title: str
    intro: str | None = None
    show_if: str | None = None
    sensitive: bool = False
    end_if: str | None = None
    end_message: str | None = None
    constraints: list[RawConstraint] = []
    questions: list[RawQuestion] = Field(min_length=1)


class RawFrameSex(_Strict):
    question: str
    codes: dict[int, str]  # choice code -> F or M (population.csv's sexes)


class RawFrame(_Strict):
    """Which answers give the analysis frame's `sex` and `age_group` (see surveys/frame.py)."""

    sex: RawFrameSex | None = None
    age: str | None = None  # an integer question holding the age in completed years


class RawHelpline(_Strict):
    number: str = Field(pattern=r"^[0-9]{3,12}$")
    label: str

    @field_validator("number", mode="before")
    @classmethod
    def _digits(cls, value: object) -> object:
        """`number: 110` in YAML is an int; the number is kept as the digits dialled."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RawPopulation(_Strict):
    """Whom the questionnaire's respondents stand for: the post-stratification target (see
    analysis/weighting/selfcompleted.py). `count` residents (population.csv) or households (units.csv)."""

    count: str = "residents"
    sex: list[str] | None = None  # residents of these sexes only (F, M)
    age_groups: list[str] | None = None  # residents of these age groups only (population.csv's bands)
    cells: list[str] = Field(min_length=1)  # the adjustment cells: sex, age_group, urban_rural


class RawSurvey(_Strict):
    name: str = Field(pattern=NAME)
    title: str
    title_en: str | None = None
    organiser: str | None = None
    audience: str | None = None
    minutes: int | None = Field(default=None, ge=1)
    intro: str = ""
    thanks: str = ""
    pronoun: Literal["您", "你"] = "您"
    helplines: list[RawHelpline] = []
    helplines_intro: str | None = None
    special_codes: dict[str, RawSpecial] = {}
    choice_lists: dict[str, list[RawChoice]] = {}
    frame: RawFrame | None = None
    population: RawPopulation | None = None
    pages: list[RawPage] = Field(min_length=1)
