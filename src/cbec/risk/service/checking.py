"""Rules on every list line before it is declared, import and export: the retail import positive
list (a refusal: the order is not declared) and price outliers (a query for a person: the hit is
kept with status ``query``, the order goes on, and the list's lane criteria see the rule).

Price references are windows of the latest declared unit prices per key (a seller's SKU, an HS
subheading and origin platform-wide), kept in ``risk_price_ref``; a line is compared with the
references as they stood before its batch, then its price joins them. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.config import get_settings
from cbec.errors import InvalidInput, RuleViolation
from cbec.orm import utcnow
from cbec.risk import positive_list, prices, repository, rules
from cbec.risk.schemas import LineToCheck
from cbec.risk.service.screening import told
from cbec.sharing import service as sharing
from cbec.sharing.schemas import EventType

POSITIVE_LIST_FILE = Path(__file__).parent.parent / "data" / "positive_list.csv"
#: [A] how many of the latest prices a reference keeps
WINDOW = 200
Key = tuple[str, str, str, str]


def positive_list_of(path: Path | None = None) -> positive_list.PositiveList:
    """The list from ``path``, the operator's file (``CBEC_RISK_POSITIVE_LIST``) or the shipped
    partial one."""
    return _positive_list(path or get_settings().risk_positive_list or POSITIVE_LIST_FILE)


@lru_cache(maxsize=4)
def _positive_list(file: Path) -> positive_list.PositiveList:
    try:
        return positive_list.PositiveList.from_text(file.read_text(encoding="utf-8"), str(file))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"positive list {file} cannot be used: {exc}", f"正面清单文件 {file} 无法使用：{exc}", document=str(file)
        ) from None


@dataclass
class Checked:
    """Orders refused (not on the positive list) with their error, and the price hits found;
    ``record_checks`` writes the hits and the prices (after the caller has built its messages,
    so that a declare transaction writes nothing before it has built everything)."""

    refused: dict[int, RuleViolation] = field(default_factory=dict)
    queried: set[int] = field(default_factory=set)
    hits: int = 0
    hit_rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[LineToCheck] = field(default_factory=list)


def check_lines(
    session: Session,
    lines: Sequence[LineToCheck],
    *,
    plist: positive_list.PositiveList | None = None,
    limits: prices.PriceLimits | None = None,
) -> Checked:
    out = Checked()
    plist = plist or positive_list_of()
    for doc_id in sorted({ln.order_doc_id for ln in lines if ln.direction == "import"}):
        codes = positive_list.not_listed(plist, [ln.gcode for ln in lines if ln.order_doc_id == doc_id])
        if codes:
            zh, en = positive_list.refusal_text(codes)
            out.refused[doc_id] = RuleViolation(en, zh, field="gcode", document=f"CEB621 gcode={codes[0]}")
    going = [ln for ln in lines if ln.order_doc_id not in out.refused]
    _hs_check(going, out)
    _price_check(session, [ln for ln in going if ln.price > 0], limits or prices.PriceLimits(), out)
    return out


def _hit(ln: LineToCheck, rule: str, field_: str, zh: str, en: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "order_doc_id": ln.order_doc_id, "seller_code": ln.seller_code[:18], "ebp_code": ln.ebp_code[:18],
        "order_no": ln.order_no[:60], "rule": rule, "field": field_,
        "message_zh": f"{ln.sku or ln.gcode}：{zh}"[:1000], "message_en": f"{ln.sku or ln.gcode}: {en}"[:1000],
        "detail": {"sku": ln.sku, "gcode": ln.gcode, "direction": ln.direction, **detail},
        "status": "query", "decided_by": "", "note": "", "created_at": utcnow(),
    }  # fmt: skip


def _hs_check(lines: list[LineToCheck], out: Checked) -> None:
    """The declared code against the catalogue's sure suggestion (rules.hs_disagreement): a query."""
    seen: set[tuple[int, str]] = set()
    for ln in lines:
        found = rules.hs_disagreement(ln.gcode, ln.suggested, ln.suggested_score)
        if found is None or (ln.order_doc_id, ln.sku) in seen:
            continue
        seen.add((ln.order_doc_id, ln.sku))
        out.queried.add(ln.order_doc_id)
        detail = {"suggested": ln.suggested, "score": ln.suggested_score}
        out.hit_rows.append(_hit(ln, "hs_disagrees", "gcode", *found, detail))
        out.hits += 1


def _keys(ln: LineToCheck) -> tuple[Key, Key]:
    return (
        ("sku", f"{ln.seller_code}/{ln.sku}"[:60], ln.currency[:3], ln.direction),
        ("hs_origin", f"{ln.gcode[:6]}/{ln.origin}"[:60], ln.currency[:3], ln.direction),
    )


def _price_check(session: Session, lines: list[LineToCheck], limits: prices.PriceLimits, out: Checked) -> None:
    if not lines:
        return
    stored = repository.price_refs(session, {k for ln in lines for k in _keys(ln)})
    refs: dict[Key, prices.Reference | None] = {
        k: prices.reference((Decimal(p) for p in row.prices), kind=k[0], key=k[1], currency=k[2], limits=limits)
        for k, row in stored.items()
    }
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for ln in lines:
        sku_key, hs_key = _keys(ln)
        usable = refs.get(sku_key) or refs.get(hs_key)  # the SKU's own history first (see prices)
        for hit in prices.price_hits(ln.price, ln.direction, [usable], limits):
            if (ln.order_doc_id, hit.reference.kind) in seen:
                continue
            seen.add((ln.order_doc_id, hit.reference.kind))
            out.queried.add(ln.order_doc_id)
            rows.append(_hit(ln, "price_outlier", "price", hit.message_zh, hit.message_en, hit.detail()))
    out.hit_rows.extend(rows)
    out.lines = lines
    out.hits += len(rows)


def record_checks(session: Session, checked: Checked, *, declared: set[int] | None = None) -> None:
    """Store the price hits and let the prices of the orders declared (all checked ones when
    ``declared`` is None) join their references' windows (the latest ``WINDOW`` kept)."""
    repository.add_hits(session, checked.hit_rows)
    if checked.hit_rows and sharing.listens(session, EventType.RISK_HIT):  # partners hear of queries too
        sharing.publish_many(session, [told(h) for h in checked.hit_rows])
    added: dict[Key, list[str]] = {}
    now = utcnow()
    for ln in checked.lines:
        if declared is not None and ln.order_doc_id not in declared:
            continue
        for k in _keys(ln):
            added.setdefault(k, []).append(str(ln.price))
    rows = repository.lock_price_refs(session, added)  # fresh and locked: other nodes add too
    for k, values in added.items():
        row = rows[k]
        row.prices = [*row.prices, *values][-WINDOW:]
        row.updated_at = now
    session.flush()
