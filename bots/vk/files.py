"""Files people send the community, fetched for the chat layer (a leaflet sent to /post).

message_new gives the community each document's `url` and each photo's `sizes[].url`
(VK API 5.199, docs_doc and photos_photo_sizes); the inbound translation keeps the first
one as Text.file_url beside the "vk:<type>:<owner>_<id>[_<key>]" reference, and each one of
a message with several in Text.files. Without a URL
(an event stored before it was kept) a document is looked up again with docs.getById,
which a community token may call (specs/vk/docs/methods.json: user, group)."""

from __future__ import annotations

from typing import Any

from bots.vk.api import VkApiPool
from core.campaigns.media import MAX_MEDIA_BYTES
from core.ports import FileUnavailable


async def fetch(api: VkApiPool, ref: str, url: str | None) -> bytes:
    """The bytes of the file behind `ref` / `url`; FileUnavailable with the reason."""
    url = url or await _doc_url(api, ref)
    if not url.startswith(("https://", "http://")):
        raise FileUnavailable("VK не дал ссылку на файл")
    try:
        return await api.download(url, MAX_MEDIA_BYTES)
    except ValueError as exc:
        raise FileUnavailable("файл слишком большой") from exc
    except Exception as exc:  # requests' errors: the file could not be read now
        raise FileUnavailable(f"VK не отдал файл: {exc.__class__.__name__}") from exc


async def _doc_url(api: VkApiPool, ref: str) -> str:
    _, kind, handle = (ref.split(":", 2) + ["", ""])[:3]
    if kind != "doc" or not handle:
        raise FileUnavailable("VK не дал ссылку на файл")
    try:
        found: Any = await api.call("docs.getById", {"docs": handle})
    except Exception as exc:  # vk_api's ApiError and requests' errors alike
        raise FileUnavailable(f"VK не нашёл документ: {exc}") from exc
    items = found.get("items", found) if isinstance(found, dict) else found
    if not items or not isinstance(items[0], dict) or not items[0].get("url"):
        raise FileUnavailable("VK не дал ссылку на документ")
    return str(items[0]["url"])
