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


# --- the indicators (issue 20) -----------------------------------------------------------------


class FigureRead(BaseModel):
    """The figures of one cell: lists, orders, parcels (件数), goods lines and the value in CNY.

    ``parcels`` is 0 and ``lines`` is set when the cell is an HS chapter or heading (the figures
    are then over lines); ``unconverted`` lists had no rate and are outside ``value_cny``."""

    lists: int
    orders: int
    parcels: int
    lines: int
    value_cny: Amount
    unconverted: int


class CellRead(FigureRead):
    """One row of a breakdown: its key per dimension (customs code), with Chinese and English names."""

    key: dict[str, str]
    name_zh: str
    name_en: str
    share: float | None  # of the total value, 4 places


class GrowthRead(BaseModel):
    """Month-on-month (环比) and year-on-year (同比) growth of value and lists, as fractions."""

    previous: str | None
    year_ago: str | None
    value_mom: Amount | None
    value_yoy: Amount | None
    lists_mom: Amount | None
    lists_yoy: Amount | None
    previous_value: Amount | None
    year_ago_value: Amount | None


class EnterprisesRead(BaseModel):
    """Sellers with a counted list in the period (active) and those whose first one is in it (new)."""

    active: int
    new: int


class MonthRead(FigureRead):
    month: str
    value_mom: Amount | None
    value_yoy: Amount | None


class IndicatorsRead(BaseModel):
    period: str
    first_month: str | None
    last_month: str | None
    scope: str
    rate_basis: str
    by: list[str]
    total: FigureRead
    rows: list[CellRead]
    growth: GrowthRead
    enterprises: EnterprisesRead
    #: share of the ten largest sellers in the value (CR10)
    top10_seller_share: Amount | None
    months: list[MonthRead]
    #: overseas warehouses (count, area, country) come with the logistics area: a slot, empty
    overseas_warehouses: list[dict[str, str]]


class CountedListRead(BaseModel):
    """A list behind a cell: the declaration's own figures, never a buyer's."""

    id: int
    day: str
    trade_mode: str
    direction: str
    country: str
    seller: str
    platform: str
    order_no: str
    invt_no: str
    currency: str
    value: Amount | None
    value_cny: Amount | None
    status: str


class CountedListsRead(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[CountedListRead]


class ReleasedExportRead(BaseModel):
    """One released export list as a tax bureau (export refund) or an FX bureau (收汇核查) asks for it."""

    seller: str
    day: str
    released_at: str
    trade_mode: str
    country: str
    platform: str
    order_no: str
    invt_no: str
    currency: str
    value: Amount | None
    value_cny: Amount | None
    rate: str
    rate_on: str
    rate_source: str


class SellerTotalRead(BaseModel):
    seller: str
    lists: int
    value_cny: Amount
    unconverted: int


class ReleasedExportsRead(BaseModel):
    period: str
    sellers: list[SellerTotalRead]
    lists: list[ReleasedExportRead]


class RefreshRead(BaseModel):
    lists: int
    lines: int
