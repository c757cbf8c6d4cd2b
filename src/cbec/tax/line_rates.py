"""The rates of one goods line of an import, shared by the retail import tax and the relief of
returned exports: tariff and VAT from the dated tables (or the line's own override), and the
consumption tax with its price threshold by the second unit of quantity (RULES.md §1.3). Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from cbec.errors import FieldError, InvalidInput
from cbec.tax.rates import AppliedRate, RateRow, TaxTables
from cbec.tax.rules import ZERO

#: Second units of quantity measured in ml or g, with the factor to ml or g (customs unit codes).
SECOND_UNIT_ML_OR_G: dict[str, Decimal] = {
    "096": Decimal(1),  # 毫升
    "095": Decimal(1000),  # 升
    "036": Decimal(1),  # 克
    "035": Decimal(1000),  # 千克
}
#: Second units counted in pieces (片/张), with the factor to pieces.
SECOND_UNIT_PIECE: dict[str, Decimal] = {
    "020": Decimal(1),  # 片
    "010": Decimal(1),  # 张
    "044": Decimal(100),  # 百片
}


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    """The consumption-tax price threshold of an item such as high-end cosmetics."""

    unit_price: Decimal  # CNY per ml or g, or per piece
    per: str  # "ml_or_g" | "piece"
    minimum: Decimal
    price_basis: Decimal  # the amount divided
    quantity: Decimal  # in ml, g or pieces

    @property
    def is_taxable(self) -> bool:
        """At or above the threshold (≥, RULES.md §1.3)."""
        return self.unit_price >= self.minimum


def consumption_rate(
    *,
    gnum: int,
    gcode: str,
    override: Decimal | None,
    qty2: Decimal | None,
    unit2: str | None,
    threshold_basis: Decimal,
    tables: TaxTables,
    on: date,
    document: str,
) -> tuple[AppliedRate, ThresholdCheck | None]:
    """The consumption-tax rate of one line, with the price-threshold check when the item has one.

    High-end cosmetics (高档化妆品, 15%) are taxable only when the price is ≥ CNY 10 per ml or g,
    or ≥ CNY 15 per piece (片/张), judged by the second unit of quantity (RULES.md §1.3 [C]); a
    10-piece box of masks at CNY 100 is CNY 10 a piece, so below. ``threshold_basis`` is the
    amount divided (the declared goods value, or the 完税价格, per ``retail.threshold_price``).
    A per-line ``consumptionTaxRate`` replaces both the table and the threshold.
    """
    if override is not None:
        return AppliedRate.from_input(override, "consumptionTaxRate"), None
    row = tables.consumption_tax(gcode, on)
    if row is None:
        return AppliedRate(rate=ZERO, origin="none", source="not a consumption-tax item (consumption_tax.csv)"), None
    if not row.has_price_threshold:
        return AppliedRate.from_row(row), None
    if qty2 is None or unit2 is None or qty2 <= 0:
        raise _no_second_quantity(gnum, gcode, row.category, document)
    per, factor, minimum = _threshold_unit(row, unit2, gnum, document)
    quantity = qty2 * factor
    check = ThresholdCheck(
        unit_price=threshold_basis / quantity,
        per=per,
        minimum=minimum,
        price_basis=threshold_basis,
        quantity=quantity,
    )
    unit_en = "ml or g" if per == "ml_or_g" else "piece"
    unit_price = check.unit_price.quantize(Decimal("0.0001"))
    if check.is_taxable:
        note = f"{unit_price} CNY per {unit_en} ≥ {minimum}: taxable ({row.category})"
        return AppliedRate.from_row(row, note=note), check
    note = f"{unit_price} CNY per {unit_en} < {minimum}: below the threshold, no consumption tax"
    return replace(AppliedRate.from_row(row, note=note), rate=ZERO), check  # the table's row, at 0


def _no_second_quantity(gnum: int, gcode: str, category: str, document: str) -> InvalidInput:
    return InvalidInput(
        f"line {gnum}: HS {gcode} is a consumption-tax item with a price threshold ({category}); "
        "give qty2 and unit2 (ml, g or 片/张) so the price per unit can be checked, "
        "or give consumptionTaxRate",
        f"第 {gnum} 项：商品编码 {gcode} 为有价格标准的消费税品目（{category}），"
        "请填写第二数量 qty2 和第二单位 unit2（毫升、克或片/张）以判断单价，或直接填写 consumptionTaxRate",
        field="qty2",
        document=document,
        details=[
            FieldError(
                "required",
                "qty2",
                "需填写第二数量及单位以判断消费税价格标准",
                "qty2/unit2 needed for the consumption-tax price threshold",
                document=document,
                line=gnum,
            )
        ],
    )


def _threshold_unit(row: RateRow, unit2: str, gnum: int, document: str) -> tuple[str, Decimal, Decimal]:
    """What the second unit measures for the price threshold (per ml or g, or per piece), the
    factor to that measure and the minimum price per it; another unit is refused."""
    if unit2 in SECOND_UNIT_ML_OR_G and row.min_price_per_ml_or_g is not None:
        return "ml_or_g", SECOND_UNIT_ML_OR_G[unit2], row.min_price_per_ml_or_g
    elif unit2 in SECOND_UNIT_PIECE and row.min_price_per_piece is not None:
        return "piece", SECOND_UNIT_PIECE[unit2], row.min_price_per_piece
    raise InvalidInput(
        f"line {gnum}: unit2 {unit2!r} cannot be used for the price threshold of {row.category}; "
        "use ml (096), L (095), g (036), kg (035), 片 (020), 张 (010) or 百片 (044)",
        f"第 {gnum} 项：第二单位 {unit2!r} 不能用于判断{row.category}的价格标准；"
        "请用毫升(096)、升(095)、克(036)、千克(035)、片(020)、张(010)或百片(044)",
        field="unit2",
        document=document,
        details=[FieldError("code_list", "unit2", "第二单位不适用", "unit2 not usable", document=document, line=gnum)],
    )


def vat_rate(gcode: str, override: Decimal | None, tables: TaxTables, on: date) -> AppliedRate:
    if override is not None:
        return AppliedRate.from_input(override, "vatRate")
    return AppliedRate.from_row(tables.vat_rate(gcode, on))


def tariff_rate(gcode: str, override: Decimal | None, tables: TaxTables, on: date) -> AppliedRate:
    if override is not None:
        return AppliedRate.from_input(override, "tariffRate")
    return AppliedRate.from_row(tables.tariff_rate(gcode, on))
