"""Request dependencies: the unit of work, the caller, CSRF, paging. Every route takes the
caller from here, so no route can forget to authenticate."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from cbec.accounts import service as accounts
from cbec.accounts.rules import Forbidden, Principal, Unauthenticated
from cbec.audit import service as audit
from cbec.audit.rules import Actor
from cbec.config import Settings
from cbec.errors import InvalidInput
from cbec.kit.paging import PageRequest
from cbec.partners import service as partners
from cbec.partners.rules import Role
from cbec.unit_of_work import UnitOfWork
from cbec.web.ratelimit import RateLimiter

SESSION_COOKIE = "cbec_session"
LANG_COOKIE = "cbec_lang"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """One unit of work per request; the route commits what it changed."""
    with UnitOfWork(settings_of(request)) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(get_uow)]


def _api_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def _csrf_ok(request: Request, principal: Principal) -> bool:
    sent = request.headers.get(CSRF_HEADER.lower())
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # Starlette keeps the parsed form for the route
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return bool(sent) and hmac.compare_digest(str(sent), principal.csrf_token)


async def current_principal(request: Request, uow: Uow) -> Principal:
    """The caller: an API key (``Authorization: Bearer`` or ``X-API-Key``) or a signed-in
    session cookie. Cookie-authenticated changes need the session's CSRF token."""
    key = _api_key(request)
    if key:
        p = accounts.principal_for_api_key(uow.session, key)
        limiter: RateLimiter = request.app.state.limiter
        limiter.take(p.name)
    else:
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            raise Unauthenticated(
                "sign in or send an API key (Authorization: Bearer <key>)",
                "请登录，或在请求头中提供 API 密钥（Authorization: Bearer <key>）",
            )
        p = accounts.principal_for_session(uow.session, token)
        if request.method not in SAFE_METHODS and not await _csrf_ok(request, p):
            raise Forbidden(
                "the form is missing its CSRF token or the token is wrong; reload the page",
                "表单缺少 CSRF 令牌或令牌错误，请刷新页面",
                field="csrf_token",
            )
    request.state.principal = p
    audit.set_actor(
        Actor(p.kind, p.name, p.enterprise_code or "", request.client.host if request.client else "")
    )  # who changes anything in this request, for the audit trail
    # the caller is known: end the read and give its connection back to the pool. A route that
    # uses the database takes one again; one that opens units of work of its own (intake) must
    # not wait for connections held by requests that wait for it (16 concurrent submissions
    # exhausted the pool and stood still until its timeout)
    uow.rollback()
    return p


Caller = Annotated[Principal, Depends(current_principal)]


def page_request(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="page number, from 1")] = 1,
    page_size: Annotated[int, Query(ge=1, le=200, description="items per page (at most 200)")] = 50,
) -> PageRequest:
    return PageRequest(page, page_size)


Paging = Annotated[PageRequest, Depends(page_request)]


#: a row id in a path: a positive 64-bit integer (larger numbers are no row of ours: 422, not a crash)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]

#: a short code in a query (message type, status, state, kind …)
Str20 = Annotated[str | None, Query(max_length=20)]


def own_seller(session: Session, p: Principal, seller: str | None, *, what_en: str, what_zh: str) -> str:
    """Whose data a seller's page or endpoint works on: the caller's own (a seller), or the seller
    the operator names (``seller=CODE``); anyone else is refused, saying ``what`` they asked for."""
    if p.is_admin:
        if not seller:
            raise InvalidInput(
                f"name the seller whose {what_en} to open (seller=CODE)",
                f"请指定要查看{what_zh}的电商企业（seller=代码）",
                field="seller",
            )
        partners.require_role(session, seller, Role.EBC)
        return seller
    if p.enterprise_code and "ebc" in p.enterprise_roles:
        if seller and seller != p.enterprise_code:
            raise Forbidden(f"a seller sees its own {what_en} only", f"电商企业只能查看自己的{what_zh}", field="seller")
        return p.enterprise_code
    raise Forbidden(f"only a seller has {what_en}", f"只有电商企业有{what_zh}", field="role")
