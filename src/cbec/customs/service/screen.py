"""Screening a seller's received orders before declaration (``cbec risk screen``): the orders are
built as they would be declared and every risk rule runs over them — the positive list, the price
outliers, order splitting and one contact behind many buyers. The caller does not commit: what
the rules would keep is rolled back, nothing is declared."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cbec.customs import builders, repository
from cbec.customs.schemas import DeclareReport
from cbec.customs.service.declaring import SELECTION, Options, _build_sets, _to_screen, lines_to_check
from cbec.risk import service as risk
from cbec.risk.schemas import ScreenHitRead, ScreenRead


def screen_seller(
    session: Session, seller_code: str, *, trade_mode: str = "9610", limit: int = SELECTION
) -> ScreenRead:
    """The seller's matched, undeclared orders (up to ``limit``) and the rules that hit them."""
    results = repository.matched_undeclared(session, after=0, limit=limit, seller_code=seller_code)
    report = DeclareReport()
    options = Options(trade_mode, None, builders.default_profile(), datetime.now(UTC), None, None)
    made = _build_sets(session, results, report, options)
    hits: list[ScreenHitRead] = []
    checked = risk.check_lines(session, lines_to_check(session, made))
    by_id = {m.order.id: str(m.order.order_no or "") for m in made}
    for doc_id, exc in checked.refused.items():
        hits.append(
            ScreenHitRead(
                order_no=by_id[doc_id], rule="positive_list", field="gcode",
                message_zh=exc.message_zh, message_en=exc.message_en, evidence={"document": exc.document},
            )
        )  # fmt: skip
    for row in checked.hit_rows:
        hits.append(
            ScreenHitRead(
                order_no=row["order_no"], rule=row["rule"], field=row["field"],
                message_zh=row["message_zh"], message_en=row["message_en"], evidence=row["detail"],
            )
        )  # fmt: skip
    imports = [m for m in made if m.declared.direction == "import" and m.order.id not in checked.refused]
    screening = risk.screen_imports(session, [_to_screen(m) for m in imports])
    for doc_id in sorted(screening.held | screening.refused):
        for h in risk.hits_for_order(session, None, by_id[doc_id]):
            hits.append(
                ScreenHitRead(
                    order_no=h.order_no, rule=h.rule, field=h.field,
                    message_zh=h.message_zh, message_en=h.message_en, evidence=h.detail,
                )
            )  # fmt: skip
    return ScreenRead(
        seller_code=seller_code,
        orders_screened=len(made),
        orders_hit=len({h.order_no for h in hits}),
        hits=hits,
    )
