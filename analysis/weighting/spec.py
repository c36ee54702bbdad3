"""The weighting specification of `cunsheng weights` (docs/analysis.md) as frozen pydantic models.

`WeightsSpec`: `base` (exactly one of `probs`, `weights`, `fractions`), optional `nonresponse`
(status column, respondent value, classes), `calibration` (the design file's calibration key,
analysis.calibration.spec), `trim` (cap, relative to the median or mean, classes, iterations) and
`weight_column`. Unknown keys, wrong types and bad values are catalogue problems naming the full
key (`trim.max`). Must not read data or compute weights.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from analysis.calibration.spec import Calibration
from analysis.errors import E
from analysis.specmodel import Spec, custom, drop_nulls, validate

_BASES = ("probs", "weights", "fractions")


class Fraction(Spec):
    """One selection stage given as sampled units n over population units N (columns)."""

    n: StrictStr
    N: StrictStr


class Base(Spec):
    """Base weights: inverse probabilities, a weight column, or products of N/n over stages."""

    probs: tuple[StrictStr, ...] | None = Field(None, min_length=1)
    weights: StrictStr | None = None
    fractions: tuple[Fraction, ...] | None = Field(None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data: Any) -> Any:
        """Exactly one of the three keys is present (even a `null` one counts, as before)."""
        if isinstance(data, dict):
            given = [key for key in _BASES if key in data]
            if len(given) != 1:
                raise custom(E.BASE_ONE_OF, given=", ".join(given) or "(none)")
        return drop_nulls(cls, data)


class Nonresponse(Spec):
    """Weighting-class nonresponse adjustment: who responded, within which classes."""

    status: StrictStr
    respondent_value: StrictStr | StrictBool | StrictInt | StrictFloat = 1
    classes: tuple[StrictStr, ...] = ()


class Trim(Spec):
    """Trimming: cap = `max` (absolute) or `max` x the median/mean weight, within `classes`."""

    max: Annotated[StrictFloat, Field(gt=0)]
    relative_to: Literal["median", "mean"] | None = None
    classes: tuple[StrictStr, ...] = ()
    max_iter: Annotated[StrictInt, Field(ge=1)] = 100


class WeightsSpec(Spec):
    """The whole `--spec` file of `cunsheng weights`."""

    base: Base
    nonresponse: Nonresponse | None = None
    calibration: Calibration | None = None
    trim: Trim | None = None
    weight_column: Annotated[StrictStr, Field(min_length=1)] = "weight"

    @classmethod
    def from_json(cls, obj: Any) -> WeightsSpec:
        """Validate the parsed spec file; a bad key raises the catalogue problem naming it."""
        spec: WeightsSpec = validate(cls, obj)
        return spec
