"""JSON answers with exact amounts: Decimal as a string (never a binary float), times in ISO 8601."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):  # a typed read model, in its own JSON form
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_default)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json", headers=headers)


def jsonable(obj: Any) -> Any:
    """The structure as it will be sent (for storing an idempotent answer)."""
    return json.loads(dumps(obj))
