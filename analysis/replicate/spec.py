"""The `replicate` key of a design file: R `survey`'s `svrepdesign()` / `as.svrepdesign()` arguments.

`ReplicateSpec` validates the key (pydantic, unknown keys refused, `null` = default) and knows the
columns it reads. Default scales and the variance formula live in `analysis.replicate.weights`;
the only randomness (the bootstrap) gets its generator from `generator()`, the one place where the
JSON `seed` becomes a `numpy.random.Generator`. Must not read data or build replicate weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator, model_validator

from analysis.errors import AnalysisError, E, show
from analysis.specmodel import Spec, custom, validate

ReplicateType = Literal["JK1", "JKn", "BRR", "Fay", "bootstrap", "other"]
CREATABLE = ("JK1", "JKn", "BRR", "Fay", "bootstrap")


class ReplicateSpec(Spec):
    """`svrepdesign(type, repweights, combined.weights, scale, rscales, rho, mse)`, or `create`."""

    type: ReplicateType
    weights: tuple[StrictStr, ...] = ()
    weights_prefix: Annotated[StrictStr, Field(min_length=1)] | None = None
    combined_weights: StrictBool = True
    scale: Annotated[StrictFloat, Field(gt=0)] | None = None
    rscales: tuple[Annotated[StrictFloat, Field(ge=0)], ...] | None = None
    rho: StrictFloat | None = None
    mse: StrictBool = False
    create: StrictBool = False
    replicates: Annotated[StrictInt, Field(ge=2)] = 50
    seed: Annotated[StrictInt, Field(ge=0)] = 0

    @field_validator("rscales", mode="before")
    @classmethod
    def _one_number_for_all(cls, value: Any) -> Any:
        """A single number in `rscales` applies to every replicate."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (value,)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ReplicateSpec:
        if self.create and (self.weights or self.weights_prefix is not None):
            raise custom(E.REP_COLUMNS_AND_CREATE, at="create")
        if not self.create and not self.weights and self.weights_prefix is None:
            raise custom(E.REP_NO_COLUMNS)
        if self.create and self.type not in CREATABLE:
            raise custom(E.REP_NOT_CREATABLE, at="type", type=self.type, creatable=", ".join(CREATABLE))
        if self.type == "Fay" and (self.rho is None or not 0 <= self.rho < 1):
            raise custom(E.REP_FAY_RHO, at="rho")
        if self.type == "JKn" and not self.create and self.rscales is None:
            raise custom(E.REP_JKN_RSCALES, at="rscales")
        return self

    @classmethod
    def from_json(cls, obj: Any, root: str = "replicate") -> ReplicateSpec:
        """Validate the parsed `replicate` key; a bad key raises the catalogue problem naming it."""
        spec: ReplicateSpec = validate(cls, obj, root)
        return spec

    def resolve(self, names: Sequence[str]) -> ReplicateSpec:
        """Expand `weights_prefix` against the data's column names (in file order)."""
        prefix = self.weights_prefix
        if prefix is None:
            return self
        found = tuple(name for name in names if name.startswith(prefix) and name not in self.weights)
        if not found and not self.weights:
            raise AnalysisError(E.REP_PREFIX_NONE, prefix=show(prefix), key="replicate.weights_prefix")
        return self.model_copy(update={"weights": self.weights + found, "weights_prefix": None})

    def columns(self) -> dict[str, str]:
        """The replicate weight columns, with their role (for messages)."""
        return {name: "replicate.weights" for name in self.weights}

    def generator(self) -> np.random.Generator:
        """The random generator of created bootstrap replicates: numpy's PCG64 seeded by `seed`."""
        return np.random.default_rng(self.seed)
