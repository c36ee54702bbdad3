"""The sampling design in R `svydesign()` vocabulary: the design file of `docs/analysis.md` as a model.

`Design` is frozen and validated by pydantic (unknown keys refused, `null` = default, errors are
catalogue problems naming the key): ids (cluster columns, outermost stage first), strata, weights
or probs, fpc (one column per stage), nest, lonely_psu, and the optional `replicate` and
`calibration` keys, whose models live with their rooms. Conventions follow R `survey` 4.x
`svydesign.default` (Lumley 2010, *Complex Surveys*, ch. 1-3). Must not read data: binding the
design to columns is `analysis.design.binding`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import StrictBool, StrictStr, ValidationError, model_validator

from analysis.calibration.spec import Calibration
from analysis.errors import AnalysisError, E
from analysis.replicate.spec import ReplicateSpec
from analysis.specmodel import Spec, custom, problem, validate

LonelyPSU = Literal["fail", "remove", "adjust", "average", "certainty"]


class Design(Spec):
    """A design as in `svydesign(ids, strata, weights | probs, fpc, nest)` plus the lonely-PSU rule."""

    ids: tuple[StrictStr, ...] = ()
    strata: StrictStr | None = None
    weights: StrictStr | None = None
    probs: StrictStr | None = None
    fpc: tuple[StrictStr, ...] = ()
    nest: StrictBool = False
    lonely_psu: LonelyPSU = "fail"
    replicate: ReplicateSpec | None = None
    calibration: Calibration | None = None

    def __init__(self, **data: Any) -> None:
        """Build from keyword arguments (the Python API); a bad value raises the catalogue's problem.
        Only the top-level model may do this: pydantic calls a custom `__init__` for nested models."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise problem(exc, Design, "") from None

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if self.weights is not None and self.probs is not None:
            raise custom(E.BOTH_WEIGHTS, at="probs")
        stages = max(len(self.ids), 1)
        if self.fpc and len(self.fpc) != stages:
            raise custom(E.FPC_STAGES, at="fpc", n_fpc=len(self.fpc), n_ids=stages)
        return self

    @classmethod
    def from_json(cls, obj: Any) -> Design:
        """Build a design from the parsed design file; `ids` must be given (`[]` for `~1`)."""
        if isinstance(obj, Mapping) and "ids" not in obj:
            raise AnalysisError(E.SPEC_MISSING_KEY, key="ids")
        design: Design = validate(cls, obj)
        return design

    def resolve(self, names: list[str]) -> Design:
        """Expand `replicate.weights_prefix` against the data's column names."""
        if self.replicate is None or self.replicate.weights_prefix is None:
            return self
        return self.model_copy(update={"replicate": self.replicate.resolve(names)})

    def columns(self) -> dict[str, str]:
        """Every column the design reads, with its role (for messages)."""
        roles: dict[str, str] = {}
        for role, names in (
            ("ids", self.ids),
            ("strata", (self.strata,)),
            ("weights", (self.weights,)),
            ("probs", (self.probs,)),
            ("fpc", self.fpc),
        ):
            roles.update({name: role for name in names if name is not None})
        if self.replicate is not None:
            roles.update(self.replicate.columns())
        if self.calibration is not None:
            roles.update(self.calibration.columns())
        return roles
