"""The one problem type of cunsheng: every room raises `Problem` with an entry of its own catalogue.

A catalogue is an `Enum` subclass of `Catalogue`; each member is
`(code, status, Chinese template[, English template])`. `code` is stable (tests assert on it, clients
branch on it); `status` is the HTTP status for the web and the exit status for the command line; the
Chinese template is what a person reads, the English one is for logs and the CLI's second half.
Templates are filled from keyword parameters, which also become the problem's `details` unless
details are given. The catalogues: `surveys.errors.DefErr` (definitions), `server.errors.P`
(requests), `analysis.errors.E` (estimation and weighting). ODK Central's numbered Problems are the
model. This module lives in `surveys/` because `surveys` imports nothing of ours, so every room can
import it; it must stay free of any room's knowledge.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


class Catalogue(Enum):
    """Base of every catalogue of problem codes: members are (code, status, zh[, en])."""

    def __init__(self, code: str, status: int, zh: str, en: str | None = None) -> None:
        self.code = code
        self.status = status
        self.zh = zh
        self.en = en


def one_line(text: str) -> str:
    """A message on one line: runs of whitespace (line breaks from data included) become one space."""
    return " ".join(text.split())


class Problem(Exception):
    """A problem a user sees: a catalogue entry filled with its parameters, plus machine-readable details."""

    def __init__(self, entry: Catalogue, details: Mapping[str, Any] | None = None, **params: Any) -> None:
        self.entry = entry
        self.params = params
        self.details: dict[str, Any] = dict(details) if details is not None else {
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v) for k, v in params.items()
        }
        self.message = one_line(entry.zh.format(**params))
        self.message_en = one_line(entry.en.format(**params)) if entry.en else None
        super().__init__(self.message_en or self.message)

    @property
    def code(self) -> str:
        return self.entry.code

    @property
    def status(self) -> int:
        return self.entry.status

    def body(self) -> dict[str, Any]:
        """The JSON form every API answers with: `{code, message, details}`."""
        return {"code": self.code, "message": self.message, "details": self.details}

    def line(self) -> str:
        """The one line a command prints: the code, the Chinese message and, when there is one, the English."""
        english = f" / {self.message_en}" if self.message_en else ""
        return f"[{self.code}] {self.message}{english}"
