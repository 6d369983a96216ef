"""docs.* and photos.* upload methods, the upload server itself, and attachment lookup."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.vk.dispatch import Call, Handler
from sandbox.vk.errors import param_error
from sandbox.vk.media import (
    MESSAGES_ALBUM_ID,
    UploadedFile,
    UploadSlot,
    doc_type,
    forbidden,
    image_size,
    parse_attachment,
    photo_hash,
    photo_receipt,
    receipt_from_photo,
)
from sandbox.vk.world import World

UPLOAD_SERVER_ID = 850_001


def _owner(call: Call) -> int:
    """Files a community uploads belong to it (a negative owner id); a user's to the user."""
    token = call.token
    return -token.owner_id if token.kind == "group" else token.owner_id


def _slot_url(world: World, kind: str, slot: UploadSlot) -> str:
    slot_id = secrets.token_hex(8)
    world.media.slots[slot_id] = slot
    return f"{world.base_url}/upload/{kind}/{slot_id}"


def docs_get_messages_upload_server(call: Call) -> dict[str, Any]:
    kind = call.values.get("type", "doc")
    if kind != "doc":
        raise param_error(f"type {kind} is not emulated by the sandbox (only doc)")
    peer_id = call.values.get("peer_id")
    if peer_id is None and call.token.kind == "group":
        # [U] a community must say which dialog the document is for.
        raise param_error("peer_id is undefined")
    slot = UploadSlot(kind="doc", owner_id=_owner(call), peer_id=peer_id)
    return {"upload_url": _slot_url(call.world, "doc", slot)}


def photos_get_messages_upload_server(call: Call) -> dict[str, Any]:
    slot = UploadSlot(kind="photo", owner_id=_owner(call), peer_id=call.values.get("peer_id"))
    answer = {
        "album_id": MESSAGES_ALBUM_ID,
        "upload_url": _slot_url(call.world, "photo", slot),
        "user_id": 0 if call.token.kind == "group" else call.token.owner_id,
    }
    if call.token.kind == "group":
        answer["group_id"] = call.token.owner_id
    return answer


def store_upload(world: World, kind: str, slot_id: str, filename: str, content: bytes) -> Any:
    """The upload server's JSON answer for one file (an {"error": ...} when refused)."""
    slot = world.media.slots.get(slot_id)
    if slot is None or slot.kind != kind:
        return {"error": "invalid upload url"}
    if kind == "doc" and forbidden(filename):
        return {"error": "file type is not allowed"}
    if len(content) > world.knobs.max_upload_bytes or not content:
        return {"error": "file is empty or too large"}
    receipt = secrets.token_hex(16)
    world.media.receipts[receipt] = UploadedFile(
        kind, filename, content, slot.owner_id, UPLOAD_SERVER_ID
    )
    world.stats.uploads[kind] += 1
    if kind == "doc":
        return {"file": receipt}
    if image_size(content) is None:
        return {"server": UPLOAD_SERVER_ID, "photo": "[]", "hash": photo_hash("[]")}
    return photo_receipt(receipt, UPLOAD_SERVER_ID)


def _receipt(world: World, receipt: str, kind: str, param: str) -> UploadedFile:
    upload = world.media.receipts.get(receipt)
    if upload is None or upload.kind != kind:
        raise param_error(f"{param} is invalid")
    return upload


def docs_save(call: Call) -> dict[str, Any]:
    world, receipt = call.world, call.values["file"]
    upload = _receipt(world, receipt, "doc", "file")
    key = world.media.saved.get(receipt)
    if key is None:  # [U] saving one receipt twice gives the same document here
        key = (upload.owner_id, world.media.take_id())
        world.media.docs[key] = _doc_object(world, key, upload, call.values.get("title"))
        world.media.contents[("doc", *key)] = upload.content
        world.media.saved[receipt] = key
    return {"type": "doc", "doc": world.media.docs[key]}


def _doc_object(
    world: World, key: tuple[int, int], upload: UploadedFile, title: str | None
) -> dict[str, Any]:
    ext, kind = doc_type(upload.filename)
    owner_id, doc_id = key
    return {
        "id": doc_id,
        "owner_id": owner_id,
        "title": title or upload.filename,
        "size": len(upload.content),
        "ext": ext,
        "date": world.date(),
        "type": kind,
        "url": f"{world.base_url}/files/doc/{owner_id}_{doc_id}",
    }


def photos_save_messages_photo(call: Call) -> list[dict[str, Any]]:
    world, photo = call.world, call.values["photo"]
    if call.values.get("hash") != photo_hash(photo):
        raise param_error("hash is invalid")
    receipt = receipt_from_photo(photo)
    upload = _receipt(world, receipt, "photo", "photo")
    key = world.media.saved.get(receipt)
    if key is None:
        key = (upload.owner_id, world.media.take_id())
        world.media.photos[key] = _photo_object(world, key, upload)
        world.media.contents[("photo", *key)] = upload.content
        world.media.saved[receipt] = key
    return [world.media.photos[key]]


def _photo_object(world: World, key: tuple[int, int], upload: UploadedFile) -> dict[str, Any]:
    owner_id, photo_id = key
    width, height = image_size(upload.content) or (0, 0)
    url = f"{world.base_url}/files/photo/{owner_id}_{photo_id}"
    return {
        "id": photo_id,
        "album_id": MESSAGES_ALBUM_ID,
        "owner_id": owner_id,
        "date": world.date(),
        "sizes": [{"type": "x", "url": url, "width": width, "height": height}],
        "text": "",
        "has_tags": False,
        "access_key": secrets.token_hex(9),
    }


def resolve_attachments(world: World, raw: str | None) -> tuple[dict[str, Any], ...]:
    """Attachment objects for "doc-1_2,photo-1_3"; each must exist (VK would drop it)."""
    if not raw:
        return ()
    names = [name for name in raw.split(",") if name.strip()]
    if len(names) > world.knobs.max_attachments:
        raise param_error(f"attachment: at most {world.knobs.max_attachments} attachments")
    return tuple(_resolve_one(world, name) for name in names)


def _resolve_one(world: World, name: str) -> dict[str, Any]:
    kind, owner_id, media_id, _ = parse_attachment(name)
    found: dict[str, Any] | None
    if kind == "doc":
        found = world.media.docs.get((owner_id, media_id))
    elif kind == "photo":
        found = world.media.photos.get((owner_id, media_id))
    elif kind == "poll":
        poll = world.polls.get(media_id)
        found = poll if poll is not None and poll["owner_id"] == owner_id else None
    elif kind == "wall":
        found = world.posts.get((owner_id, media_id))
    else:
        raise param_error(f"attachment {name.strip()}: {kind} is not emulated by the sandbox")
    if found is None:
        raise param_error(f"attachment {name.strip()} is invalid: no such {kind}")
    return {"type": kind, kind: found}


METHODS: dict[str, Handler] = {
    "docs.getMessagesUploadServer": docs_get_messages_upload_server,
    "docs.save": docs_save,
    "photos.getMessagesUploadServer": photos_get_messages_upload_server,
    "photos.saveMessagesPhoto": photos_save_messages_photo,
}
