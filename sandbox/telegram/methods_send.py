"""sendMessage, sendPhoto, sendDocument and copyMessage."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .context import CallContext, deliver
from .errors import WRONG_FILE_ID, ApiError, bad_request
from .files import FileHandle, document_json, image_size, photo_json
from .methods_poll import copy_poll
from .text import Formatted, check_caption, check_message_text, format_text
from .validation import FileParam

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


async def send_message(ctx: CallContext) -> dict[str, Any]:
    params = ctx.params
    formatted = format_text(params["text"], params.get("parse_mode"), params.get("entities"))
    check_message_text(formatted, ctx.limit_of("text", TEXT_LIMIT))

    def build() -> dict[str, Any]:
        content: dict[str, Any] = {}
        formatted.put(content, "text", "entities")
        return content

    return deliver(ctx, build, "text").payload


def caption_of(ctx: CallContext) -> Formatted:
    params = ctx.params
    caption = format_text(
        params.get("caption", ""), params.get("parse_mode"), params.get("caption_entities")
    )
    check_caption(caption, ctx.limit_of("caption", CAPTION_LIMIT))
    return caption


async def send_photo(ctx: CallContext) -> dict[str, Any]:
    return await _send_file(ctx, "photo")


async def send_document(ctx: CallContext) -> dict[str, Any]:
    return await _send_file(ctx, "document")


async def _send_file(ctx: CallContext, kind: str) -> dict[str, Any]:
    caption = caption_of(ctx)
    source = ctx.params.get(kind)
    if not isinstance(source, FileParam):
        raise bad_request(f"there is no {kind} in the request")
    obtain = await _file_source(ctx, source, kind)

    def build() -> dict[str, Any]:
        handle = obtain()
        content: dict[str, Any] = {
            kind: photo_json(handle) if kind == "photo" else document_json(handle)
        }
        if caption.text:
            caption.put(content, "caption", "caption_entities")
        if kind == "photo" and ctx.params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return content

    return deliver(ctx, build, kind).payload


async def _file_source(ctx: CallContext, source: FileParam, kind: str) -> Callable[[], FileHandle]:
    """Check the file now; store an upload only once the send is accepted."""
    files, token = ctx.state.files, ctx.bot.token
    if source.reference is not None:
        handle = files.known(token, source.reference)
        if handle is not None:
            if handle.stored.kind != kind:
                raise bad_request(
                    f"can't use file of type {handle.stored.kind.title()} as {kind.title()}"
                )
            return lambda: handle
        if "." not in source.reference:
            raise bad_request(WRONG_FILE_ID)
        name, mime, data = await _fetch(ctx, source.reference)
    else:
        assert source.upload is not None
        upload = source.upload
        name, mime, data = upload.filename, upload.content_type, upload.data
    _check_upload(ctx, kind, data)
    if kind == "photo":
        name, mime = "photo.jpg", "image/jpeg"
    return lambda: files.store(token, kind, data, name, _mime(name, mime))


def _check_upload(ctx: CallContext, kind: str, data: bytes) -> None:
    knobs = ctx.state.knobs
    if not data:
        raise bad_request("file must be non-empty")
    if len(data) > knobs.max_upload_bytes:
        raise ApiError(413, "Request Entity Too Large")
    if kind == "photo":
        if len(data) > knobs.max_photo_bytes:
            raise bad_request(
                f"file of size {len(data)} bytes is too big for a photo; "
                f"the maximum size is {knobs.max_photo_bytes} bytes"
            )
        width, height = image_size(data)
        if width + height > 10000 or max(width, height) > 20 * max(1, min(width, height)):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")


def _mime(name: str, declared: str) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


async def _fetch(ctx: CallContext, url: str) -> tuple[str, str, bytes]:
    """Telegram downloads files sent by HTTP URL; the sandbox does the same (loopback in tests)."""
    session = ctx.state.client()
    full = url if "://" in url else f"http://{url}"
    if urlsplit(full).scheme not in ("http", "https"):
        raise bad_request("failed to get HTTP URL content")
    timeout = aiohttp.ClientTimeout(total=ctx.state.knobs.url_fetch_timeout_s)
    try:
        async with session.get(full, timeout=timeout) as response:
            if not 200 <= response.status < 300:
                raise bad_request("failed to get HTTP URL content")
            data = await response.read()
            mime = response.headers.get("Content-Type", "").split(";")[0]
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise bad_request("failed to get HTTP URL content") from exc
    name = urlsplit(full).path.rsplit("/", 1)[-1] or "file"
    return name, mime, data


async def copy_message(ctx: CallContext) -> dict[str, Any]:
    params = ctx.params
    world = ctx.state.world
    source_chat = world.readable_chat(ctx.bot, params["from_chat_id"])
    source = world.history.get(ctx.bot.token, source_chat.chat_id, params["message_id"])
    if source is None or source.kind not in ("text", "photo", "document", "poll"):
        raise bad_request("message to copy not found")
    caption = caption_of(ctx) if "caption" in params else None

    def build() -> dict[str, Any]:
        content = _copied_content(ctx, source.payload, source.kind)
        if caption is not None and source.kind in ("photo", "document"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            if caption.text:
                caption.put(content, "caption", "caption_entities")
        return content

    stored = deliver(ctx, build, source.kind)
    if source.kind == "poll":
        poll = ctx.state.polls[stored.payload["poll"]["id"]]
        poll.chat_id, poll.message_id = stored.chat_id, stored.message_id
    return {"message_id": stored.message_id}


_COPIED_KEYS = ("text", "entities", "photo", "document", "caption", "caption_entities")


def _copied_content(ctx: CallContext, payload: dict[str, Any], kind: str) -> dict[str, Any]:
    """A copy has no link to the original; a copied poll is a new poll without votes."""
    content = {key: payload[key] for key in _COPIED_KEYS if key in payload}
    if kind == "poll":
        content["poll"] = copy_poll(ctx, payload["poll"]["id"])
    return content
