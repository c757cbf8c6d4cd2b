"""The hot write paths' Core statements (issue 22) on SQLite and PostgreSQL: they store what the
ORM's bulk layer stored (a None given to a column with a default gets the default; rows of other
keys are not silently cut to the first row's), flush pending changes first, and keep objects
loaded in the session current."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from cbec.customs import repository
from cbec.customs.models import Declaration, DeclarationEvent, OutboxMessage
from cbec.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=UTC)


def _row(n: int, **values: object) -> dict[str, object]:
    return {
        "message_type": "CEB621", "direction": "import", "cop_no": f"COP{n}", "guid": f"GUID-{n}",
        "seller_code": "S1", "entity": {"head": {"n": n}, "lines": []}, "created_at": AT, "updated_at": AT,
        **values,
    }  # fmt: skip


def test_inserts_keep_defaults_every_rows_values_and_the_order_of_ids(settings) -> None:
    rows = [
        _row(1, total_value=Decimal("12.34567"), status="queued"),
        _row(2, country=None, status=None, total_value=None),  # None → the column's default, as the ORM did
        _row(3, country="142", order_no="O3", status="queued"),  # a key the first row has not
        _row(4, status="queued"),
    ]
    with UnitOfWork(settings) as uow:
        ids = repository.insert_declarations(uow.session, rows)
        repository.insert_events(
            uow.session,
            [{"declaration_id": ids[0], "at": AT, "before": "", "after": "queued", "source": None}]
            + [{"declaration_id": i, "at": AT, "before": "", "after": "queued", "source": "declare"} for i in ids[1:]],
        )
        uow.commit()
    with UnitOfWork(settings) as uow:
        stored = {d.cop_no: d for d in uow.session.scalars(select(Declaration))}
        assert [stored[f"COP{n}"].id for n in (1, 2, 3, 4)] == ids == sorted(ids)
        assert stored["COP1"].total_value == Decimal("12.34567")
        assert (stored["COP2"].country, stored["COP2"].status, stored["COP2"].total_value) == ("", "queued", None)
        assert (stored["COP3"].country, stored["COP3"].order_no) == ("142", "O3")
        assert stored["COP4"].entity == {"head": {"n": 4}, "lines": []}
        assert stored["COP4"].created_at == AT
        sources = uow.session.scalars(select(DeclarationEvent.source).order_by(DeclarationEvent.id)).all()
        assert sources == ["", "declare", "declare", "declare"]


def test_updates_flush_pending_changes_first_and_refresh_loaded_objects(settings) -> None:
    with UnitOfWork(settings) as uow:
        outbox = repository.insert_outbox_message(
            uow.session, message_type="CEB621", guid="M1", filename="m1.xml", payload=b"x", entities=2
        )
        ids = repository.insert_declarations(uow.session, [_row(1, outbox_id=outbox), _row(2, outbox_id=outbox)])
        uow.commit()
    with UnitOfWork(settings) as uow:
        first = uow.session.get(Declaration, ids[0])
        assert first is not None and first.status == "queued"
        second = uow.session.get(Declaration, ids[1])
        assert second is not None
        second.status = "held"  # pending: flushed before the Core UPDATE, which then leaves it out
        later = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
        assert repository.mark_sent(uow.session, outbox, queued="queued", sent="sent", at=later) == [ids[0]]
        assert (first.status, first.updated_at) == ("sent", later)
        repository.update_declarations(uow.session, [{"id": ids[0], "status": "declaring", "invt_no": "INVT1"}])
        assert (first.status, first.invt_no) == ("declaring", "INVT1")
        message = uow.session.get(OutboxMessage, outbox)
        assert message is not None and (message.status, message.attempts) == ("pending", 0)
        uow.commit()
    with UnitOfWork(settings) as uow:
        statuses = dict(uow.session.execute(select(Declaration.id, Declaration.status)).all())
        assert statuses == {ids[0]: "declaring", ids[1]: "held"}
