"""The base of every JSON spec model (design, replicate, calibration, weights) and its error mapping.

`Spec` is a frozen pydantic model that forbids unknown keys and reads a JSON `null` as "use the
default" (R-style optional keys: `"strata": null`). `validate(kind, obj, root)` validates parsed
JSON and turns pydantic's errors into one `AnalysisError` of the catalogue: `missing`,
`extra_forbidden` (with a did-you-mean hint from the model's own keys), type errors, choices, ranges,
and the models' own checks, which raise `PydanticCustomError` whose type *is* a catalogue code. The
key at fault is written as a full path such as `calibration.margins[1].population`. Must not read
files, touch data columns or estimate anything.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from analysis.errors import AnalysisError, E, close_hint, show

CODES = {entry.code: entry for entry in E}

# pydantic error type -> (Chinese, English) description of the expected value
_EXPECTED = {
    "string_type": ("字符串（列名）", "a string (a column name)"),
    "bool_type": ("true 或 false", "true or false"),
    "int_type": ("整数", "a whole number"),
    "int_from_float": ("整数", "a whole number"),
    "float_type": ("数", "a number"),
    "finite_number": ("有限的数", "a finite number"),
    "list_type": ("列表", "a list"),
    "tuple_type": ("列表", "a list"),
    "dict_type": ("JSON 对象", "a JSON object"),
    "model_type": ("JSON 对象", "a JSON object"),
    "model_attributes_type": ("JSON 对象", "a JSON object"),
}
_RANGES = {
    "greater_than": "> {gt}",
    "greater_than_equal": ">= {ge}",
    "less_than": "< {lt}",
    "less_than_equal": "<= {le}",
}


class Spec(BaseModel):
    """A JSON spec: unknown keys are errors, values are frozen, `null` means the key's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data: Any) -> Any:
        return drop_nulls(cls, data)


def drop_nulls(model: type[BaseModel], data: Any) -> Any:
    """The input without the `null` values of keys that have a default (so the default applies)."""
    if not isinstance(data, Mapping):
        return data
    optional = {name for name, field in model.model_fields.items() if not field.is_required()}
    return {key: value for key, value in data.items() if not (value is None and key in optional)}


def custom(entry: E, at: str = "", **context: Any) -> PydanticCustomError:
    """A model's own check failing: the catalogue entry's code as the pydantic error type.
    `at` is a key path below the failing model (such as `population[2]`), added to the reported key."""
    return PydanticCustomError(entry.code, entry.code, {"at": at, **context})


def validate(kind: Any, obj: Any, root: str = "") -> Any:
    """Validate parsed JSON as `kind` (a `Spec` model or an annotated union); raise AnalysisError."""
    try:
        return _adapter(kind).validate_python(obj)
    except ValidationError as exc:
        raise problem(exc, kind, root) from None


_ADAPTERS: dict[int, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    key = id(kind)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(kind)
    return _ADAPTERS[key]


def problem(exc: ValidationError, kind: Any, root: str) -> AnalysisError:
    """The first of pydantic's errors as a catalogue problem naming the full key path."""
    error = exc.errors(include_url=False)[0]
    path, known = _walk(kind, error["loc"], root)
    context = dict(error.get("ctx") or {})
    entry = CODES.get(error["type"])
    if entry is not None:
        at = context.pop("at", "")
        return AnalysisError(entry, key=_join(path, at) if at else path, **context)
    return _generic(error, path, known)


def _generic(error: ErrorDetails, path: str, known: Sequence[str]) -> AnalysisError:
    kind, context, value = error["type"], dict(error.get("ctx") or {}), show(error.get("input"))
    shown = path or "(顶层 top level)"
    if kind in ("missing", "union_tag_not_found"):
        missing = f"{path}.method" if kind == "union_tag_not_found" else path
        return AnalysisError(E.SPEC_MISSING_KEY, key=missing)
    if kind == "extra_forbidden":
        name = path.rsplit(".", 1)[-1]
        hint_zh, hint_en = close_hint(name, known)
        return AnalysisError(E.SPEC_UNKNOWN_KEY, key=path, hint_zh=hint_zh, hint_en=hint_en, known=", ".join(known))
    if kind in ("literal_error", "union_tag_invalid", "enum"):
        allowed = context.get("expected") or context.get("expected_tags") or ""
        target = f"{path}.method" if kind == "union_tag_invalid" else shown
        shown_value = show(context["tag"]) if kind == "union_tag_invalid" else value
        return AnalysisError(E.SPEC_CHOICE, key=target, value=shown_value, allowed=str(allowed).replace(" or ", ", "))
    if kind in _RANGES:
        return AnalysisError(E.SPEC_RANGE, key=shown, value=value, bound=_RANGES[kind].format(**context))
    if kind in ("too_short",):
        return AnalysisError(E.SPEC_TOO_SHORT, key=shown, minimum=context.get("min_length", 1))
    if kind == "string_too_short":
        return AnalysisError(E.SPEC_EMPTY_TEXT, key=shown)
    zh, en = _EXPECTED.get(kind, ("设定文档所述的值", "as described in docs/analysis.md"))
    return AnalysisError(E.SPEC_TYPE, key=shown, value=value, expected_zh=zh, expected_en=en)


def _walk(kind: Any, loc: Sequence[int | str], root: str) -> tuple[str, list[str]]:
    """The key path of `loc` as a person writes it (union tags dropped) and the keys known where
    the last step lands (for did-you-mean)."""
    path, known, current = root, [], kind
    for step in loc:
        current = _unwrap(current)
        members = _tagged_members(current)
        if members is not None and isinstance(step, str) and step in members:
            current = members[step]
            continue
        if isinstance(step, int):
            path, current = f"{path}[{step}]", _element(current)
            continue
        known = list(current.model_fields) if _is_model(current) else []
        path = _join(path, step)
        current = current.model_fields[step].annotation if _is_model(current) and step in current.model_fields else None
    return path, known


def _join(path: str, step: Any) -> str:
    step = str(step)
    if step.startswith("["):
        return path + step
    return f"{path}.{step}" if path else step


def _unwrap(kind: Any) -> Any:
    """Strip Annotated and Optional (X | None) around a type."""
    while True:
        origin = get_origin(kind)
        if origin is Annotated:
            kind = get_args(kind)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(kind) if a is not type(None)]
            if len(args) != 1:
                return kind
            kind = args[0]
        else:
            return kind


def _tagged_members(kind: Any) -> dict[str, Any] | None:
    """For a union of spec models told apart by a `method` literal: tag -> member model."""
    if get_origin(kind) not in (Union, types.UnionType):
        return None
    members: dict[str, Any] = {}
    for member in get_args(kind):
        if _is_model(member) and "method" in member.model_fields:
            for tag in get_args(member.model_fields["method"].annotation):
                members[tag] = member
    return members or None


def _element(kind: Any) -> Any:
    args = [a for a in get_args(kind) if a is not Ellipsis]
    return args[-1] if args else None


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)
