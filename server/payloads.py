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
EXAMPLE_INSTANCE_ID = "9b2c7e0a-3f1d-4c5e-8a6b-1d2e3f4a5b6c"  # the documents' examples: a POST, then its status


class ResponseIn(BaseModel):
    """A finished response as a device or another system sends it."""

    model_config = ConfigDict(extra="forbid")
    instance_id: UUID = Field(examples=[EXAMPLE_INSTANCE_ID])
    version: StrictInt = Field(ge=1, examples=[1])
    village: str = Field(pattern=VILLAGE_CODE, examples=["149901001001"])
    answers: dict[str, Any] = Field(examples=[{"resp_sex": 2, "resident": 1}],
                                    description="变量名 -> 答案。示例是问卷 women 的一份：受访者为男性，答完第一页即结束。")
    started_at: AwareDatetime | None = Field(default=None, examples=["2026-05-01T08:00:00+08:00"])
    completed_at: AwareDatetime | None = Field(default=None, examples=["2026-05-01T08:12:30+08:00"])

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
