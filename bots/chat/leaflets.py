"""A leaflet or picture the press secretary sent in chat: fetched from the platform (after
the inbox's commit, never inside it), checked by the same rules as `rupor post --file`
(core.campaigns.media.read_leaflet: type from the bytes, size), and kept once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import cast

from bots.chat import texts
from bots.chat.turn import ChatContext, NotReady
from core.campaigns.media import MAX_MEDIA_BYTES, read_leaflet, sniff, store_leaflet
from core.ports import FileFetcher, FileUnavailable, MediaFile, Text

EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class LeafletRefused(Exception):
    """The file cannot become a leaflet; the message says why, in Russian."""


async def received_leaflet(ctx: ChatContext, channel: str, event: Text) -> MediaFile:
    """The checked, stored file of `event` (LeafletRefused with the reason)."""
    source = ctx.channels.get(channel)
    if source is None:
        raise NotReady(channel)
    if not hasattr(source, "fetch_file") or event.attachment is None:
        raise LeafletRefused(texts.FILE_NOT_HERE)
    ref = event.attachment.split()[0]
    try:
        content = await cast(FileFetcher, source).fetch_file(ref, event.file_url)
    except FileUnavailable as error:
        raise LeafletRefused(texts.FILE_TROUBLE.format(reason=error)) from error
    if len(content) > MAX_MEDIA_BYTES:
        raise LeafletRefused(texts.FILE_TROUBLE.format(reason="файл слишком большой"))
    name = event.file_name or "картинка" + EXTENSIONS.get(sniff(content) or "", "")
    with tempfile.TemporaryDirectory(prefix="rupor-chat-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        leaflet = read_leaflet(path)  # ContentError (Russian) for a wrong type
    return await store_leaflet(ctx.engine, leaflet)
