"""Money files as marketplaces and payment institutions give them, read into typed rows (issue 17,
part 1). Pure: bytes in, ``Parsed`` out; nothing is stored here.

* Amazon Settlement report, Flat File V2 (``GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2``, TSV;
  headers in ../shared/reference/FORMATS.md): the first data row is the settlement header
  (``total-amount``, ``deposit-date``), every other row one amount component. The components
  must add up to the header total to the cent, or the settlement is refused with both figures.
  EU marketplaces write amounts with a decimal comma and dates as ``dd.mm.yyyy``.
* Shopify payment transactions export (one row per charge, refund or adjustment with its
  ``Payout ID``), grouped into one settlement per payout: ``Amount`` is the component and
  ``Fee`` the commission; the payout total is the sum of ``Net``. The payouts summary export is
  read too, and a payout it lists must equal that sum.
* Payment institutions' receipts (收汇流水): the canonical CSV (or JSON list) documented in
  docs/finance.md, ``provider, account, txn_id, value_date, currency, gross, fee, net,
  cny_amount, rate, store_id, payout_ref, settlement_ref, seller``; ``gross − fee = net`` and
  ``net × rate = cny_amount`` (to the fen) are checked per row.

Bad rows are reported with the file, the row and the field (Chinese and English) and left out;
a settlement whose rows do not add up is left out whole, never half-stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from cbec.errors import FieldError, InvalidInput
from cbec.finance.categories import category_of
from cbec.kit.limits import csv_rows, load_json
from cbec.kit.money import in_range
from cbec.kit.sheets import decode_text

CENT = Decimal("0.01")


class MoneyFormat(StrEnum):
    AMAZON_SETTLEMENT = "amazon-settlement"
    SHOPIFY_TRANSACTIONS = "shopify-transactions"
    SHOPIFY_PAYOUTS = "shopify-payouts"
    RECEIPTS = "receipts"


@dataclass(frozen=True, slots=True)
class LineIn:
    row: int
    transaction_type: str
    order_id: str
    sku: str
    quantity: int | None
    amount_type: str
    amount_description: str
    category: str
    amount: Decimal
    posted: date | None


@dataclass(slots=True)
class SettlementIn:
    source: str  # amazon | shopify
    settlement_id: str
    currency: str  # ISO 4217
    total: Decimal
    deposit_date: date | None
    start: date | None = None
    end: date | None = None
    marketplace: str = ""
    lines: list[LineIn] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReceiptIn:
    row: int
    provider: str
    account: str
    txn_id: str
    value_date: date
    currency: str
    gross: Decimal
    fee: Decimal
    net: Decimal
    cny_amount: Decimal | None
    rate: Decimal | None
    store_id: str
    payout_ref: str
    settlement_ref: str
    seller: str


@dataclass(slots=True)
class Parsed:
    format: MoneyFormat
    settlements: list[SettlementIn] = field(default_factory=list)
    receipts: list[ReceiptIn] = field(default_factory=list)
    #: payout id → total as the payouts summary states it (Shopify), checked against the lines
    payout_totals: dict[str, tuple[Decimal, str, date | None]] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    rows: int = 0


def amount(text: str) -> Decimal:
    """An amount as a marketplace writes it: ``1,234.56``, ``1.234,56`` or ``12,50`` (decimal
    comma), ``-3.10``, ``(3.10)``; raises ValueError for anything else."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    negative = t.startswith("(") and t.endswith(")")
    t = t.strip("()")
    if "," in t and "." in t:
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif "," in t:
        head, _, tail = t.rpartition(",")
        t = f"{head.replace(',', '')}.{tail}" if len(tail) != 3 or "," in head else head + tail
    try:
        value = Decimal(t)
    except InvalidOperation:
        raise ValueError(text) from None
    if not in_range(value):
        raise ValueError(text)
    return -value if negative else value


_DAY_FIRST = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})")


