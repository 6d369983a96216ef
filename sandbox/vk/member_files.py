"""Files a member attaches to a message to the community: a document or a photo stored in
the world (owned by the member) and served by the emulator under /files/..., as the
attachment objects of a message_new carry them (VK API 5.199, docs/objects.json docs_doc:
id, owner_id, title, size, ext, url, date, type, access_key; photos/objects.json
photos_photo: id, album_id, owner_id, date, sizes[{type, url, width, height}], text,
has_tags, access_key). A message may carry several of them, up to ten."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sandbox.vk.media import doc_type, image_size
from sandbox.vk.world import World

# A photo sent in a dialog lands in the sender's "photos from messages" album (-3 there too).
MESSAGE_PHOTOS_ALBUM_ID = -3


def _url(world: World, kind: str, owner_id: int, media_id: int) -> str:
    return f"{world.base_url}/files/{kind}/{owner_id}_{media_id}"


def member_document(world: World, user_id: int, filename: str, content: bytes) -> dict[str, Any]:
    """A document the member uploaded to attach to a message: {"type": "doc", "doc": {...}}."""
    if not content:
        raise ValueError("a document needs some content")
    ext, kind = doc_type(filename)
    doc_id = world.media.take_id()
    title = filename.rsplit(".", 1)[0] if ext else filename  # VK keeps the extension apart
    doc = {
        "id": doc_id, "owner_id": user_id, "title": title or filename, "size": len(content),
        "ext": ext, "date": world.date(), "type": kind,
        "url": _url(world, "doc", user_id, doc_id), "access_key": secrets.token_hex(9),
    }
    world.media.docs[(user_id, doc_id)] = doc
    world.media.contents[("doc", user_id, doc_id)] = content
    return {"type": "doc", "doc": doc}


def member_photo(world: World, user_id: int, content: bytes) -> dict[str, Any]:
    """A photo the member attached: {"type": "photo", "photo": {...}} with one size."""
    size = image_size(content)
    if size is None:
        raise ValueError("a photo must be a PNG, GIF, JPEG or WebP image")
    photo_id = world.media.take_id()
    width, height = size
    photo = {
        "id": photo_id, "album_id": MESSAGE_PHOTOS_ALBUM_ID, "owner_id": user_id,
        "date": world.date(), "text": "", "has_tags": False,
        "sizes": [{"type": "x", "url": _url(world, "photo", user_id, photo_id),
                   "width": width, "height": height}],
        "access_key": secrets.token_hex(9),
    }
    world.media.photos[(user_id, photo_id)] = photo
    world.media.contents[("photo", user_id, photo_id)] = content
    return {"type": "photo", "photo": photo}


def member_files(world: World, user_id: int, photos: Sequence[bytes] = (),
                 documents: Sequence[tuple[str, bytes]] = ()) -> tuple[dict[str, Any], ...]:
    """The attachments of one message with several files: the photos, then the documents
    ((filename, content) each), as the member attached them."""
    most = world.knobs.max_attachments  # a message's limit, the members' as the bot's
    if len(photos) + len(documents) > most:
        raise ValueError(f"a VK message carries at most {most} attachments")
    return (*(member_photo(world, user_id, content) for content in photos),
            *(member_document(world, user_id, name, content) for name, content in documents))
