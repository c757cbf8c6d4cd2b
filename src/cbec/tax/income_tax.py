"""Corporate income tax of a CBEC exporter on a deemed profit (国家税务总局公告2019年第36号),
assessed with its export refund claim. Pure: the rates and bands come from the tax tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cbec.tax.rates import CitBand, Policy, TaxTables
from cbec.tax.rules import DEEMED_PROFIT, ZERO, Condition, DeemedProfitRule, check, deemed_profit_rule


@dataclass(frozen=True, slots=True)
class IncomeTaxInput:
    year: int
    revenue: Decimal  # 收入总额
    is_small_low_profit: bool = False  # staff ≤ 300 and assets ≤ CNY 50M (the income test is ours)
    has_no_invoice_exemption: bool | None = None  # None: any line of this claim exempt


@dataclass(frozen=True, slots=True)
class IncomeTaxResult:
    year: int
    rule: DeemedProfitRule | None
    conditions: tuple[Condition, ...]
    revenue: Decimal
    taxable_income: Decimal
    standard_rate: Decimal
    tax_at_standard_rate: Decimal
    is_small_low_profit_claimed: bool
    is_small_low_profit_applied: bool
    small_low_profit_note: tuple[str, str]
    bands: tuple[CitBand, ...]
    tax: Decimal

    @property
    def is_applicable(self) -> bool:
        return all(c.passed for c in self.conditions)


def assess_deemed_profit_tax(
    data: IncomeTaxInput, tables: TaxTables, *, is_zone_registered: bool, has_exemption: bool
) -> IncomeTaxResult:
    """Corporate income tax on a deemed profit of 4% of revenue (国家税务总局公告2019年第36号).

    Conditions (RULES.md §3.7 [C]): from tax year 2020; the 103号 conditions (zone-registered) and
    the VAT/CT exemption without invoices enjoyed. Tax = revenue × 4% × 25% (企业所得税法 art. 4,
    ``cit.standard_rate`` [I]); a small low-profit enterprise applies the relief bands in force at
    the end of the tax year (``cit_small_low_profit.csv``; 2023年第12号: 25% of taxable income at
    20%, if taxable income ≤ CNY 3M). RULES.md §3.7: revenue 30,000,000 → deemed income 1,200,000
    → 60,000 with the relief, 300,000 without; revenue 25M in 2020 → 50,000.
    """
    policy = tables.policy
    rule = deemed_profit_rule(data.year)
    conditions = _deemed_profit_conditions(data.year, rule is not None, is_zone_registered, has_exemption)
    rate = rule.taxable_income_rate if rule is not None else ZERO
    taxable_income = policy.round(data.revenue * rate)
    standard = policy.round(taxable_income * policy.cit_standard_rate)
    year_end = date(data.year, 12, 31)
    bands = tables.cit_bands_on(year_end)
    tax, applied, note = _small_low_profit(data, taxable_income, standard, bands, policy)
    if not all(c.passed for c in conditions):
        taxable_income = standard = tax = ZERO
        applied = False
    return IncomeTaxResult(
        year=data.year,
        rule=rule,
        conditions=conditions,
        revenue=data.revenue,
        taxable_income=taxable_income,
        standard_rate=policy.cit_standard_rate,
        tax_at_standard_rate=standard,
        is_small_low_profit_claimed=data.is_small_low_profit,
        is_small_low_profit_applied=applied,
        small_low_profit_note=note,
        bands=bands if applied else (),
        tax=tax,
    )


def _deemed_profit_conditions(
    year: int, in_force: bool, is_zone_registered: bool, has_exemption: bool
) -> tuple[Condition, ...]:
    """The conditions of deemed-profit taxation (RULES.md §3.7 [C])."""
    src = DEEMED_PROFIT.source
    return (
        check(
            "policy_in_force",
            in_force,
            ok=(f"{year}年适用{src}", f"tax year {year} is under {src}"),
            failed=(
                f"{year}年早于{src}施行年度（2020年）",
                f"tax year {year} is before {src} took effect (2020)",
            ),
        ),
        check(
            "zone_registered",
            is_zone_registered,
            ok=("企业在综试区注册", "the exporter is zone-registered"),
            failed=("企业未在综试区注册", "the exporter is not zone-registered"),
        ),
        check(
            "no_invoice_exemption",
            has_exemption,
            ok=(
                "享受无票免税（财税〔2018〕103号）",
                "the exporter enjoyed the no-invoice exemption (财税〔2018〕103号)",
            ),
            failed=(
                "未享受无票免税（财税〔2018〕103号）政策，不适用核定征收",
                "the exporter did not enjoy the no-invoice VAT/CT exemption (财税〔2018〕103号), "
                "so deemed-profit taxation does not apply",
            ),
        ),
    )


def _small_low_profit(
    data: IncomeTaxInput, taxable_income: Decimal, standard: Decimal, bands: tuple[CitBand, ...], policy: Policy
) -> tuple[Decimal, bool, tuple[str, str]]:
    """The tax with the small low-profit relief when it is claimed and the bands in force cover
    the taxable income, else the tax at the standard rate; whether it applied, and why (zh, en)."""
    applied = False
    tax = standard
    if not data.is_small_low_profit:
        note = ("未申报小型微利企业", "not claimed as a small low-profit enterprise")
    elif not bands:
        note = (
            f"{data.year}年无小型微利企业优惠区间（税率表）",
            f"no small low-profit bands for {data.year} in the table",
        )
    elif taxable_income > bands[-1].band_to:
        note = (
            f"应纳税所得额 {taxable_income} 超过小型微利企业上限 {bands[-1].band_to}",
            f"taxable income {taxable_income} is over the small low-profit ceiling {bands[-1].band_to}",
        )
    else:
        applied = True
        exact = sum(
            (max(min(taxable_income, b.band_to) - b.band_from, ZERO) * b.taxable_share * b.rate for b in bands),
            ZERO,
        )
        tax = policy.round(exact)
        note = (
            "适用小型微利企业优惠：" + "；".join(b.source for b in bands),
            "small low-profit relief applied: " + "; ".join(b.source for b in bands),
        )
    return tax, applied, note
