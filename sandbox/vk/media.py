"""Uploaded documents and photos: upload slots, stored files, and attachment lookup.

The flow VK documents (dev.vk.com/ru/api/upload/...): a *.get*UploadServer method gives an
upload_url; a multipart POST there answers an opaque receipt; a *.save* method turns the
receipt into an object that messages.send attaches as "doc{owner_id}_{id}" or
"photo{owner_id}_{id}".
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from sandbox.vk.errors import param_error

# Document types (dev.vk.com/ru/reference/objects/doc): 1 text, 2 archive, 3 gif,
# 4 image, 5 audio, 6 video, 7 e-book, 8 unknown.
_DOC_TYPES = {
    **dict.fromkeys(("txt", "doc", "docx", "pdf", "odt", "rtf", "xls", "xlsx", "ppt", "pptx"), 1),
    **dict.fromkeys(("zip", "rar", "7z", "tar", "gz"), 2),
    "gif": 3,
    **dict.fromkeys(("jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff"), 4),
    **dict.fromkeys(("mp3", "ogg", "wav", "m4a"), 5),
    **dict.fromkeys(("mp4", "avi", "mkv", "mov", "webm"), 6),
    **dict.fromkeys(("epub", "fb2", "djvu", "mobi"), 7),
}
# VK refuses executables as documents.
_FORBIDDEN_EXTENSIONS = frozenset({"exe", "bat", "cmd", "com", "msi", "scr", "apk", "sh"})
_ATTACHMENT = re.compile(r"([a-z_]+?)(-?\d+)_(\d+)(?:_([0-9A-Za-z]+))?")
MESSAGES_ALBUM_ID = -3


@dataclass(frozen=True)
class UploadSlot:
    """What an upload_url was issued for."""

    kind: str  # doc | photo
    owner_id: int
    peer_id: int | None


@dataclass(frozen=True)
class UploadedFile:
    kind: str
    filename: str
    content: bytes
    owner_id: int
    server: int


@dataclass
class MediaStore:
    """Slots, receipts, saved documents and photos, keyed the way attachments name them."""

    slots: dict[str, UploadSlot] = field(default_factory=dict)
    receipts: dict[str, UploadedFile] = field(default_factory=dict)
    saved: dict[str, tuple[int, int]] = field(default_factory=dict)  # receipt -> key
    docs: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    photos: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    contents: dict[tuple[str, int, int], bytes] = field(default_factory=dict)
    next_id: int = 1

    def take_id(self) -> int:
        media_id = self.next_id
        self.next_id += 1
        return media_id


def doc_type(filename: str) -> tuple[str, int]:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return ext, _DOC_TYPES.get(ext, 8)


def forbidden(filename: str) -> bool:
    return doc_type(filename)[0] in _FORBIDDEN_EXTENSIONS


def image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG/GIF, (0, 0) of a JPEG/WebP, None when not an image."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return width, height
    if content.startswith((b"GIF87a", b"GIF89a")) and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return width, height
    if content.startswith(b"\xff\xd8\xff") or (content[:4] == b"RIFF" and content[8:12] == b"WEBP"):
        return 0, 0
    return None


def photo_receipt(receipt: str, server: int) -> dict[str, Any]:
    """What the photo upload server answers: server, photo (a JSON string) and its hash."""
    photo = json.dumps([{"photo": receipt, "sizes": [], "kid": receipt[:8]}])
    return {"server": server, "photo": photo, "hash": photo_hash(photo)}


def photo_hash(photo: str) -> str:
    return hashlib.md5(photo.encode("utf-8")).hexdigest()


def receipt_from_photo(photo: str) -> str:
    """The receipt inside a photo upload answer; VK answers "[]" for a file that is no image."""
    try:
        items = json.loads(photo)
    except ValueError:
        items = None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise param_error("photo is invalid: the upload held no image")
    return str(items[0].get("photo", ""))


def parse_attachment(text: str) -> tuple[str, int, int, str | None]:
    """("doc", owner_id, media_id, access_key) from "doc-1_2" or "doc-1_2_key"."""
    match = _ATTACHMENT.fullmatch(text.strip())
    if match is None:
        raise param_error(f"attachment {text.strip()!r} is invalid")
    kind, owner, media_id, key = match.groups()
    return kind, int(owner), int(media_id), key
