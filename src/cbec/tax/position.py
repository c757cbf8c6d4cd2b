"""A seller's export refund position for its released lists, before it files a claim.

The released lists' goods lines are grouped by HS code, export date and whether the goods were
bought with a VAT invoice, and assessed by the export refund rules as one claim
(:func:`cbec.tax.export_refund.assess_export_refund`): 免退税 for a trading company (财税〔2012〕39号)
where an invoice backs the purchase, 无票免税 in the zone where none does (财税〔2018〕103号). What a
list does not say (the purchase cost, the exchange rate, which SKUs were bought without
invoices) comes from a stated assumption that the seller replaces with real figures. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from cbec.tax.export_refund import EnterpriseKind, ExportClaim, ExportLine, assess_export_refund
from cbec.tax.present import export_assessment_dict
from cbec.tax.rates import TaxTables

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class ReleasedLine:
    """One goods line of a released export list (CEB603), as customs declared it."""

    gcode: str
    export_on: str  # ieDate, YYYYMMDD
    item_no: str
    name: str
    qty: Decimal
    total_price: Decimal


@dataclass(frozen=True, slots=True)
class RefundAssumption:
    """What the lists do not say, each value a stated assumption [I] (see the file's notes)."""

    source: str
    enterprise_kind: EnterpriseKind
    rate: Decimal  # 外汇人民币折合率 of the declared currency
    purchase_share: Decimal  # purchase value excluding VAT as a share of FOB in CNY
    default_refund_rate: Decimal  # where the refund table has no row for the HS code
    no_invoice_suffixes: tuple[str, ...]  # SKUs bought without a VAT invoice end in one of these

    @classmethod
    def demo(cls) -> RefundAssumption:
        """The demo's assumption (``cbec/data/demo_refund_assumption.json``)."""
        raw = json.loads(resources.files("cbec.data").joinpath("demo_refund_assumption.json").read_text("utf-8"))
        return cls(
            source="cbec/data/demo_refund_assumption.json",
            enterprise_kind=EnterpriseKind(raw["enterprise_kind"]),
            rate=Decimal(raw["gbp_cny_rate"]),
            purchase_share=Decimal(raw["purchase_share_of_fob"]),
            default_refund_rate=Decimal(raw["refund_rate_when_no_table_row"]),
            no_invoice_suffixes=tuple(raw["no_invoice_stock_code_suffixes"]),
        )


Key = tuple[str, str, bool]  # HS code, export date, bought with an invoice


def _grouped(lines: list[ReleasedLine], assumption: RefundAssumption) -> dict[Key, tuple[Decimal, Decimal, str]]:
    """FOB total, quantity and a name per (HS code, export date, invoiced)."""
    out: dict[Key, tuple[Decimal, Decimal, str]] = {}
    for line in lines:
        invoiced = not line.item_no.upper().endswith(assumption.no_invoice_suffixes)
        key = (line.gcode, line.export_on, invoiced)
        fob, qty, name = out.get(key, (Decimal(0), Decimal(0), line.name))
        out[key] = (fob + line.total_price, qty + line.qty, name)
    return out


def refund_claim(lines: list[ReleasedLine], assumption: RefundAssumption, tables: TaxTables, on: date) -> ExportClaim:
    """The claim the released lines would make on ``on`` under ``assumption``."""
    claim_lines = []
    for n, (key, (fob, qty, name)) in enumerate(sorted(_grouped(lines, assumption).items()), start=1):
        gcode, export_on, invoiced = key
        exported = datetime.strptime(export_on, "%Y%m%d").replace(tzinfo=BEIJING).date()
        has_row = any(gcode.startswith(r.hs_prefix) for r in tables.refund)
        # without a row of its own the line takes the assumed rate, never above its VAT rate (a
        # refund rate is at most the rate the goods were taxed at: RULES.md §3, the 2019 cut of
        # 10% refunds to 9% where the VAT rate became 9%)
        assumed = min(assumption.default_refund_rate, tables.vat_rate(gcode, exported).rate)
        claim_lines.append(
            ExportLine(
                gnum=n,
                gcode=gcode,
                export_on=exported,
                trade_mode="9610",
                fob=fob,
                gname=name[:250],
                unit="011",
                qty=qty,
                price=(fob / qty).quantize(Decimal("0.00001")) if qty else None,
                currency="303",
                exchange_rate=assumption.rate,
                invoice_amount=(fob * assumption.rate * assumption.purchase_share).quantize(Decimal("0.01"))
                if invoiced
                else None,
                has_purchase_voucher=invoiced,
                is_recorded_on_zone_platform=True,
                is_declared_at_zone_customs=True,
                refund_rate=None if has_row else assumed,
            )
        )
    return ExportClaim(kind=assumption.enterprise_kind, claim_on=on, lines=tuple(claim_lines), is_zone_registered=True)


def refund_position(
    lines: list[ReleasedLine], assumption: RefundAssumption, tables: TaxTables, on: date
) -> dict[str, Any]:
    """Refundable, cost-transfer and exempt totals of the released lines, and lines by treatment."""
    claim = refund_claim(lines, assumption, tables, on)
    if not claim.lines:
        return {"lines": 0}
    out = export_assessment_dict(assess_export_refund(claim, tables))
    treatments: dict[str, int] = {}
    for line in out["lines"]:
        treatments[line.get("treatment", "")] = treatments.get(line.get("treatment", ""), 0) + 1
    return {
        "assumption": assumption.source,
        "claim_lines": len(claim.lines),
        "refundable_cny": out["refundTotal"],
        "cost_transfer_cny": out["costTransferTotal"],
        "exempt_value_cny": out["exemptValueTotal"],
        "flagged": len(out["flags"]),
        "lines_by_treatment": treatments,
    }
