"""Uploads for the community wall (dev.vk.com/ru/api/upload/wall): docs.getWallUploadServer
(user or community token) → multipart `file` → docs.save; photos.getWallUploadServer (user
token) → multipart `photo` → photos.saveWallPhoto(group_id, photo, server, hash). With
group_id the file belongs to the community (owner -group_id), which only its admin may do
(error 15 otherwise); wall.post then attaches "doc-G_ID" / "photo-G_ID"."""

from __future__ import annotations

from typing import Any

from sandbox.vk.dispatch import Call, Handler
from sandbox.vk.errors import ACCESS, VkError, param_error
from sandbox.vk.media import UploadSlot, photo_hash, receipt_from_photo
from sandbox.vk.methods_media import _owner, _photo_object, _receipt, _slot_url

WALL_ALBUM_ID = -7  # "wall photos", as VK lists them


def _wall_owner(call: Call) -> int:
    """-group_id for a community the caller administers, else the caller's own id."""
    group_id = call.values.get("group_id")
    if group_id is None:
        return _owner(call)
    token, world = call.token, call.world
    admin = token.kind == "user" and token.owner_id == world.knobs.admin_user_id
    if int(group_id) != world.knobs.group_id or not (admin or token.kind == "group"):
        raise VkError(ACCESS, "no access to this community's files")
    return -int(group_id)


def docs_get_wall_upload_server(call: Call) -> dict[str, Any]:
    slot = UploadSlot(kind="doc", owner_id=_wall_owner(call), peer_id=None)
    return {"upload_url": _slot_url(call.world, "doc", slot)}


def photos_get_wall_upload_server(call: Call) -> dict[str, Any]:
    owner_id = _wall_owner(call)
    slot = UploadSlot(kind="photo", owner_id=owner_id, peer_id=None)
    return {"album_id": WALL_ALBUM_ID, "upload_url": _slot_url(call.world, "photo", slot),
            "user_id": call.token.owner_id}


def photos_save_wall_photo(call: Call) -> list[dict[str, Any]]:
    world, values = call.world, call.values
    photo = values.get("photo")
    if not photo:
        raise param_error("photo is undefined")
    if values.get("hash") != photo_hash(photo):
        raise param_error("hash is invalid")
    receipt = receipt_from_photo(photo)
    upload = _receipt(world, receipt, "photo", "photo")
    if "group_id" in values and upload.owner_id != -int(values["group_id"]):
        raise param_error("group_id does not match the upload server")
    key = world.media.saved.get(receipt)
    if key is None:
        key = (upload.owner_id, world.media.take_id())
        world.media.photos[key] = {**_photo_object(world, key, upload), "album_id": WALL_ALBUM_ID}
        world.media.contents[("photo", *key)] = upload.content
        world.media.saved[receipt] = key
    return [world.media.photos[key]]


METHODS: dict[str, Handler] = {
    "docs.getWallUploadServer": docs_get_wall_upload_server,
    "photos.getWallUploadServer": photos_get_wall_upload_server,
    "photos.saveWallPhoto": photos_save_wall_photo,
}
