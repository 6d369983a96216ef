"""Uploaded files: a file_id per bot (reusable in any of its chats), file_unique_id, paths."""

from __future__ import annotations

import mimetypes
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from .errors import WRONG_FILE_ID, bad_request

_PREFIX = {"document": "BQACAgIAAxkBAA", "photo": "AgACAgIAAxkBAA"}


@dataclass
class StoredFile:
    unique_id: str
    kind: str  # "document" or "photo"
    data: bytes
    file_name: str
    mime_type: str
    width: int = 0
    height: int = 0
    path: str = ""


@dataclass(frozen=True)
class FileHandle:
    """What a file_id stands for: one bot's handle on a stored file."""

    file_id: str
    token: str
    stored: StoredFile


class FileStore:
    def __init__(self) -> None:
        self._handles: dict[str, FileHandle] = {}
        self._by_path: dict[str, StoredFile] = {}
        self.uploads = 0
        self.upload_bytes = 0

    def store(self, token: str, kind: str, data: bytes, file_name: str, mime: str,
              *, by_bot: bool = True) -> FileHandle:
        """A new upload (each upload is a new file, as on Telegram); a member's file is not
        counted among the bot's uploads."""
        stored = StoredFile(f"AgAD{secrets.token_urlsafe(9)}", kind, data, file_name, mime)
        if kind == "photo":
            stored.width, stored.height = image_size(data)
        if by_bot:
            self.uploads += 1
            self.upload_bytes += len(data)
        return self.handle(token, stored)

    def handle(self, token: str, stored: StoredFile) -> FileHandle:
        file_id = f"{_PREFIX[stored.kind]}{secrets.token_urlsafe(33)}"
        handle = FileHandle(file_id, token, stored)
        self._handles[file_id] = handle
        return handle

    def lookup(self, token: str, file_id: str) -> FileHandle:
        """A file_id works only for the bot that received it."""
        handle = self._handles.get(file_id)
        if handle is None or handle.token != token:
            raise bad_request(WRONG_FILE_ID)
        return handle

    def known(self, token: str, file_id: str) -> FileHandle | None:
        handle = self._handles.get(file_id)
        return handle if handle is not None and handle.token == token else None

    def assign_path(self, stored: StoredFile) -> str:
        if not stored.path:
            folder = "photos" if stored.kind == "photo" else "documents"
            suffix = _suffix(stored)
            stored.path = f"{folder}/file_{len(self._by_path)}{suffix}"
            self._by_path[stored.path] = stored
        return stored.path

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


def _suffix(stored: StoredFile) -> str:
    if "." in stored.file_name:
        return "." + stored.file_name.rsplit(".", 1)[1]
    return mimetypes.guess_extension(stored.mime_type) or ""


def document_json(handle: FileHandle) -> dict[str, Any]:
    stored = handle.stored
    return {
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_id": handle.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": len(stored.data),
    }


def photo_json(handle: FileHandle) -> list[dict[str, Any]]:
    stored = handle.stored
    return [
        {
            "file_id": handle.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "width": stored.width,
            "height": stored.height,
        }
    ]


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; Telegram refuses what it cannot decode."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    raise bad_request("IMAGE_PROCESS_FAILED")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    raise bad_request("IMAGE_PROCESS_FAILED")
