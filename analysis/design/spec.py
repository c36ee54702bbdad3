"""The sampling design in R `svydesign()` vocabulary: the design file of `docs/analysis.md` as a model.

`Design` is frozen and validated by pydantic (unknown keys refused, `null` = default, errors are
catalogue problems naming the key): ids (cluster columns, outermost stage first), strata, weights
or probs, fpc (one column per stage), nest, lonely_psu, and the optional `replicate` and
`calibration` keys, whose models live with their rooms. Conventions follow R `survey` 4.x
`svydesign.default` (Lumley 2010, *Complex Surveys*, ch. 1-3). Must not read data: binding the
design to columns is `analysis.design.binding`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import StrictBool, StrictStr, ValidationError, field_validator, model_validator

from analysis.errors import AnalysisError, E
from analysis.specmodel import Spec, custom, problem, validate

if TYPE_CHECKING:
    from analysis.calibration.spec import CalibrationSpec
    from analysis.replicate.spec import ReplicateSpec

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
    # The two keys are validated by their rooms' own models, imported only when a design has the
    # key: a plain design then never builds them (a fifth of `cunsheng estimate`'s import time).
    if TYPE_CHECKING:
        replicate: ReplicateSpec | None = None
        calibration: CalibrationSpec | None = None
    else:
        replicate: Any = None
        calibration: Any = None

    def __init__(self, **data: Any) -> None:
        """Build from keyword arguments (the Python API); a bad value raises the catalogue's problem.
        Only the top-level model may do this: pydantic calls a custom `__init__` for nested models."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise problem(exc, Design, "") from None

    @field_validator("replicate", mode="before")
    @classmethod
    def _replicate(cls, value: Any) -> Any:
        from analysis.replicate.spec import ReplicateSpec

        if value is None or isinstance(value, ReplicateSpec):
            return value
        return _nested(ReplicateSpec.from_json, value, "replicate")

    @field_validator("calibration", mode="before")
    @classmethod
    def _calibration(cls, value: Any) -> Any:
        from analysis.calibration.spec import ModelCalibration, PostStratify, Rake, calibration_spec

        if value is None or isinstance(value, PostStratify | Rake | ModelCalibration):
            return value
        return _nested(calibration_spec, value, "calibration")

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


def _nested(parse: Callable[[Any, str], Any], value: Any, root: str) -> Any:
    """A nested key validated by its own model; its problem goes back to pydantic as a custom error
    at the key, so that it is reported in field order, with the same key path, as before."""
    try:
        return parse(value, root)
    except AnalysisError as found:
        params = dict(found.params)
        key = str(params.pop("key", root))
        at = key[len(root) :].lstrip(".") if key.startswith(root) else ""
        assert isinstance(found.entry, E)
        raise custom(found.entry, at=at, **params) from None
