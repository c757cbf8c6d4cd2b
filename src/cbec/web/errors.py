"""The one place typed errors become HTTP answers: JSON for the API, a page for people."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cbec.accounts.rules import Unauthenticated
from cbec.errors import CbecError, Unavailable
from cbec.web.ratelimit import TooManyRequests

log = logging.getLogger("cbec.web")


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
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests | Unavailable) else None
        if _wants_html(request):
            if isinstance(exc, Unauthenticated) and request.method == "GET":
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return error_page(request, exc)
        if isinstance(exc, Unauthenticated):
            headers = {"WWW-Authenticate": 'Bearer realm="cbec"'}
        return _json(exc.http_status, exc.as_dict(), headers)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        """The database cannot be reached or cannot write (its disk is full): the unit of work
        rolled back, so nothing of the request stays half-written; the caller retries later."""
        full = "full" in str(exc).lower()
        error = Unavailable(
            "the database is full: the request changed nothing; retry once space is freed"
            if full else "the database cannot be reached: the request changed nothing; retry shortly",
            "数据库空间已满：本次请求未作任何更改；释放空间后请重试"
            if full else "数据库暂时无法连接：本次请求未作任何更改；请稍后重试",
            field="database",
        )  # fmt: skip
        log.error("database unavailable for %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return await cbec_error(request, error)

    @app.exception_handler(OSError)
    async def storage_unavailable(request: Request, exc: OSError) -> Response:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise exc
        log.error("storage full for %s %s", request.method, request.url.path)
        error = Unavailable(
            "the platform's storage is full: nothing of the request was kept; retry once space is freed",
            "平台存储空间已满：本次请求未保存任何内容；释放空间后请重试",
            field="storage",
        )
        return await cbec_error(request, error)

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
