"""The raw shape of an indicator definition file, checked by pydantic before the compiler reads it.

Structure only (keys, types, ranges), as `surveys.schema` is for questionnaires: conditions, columns,
plan rows, target ops against the stat and index components are the compiler's job. Unknown keys
are rejected so that a typo never silently drops a rule. Must not import analysis (the interval
methods are spelt out here as in `cunsheng estimate --ci-method`; a test keeps the two lists equal).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CODE = r"^[A-Z][A-Z0-9-]*$"

Op = Literal[">=", ">", "<=", "<", "=", "~", "up", "down", "qual"]
CiMethod = Literal["wald", "logit", "beta", "wilson", "xlogit"]  # `cunsheng estimate --ci-method`


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class RawTarget(_Strict):
    op: Op
    value: float | None = None
    year: int | None = Field(default=None, ge=1900, le=2200)


class RawIndicator(_Strict):
    code: str = Field(pattern=CODE)
    name: str
    plan: list[str] = []
    stat: Literal["prop", "mean"]
    numerator: str | None = None
    value: str | None = None
    population: str | None = None
    scale: float | None = Field(default=None, gt=0)
    target: RawTarget
    tolerance: float | None = Field(default=None, ge=0)
    ci_method: CiMethod | None = None
    missing: Literal["exclude"] | None = None


class RawComponent(_Strict):
    code: str
    weight: float = Field(gt=0)
    floor: float


class RawIndex(_Strict):
    code: str = Field(pattern=CODE)
    name: str
    components: list[RawComponent] = Field(min_length=1)
    target: RawTarget
    tolerance: float | None = Field(default=None, ge=0)


class RawIndicatorFile(_Strict):
    survey: str | None = None
    special_codes: list[int] | None = None
    indicators: list[RawIndicator] = Field(min_length=1)
    indices: list[RawIndex] = []
