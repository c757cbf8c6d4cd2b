"""The webhook outbox on the database (SQLite and PostgreSQL): an event is queued in the
publisher's transaction, so a rolled-back change sends nothing; only the enterprises an event
concerns hear of it; a dispatcher's lease keeps a second one off the same deliveries."""

from __future__ import annotations

import pytest

from cbec.config import Settings, get_settings, reset_settings
from cbec.errors import InvalidInput, NotFound
from cbec.kit.paging import PageRequest
from cbec.sharing import service as sharing
from cbec.sharing.schemas import DocumentAccepted, EventType, MatchDecided, SubscriptionCreate
from cbec.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

PUBLIC = lambda host, port: ["93.184.216.34"]  # noqa: E731 - a resolver that answers a public address


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    reset_settings()
    return get_settings()


def _subscribe(settings: Settings, enterprise: str, *types: EventType) -> int:
    with UnitOfWork(settings) as uow:
        made = sharing.create_subscription(
            uow.session, settings, SubscriptionCreate(url="https://partner.example.com/h", event_types=list(types)),
            enterprise=enterprise, created_by="t", resolver=PUBLIC,
        )  # fmt: skip
        uow.commit()
    return made.id


def _accepted(seller: str, n: int) -> DocumentAccepted:
    return DocumentAccepted(
        seller=seller, others=("PLAT",), order_no=f"O{n}", doc_type="export_order", doc_key=f"k{n}", version=1,
        inbox_id=1,
    )  # fmt: skip


def _all(settings: Settings, scope=None):  # type: ignore[no-untyped-def]
    with UnitOfWork(settings) as uow:
        return sharing.deliveries(uow.session, scope, PageRequest(1, 200))


def test_a_rolled_back_change_sends_nothing(settings: Settings) -> None:
    _subscribe(settings, "SELLER", EventType.DOCUMENT_ACCEPTED)
    with UnitOfWork(settings) as uow:
        assert sharing.publish(uow.session, _accepted("SELLER", 1)) == 1
        uow.rollback()  # the change that caused it failed
    with UnitOfWork(settings) as uow:
        sharing.publish(uow.session, _accepted("SELLER", 2))
        # leaving the block without commit: the unit of work rolls back
    assert _all(settings).total == 0
    with UnitOfWork(settings) as uow:
        sharing.publish(uow.session, _accepted("SELLER", 3))
        uow.commit()
    page = _all(settings)
    assert page.total == 1 and page.items[0].ordering_key == "SELLER/O3" and page.items[0].status == "pending"


def test_only_the_enterprises_concerned_and_the_types_wanted(settings: Settings) -> None:
    seller = _subscribe(settings, "SELLER", EventType.DOCUMENT_ACCEPTED)
    platform = _subscribe(settings, "PLAT", EventType.DOCUMENT_ACCEPTED, EventType.MATCH_RESULT)
    other = _subscribe(settings, "OTHER", EventType.DOCUMENT_ACCEPTED)
    with UnitOfWork(settings) as uow:
        assert sharing.listens(uow.session, EventType.MATCH_RESULT)
        assert not sharing.listens(uow.session, EventType.RISK_HIT)
        n = sharing.publish_many(
            uow.session,
            [
                _accepted("SELLER", 1),
                MatchDecided(seller="SELLER", others=("PLAT",), order_no="O1", direction="export", state="matched"),
            ],
        )
        uow.commit()
    assert n == 3  # accepted → seller and platform; match → platform only
    by_sub = {}
    for d in _all(settings).items:
        by_sub.setdefault(d.subscription_id, []).append(d.event_type)
    assert sorted(by_sub[seller]) == ["document.accepted"]
    assert sorted(by_sub[platform]) == ["document.accepted", "match.result"]
    assert other not in by_sub
    assert {d.subscription_id for d in _all(settings, frozenset({"SELLER"})).items} == {seller}  # a partner's log
    with UnitOfWork(settings) as uow, pytest.raises(NotFound):
        sharing.deliveries(uow.session, frozenset({"OTHER"}), PageRequest(), subscription_id=seller)


def test_no_subscription_no_rows(settings: Settings) -> None:
    with UnitOfWork(settings) as uow:
        assert sharing.publish_many(uow.session, [_accepted("SELLER", i) for i in range(100)]) == 0
        uow.commit()
    assert _all(settings).total == 0


def test_a_lease_keeps_a_second_dispatcher_off_and_one_key_goes_one_at_a_time(settings: Settings) -> None:
    _subscribe(settings, "SELLER", EventType.DOCUMENT_ACCEPTED)
    with UnitOfWork(settings) as uow:
        sharing.publish_many(uow.session, [_accepted("SELLER", 1), _accepted("SELLER", 1), _accepted("SELLER", 2)])
        uow.commit()
    with UnitOfWork(settings) as uow:
        first = sharing.claim(uow.session, settings, limit=10)
        uow.commit()
    keys = {d.id: d.ordering_key for d in _all(settings).items}
    assert sorted(keys[o.id] for o, _ in first) == ["SELLER/O1", "SELLER/O2"]
    assert min(i for i, k in keys.items() if k == "SELLER/O1") in {o.id for o, _ in first}  # the earlier of O1
    assert len(first) == 2  # O1's second event waits behind its first
    with UnitOfWork(settings) as uow:
        assert sharing.claim(uow.session, settings, limit=10) == []  # leased to the first dispatcher
        uow.commit()


def test_deleting_cancels_what_waits_and_a_bad_url_is_refused(settings: Settings, monkeypatch) -> None:
    sub = _subscribe(settings, "SELLER", EventType.DOCUMENT_ACCEPTED)
    with UnitOfWork(settings) as uow:
        sharing.publish(uow.session, _accepted("SELLER", 1))
        uow.commit()
    with UnitOfWork(settings) as uow, pytest.raises(NotFound):
        sharing.delete_subscription(uow.session, frozenset({"OTHER"}), sub)  # not its own
    with UnitOfWork(settings) as uow:
        sharing.delete_subscription(uow.session, frozenset({"SELLER"}), sub)
        sharing.publish(uow.session, _accepted("SELLER", 2))  # nobody listens any more
        uow.commit()
    assert [d.status for d in _all(settings).items] == ["cancelled"]
    with UnitOfWork(settings) as uow, pytest.raises(InvalidInput) as err:
        sharing.create_subscription(
            uow.session, settings,
            SubscriptionCreate(url="https://inside.example/h", event_types=[EventType.RISK_HIT]),
            enterprise="SELLER", created_by="t", resolver=lambda h, p: ["169.254.169.254"],
        )  # fmt: skip
    assert "link-local" in err.value.message_en
