"""The one place typed errors become HTTP answers: JSON for the API, a page for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cbec.accounts.rules import Unauthenticated
from cbec.errors import CbecError
from cbec.web.ratelimit import TooManyRequests


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/openapi", "/docs")) and "text/html" in request.headers.get(
        "accept", ""
    )


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


#: renders a typed error as a page for a person (the web UI's, handed in by the app)
ErrorPage = Callable[[Request, CbecError], Response]


def install(app: FastAPI, error_page: ErrorPage) -> None:
    @app.exception_handler(CbecError)
    async def cbec_error(request: Request, exc: CbecError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        if _wants_html(request):
            if isinstance(exc, Unauthenticated) and request.method == "GET":
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return error_page(request, exc)
        if isinstance(exc, Unauthenticated):
            headers = {"WWW-Authenticate": 'Bearer realm="cbec"'}
        return _json(exc.http_status, exc.as_dict(), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path", "header")]
            details.append(
                {
                    "code": str(e.get("type", "invalid")),
                    "field": ".".join(loc),
                    "message_en": str(e.get("msg", "")),
                    "message_zh": "参数无效：" + str(e.get("msg", "")),
                }
            )
        first = details[0]["field"] if details else ""
        body = {
            "error": "invalid_input",
            "message_en": f"the request is invalid ({first})" if first else "the request is invalid",
            "message_zh": f"请求参数无效（{first}）" if first else "请求参数无效",
            "field": first,
            "details": details,
        }
        return _json(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: ("not found", "未找到"),
            405: ("method not allowed", "不支持的请求方法"),
        }
        en, zh = messages.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        return _json(
            exc.status_code,
            {"error": "not_found" if exc.status_code == 404 else "http_error", "message_en": en, "message_zh": zh},
        )
