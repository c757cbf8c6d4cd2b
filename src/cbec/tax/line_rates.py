"""The rates of one goods line of an import, shared by the retail import tax and the relief of
returned exports: tariff and VAT from the dated tables (or the line's own override), the
consumption tax with its price threshold by the second unit of quantity (RULES.md §1.3), and the
specific (从量) part of a specific or compound consumption tax from the line's legal quantity.
Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from cbec.errors import FieldError, InvalidInput
from cbec.tax.rates import AppliedRate, RateRow, SpecificDuty, TaxTables
from cbec.tax.rules import ONE, ZERO, StatutoryTaxes, statutory_import_taxes

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


#: Legal units of quantity by what they measure, with the factor to kg or to litres (customs
#: unit codes, shared/reference/codes/unit.csv).
MASS_UNITS_KG: dict[str, Decimal] = {"035": Decimal(1), "036": Decimal("0.001"), "070": Decimal(1000)}  # 千克 克 吨
VOLUME_UNITS_L: dict[str, Decimal] = {"095": Decimal(1), "096": Decimal("0.001")}  # 升 毫升


@dataclass(frozen=True, slots=True)
class SpecificPart:
    """The specific (从量) part of a line's consumption tax: ``amount`` CNY per ``unit`` times
    ``quantity`` (in that unit), from the legal quantity ``source_qty`` in ``source_unit``."""

    amount: Decimal  # CNY per unit, after the price tier
    unit: str  # tonne | litre | 500ml_or_g
    quantity: Decimal
    source_field: str  # qty1 or qty2: the legal quantity it came from
    source_qty: Decimal
    source_unit: str
    tier_price: Decimal | None = None  # the price per unit compared with the tier, if any
    tier_minimum: Decimal | None = None

    @property
    def tax(self) -> Decimal:
        return self.amount * self.quantity


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


def specific_part(
    *,
    gnum: int,
    gcode: str,
    row: RateRow | None,
    quantities: tuple[tuple[str, Decimal | None, str | None], ...],
    price_basis: Decimal,
    document: str,
) -> SpecificPart | None:
    """The specific part of the consumption tax of a line whose item is specific or compound.

    The quantity comes from the line's legal quantities, ``quantities`` = ((field, qty, unit),
    …) in order (qty1/unit1, then qty2/unit2), converted to the row's unit: kg, g and tonnes by
    weight, litres and ml by volume, and across the two by the row's ``litres_per_tonne`` (beer
    988 L a tonne). A line with no quantity convertible to the row's unit is refused
    (:class:`InvalidInput` naming the document, line and field): the tax is not guessed. A
    price tier (beer: 250 a tonne at ≥ CNY 3,000 a tonne, else 220) compares ``price_basis``
    divided by the quantity with the tier price.
    """
    if row is None or row.specific is None:
        return None
    duty = row.specific
    for field, qty, unit in quantities:
        if qty is None or unit is None or qty <= 0:
            continue
        quantity = _in_specific_unit(qty, unit, duty)
        if quantity is None:
            continue
        amount, tier_price = duty.amount, None
        if duty.tier_price is not None and duty.amount_below_tier is not None:
            tier_price = price_basis / quantity
            amount = duty.amount if tier_price >= duty.tier_price else duty.amount_below_tier
        return SpecificPart(amount, duty.unit, quantity, field, qty, unit, tier_price, duty.tier_price)
    raise _no_specific_quantity(gnum, gcode, row, quantities, document)


def _in_specific_unit(qty: Decimal, unit: str, duty: SpecificDuty) -> Decimal | None:
    """``qty`` of customs unit ``unit`` in the specific unit of ``duty``, or None if it cannot be
    converted (a count such as bottles, or weight to volume without a density)."""
    kg = qty * MASS_UNITS_KG[unit] if unit in MASS_UNITS_KG else None
    litres = qty * VOLUME_UNITS_L[unit] if unit in VOLUME_UNITS_L else None
    per_tonne = duty.litres_per_tonne
    if duty.unit == "500ml_or_g":  # 每500克或500毫升: weight and volume both count directly
        if kg is not None:
            return kg * 2
        return litres * 2 if litres is not None else None
    if duty.unit == "tonne":
        if kg is not None:
            return kg / 1000
        return litres / per_tonne if litres is not None and per_tonne else None
    if litres is not None:  # litre
        return litres
    return kg / 1000 * per_tonne if kg is not None and per_tonne else None


#: What a line must measure its legal quantity in, by what the specific unit can be converted from.
_NEEDED_UNITS = {
    "weight": ("kg (035), g (036) or tonnes (070)", "千克(035)、克(036)或吨(070)"),
    "volume": ("litres (095) or ml (096)", "升(095)或毫升(096)"),
    "any": (
        "litres (095), ml (096), kg (035), g (036) or tonnes (070)",
        "升(095)、毫升(096)、千克(035)、克(036)或吨(070)",
    ),
}


def _no_specific_quantity(
    gnum: int, gcode: str, row: RateRow, quantities: tuple[tuple[str, Decimal | None, str | None], ...], document: str
) -> InvalidInput:
    assert row.specific is not None
    unit = row.specific.unit
    given = ", ".join(f"{f}={q} {u}" for f, q, u in quantities if q is not None) or "none"
    if unit == "500ml_or_g" or row.specific.litres_per_tonne is not None:
        needs_en, needs_zh = _NEEDED_UNITS["any"]
    else:
        needs_en, needs_zh = _NEEDED_UNITS["weight" if unit == "tonne" else "volume"]
    return InvalidInput(
        f"line {gnum}: HS {gcode} ({row.category}) pays a {row.kind} consumption tax of "
        f"{row.specific.amount} CNY per {unit}; give its legal quantity qty1/unit1 in {needs_en} "
        f"(given: {given}), or consumptionTaxRate",
        f"第 {gnum} 项：商品编码 {gcode}（{row.category}）按从量/复合计征消费税（每{unit} {row.specific.amount} 元）；"
        f"请填写法定数量 qty1/unit1（{needs_zh}），已填：{given}；或直接填写 consumptionTaxRate",
        field="qty1",
        document=document,
        details=[
            FieldError(
                "required",
                "qty1",
                "从量计征需要以重量或体积计的法定数量",
                "a specific consumption tax needs the legal quantity by weight or volume",
                document=document,
                line=gnum,
            )
        ],
    )


def vat_rate(gcode: str, override: Decimal | None, tables: TaxTables, on: date) -> AppliedRate:
    if override is not None:
        return AppliedRate.from_input(override, "vatRate")
    return AppliedRate.from_row(tables.vat_rate(gcode, on))


def tariff_rate(gcode: str, override: Decimal | None, tables: TaxTables, on: date) -> AppliedRate:
    if override is not None:
        return AppliedRate.from_input(override, "tariffRate")
    return AppliedRate.from_row(tables.tariff_rate(gcode, on))


@dataclass(frozen=True, slots=True)
class LineTaxes:
    """A goods line's rates and its import taxes in full (unrounded), as ``line_taxes`` finds them."""

    vat: AppliedRate
    consumption: AppliedRate
    threshold: ThresholdCheck | None
    specific: SpecificPart | None
    statutory: StatutoryTaxes


