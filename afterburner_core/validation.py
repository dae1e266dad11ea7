"""pydantic's validation errors as the one line a user sees (``field: message; field: message``)."""

from __future__ import annotations

from pydantic import ValidationError


def one_line(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item.get("loc", ()))
        parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
    return "; ".join(parts)
