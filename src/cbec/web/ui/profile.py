"""The caller's profile: who it is, its password, and for a seller the platform its files are
submitted on when they name none (the default platform)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from cbec.accounts import service as accounts
from cbec.accounts.rules import Forbidden, Principal
from cbec.errors import CbecError
from cbec.partners import service as partners
from cbec.web.deps import Caller, Uow
from cbec.web.ui.pages import render

router = APIRouter(include_in_schema=False)


def _is_seller(p: Principal) -> bool:
    return bool(p.enterprise_code) and "ebc" in p.enterprise_roles


def _page(request: Request, p: Principal, uow: Uow, status: int = 200, **extra: Any) -> HTMLResponse:
    seller = partners.find_enterprise(uow.session, p.enterprise_code or "") if _is_seller(p) else None
    platforms = partners.list_enterprises(uow.session, role="ebp") if seller is not None else []
    context: dict[str, Any] = {"saved": False, "form_error": None, "platform_saved": False}
    return render(request, "profile.html", p, status=status, seller=seller, platforms=platforms, **(context | extra))


@router.get("/profile")
def profile(request: Request, p: Caller, uow: Uow) -> Response:
    return _page(request, p, uow)


@router.post("/profile/password")
def change_password(
    request: Request,
    p: Caller,
    uow: Uow,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
) -> Response:
    if p.user_id is None:
        raise Forbidden("API keys have no password", "API 密钥没有密码")
    try:
        accounts.change_password(uow.session, p.user_id, current_password, new_password)
        uow.commit()
    except CbecError as exc:
        uow.rollback()
        return _page(request, p, uow, status=422, form_error=exc)
    return _page(request, p, uow, saved=True)


@router.post("/profile/platform")
def set_default_platform(
    request: Request,
    p: Caller,
    uow: Uow,
    platform: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    """A seller's default platform: used when an upload or an API submission names none."""
    if not _is_seller(p) or p.enterprise_code is None:
        raise Forbidden("only a seller has a default platform", "只有电商企业可以设置默认平台", field="role")
    try:
        partners.set_default_platform(uow.session, p.enterprise_code, platform or None)
        uow.commit()
    except CbecError as exc:
        uow.rollback()
        return _page(request, p, uow, status=exc.http_status, platform_error=exc)
    return _page(request, p, uow, platform_saved=True)
