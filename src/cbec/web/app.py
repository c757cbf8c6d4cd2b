"""The web platform: the partner API under /api/v1 (OpenAPI at /docs and /openapi.json) and the
web UI, in one FastAPI application over the same services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from cbec import __version__
from cbec.config import Settings, get_settings
from cbec.web import errors
from cbec.web.api import (
    admin,
    audit,
    catalogue,
    changes,
    credit,
    declarations,
    documents,
    finance,
    journey,
    logistics,
    others,
    privacy,
    sharing,
    statistics,
    submissions,
    tax_imports,
    warehouse,
)
from cbec.web.ratelimit import RateLimiter
from cbec.web.ui import audit as audit_pages
from cbec.web.ui import catalogue as catalogue_pages
from cbec.web.ui import changes as change_pages
from cbec.web.ui import credit as credit_pages
from cbec.web.ui import documents as document_pages
from cbec.web.ui import finance as finance_pages
from cbec.web.ui import journey as journey_pages
from cbec.web.ui import logistics as logistics_pages
from cbec.web.ui import pages
from cbec.web.ui import privacy as privacy_pages
from cbec.web.ui import profile as profile_pages
from cbec.web.ui import sharing as sharing_pages
from cbec.web.ui import statistics as statistics_pages
from cbec.web.ui import submissions as submission_pages
from cbec.web.ui import warehouse as warehouse_pages

DESCRIPTION = """
跨境电商线上综合服务平台 API — the partner API of the cross-border e-commerce one-stop platform.

Authenticate with your enterprise's API key: `Authorization: Bearer <key>` (or `X-API-Key`).
Errors are JSON: `{"error": code, "message_zh", "message_en", "field", "document", "details"}`.
Amounts are decimal strings, never binary floats.
"""

#: the npm packages the UI loads (installed by scripts/setup into node_modules, never copied)
VENDOR = {"htmx": "htmx.org/dist", "echarts": "echarts/dist", "worldmap": "@surbowl/world-geo-json-zh"}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="cbec",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.api_rate_per_minute)
    errors.install(app, pages.error_page)
    for router in (
        documents.router,
        declarations.router,
        others.router,
        admin.router,
        catalogue.router,
        changes.router,
        journey.router,
        submissions.router,
        tax_imports.router,
        finance.router,
        logistics.router,
        credit.router,
        audit.router,
        privacy.router,
        sharing.router,
        statistics.router,
        warehouse.router,
    ):
        app.include_router(router, prefix="/api/v1")
    for page_router in (
        pages.router,
        catalogue_pages.router,
        profile_pages.router,
        change_pages.router,
        document_pages.router,
        journey_pages.router,
        submission_pages.router,
        finance_pages.router,
        logistics_pages.router,
        credit_pages.router,
        audit_pages.router,
        privacy_pages.router,
        sharing_pages.router,
        statistics_pages.router,
        warehouse_pages.router,
    ):
        app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).parent / "static"), name="static")
    assets = settings.web_assets_dir
    for name, sub in VENDOR.items():
        folder = assets / sub if assets else None
        if folder is not None and folder.is_dir():
            app.mount(f"/vendor/{name}", StaticFiles(directory=folder), name=f"vendor-{name}")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    headers = security_headers(secure=settings.cookie_secure)

    @app.middleware("http")
    async def add_security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    return app


def security_headers(*, secure: bool) -> dict[str, str]:
    """What every answer carries: no framing by other sites (clickjacking), no content-type
    sniffing, no full URL sent to other sites; HSTS once the platform is served over HTTPS
    (``CBEC_COOKIE_SECURE``); scripts only from the platform's own files (``script-src 'self'``:
    the pages carry their data as JSON blocks, never as inline scripts), no plugins."""
    out = {
        "Content-Security-Policy": (
            "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if secure:
        out["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return out