def day(text: str) -> date:
    """A date as settlement files write it: ISO (with a time and offset, or ``UTC``) or
    ``dd.mm.yyyy``; raises ValueError otherwise."""
    t = text.strip()
    if m := _DAY_FIRST.match(t):
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    t = t.replace(" UTC", "+00:00").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(t).date()
    except ValueError:
        return date.fromisoformat(t[:10])


def _error(where: str, row: int, name: str, zh: str, en: str) -> FieldError:
    return FieldError("invalid", name, zh, en, document=where, line=row)


def _rows(data: bytes, delimiter: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header (lower-cased) and the rows of a delimited file."""
    rows = (row for row in csv_rows(decode_text(data), delimiter) if row)  # blank lines are no rows
    header = [h.strip().lower() for h in next(rows, [])]
    if not header:
        raise InvalidInput("the file is empty", "文件为空", field="file")
    # a short row reads its missing cells as empty, a long one drops the extra (as csv.DictReader)
    return header, [{h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header)} for r in rows]


def _require(headers: Iterable[str], needed: tuple[str, ...], what_en: str, what_zh: str) -> None:
    missing = [h for h in needed if h not in set(headers)]
    if missing:
        raise InvalidInput(
            f"this is not {what_en}: columns {', '.join(missing)} are missing",
            f"这不是{what_zh}：缺少列 {'、'.join(missing)}",
            field=missing[0],
        )


AMAZON_COLUMNS = (
    "settlement-id", "settlement-start-date", "settlement-end-date", "deposit-date", "total-amount", "currency",
    "transaction-type", "order-id", "merchant-order-id", "adjustment-id", "shipment-id", "marketplace-name",
    "amount-type", "amount-description", "amount", "fulfillment-id", "posted-date", "posted-date-time",
    "order-item-code", "merchant-order-item-id", "merchant-adjustment-item-id", "sku", "quantity-purchased",
    "promotion-id",
)  # fmt: skip
_AMAZON_NEEDED = ("settlement-id", "total-amount", "deposit-date", "currency", "transaction-type", "order-id",
                  "amount-type", "amount-description", "amount", "sku", "quantity-purchased")  # fmt: skip


def parse_amazon_settlement(data: bytes, filename: str = "") -> Parsed:
    """A Settlement V2 flat file: one settlement (its header row first), or several one after the
    other, each starting with its own header row."""
    headers, rows = _rows(data, "\t")
    _require(headers, _AMAZON_NEEDED, "an Amazon settlement report (V2)", "亚马逊结算报告（V2）")
    out = Parsed(MoneyFormat.AMAZON_SETTLEMENT, rows=len(rows))
    current: SettlementIn | None = None
    bad: set[str] = set()
    for n, r in enumerate(rows, start=2):
        where = f"{filename or 'settlement'} settlement-id={r.get('settlement-id', '')}"
        if r.get("total-amount"):  # a header row opens a settlement
            current = _amazon_header(r, n, where, out.errors)
            if current is None:
                bad.add(r.get("settlement-id", ""))
            else:
                out.settlements.append(current)
            continue
        if current is None or r.get("settlement-id") != current.settlement_id:
            if r.get("settlement-id") not in bad:
                out.errors.append(
                    _error(
                        where,
                        n,
                        "settlement-id",
                        "金额行之前没有该结算的表头行",
                        "no settlement header row before this amount row",
                    )
                )
            continue
        line = _amazon_line(r, n, where, out.errors)
        if line is not None:
            current.lines.append(line)
    out.settlements = [s for s in out.settlements if _adds_up(s, filename, out.errors)]
    return out


def _amazon_header(r: dict[str, str], n: int, where: str, errors: list[FieldError]) -> SettlementIn | None:
    try:
        total = amount(r["total-amount"])
    except ValueError:
        errors.append(
            _error(
                where, n, "total-amount", f"金额无法识别：{r['total-amount']}", f"not an amount: {r['total-amount']}"
            )
        )
        return None
    deposit = None
    if r.get("deposit-date"):
        try:
            deposit = day(r["deposit-date"])
        except ValueError:
            errors.append(
                _error(
                    where, n, "deposit-date", f"日期无法识别：{r['deposit-date']}", f"not a date: {r['deposit-date']}"
                )
            )
            return None
    start = _maybe_day(r.get("settlement-start-date", ""))
    end = _maybe_day(r.get("settlement-end-date", ""))
    currency = r.get("currency", "").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors.append(
            _error(
                where,
                n,
                "currency",
                f"币种须为 ISO 4217 三字母代码：{currency}",
                f"currency must be ISO 4217: {currency!r}",
            )
        )
        return None
    return SettlementIn(
        "amazon", r["settlement-id"], currency, total, deposit, start, end, r.get("marketplace-name", "")
    )


def _maybe_day(text: str) -> date | None:
    try:
        return day(text) if text else None
    except ValueError:
        return None


def _amazon_line(r: dict[str, str], n: int, where: str, errors: list[FieldError]) -> LineIn | None:
    try:
        value = amount(r.get("amount", ""))
    except ValueError:
        errors.append(
            _error(where, n, "amount", f"金额无法识别：{r.get('amount')!r}", f"not an amount: {r.get('amount')!r}")
        )
        return None
    qty_text = r.get("quantity-purchased", "")
    # ASCII digits only: "²" is a digit to str.isdigit() but no number to int()
    quantity = int(qty_text) if qty_text.isascii() and qty_text.isdigit() and len(qty_text) < 10 else None
    posted = _maybe_day(r.get("posted-date", "") or r.get("posted-date-time", ""))
    kind, atype, desc = r.get("transaction-type", ""), r.get("amount-type", ""), r.get("amount-description", "")
    return LineIn(
        n,
        kind,
        r.get("order-id", ""),
        r.get("sku", ""),
        quantity,
        atype,
        desc,
        category_of(kind, atype, desc),
        value,
        posted,
    )


def _adds_up(s: SettlementIn, filename: str, errors: list[FieldError]) -> bool:
    total = sum((ln.amount for ln in s.lines), Decimal(0)).quantize(CENT)
    if total == s.total.quantize(CENT):
        return True
    errors.append(
        FieldError(
            "arithmetic",
            "total-amount",
            f"结算 {s.settlement_id} 的表头总额 {s.total} {s.currency} 不等于各金额行之和 {total}，整份结算未导入",
            f"settlement {s.settlement_id}: the header total {s.total} {s.currency} is not the sum of its "
            f"amount rows, {total}; the settlement was not imported",
            document=f"{filename or 'settlement'} settlement-id={s.settlement_id}",
        )
    )
    return False


SHOPIFY_TRANSACTIONS = (
    "transaction date",
    "type",
    "order",
    "payout id",
    "payout date",
    "amount",
    "fee",
    "net",
    "currency",
)


def parse_shopify_transactions(data: bytes, filename: str = "", store: str = "shopify") -> Parsed:
    """Shopify's payment transactions export: one settlement per ``Payout ID`` (transactions not
    paid out yet are reported and left for a later file)."""
    headers, rows = _rows(data, ",")
    _require(
        headers,
        SHOPIFY_TRANSACTIONS,
        "a Shopify payment transactions export",
        "Shopify 支付交易导出",
    )
    out = Parsed(MoneyFormat.SHOPIFY_TRANSACTIONS, rows=len(rows))
    by_payout: dict[str, SettlementIn] = {}
    for n, r in enumerate(rows, start=2):
        payout = r.get("payout id", "")
        where = f"{filename or 'shopify'} payout={payout} order={r.get('order', '')}"
        if not payout:
            out.errors.append(
                _error(
                    where,
                    n,
                    "Payout ID",
                    "该交易尚未结算（无 Payout ID），待下次导入",
                    "not paid out yet (no Payout ID); import it again later",
                )
            )
            continue
        try:
            gross, fee, net = amount(r["amount"]), amount(r["fee"]), amount(r["net"])
        except ValueError as exc:
            out.errors.append(_error(where, n, "Amount", f"金额无法识别：{exc}", f"not an amount: {exc}"))
            continue
        if (gross - fee).quantize(CENT) != net.quantize(CENT):
            out.errors.append(
                _error(
                    where,
                    n,
                    "Net",
                    f"Amount {gross} − Fee {fee} ≠ Net {net}",
                    f"Amount {gross} − Fee {fee} ≠ Net {net}",
                )
            )
            continue
        s = by_payout.get(payout)
        if s is None:
            s = SettlementIn(store, payout, r["currency"].upper(), Decimal(0), _maybe_day(r.get("payout date", "")))
            by_payout[payout] = s
            out.settlements.append(s)
        kind = r.get("type", "").lower()
        category = {"charge": "principal", "refund": "refund", "adjustment": "other", "chargeback": "refund"}.get(
            kind, "other"
        )
        posted = _maybe_day(r.get("transaction date", ""))
        order = r.get("order", "").lstrip("#")
        s.lines.append(LineIn(n, kind, order, "", None, "Amount", r.get("type", ""), category, gross, posted))
        if fee:
            s.lines.append(LineIn(n, kind, order, "", None, "Fee", "Fee", "commission", -fee, posted))
        s.total += net
    return out


SHOPIFY_PAYOUTS = ("payout date", "status", "total", "currency")


def parse_shopify_payouts(data: bytes, filename: str = "") -> Parsed:
    """Shopify's payouts summary: each payout's total, to check against its transactions."""
    headers, rows = _rows(data, ",")
    _require(headers, SHOPIFY_PAYOUTS, "a Shopify payouts export", "Shopify 结算导出")
    out = Parsed(MoneyFormat.SHOPIFY_PAYOUTS, rows=len(rows))
    for n, r in enumerate(rows, start=2):
        # the export names a payout by its date (variants add a bank reference); one payout a day
        ref = _maybe_day(r.get("payout date", ""))
        key = ref.isoformat() if ref else r.get("payout date", "")
        try:
            out.payout_totals[key] = (amount(r["total"]), r["currency"].upper(), ref)
        except ValueError:
            out.errors.append(
                _error(
                    f"{filename or 'payouts'} payout={ref}",
                    n,
                    "Total",
                    f"金额无法识别：{r['total']}",
                    f"not an amount: {r['total']}",
                )
            )
    return out


RECEIPT_COLUMNS = ("provider", "account", "txn_id", "value_date", "currency", "gross", "fee", "net", "cny_amount",
                   "rate", "store_id", "payout_ref", "settlement_ref", "seller")  # fmt: skip
_RECEIPT_NEEDED = ("provider", "txn_id", "value_date", "currency", "gross", "fee", "net")


def parse_receipts(data: bytes, filename: str = "") -> Parsed:
    """The canonical receipts ledger (收汇流水), CSV or a JSON list of the same fields."""
    stripped = data.lstrip()
    if stripped[:1] in (b"[", b"{"):
        try:
            loaded: Any = load_json(stripped, "the receipts JSON", "收汇流水 JSON")
        except ValueError as exc:
            raise InvalidInput(
                f"the receipts JSON cannot be read: {exc}", f"收汇流水 JSON 无法读取：{exc}", field="file"
            ) from None
        items = loaded if isinstance(loaded, list) else [loaded]
        rows = [
            {str(k).lower(): "" if v is None else str(v) for k, v in i.items()} for i in items if isinstance(i, dict)
        ]
        headers = list(rows[0]) if rows else list(_RECEIPT_NEEDED)  # an empty list is no receipt, not a wrong file
    else:
        headers, rows = _rows(data, ",")
    _require(headers, _RECEIPT_NEEDED, "a receipts ledger (收汇流水)", "收汇流水")
    out = Parsed(MoneyFormat.RECEIPTS, rows=len(rows))
    for n, r in enumerate(rows, start=2):
        receipt = _receipt(r, n, f"{filename or 'receipts'} txn_id={r.get('txn_id', '')}", out.errors)
        if receipt is not None:
            out.receipts.append(receipt)
    return out


def _receipt(r: dict[str, str], n: int, where: str, errors: list[FieldError]) -> ReceiptIn | None:
    values: dict[str, Decimal | None] = {}
    for name in ("gross", "fee", "net", "cny_amount", "rate"):
        text = r.get(name, "")
        if not text and name in ("cny_amount", "rate"):
            values[name] = None
            continue
        try:
            values[name] = amount(text)
        except ValueError:
            errors.append(_error(where, n, name, f"金额无法识别：{text!r}", f"not an amount: {text!r}"))
            return None
    gross, fee, net = values["gross"], values["fee"], values["net"]
    assert gross is not None and fee is not None and net is not None
    if (gross - fee).quantize(CENT) != net.quantize(CENT):
        errors.append(
            _error(where, n, "net", f"gross {gross} − fee {fee} ≠ net {net}", f"gross {gross} − fee {fee} ≠ net {net}")
        )
        return None
    cny, rate = values["cny_amount"], values["rate"]
    if cny is not None and rate is not None and abs(net * rate - cny) > CENT:
        errors.append(
            _error(where, n, "cny_amount", f"net {net} × rate {rate} = {(net * rate).quantize(CENT)} ≠ cny_amount {cny}",
                   f"net {net} × rate {rate} = {(net * rate).quantize(CENT)} ≠ cny_amount {cny}")
        )  # fmt: skip
        return None
    try:
        value_date = day(r.get("value_date", ""))
    except ValueError:
        errors.append(
            _error(
                where, n, "value_date", f"日期无法识别：{r.get('value_date')!r}", f"not a date: {r.get('value_date')!r}"
            )
        )
        return None
    if not r.get("txn_id"):
        errors.append(_error(where, n, "txn_id", "缺少交易编号", "txn_id is required"))
        return None
    return ReceiptIn(
        n, r.get("provider", ""), r.get("account", ""), r["txn_id"], value_date, r.get("currency", "").upper(),
        gross, fee, net, cny, rate, r.get("store_id", ""), r.get("payout_ref", ""), r.get("settlement_ref", ""),
        r.get("seller", ""),
    )  # fmt: skip


def parse(data: bytes, fmt: MoneyFormat, filename: str = "") -> Parsed:
    if fmt is MoneyFormat.AMAZON_SETTLEMENT:
        return parse_amazon_settlement(data, filename)
    if fmt is MoneyFormat.SHOPIFY_TRANSACTIONS:
        return parse_shopify_transactions(data, filename)
    if fmt is MoneyFormat.SHOPIFY_PAYOUTS:
        return parse_shopify_payouts(data, filename)
    return parse_receipts(data, filename)


def detect(data: bytes, filename: str = "") -> MoneyFormat:
    """Which money file this is, by its header."""
    lines = decode_text(data[:4000]).lstrip().splitlines()  # none for a file of only a BOM
    first = lines[0].lower() if lines else ""
    if first.startswith(("[", "{")) or "txn_id" in first:
        return MoneyFormat.RECEIPTS
    if "settlement-id" in first and "\t" in first:
        return MoneyFormat.AMAZON_SETTLEMENT
    if "payout id" in first and "net" in first:
        return MoneyFormat.SHOPIFY_TRANSACTIONS
    if "payout date" in first and "total" in first:
        return MoneyFormat.SHOPIFY_PAYOUTS
    raise InvalidInput(
        f"cannot tell what money file {filename or 'this'} is: expected an Amazon settlement report (V2), a Shopify "
        "payouts or payment transactions export, or a receipts ledger; name it with --format",
        f"无法识别资金文件 {filename or ''} 的格式：应为亚马逊结算报告（V2）、Shopify 结算或支付交易导出、收汇流水；请用 --format 指定",
        field="format",
    )
