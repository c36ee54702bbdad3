"""The `calibration` key: R `survey`'s `postStratify()`, `rake()` and `calibrate()` arguments as models.

Three frozen pydantic models told apart by `method`: `PostStratify` (strata + population table),
`Rake` (margins, each a population table over one or more columns) and `ModelCalibration`
(`linear`, `raking`, `logit`: formula columns, population totals keyed by R's model-matrix names,
optional g-bounds and `aggregate_stage: 1`). A population table is a list of rows
`{column: value, ..., "Freq": count}` with exactly the table's columns and a finite `Freq` >= 0.
`calibration_spec()` validates the key, naming the key at fault (`calibration.margins[1].population[0]`).
Must not read data: binding to columns and solving are `analysis.calibration.calibrator`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, StrictFloat, StrictStr, model_validator

from analysis.errors import E, show
from analysis.specmodel import Spec, custom, validate

Rows = tuple[dict[str, Any], ...]
METHODS = ("poststratify", "rake", "linear", "raking", "logit")


def check_rows(names: tuple[str, ...], rows: Rows, at: str = "population") -> None:
    """Every population row has exactly the table's columns and Freq, a finite number >= 0."""
    expected = {*names, "Freq"}
    for i, row in enumerate(rows):
        if set(row) != expected:
            given = ", ".join(sorted(map(str, row))) or "(none)"
            raise custom(E.CAL_ROW_KEYS, at=f"{at}[{i}]", names=", ".join(names), given=given)
        freq = row["Freq"]
        if isinstance(freq, bool) or not isinstance(freq, int | float):
            raise custom(E.SPEC_TYPE, at=f"{at}[{i}].Freq", value=show(freq), expected_zh="数", expected_en="a number")
        if not math.isfinite(freq) or freq < 0:
            raise custom(E.SPEC_RANGE, at=f"{at}[{i}].Freq", value=show(freq), bound=">= 0")


class PostStratify(Spec):
    """`postStratify(design, strata, population)`."""

    method: Literal["poststratify"]
    strata: tuple[StrictStr, ...] = Field(min_length=1)
    population: Rows = Field(min_length=1)

    @model_validator(mode="after")
    def _rows(self) -> PostStratify:
        check_rows(self.strata, self.population)
        return self

    def columns(self) -> dict[str, str]:
        return {name: "calibration" for name in self.strata}


class Margin(Spec):
    """One margin of `rake()`: the columns it crosses and its population table."""

    vars: tuple[StrictStr, ...] = Field(min_length=1)
    population: Rows = Field(min_length=1)

    @model_validator(mode="after")
    def _rows(self) -> Margin:
        check_rows(self.vars, self.population)
        return self


class Rake(Spec):
    """`rake(design, sample.margins, population.margins)`, iterated to convergence."""

    method: Literal["rake"]
    margins: tuple[Margin, ...] = Field(min_length=1)

    def columns(self) -> dict[str, str]:
        return {name: "calibration" for margin in self.margins for name in margin.vars}


class ModelCalibration(Spec):
    """`calibrate(design, formula, population, bounds, calfun, aggregate.stage)`."""

    method: Literal["linear", "raking", "logit"]
    formula: tuple[StrictStr, ...]
    population: dict[str, StrictFloat] = Field(min_length=1)
    bounds: tuple[StrictFloat, StrictFloat] | None = None
    aggregate_stage: Literal[1] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ModelCalibration:
        if self.bounds is not None and not self.bounds[0] < 1 < self.bounds[1]:
            raise custom(E.CAL_BOUNDS, at="bounds", value=show(list(self.bounds)))
        if self.method == "logit" and self.bounds is None:
            raise custom(E.CAL_LOGIT_BOUNDS, at="bounds")
        return self

    def columns(self) -> dict[str, str]:
        return {name: "calibration" for name in self.formula}


CalibrationSpec = PostStratify | Rake | ModelCalibration
Calibration = Annotated[CalibrationSpec, Field(discriminator="method")]


def calibration_spec(obj: Any, root: str = "calibration") -> CalibrationSpec:
    """Validate a parsed `calibration` key; a bad key raises the catalogue problem naming it."""
    spec: CalibrationSpec = validate(Calibration, obj, root)
    return spec


def as_json(spec: CalibrationSpec, **changes: Any) -> Mapping[str, Any]:
    """The spec as JSON-like data again (with `changes`), e.g. to validate a variant of it."""
    return {**spec.model_dump(mode="json"), **changes}
