"""Reading a Bot API request the three ways Telegram accepts it: query/form, multipart, JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import ApiError, ValidationError


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    part_name: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class RawCall:
    """Parameters as they arrived: strings from query/form/multipart, JSON values from JSON."""

    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)
    is_json: bool = False


def entity_too_large() -> ApiError:
    return ApiError(413, "Request Entity Too Large")


async def read_call(request: web.Request, max_bytes: int) -> RawCall:
    """Parse the request body; parameters in the query string count too (Telegram reads both)."""
    call = RawCall(fields=dict(request.query))
    if request.content_length is not None and request.content_length > max_bytes:
        raise entity_too_large()
    content_type = request.content_type
    if content_type == "application/json":
        call.is_json = True
        call.fields.update(await _read_json(request))
    elif content_type == "multipart/form-data":
        await _read_multipart(request, call, max_bytes)
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        call.fields.update({key: str(value) for key, value in form.items()})
    return call


async def _read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ValidationError("can't parse JSON encoded request") from exc
    if not isinstance(body, dict):
        raise ValidationError("JSON encoded request must be an Object")
    return body


async def _read_multipart(request: web.Request, call: RawCall, max_bytes: int) -> None:
    reader = await request.multipart()
    total = 0
    while True:
        part = await reader.next()
        if part is None:
            return
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read()
        total += len(data)
        if total > max_bytes:
            raise entity_too_large()
        if part.filename is not None:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            call.files[part.name] = Upload(part.name, part.filename, content_type, bytes(data))
        else:
            call.fields[part.name] = bytes(data).decode("utf-8", errors="replace")
