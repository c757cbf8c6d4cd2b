"""A declared order that changes (issue 16, item 7): while customs holds its list the change waits
and the list's page says to cancel first; once customs confirms the cancellation, the next
declaration sends the order and waybill as changes (appType 2) and the list again under a
revised copNo, every message valid against the official XSD, and the sandbox releases it. An
import whose list customs refused goes the same way, and its buyer's ledger takes the new
amount."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cbec import pipeline
from cbec.ceb.messages import check_message, parse
from cbec.customs import service as customs
from cbec.customs.models import Declaration, OutboxMessage
from cbec.customs.rules import revision_of
from cbec.sandbox import SandboxCustoms
from cbec.unit_of_work import UnitOfWork

from .helpers import PLATFORM, SELLER, as_bytes, export_order
from .test_customs import _import_orders, _ledger, _round, matched  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


def _decls(settings, order_no: str) -> list[tuple[str, str, str, int]]:
    with UnitOfWork(settings) as uow:
        rows = uow.session.execute(
            select(Declaration.message_type, Declaration.status, Declaration.cop_no, Declaration.id)
            .where(Declaration.order_no == order_no)
            .order_by(Declaration.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _entities(settings, declaration_id: int) -> list[dict]:
    """The entities of the message a declaration went out in, parsed back from its bytes."""
    with UnitOfWork(settings) as uow:
        d = uow.session.get(Declaration, declaration_id)
        assert d is not None and d.outbox_id is not None
        data = uow.session.get(OutboxMessage, d.outbox_id).payload  # type: ignore[union-attr]
    assert check_message(data) == []
    return [dict(e.head) for e in parse(data).entities]


def test_a_changed_export_order_waits_for_cancellation_then_goes_as_a_change(matched) -> None:  # noqa: F811
    sandbox = SandboxCustoms(pipeline.messages_dir(matched), seed=7)
    pipeline.declare(matched)
    _round(matched, sandbox, 3)  # released
    first_list = next(d for d in _decls(matched, "SO0000") if d[0] == "CEB603")
    assert first_list[1] == "released"

    ctx = pipeline.context_for(matched, SELLER.code, PLATFORM.code)
    pipeline.import_bytes(matched, as_bytes(export_order("SO0000", qty="3")), ctx, fmt="json")
    waiting = pipeline.declare(matched)
    assert waiting["declared"] == {} and waiting["changed"] == 0 and waiting["changes_waiting"] == 1
    (change,) = waiting["changes_examples"]
    assert change["route"] == "cancel_first" and "撤销" in change["message_zh"]
    assert change["lists"] == [{"id": first_list[3], "invt_no": change["lists"][0]["invt_no"], "status": "released"}]
    with UnitOfWork(matched) as uow:
        detail = customs.declaration_detail(uow.session, None, first_list[3])
        assert detail.change is not None and detail.change.route == "cancel_first" and detail.change.version == 2
        customs.request_cancel(uow.session, detail.invt_no, "订单变更 order changed")
        uow.commit()
    _round(matched, sandbox, 2)
    assert [d[1] for d in _decls(matched, "SO0000") if d[0] == "CEB603"] == ["cancelled"]
    with UnitOfWork(matched) as uow:
        assert customs.declaration_detail(uow.session, None, first_list[3]).change.route == "modify"  # type: ignore[union-attr]

    sent = pipeline.declare(matched)
    assert sent["changed"] == 1 and sent["changes_waiting"] == 0
    assert sent["declared"] == {"CEB303": 1, "CEB505": 1, "CEB603": 1}
    decls = _decls(matched, "SO0000")
    new = {m: (status, cop, i) for m, status, cop, i in decls[-3:]}
    order = next(e for e in _entities(matched, new["CEB303"][2]) if e["orderNo"] == "SO0000")
    assert str(order["appType"]) == "2"
    waybill = _entities(matched, new["CEB505"][2])[0]
    assert str(waybill["appType"]) == "2"
    (lst,) = _entities(matched, new["CEB603"][2])
    assert str(lst["appType"]) == "1" and lst["copNo"] != first_list[2] and len(lst["copNo"]) == len(first_list[2])
    assert revision_of(lst["copNo"]) == 2 and revision_of(first_list[2]) == 1 and lst["orderNo"] == "SO0000"

    _round(matched, sandbox, 3)
    after = {m: status for m, status, _, i in _decls(matched, "SO0000") if i in {v[2] for v in new.values()}}
    assert after == {"CEB303": "stored", "CEB505": "stored", "CEB603": "released"}
    with UnitOfWork(matched) as uow:
        assert customs.declaration_detail(uow.session, None, first_list[3]).change is None
    again = pipeline.declare(matched)
    assert again["declared"] == {} and again["changed"] == 0 and again["changes_waiting"] == 0


def test_a_changed_import_whose_list_customs_refused_is_declared_again_and_reassessed(settings) -> None:
    from cbec.sandbox.rules import digest

    from .helpers import BUYER, import_order, import_payment

    _import_orders(settings, 2)
    sandbox = SandboxCustoms(pipeline.messages_dir(settings), seed=3)
    year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    sandbox.state.count_quota("OTHERPLATFORM|OTHER-1", digest(BUYER["buyerIdNumber"]), year, Decimal("19000"))
    pipeline.declare(settings)
    _round(settings, sandbox, 4)
    assert [d[1] for d in _decls(settings, "IO20260001") if d[0] == "CEB621"] == ["rejected"]
    assert _ledger(settings) == {"IO20260000": Decimal("4810.00")}

    # the buyer settles for a smaller jar: 1,000 + 10 freight fits customs' count of 19,000 + 4,810
    ctx = pipeline.context_for(settings, SELLER.code, PLATFORM.code)
    changed = [import_order("IO20260001", price="1000.00", tax="0"), import_payment("IO20260001", amount="1010.00")]
    changed[0]["head"]["orderTime"] = "20260103100000"
    pipeline.import_bytes(settings, as_bytes(*changed), ctx, fmt="json")
    out = pipeline.declare(settings)
    assert out["changed"] == 1 and out["declared"] == {"CEB311": 1, "CEB411": 1, "CEB511": 1, "CEB621": 1}
    assert _ledger(settings) == {"IO20260000": Decimal("4810.00"), "IO20260001": Decimal("1010.00")}
    decls = _decls(settings, "IO20260001")
    new_order = next(i for m, _, _, i in reversed(decls) if m == "CEB311")
    assert str(next(e for e in _entities(settings, new_order) if e["orderNo"] == "IO20260001")["appType"]) == "2"
    _round(settings, sandbox, 4)
    lists = [status for m, status, _, _ in _decls(settings, "IO20260001") if m == "CEB621"]
    assert lists[0] == "rejected" and lists[-1] in {"released", "closed"}