def line_taxes(
    *,
    gnum: int,
    gcode: str,
    tax_price: Decimal,
    tariff: AppliedRate,
    vat_override: Decimal | None,
    consumption_override: Decimal | None,
    quantities: tuple[tuple[str, Decimal | None, str | None], ...],
    qty2: Decimal | None,
    unit2: str | None,
    threshold_basis: Decimal,
    tables: TaxTables,
    on: date,
    document: str,
) -> LineTaxes:
    """The import taxes in full of a line of 完税价格 ``tax_price`` at the ``tariff`` found for it:
    VAT and consumption-tax rates (``vat_rate``, ``consumption_rate`` with its threshold on
    ``threshold_basis``), the specific part from the legal ``quantities`` (``specific_part``, its
    price tier on the 完税价格 plus duty — beer's tier is per tonne of that [I]; an input
    consumption rate replaces the table, specific part included) and the taxes by
    ``statutory_import_taxes`` (RULES.md §1.3 [C])."""
    vat = vat_rate(gcode, vat_override, tables, on)
    consumption, threshold = consumption_rate(
        gnum=gnum,
        gcode=gcode,
        override=consumption_override,
        qty2=qty2,
        unit2=unit2,
        threshold_basis=threshold_basis,
        tables=tables,
        on=on,
        document=document,
    )
    specific = None
    if consumption_override is None:
        specific = specific_part(
            gnum=gnum,
            gcode=gcode,
            row=tables.consumption_tax(gcode, on),
            quantities=quantities,
            price_basis=tax_price * (ONE + tariff.rate),
            document=document,
        )
    statutory = statutory_import_taxes(
        tax_price,
        tariff_rate=tariff.rate,
        vat_rate=vat.rate,
        consumption_tax_rate=consumption.rate,
        specific_tax=specific.tax if specific else ZERO,
    )
    return LineTaxes(vat, consumption, threshold, specific, statutory)
