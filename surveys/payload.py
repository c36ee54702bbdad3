"""A response's fingerprint (`payload_sha256`): one canonical form, one hash, whichever channel it came by.

The canonical form is the JSON of {survey, version, instance_id, village, answers, started_at,
completed_at} with sorted keys, no spaces, UTF-8; times are ISO 8601 in UTC (an aware datetime is
converted to UTC; a naive one is taken as UTC).
The phone pages and the JSON API both call `fingerprint`, so a resend is recognised by content, not
by the bytes of a request body. Pure; no storage.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def storable(text: str) -> bool:
    """Text a database can keep: no NUL or other control characters (tab and line breaks aside), no lone
    surrogates (PostgreSQL refuses both; SQLite would keep what no export can write)."""
    return _UNSTORABLE.search(text) is None


def unstorable(value: Any, depth: int = 16) -> tuple[str, str] | None:
    """Why parsed JSON cannot be stored, as (reason, path): ("text", path of the first string, key or value,
    that is not `storable`), ("number", path of the first NaN or infinite number: Python's json reads `NaN`,
    `Infinity` and `1e999`, which no JSON column or canonical text can hold) or ("depth", path of the first
    container nested deeper than `depth`); None if it can."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, level = stack.pop()
        if isinstance(node, str) and not storable(node):
            return "text", path or "body"
        if isinstance(node, float) and not math.isfinite(node):
            return "number", path or "body"
        if isinstance(node, dict | list):
            if level >= depth:
                return "depth", path or "body"
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, item in items:
                if isinstance(key, str) and not storable(key):
                    return "text", f"{path}.?" if path else "?"
                stack.append((item, f"{path}.{key}" if path else str(key), level + 1))
    return None


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def canonical(survey: str, version: int, instance_id: str, village: str | None, answers: Mapping[str, Any],
              started_at: datetime | None, completed_at: datetime | None) -> str:
    """The canonical JSON text of a response's payload."""
    payload = {
        "survey": survey, "version": version, "instance_id": instance_id, "village": village,
        "answers": dict(answers), "started_at": _utc(started_at), "completed_at": _utc(completed_at),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def fingerprint(survey: str, version: int, instance_id: str, village: str | None, answers: Mapping[str, Any],
                started_at: datetime | None, completed_at: datetime | None) -> str:
    """sha256 (hex) of the canonical payload."""
    text = canonical(survey, version, instance_id, village, answers, started_at, completed_at)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
