"""The web UI: server-rendered pages (Jinja2) made lively with HTMX, charts with ECharts.

Pages call the same services as the API with the caller's scope, so a page can never show more
than the API would. Personal data is masked by the services; only the operator can open it,
and that opening is recorded.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from cbec import pipeline
from cbec.accounts import service as accounts
from cbec.accounts.rules import (
    LANGUAGES,
    ROLE_LABELS,
    Forbidden,
    Principal,
    UserRole,
    may_open_personal_data,
    require_admin,
    require_business_data,
    require_risk_reviewer,
    require_submitter,
)
from cbec.accounts.schemas import UserCreate
from cbec.ceb.messages.excerpt import pretty
from cbec.customs import service as customs
from cbec.customs.rules import CANCELLABLE, RETURNABLE, State
from cbec.errors import CbecError, InvalidInput
from cbec.kit.codes import code_lists
from cbec.kit.limits import MAX_BYTES
from cbec.kit.paging import PageRequest
from cbec.partners import service as partners
from cbec.partners.schemas import EnterpriseCreate
from cbec.risk import service as risk
from cbec.statistics import service as statistics
from cbec.statistics.service import BEIJING
from cbec.web import submit
from cbec.web.api.declarations import declaration_filter, reveal_personal_data
from cbec.web.api.documents import get_upload_errors
from cbec.web.deps import LANG_COOKIE, SESSION_COOKIE, Caller, Id, Uow, settings_of
from cbec.web.ui.i18n import status_label, translate

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def lang_of(request: Request, p: Principal | None = None) -> str:
    if p is not None and p.kind == "user":
        return p.language
    lang = request.cookies.get(LANG_COOKIE, "zh")
    return lang if lang in LANGUAGES else "zh"


def _money(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except ArithmeticError:
        return str(value)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")


def render(
    request: Request, name: str, p: Principal | None, status: int = 200, lang: str | None = None, **context: Any
) -> HTMLResponse:
    lang = lang or lang_of(request, p)
    countries = code_lists().countries

    def country(code: str) -> str:
        c = countries.get(code or "")
        return (c.name_en if lang == "en" else c.name_zh) if c else (code or "")

    def currency(code: str) -> str:
        c = code_lists().currencies.get(code or "")
        return (c.iso or code) if c else (code or "")

    return templates.TemplateResponse(
        request,
        name,
        {
            "p": p,
            "lang": lang,
            "t": lambda key, **kw: translate(key, lang, **kw),
            "status_label": lambda s: status_label(s, lang),
            "country": country,
            "currency": currency,
            "money": _money,
            "when": _when,
            "role_label": lambda r: ROLE_LABELS[UserRole(r)][lang == "en"] if r in UserRole.__members__.values() else r,
            **context,
        },
        status_code=status,
    )


def error_page(request: Request, exc: CbecError) -> HTMLResponse:
    p = getattr(request.state, "principal", None)
    return render(request, "error.html", p, status=exc.http_status, error=exc)


# --- signing in and out ------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/", lang: str | None = None) -> Response:
    chosen = lang if lang in LANGUAGES else None
    response = render(request, "login.html", None, lang=chosen, next=_safe_next(next), failed=False)
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return response


def _safe_next(value: str) -> str:
    """Only a path on this site (no scheme, no //host): an open redirect is a phishing aid."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


@router.post("/login")
def login(
    request: Request,
    uow: Uow,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    settings = settings_of(request)
    try:
        user = accounts.authenticate(uow.session, username, password)
    except CbecError as exc:
        uow.commit()  # the failure counts toward the lockout
        return render(
            request, "login.html", None, status=exc.http_status, next=_safe_next(next), failed=exc, username=username
        )
    token = accounts.open_session(uow.session, user, hours=settings.session_hours)
    uow.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )
    return response


@router.post("/logout")
def logout(request: Request, p: Caller, uow: Uow) -> Response:
    accounts.end_session(uow.session, request.cookies.get(SESSION_COOKIE, ""))
    uow.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def switch_language(
    request: Request,
    p: Caller,
    uow: Uow,
    lang: Annotated[str, Form(max_length=5)],
    back: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    if p.user_id is not None:
        accounts.set_language(uow.session, p.user_id, lang)
        uow.commit()
    response = RedirectResponse(_safe_next(back), status_code=303)
    response.set_cookie(LANG_COOKIE, lang if lang in LANGUAGES else "zh", max_age=365 * 86400, samesite="lax")
    return response


def _day(value: str, name: str) -> date | None:
    """A date from a form field; an empty field means no limit (browsers send empty inputs)."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{name} is not a date (YYYY-MM-DD)", f"{name} 不是有效日期（YYYY-MM-DD）", field=name
        ) from None


# --- dashboard ---------------------------------------------------------------------------------


@router.get("/")
def dashboard(
    request: Request,
    p: Caller,
    uow: Uow,
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    date_from, date_to = _day(from_, "from"), _day(to, "to")
    today = datetime.now(BEIJING).date()
    start, end = statistics.period(date_from, date_to, today=today)
    figures = statistics.dashboard(uow.session, p.scope(), start, end, today=today)
    lang = lang_of(request, p)
    labels = {s.value: status_label(s.value, lang) for s in State} | {
        k: status_label(k, lang) for k in ("matched", "unmatched", "held")
    }
    return render(
        request,
        "dashboard.html",
        p,
        figures=figures,
        figures_json=json.dumps(figures.model_dump(mode="json", by_alias=True), ensure_ascii=False),
        labels_json=json.dumps(labels, ensure_ascii=False),
    )


# --- declarations ------------------------------------------------------------------------------


@router.get("/declarations")
def declarations(
    request: Request,
    p: Caller,
    uow: Uow,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    message_type: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    country: Annotated[str, Query(max_length=3)] = "",
    q: Annotated[str, Query(max_length=60)] = "",
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
    declared: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    require_business_data(p)
    date_from, date_to = _day(from_, "from"), _day(to, "to")
    f = declaration_filter(message_type, status, None, None, country, None, q, date_from, date_to)
    result = customs.list_declarations(uow.session, p.scope(), PageRequest(page, 50), f)
    params = {
        "message_type": message_type,
        "status": status,
        "country": country,
        "q": q,
        "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "",
    }
    query = urlencode({k: v for k, v in params.items() if v})
    name = "_declaration_rows.html" if request.headers.get("hx-target") == "results" else "declarations.html"
    return render(
        request,
        name,
        p,
        result=result,
        params=params,
        query=query,
        statuses=[s.value for s in State],
        message_types=[
            "CEB603",
            "CEB303",
            "CEB505",
            "CEB621",
            "CEB311",
            "CEB411",
            "CEB511",
            "CEB605",
            "CEB607",
            "CEB701",
            "CEB623",
            "CEB625",
        ],
        declared=query_json(declared),
    )


def query_json(value: str) -> dict[str, Any] | None:
    """The small JSON object a page passes itself through its query after a redirect (what was
    declared, decided or requested), or None for anything else."""
    try:
        out = json.loads(value) if value.startswith("{") else None
    except ValueError:
        return None
    return out if isinstance(out, dict) else None


@router.post("/declare")
def declare_now(request: Request, p: Caller) -> Response:
    require_submitter(p)
    if not p.is_admin and "ebc" not in p.enterprise_roles:
        raise Forbidden("only a seller declares its orders", "只有电商企业可以申报其订单", field="role")
    out = pipeline.declare(settings_of(request), seller=None if p.is_admin else p.enterprise_code)
    # orders held (by the tax rules before, or for risk review) are neither declared nor refused now
    waiting = out["held"] + out["held_for_review"] + out["refused_in_review"]
    n = out["orders"] - out["already_declared"] - out["refused"] - waiting
    summary = json.dumps(
        {"n": n, "r": out["refused"], "h": out["held_for_review"], "c": out["changed"], "w": out["changes_waiting"]}
    )
    return RedirectResponse(f"/declarations?declared={quote(summary)}", status_code=303)


@router.get("/declarations/{declaration_id}")
def declaration_page(
    request: Request, declaration_id: Id, p: Caller, uow: Uow, change: Annotated[str, Query(max_length=600)] = ""
) -> Response:
    require_business_data(p)
    detail = customs.declaration_detail(uow.session, p.scope(), declaration_id)
    xml_text, whole, xml_name = "", True, ""
    if detail.message:
        xml_name, data, whole = customs.declaration_xml(uow.session, p.scope(), declaration_id)
        xml_text = pretty(data)
    return render(
        request,
        "declaration.html",
        p,
        d=detail,
        xml_text=xml_text,
        xml_whole=whole,
        xml_name=xml_name,
        may_open=may_open_personal_data(p),
        entity_json=json.dumps(detail.entity, ensure_ascii=False, indent=2, default=str),
        change=query_json(change),
        cancellable={s.value for s in CANCELLABLE},
        returnable={s.value for s in RETURNABLE},
    )


@router.get("/declarations/{declaration_id}/xml")
def declaration_xml(declaration_id: Id, p: Caller, uow: Uow) -> Response:
    require_business_data(p)
    name, data, _ = customs.declaration_xml(uow.session, p.scope(), declaration_id)
    return Response(
        data, media_type="application/xml", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/declarations/{declaration_id}/personal-data")
def open_personal(
    request: Request,
    declaration_id: Id,
    p: Caller,
    uow: Uow,
    reason: Annotated[str, Form(min_length=4, max_length=200)],
) -> Response:
    detail = reveal_personal_data(uow, p, declaration_id, reason)
    return render(
        request,
        "_personal.html",
        p,
        entity_json=json.dumps(detail.entity, ensure_ascii=False, indent=2, default=str),
    )


# --- upload ------------------------------------------------------------------------------------


def _risk_page(request: Request, p: Principal, uow: Uow, status: str, page: int, **extra: Any) -> HTMLResponse:
    hits = risk.list_hits(uow.session, p.scope(), PageRequest(page, 50), status=status or None)
    return render(request, "risk.html", p, hits=hits, status_filter=status, **extra)


@router.get("/risk")
def risk_page(
    request: Request,
    p: Caller,
    uow: Uow,
    status: Annotated[str, Query(max_length=10)] = "open",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> Response:
    """The review queue of risk screening: hits, each explained; the operator decides."""
    require_business_data(p)
    return _risk_page(request, p, uow, status, page)


@router.post("/risk/{hit_id}/decision")
def decide_risk_hit(
    request: Request,
    hit_id: Id,
    p: Caller,
    uow: Uow,
    decision: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require_risk_reviewer(p)
    try:
        risk.decide(uow.session, hit_id, decision, by=p.name, note=note)
        uow.commit()
    except CbecError as exc:
        uow.rollback()
        response = _risk_page(request, p, uow, "open", 1, form_error=exc)
        response.status_code = exc.http_status
        return response
    return RedirectResponse("/risk", status_code=303)


@router.get("/upload")
def upload_page(request: Request, p: Caller, uow: Uow) -> Response:
    require_submitter(p)
    sellers = [e for e in partners.list_enterprises(uow.session, role="ebc")] if p.names_seller else []
    platforms = partners.list_enterprises(uow.session, role="ebp")
    return render(request, "upload.html", p, sellers=sellers, platforms=platforms)


@router.post("/upload")
async def upload(
    request: Request,
    p: Caller,
    file: Annotated[UploadFile, File()],
    seller: Annotated[str, Form(max_length=18)] = "",
    platform: Annotated[str, Form(max_length=18)] = "",
    format: Annotated[str, Form(max_length=20)] = "auto",
) -> Response:
    settings = settings_of(request)
    data = await file.read(MAX_BYTES + 1)
    try:
        # the import is blocking work: off the event loop, or one upload holds every request
        out = await run_in_threadpool(
            submit.submit,
            settings,
            p,
            data,
            seller=seller or None,
            platform=platform or None,
            fmt=format,
            filename=file.filename or "",
            channel="upload",
        )
        failure = None
    except CbecError as exc:
        if exc.http_status in (401, 403):  # a refusal is an error page, not a report on the file
            raise
        out, failure = None, exc
    inbox_id = out["inbox_id"] if out else getattr(failure, "inbox_id", None)
    return render(
        request, "_upload_result.html", p, report=out, failure=failure, inbox_id=inbox_id, filename=file.filename
    )


@router.get("/uploads/{inbox_id}/errors.csv")
def upload_errors(inbox_id: Id, p: Caller, uow: Uow) -> Response:
    return get_upload_errors(inbox_id, p, uow)


# --- operator: enterprises, credentials, users --------------------------------------------------


def _enterprises_page(request: Request, p: Principal, uow: Uow, **extra: Any) -> HTMLResponse:
    ents = partners.list_enterprises(uow.session)
    creds = {e.code: partners.list_credentials(uow.session, e.code) for e in ents}
    return render(
        request,
        "enterprises.html",
        p,
        enterprises=ents,
        credentials=creds,
        users=accounts.list_users(uow.session),
        accesses=accounts.personal_data_accesses(uow.session, 20),
        roles=[r.value for r in UserRole],
        **extra,
    )


@router.get("/enterprises")
def enterprises_page(request: Request, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    return _enterprises_page(request, p, uow)


@router.post("/enterprises")
def register_enterprise(
    request: Request,
    p: Caller,
    uow: Uow,
    code: Annotated[str, Form(max_length=18)],
    name: Annotated[str, Form(max_length=100)],
    roles: Annotated[list[str], Form()],
    name_en: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    require_admin(p)
    try:
        partners.register_enterprise(uow.session, EnterpriseCreate(code=code, name=name, roles=roles, name_en=name_en))
        uow.commit()
    except CbecError as exc:
        uow.rollback()
        return _enterprises_page(request, p, uow, form_error=exc)
    return RedirectResponse("/enterprises", status_code=303)


@router.post("/enterprises/{code}/credentials")
def issue_key(
    request: Request, code: str, p: Caller, uow: Uow, label: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    require_admin(p)
    issued = partners.issue_credential(uow.session, code, label=label)
    uow.commit()
    return _enterprises_page(request, p, uow, issued=issued)


@router.post("/credentials/{key_id}/revoke")
def revoke_key(key_id: str, p: Caller, uow: Uow) -> Response:
    require_admin(p)
    partners.revoke_credential(uow.session, key_id)
    uow.commit()
    return RedirectResponse("/enterprises", status_code=303)


@router.post("/users")
def create_user(
    request: Request,
    p: Caller,
    uow: Uow,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    enterprise_code: Annotated[str, Form(max_length=18)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    require_admin(p)
    try:
        accounts.create_user(
            uow.session,
            UserCreate(
                username=username,
                password=password,
                role=role,
                enterprise_code=enterprise_code or None,
                display_name=display_name,
            ),
        )
        uow.commit()
    except CbecError as exc:
        uow.rollback()
        return _enterprises_page(request, p, uow, form_error=exc)
    return RedirectResponse("/enterprises", status_code=303)
