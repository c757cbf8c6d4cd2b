"""Enterprise registry and API credentials, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cbec.errors import Conflict, InvalidInput, NotFound
from cbec.partners import service
from cbec.partners.models import ApiCredential
from cbec.partners.schemas import EnterpriseCreate
from cbec.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

SELLER = EnterpriseCreate(code="91330782MA2DEMN016", name="义乌示范礼品家居有限公司", roles=["ebc"])


def test_register_list_and_refuse_duplicates(settings) -> None:
    with UnitOfWork(settings) as uow:
        created = service.register_enterprise(uow.session, SELLER)
        service.register_enterprise(
            uow.session,
            EnterpriseCreate(code="1105910159", name="示范平台", roles=["ebp", "ebc"], dxp_id="DXPENT0000000001"),
        )
        uow.commit()
    assert created.code_kind == "uscc"
    with UnitOfWork(settings) as uow:
        listed = service.list_enterprises(uow.session)
        assert [e.code for e in listed] == sorted(e.code for e in listed)
        assert {e.code: e.roles for e in listed}["1105910159"] == ["ebc", "ebp"]
        assert [e.code for e in service.list_enterprises(uow.session, role="ebp")] == ["1105910159"]
        with pytest.raises(Conflict) as exc:
            service.register_enterprise(uow.session, SELLER)
        assert "91330782MA2DEMN016" in exc.value.message_en and exc.value.message_zh


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91330782MA2DEMN017", "check character (GB 32100)"),  # one character off
        ("9133078", "has 7 characters"),
        ("91330782MA2DEMNI16", "outside the USCC alphabet"),  # letters I, O, S, V, Z are not used in USCCs
    ],
)
def test_bad_codes_are_refused_with_the_reason(settings, code: str, why: str) -> None:
    with UnitOfWork(settings) as uow, pytest.raises(InvalidInput) as exc:
        service.register_enterprise(uow.session, EnterpriseCreate(code=code, name="x", roles=["ebc"]))
    assert why.lower() in exc.value.message_en.lower()
    assert exc.value.field == "code"


def test_unknown_role_is_refused(settings) -> None:
    with UnitOfWork(settings) as uow, pytest.raises(InvalidInput) as exc:
        service.register_enterprise(uow.session, EnterpriseCreate(code="1105910159", name="x", roles=["seller"]))
    assert "ebc" in exc.value.message_en  # names the allowed roles


def test_credentials_are_stored_only_as_hashes_and_can_be_revoked(settings) -> None:
    with UnitOfWork(settings) as uow:
        service.register_enterprise(uow.session, SELLER)
        issued = service.issue_credential(uow.session, SELLER.code, label="erp")
        uow.commit()
    secret = issued.api_key.split(".", 1)[1]
    with UnitOfWork(settings) as uow:
        stored = uow.session.scalars(select(ApiCredential)).one()
        assert secret not in stored.secret_hash
        assert service.verify_credential(uow.session, issued.api_key).code == SELLER.code
        with pytest.raises(NotFound):
            service.verify_credential(uow.session, issued.api_key + "x")
        service.revoke_credential(uow.session, issued.key_id)
        uow.commit()
    with UnitOfWork(settings) as uow, pytest.raises(NotFound):
        service.verify_credential(uow.session, issued.api_key)
