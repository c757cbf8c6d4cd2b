"""The cases as partner files: JSON text written from fragments escaped once per product, party
and buyer, and the Amazon report's rows. Pure: ``service.py`` writes the files."""

from __future__ import annotations

from operator import add, attrgetter
from typing import TypeVar

from cbec.generate.basics import OTHER_SELLER_CODE, Parties, fen_text, grams_text, json_text
from cbec.generate.exports import ExportCase, ExportCatalogue, ExportOutcome
from cbec.generate.imports import ImportCase, ImportOutcome, import_line_json
from cbec.generate.people import consignee_json

T = TypeVar("T")

# --- encoding --------------------------------------------------------------------------------

#: b'1}', b'2}', … : what closes the n-th export line after its JSON (see ExportLine.json).
_GNUM_CLOSE: list[bytes] = []


def _gnum_close(n: int) -> list[bytes]:
    while len(_GNUM_CLOSE) < n:
        _GNUM_CLOSE.append(f"{len(_GNUM_CLOSE) + 1}}}".encode())
    return _GNUM_CLOSE


_JSON = attrgetter("json")
_GRAMS = attrgetter("grams")
_INFO = attrgetter("info")


class Encoder:
    """Each document as one line of JSON in UTF-8, with the CEB field names intake reads
    (``cbec.intake.parsers.json_docs``); amounts as decimal text, so no reader turns them into
    binary floats. Bytes, because the export lines are kept encoded: most of an export order is
    its lines, and encoding them once per product and quantity rather than once per order is
    a fifth of the generation time."""

    def __init__(self, parties: Parties, catalogue: ExportCatalogue | None = None) -> None:
        p, s, lg, pay = parties.platform, parties.seller, parties.logistics, parties.payer
        self.currency = catalogue.currency if catalogue else "303"
        self.currency_iso = catalogue.currency_iso if catalogue else "GBP"
        self.parties_json = f'"ebpCode":{json_text(p.code)},"ebpName":{json_text(p.name)},"ebcCode":{json_text(s.code)},"ebcName":{json_text(s.name)}'
        self.logistics_json = f'"logisticsCode":{json_text(lg.code)},"logisticsName":{json_text(lg.name)}'
        self.pay_json = f'"payCode":{json_text(pay.code)},"payName":{json_text(pay.name)}'
        self.ebp_json = f'"ebpCode":{json_text(p.code)},"ebpName":{json_text(p.name)}'
        self.platform_json = f',"ebpCode":{json_text(p.code)}'
        self.seller_json = f'"ebcCode":{json_text(s.code)},"ebcName":{json_text(s.name)}'
        self.other_seller_json = f'"ebcCode":"{OTHER_SELLER_CODE}"'

    # -- export --------------------------------------------------------------------------
    def export_order(self, case: ExportCase) -> bytes:
        lines = case.lines
        body = b",".join(map(add, map(_JSON, lines), _gnum_close(len(lines))))
        goods = case.goods
        if case.outcome is ExportOutcome.INVALID:  # the postage counted into the goods value
            goods += case.freight or 100
        return (
            (
                f'{{"type":"export_order","head":{{"orderType":"E","orderNo":"{case.order_no}",{self.parties_json},'
                f'"goodsValue":"{fen_text(goods)}","freight":"{fen_text(case.freight)}","currency":"{self.currency}",'
                f'"orderTime":"{case.order_time}","destinationCountry":"{case.destination.code}",'
                f'"buyerRef":"{case.buyer_ref}"}},"lines":['
            ).encode()
            + body
            + b"]}"
        )

    def export_waybill(self, case: ExportCase) -> bytes | None:
        """The logistics company's waybill (CEB505), or None when none is sent."""
        outcome = case.outcome
        if outcome is ExportOutcome.CANCELLED or outcome is ExportOutcome.WAYBILL_MISSING:
            return None
        grams = 200 + sum(map(_GRAMS, case.lines))  # and the packing
        info = "、".join(map(_INFO, case.lines[:8]))[:200]
        order_no = case.order_no + "-1" if outcome is ExportOutcome.WAYBILL_ORDER_NO else case.order_no
        seller = self.other_seller_json if outcome is ExportOutcome.WAYBILL_SELLER else self.seller_json
        # the forwarder knows the platform of a 9610 order it books, not that of an Amazon order
        ebp = "" if case.is_marketplace else self.platform_json
        return (
            f'{{"type":"export_waybill","head":{{{self.logistics_json},"logisticsNo":"{case.logistics_no}",'
            f'"freight":"{fen_text(case.freight)}","insuredFee":"0","currency":"{self.currency}",'
            f'"grossWeight":"{grams_text(grams)}","packNo":1,"goodsInfo":"{info}",{seller},'
            f'"orderNo":"{order_no}"{ebp},"destinationCountry":"{case.destination.code}"}}}}'
        ).encode()

    def amazon_rows(self, case: ExportCase) -> bytes:
        """The order's rows of an Amazon "All Orders" report (the columns of AMAZON_HEADER).

        ``item-price`` is the line total (Amazon: selling price × quantity ordered); the postage
        is the first row's ``shipping-price``. A cancelled order keeps its rows, quantity 0 and
        prices blank, as Amazon writes them.
        """
        cancelled = case.outcome is ExportOutcome.CANCELLED
        status = "Cancelled" if cancelled else "Shipped"
        iso2 = case.destination.iso2
        city, state, postcode = AMAZON_ADDRESSES.get(iso2, ("", "", ""))
        head = f"{case.order_no}\t\t{case.purchase_utc}\t{case.updated_utc}\t{status}\tMerchant\tAmazon.co.uk\t\t\tStandard"
        tail = f"{city}\t{state}\t{postcode}\t{iso2}\t\tfalse\t\t"
        rows = []
        for n, line in enumerate(case.lines):
            product = line.product
            if cancelled:
                money = f"0\t{self.currency_iso}\t\t\t\t\t\t\t\t"
            else:
                shipping = fen_text(case.freight) if n == 0 else "0.00"
                money = (
                    f"{line.qty}\t{self.currency_iso}\t{fen_text(line.total)}\t0.00\t{shipping}\t0.00\t\t\t0.00\t0.00"
                )
            rows.append(f"{head}\t{product.description}\t{product.item_no}\t{product.asin}\t{status}\t{money}\t{tail}")
        return "\n".join(rows).encode()

    # -- import --------------------------------------------------------------------------
    def import_order(self, case: ImportCase) -> bytes:
        lines = case.lines
        body = b",".join(map(add, [import_line_json(p, q) for p, q in lines], _gnum_close(len(lines))))
        paid = case.paid - case.tax if case.outcome is ImportOutcome.INVALID else case.paid
        return (
            (
                f'{{"type":"import_order","head":{{"orderType":"I","orderNo":"{case.order_no}",{self.parties_json},'
                f'"goodsValue":"{fen_text(case.goods)}","freight":"{fen_text(case.freight)}",'
                f'"discount":"{fen_text(case.discount)}","taxTotal":"{fen_text(case.tax)}",'
                f'"acturalPaid":"{fen_text(paid)}","currency":"142",{case.buyer.order_json},{self.pay_json},'
                f'"payTransactionId":"{case.pay_transaction_id}","orderTime":"{case.order_time}"}},"lines":['
            ).encode()
            + body
            + b"]}"
        )

    def import_payment(self, case: ImportCase) -> bytes | None:
        """The payment company's payment (CEB411), or None when none is sent."""
        outcome = case.outcome
        if outcome is ImportOutcome.PAYMENT_MISSING:
            return None
        paid = (
            case.paid - case.tax if outcome is ImportOutcome.INVALID or outcome is ImportOutcome.AMOUNT else case.paid
        )
        payer = case.payer or case.buyer.person
        return (
            f'{{"type":"import_payment","head":{{{self.pay_json},"payTransactionId":"{case.pay_transaction_id}",'
            f'"orderNo":"{case.order_no}",{self.ebp_json},"payerIdType":"1","payerIdNumber":"{payer.id_number}",'
            f'"payerName":{json_text(payer.name)},"telephone":"{payer.phone}","amountPaid":"{fen_text(paid)}",'
            f'"currency":"142","payTime":"{case.pay_time}"}}}}'
        ).encode()

    def import_waybill(self, case: ImportCase) -> bytes | None:
        """The logistics company's waybill (CEB511), or None when none is sent."""
        if case.outcome is ImportOutcome.WAYBILL_MISSING:
            return None
        buyer = case.buyer
        consignee = buyer.consignee_json
        if case.outcome is ImportOutcome.CONSIGNEE:  # the consignee's other number
            phone = buyer.consignee.phone
            consignee = consignee_json(
                buyer.consignee, buyer.address, f"{phone[:-4]}{(int(phone[-4:]) + 1) % 10_000:04d}"
            )
        grams = 100 + sum(qty * p.grams for p, qty in case.lines)
        info = "、".join(f"{p.name}×{qty}" for p, qty in case.lines)[:200]
        return (
            f'{{"type":"import_waybill","head":{{{self.logistics_json},"logisticsNo":"{case.logistics_no}",'
            f'"orderNo":"{case.order_no}","billNo":"{case.bill_no}","trafNo":"{case.flight}",'
            f'"voyageNo":"{case.flight}","freight":"{fen_text(case.freight)}","insuredFee":"0","currency":"142",'
            f'"weight":"{grams_text(grams)}","packNo":1,"goodsInfo":{json_text(info)},{consignee}}}}}'
        ).encode()


#: The header of Amazon's "All Orders" flat file, as ``tests/data/amazon-all-orders.txt`` has it.
AMAZON_HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
    "sales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\t"
    "currency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\t"
    "item-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\t"
    "promotion-ids\tis-business-order\tpurchase-order-number\tprice-designation"
)
#: One delivery address per destination country of the marketplace orders: city, state, postcode.
AMAZON_ADDRESSES: dict[str, tuple[str, str, str]] = {
    "GB": ("LONDON", "", "SW1A 1AA"),
    "DE": ("BERLIN", "", "10117"),
    "FR": ("PARIS", "", "75001"),
    "IE": ("DUBLIN", "", "D02 X285"),
    "BE": ("BRUXELLES", "", "1000"),
    "NL": ("AMSTERDAM", "", "1012 JS"),
    "ES": ("MADRID", "", "28013"),
    "PT": ("LISBOA", "", "1100-148"),
    "AU": ("SYDNEY", "NSW", "2000"),
    "CH": ("ZURICH", "", "8001"),
    "US": ("AUSTIN", "TX", "78701"),
}
