"""The JSON API's request bodies as pydantic models: shapes and value rules, nothing else.

Their own checks raise pydantic errors (`cunsheng.*` types with Chinese messages), which the routes
turn into `request.invalid` from the catalogue. Must not run queries or know about routes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator
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


EXAMPLE_UPDATE_ID = "3e5f9a4c-1b2d-4e6f-9a8b-7c6d5e4f3a2b"
CaseId = Annotated[StrictInt, Field(ge=1, le=2**31 - 1, examples=[1], description="个案编号（下载包中的 id）")]


class DeviceIn(BaseModel):
    """A collector's sign-in from the field app: the console account and a label for the device."""

    model_config = ConfigDict(extra="forbid")
    username: StrictStr = Field(max_length=200, examples=["zhuren"])
    password: StrictStr = Field(max_length=200, examples=["correct-horse-battery"])
    label: StrictStr = Field(default="", max_length=100, examples=["红米平板"], description="设备名称，显示在账号的令牌列表中")


class _Update(BaseModel):
    """What every case update carries: its own id (made on the device) and the case."""

    model_config = ConfigDict(extra="forbid")
    id: UUID = Field(examples=[EXAMPLE_UPDATE_ID], description="这条记录的编号（设备生成的 UUID），重发时不变")
    case: CaseId

    def canonical(self) -> dict[str, Any]:
        """The update as JSON data, times in UTC: the same update always gives the same data."""
        data = self.model_dump(mode="json")
        for name, value in self:
            if isinstance(value, datetime):
                data[name] = value.astimezone(UTC).isoformat()
        return data


class VisitUpdate(_Update):
    """A visit to the household and its result."""

    type: Literal["visit"]
    at: AwareDatetime = Field(examples=["2026-05-01T09:30:00+08:00"])
    result: StrictStr = Field(max_length=32, examples=["no_contact"], description="visit_results 中的代码")


class RespondentUpdate(_Update):
    """The eligible members counted at the door and the selected respondent's line."""

    type: Literal["respondent"]
    eligible: StrictInt = Field(examples=[2], description="合格成员人数（0 表示没有合格成员）")
    line: StrictInt | None = Field(default=None, examples=[1],
                                   description="受访者序号：下一个过生日规则必填；Kish 规则可省略，给出时须与选择表一致")


class CloseUpdate(_Update):
    """Closing the case with a final AAPOR disposition."""

    type: Literal["close"]
    at: AwareDatetime = Field(examples=["2026-05-01T10:05:00+08:00"])
    disposition: StrictStr = Field(max_length=12, examples=["2.22"], description="dispositions 中的 AAPOR 代码")


Update = Annotated[VisitUpdate | RespondentUpdate | CloseUpdate, Field(discriminator="type")]


class SyncIn(BaseModel):
    """A device's case updates, applied in the order given, each on its own."""

    model_config = ConfigDict(extra="forbid")
    updates: list[Update] = Field(max_length=500)
