"""Read models of the dashboard figures, as the API sends them and the dashboard page draws them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cbec.kit.read import Amount, Day


class PeriodRead(BaseModel):
    """The closed period of Beijing days counted, and the day counted as today."""

    model_config = ConfigDict(populate_by_name=True)

    start: Day = Field(alias="from")
    end: Day = Field(alias="to")
    today: Day


class DestinationRead(BaseModel):
    """Export lists to one country, and their declared value by currency (ISO 4217)."""

    code: str
    name_zh: str
    name_en: str
    lists: int
    value: dict[str, Amount]


class TradeModeRead(BaseModel):
    trade_mode: str
    lists: int
    value: dict[str, Amount]


class DayRead(BaseModel):
    day: Day
    lists: int
    by_status: dict[str, int]


class ReasonCountRead(BaseModel):
    reason: str
    count: int


class MatchingFiguresRead(BaseModel):
    by_state: dict[str, int]
    #: matched / all current results, four decimals; None when there is no result
    rate: float | None
    not_matched_reasons: list[ReasonCountRead]


class RejectionRead(BaseModel):
    return_status: int | None
    info: str
    count: int


class DashboardRead(BaseModel):
    period: PeriodRead
    today_by_status: dict[str, int]
    period_by_status: dict[str, int]
    lists: int
    by_destination: list[DestinationRead]
    by_trade_mode: list[TradeModeRead]
    daily: list[DayRead]
    matching: MatchingFiguresRead
    top_rejections: list[RejectionRead]
