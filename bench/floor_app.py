"""The floor for bench/api.py: a bare FastAPI endpoint that reads the body and does no work."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/noop")
async def noop(request: Request) -> Response:
    await request.body()
    return Response(b'{"ok": true}', status_code=201, media_type="application/json")
