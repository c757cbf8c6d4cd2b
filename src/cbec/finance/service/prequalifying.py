"""Financing pre-qualification (issue 17, part 6) on stored data: the seller's verified history
gathered from its declarations, the reconciliation and the risk reviews, scored by the pure
``finance.prequalify``, and sealed as a JSON data package signed by the platform (Ed25519,
``kit.seal``). Not a lending decision. Does not commit."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec import __version__
from cbec.config import Settings
from cbec.customs import service as customs
from cbec.finance import prequalify as pq
from cbec.finance.rates import Quote, cny_quote
from cbec.finance.service.reconciling import run
from cbec.kit import seal
from cbec.risk import service as risk

#: a list is due (its money expected) this many days after release
DUE_DAYS = 30


def platform_key(settings: Settings) -> bytes:
    """The platform's signing key for data packages, made once under the data directory (0600)."""
    path = Path(settings.data_dir) / "keys" / "package-ed25519.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(seal.new_key())
        path.chmod(0o600)
    return path.read_bytes()


def history(session: Session, seller: str, as_of: date) -> tuple[pq.History, dict[str, Any]]:
    """What the platform verified about the seller, in CNY at the rates shown (second value)."""
    result, _, _ = run(session, seller, as_of, None)
    quotes: dict[str, Quote | None] = {}

    def cny(currency: str, value: Decimal) -> Decimal:
        if currency not in quotes:
            quotes[currency] = cny_quote(currency, as_of)
        q = quotes[currency]
        return q.to_cny(value) if q else Decimal(0)

    index = as_of.year * 12 + as_of.month - 1
    months = [f"{(index - k) // 12:04d}-{(index - k) % 12 + 1:02d}" for k in range(11, -1, -1)]
    monthly: dict[str, Decimal] = defaultdict(Decimal)
    declared_due = received_due = settled = refunded = received_year = Decimal(0)
    days: list[int] = []
    for m in result.orders:
        o, released = m.order, m.order.released_on
        if released is None:
            continue
        monthly[released.strftime("%Y-%m")] += cny(o.currency, o.declared_value)
        if (as_of - released).days >= DUE_DAYS:
            declared_due += cny(o.currency, o.declared_value + m.bridge["refund"])
            received_due += cny(o.currency, m.received_principal)
        if (as_of - released).days <= 365:
            received_year += cny(o.currency, m.received_principal)
        settled += cny(o.currency, m.bridge["principal"])
        refunded -= cny(o.currency, m.bridge["refund"])
        paid = [result.paid[s].value_date for s in m.by_settlement if s in result.paid]
        if paid:
            days.append(max(0, (min(paid) - released).days))
    lists = customs.status_counts(session, seller).get("CEB603", {})
    h = pq.History(
        monthly_declared=tuple(monthly.get(k, Decimal(0)) for k in months),
        declared_due=declared_due, received_due=received_due, days_to_receive=tuple(days),
        settled_principal=settled, refunded=refunded, lists_declared=sum(lists.values()),
        lists_rejected=lists.get("rejected", 0),
        risk_hits_refused=risk.refused_hits_since(session, seller, datetime.now(UTC) - timedelta(days=365)),
        received_last_year=received_year,
    )  # fmt: skip
    rates = {c: q.as_dict() for c, q in quotes.items() if q}
    return h, rates


def prequalification(session: Session, settings: Settings, seller: str, *, as_of: date | None = None) -> dict[str, Any]:
    """The sealed data package: score, suggested limit, every factor with its weight and
    contribution, the history it came from, and the rates used."""
    as_of = as_of or datetime.now(UTC).date()
    h, rates = history(session, seller, as_of)
    score, limit, factors = pq.prequalify(h)
    package = {
        "kind": "cbec financing pre-qualification 融资预审数据包",
        "not_a_lending_decision": "预审参考，不构成授信决定 / a pre-qualification, not a lending decision",
        "seller": seller,
        "as_of": as_of.isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": f"cbec {__version__}",
        "score": str(score),
        "suggested_limit_cny": str(limit),
        "factors": [
            {"factor": f.factor, "value": None if f.value is None else str(f.value), "score": str(f.score),
             "weight": str(f.weight), "contribution": str(f.contribution), "note": f.note}
            for f in factors
        ],
        "weights_source": "cbec/finance/data/prequalify.csv — the platform's own assumption, replaceable",
        "history_cny": {
            "monthly_declared": [str(v) for v in h.monthly_declared], "declared_due": str(h.declared_due),
            "received_due": str(h.received_due), "orders_received": len(h.days_to_receive),
            "settled_principal": str(h.settled_principal), "refunded": str(h.refunded),
            "lists_declared": h.lists_declared, "lists_rejected": h.lists_rejected,
            "risk_hits_refused": h.risk_hits_refused, "received_last_year": str(h.received_last_year),
        },
        "rates": rates,
    }  # fmt: skip
    return seal.seal(package, platform_key(settings))
