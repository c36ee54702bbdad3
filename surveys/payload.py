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
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


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
