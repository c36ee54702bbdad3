"""Reading a JSON API request body into its pydantic model, with the catalogue's problems.

One reader for every JSON body (responses, the field app's devices and sync): the media type must
be JSON, the text valid JSON, the top an object, nothing nested deeper than `MAX_DEPTH`, no text that
cannot be stored (NUL, lone surrogates) and no number that is not one (NaN, Infinity, 1e999); then the
model's own checks, whose errors become `request.invalid` listing each field. Reads no tables.
"""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from server.errors import P, invalid_request
from surveys.payload import unstorable
from surveys.problem import Problem

MAX_DEPTH = 16  # an answer is a scalar or a list: anything deeper is not a response
Model = TypeVar("Model", bound=BaseModel)


def read_json(request: Request, raw: bytes, model: type[Model]) -> Model:
    """The body as `model`, or the problem that says what is wrong with it."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Problem(P.NOT_JSON_MEDIA)  # a cross-site form or text/plain post never gets this far
    try:
        body = json.loads(raw)
    except RecursionError:
        raise Problem(P.BODY_TOO_DEEP, depth=MAX_DEPTH, path="body") from None
    except (ValueError, UnicodeDecodeError):
        raise Problem(P.BODY_NOT_JSON) from None
    if not isinstance(body, dict):
        raise Problem(P.BODY_NOT_OBJECT)
    bad = unstorable(body, MAX_DEPTH)
    if bad is not None:
        reason, path = bad
        if reason == "depth":
            raise Problem(P.BODY_TOO_DEEP, depth=MAX_DEPTH, path=path)
        raise Problem(P.BAD_NUMBER if reason == "number" else P.BAD_TEXT, path=path)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_request(exc.errors()) from None
