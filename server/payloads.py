"""The JSON API's request bodies as pydantic models: shapes and value rules, nothing else.

Their own checks raise pydantic errors (`cunsheng.*` types with Chinese messages), which the routes
turn into `request.invalid` from the catalogue. Must not run queries or know about routes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
VILLAGE_CODE = r"^[0-9A-Za-z_-]{1,12}$"


class ResponseIn(BaseModel):
    """A finished response as a device or another system sends it."""

    model_config = ConfigDict(extra="forbid")
    instance_id: UUID
    version: StrictInt = Field(ge=1)
    village: str = Field(pattern=VILLAGE_CODE)
    answers: dict[str, Any]
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _times(self) -> ResponseIn:
        latest = datetime.now(UTC) + timedelta(days=1)
        for name in ("started_at", "completed_at"):
            moment = getattr(self, name)
            if moment is not None and not EARLIEST <= moment <= latest:
                raise PydanticCustomError("cunsheng.time_range", "{field} 应在 2000-01-01 与明天之间", {"field": name})
        if self.started_at and self.completed_at and self.started_at > self.completed_at:
            raise PydanticCustomError("cunsheng.time_order", "completed_at 不能早于 started_at", {})
        return self
