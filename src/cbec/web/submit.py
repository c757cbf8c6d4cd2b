"""Submissions over HTTP (API body or browser upload): who the documents belong to, what the
caller may send, and replay of a retried request. One place for both channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from cbec import pipeline
from cbec.accounts import service as accounts
from cbec.accounts.rules import Forbidden, Principal, require_submitter, submit_check
from cbec.config import Settings
from cbec.errors import InvalidInput
from cbec.intake.documents import ParseContext, ParsedDocument
from cbec.intake.service import Admit
from cbec.kit.limits import check_size
from cbec.unit_of_work import UnitOfWork
from cbec.web.present import jsonable


def context(settings: Settings, p: Principal, seller: str | None, platform: str | None) -> ParseContext:
    """Whose documents these are. A seller's own user or key may leave ``seller`` out; everyone
    else names the seller, and a seller's people may not name another."""
    require_submitter(p)
    seller = (seller or "").strip() or None
    platform = (platform or "").strip() or None
    if p.kind == "user" and not p.is_admin and not p.acts_as_partner:
        if seller and seller != p.enterprise_code:
            raise Forbidden(
                f"you may submit for your own enterprise {p.enterprise_code} only",
                f"只能为本企业 {p.enterprise_code} 提交",
                field="seller",
            )
        seller = p.enterprise_code
    if seller is None:
        if p.enterprise_code and "ebc" in p.enterprise_roles:
            seller = p.enterprise_code
        else:
            raise InvalidInput(
                "name the seller (ebcCode) the documents belong to",
                "请指定单证所属的电商企业（ebcCode）",
                field="seller",
            )
    if p.acts_as_partner and seller != p.enterprise_code and p.enterprise_roles <= {"ebc"}:
        # a seller's key submits for that seller only: refused before anything is filed
        raise Forbidden(
            f"this key submits for its own enterprise {p.enterprise_code} only",
            f"此密钥只能为本企业 {p.enterprise_code} 提交",
            field="seller",
        )
    if platform is None and "ebp" in p.enterprise_roles and p.enterprise_code:
        platform = p.enterprise_code
    return pipeline.context_for(settings, seller, platform, p.enterprise_code if p.acts_as_partner else None)


def admit_for(p: Principal, ctx: ParseContext) -> Admit:
    """Every submission: a document names no other seller than the submission's. API keys and
    partner users: the document type and party fields must be within the enterprise's roles."""

    def admit(doc: ParsedDocument) -> str | None:
        ebc = str(doc.head.get("ebcCode") or "")
        if ebc and ebc != ctx.seller_code:
            return f"ebcCode {ebc} is not the submission's seller {ctx.seller_code}"
        if p.acts_as_partner and p.enterprise_code:
            return submit_check(p.enterprise_code, p.enterprise_roles, ctx.seller_code, doc.doc_type.value, doc.head)
        return None

    return admit


def submit(
    settings: Settings,
    p: Principal,
    data: bytes,
    *,
    seller: str | None,
    platform: str | None,
    fmt: str,
    filename: str,
    channel: str,
) -> dict[str, Any]:
    if not data:
        raise InvalidInput("the submission is empty", "提交内容为空", field="body")
    check_size(data)
    ctx = context(settings, p, seller, platform)
    return pipeline.import_bytes(
        settings, data, ctx, fmt=fmt, filename=filename, channel=channel, admit=admit_for(p, ctx)
    )


def idempotent(
    settings: Settings, p: Principal, key: str | None, digest: str, run: Any
) -> tuple[int, dict[str, Any], bool]:
    """(status, body, replayed): run once per Idempotency-Key; a retry gets the first answer."""
    if key is None:
        return 201, jsonable(run()), False
    with UnitOfWork(settings) as uow:
        found = accounts.replay(uow.session, p.name, key, digest)
        if found is not None:
            return found.status_code, found.response, True
    body = jsonable(run())
    with UnitOfWork(settings) as uow:
        try:
            accounts.remember(uow.session, p.name, key, digest, 201, body)
            uow.commit()
        except IntegrityError:  # a concurrent retry stored it first; the documents deduplicate anyway
            uow.rollback()
    return 201, body, False
