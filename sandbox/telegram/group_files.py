"""A member sends a photo or a document in a group, optionally as a reply: every bot in the
group receives a message with `photo` (PhotoSize[]) or `document` (Bot API Document), a
`caption` when given and `reply_to_message`; each bot gets its own file_id, which it can
getFile and download, or send again in any of its chats (Bot API: file_ids are per bot)."""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

from .errors import MemberActionError
from .files import document_json, photo_json

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

KINDS = ("photo", "document")


def group_file(emulator: TelegramEmulator, chat_id: int, user_id: int, kind: str,
               filename: str, content: bytes, *, caption: str | None = None,
               reply_to_message_id: int | None = None) -> int:
    """The message id (the same for every bot in the group)."""
    if kind not in KINDS:
        raise MemberActionError(f"kind must be one of {KINDS}, not {kind!r}")
    members = emulator._members  # the emulator's own member-side actions
    state = members.state
    group, member = members._group(chat_id), members.member(user_id)
    if user_id not in group.member_ids:
        raise MemberActionError(f"member {user_id} is not in group {chat_id}")
    bots = [b for b in state.world.bots.values() if chat_id in b.groups]
    if reply_to_message_id is not None and not any(
        state.world.history.get(b.token, chat_id, reply_to_message_id) for b in bots
    ):
        raise MemberActionError(f"message {reply_to_message_id} is not in chat {chat_id}")
    mime = "image/jpeg" if kind == "photo" else (
        mimetypes.guess_type(filename)[0] or "application/octet-stream")
    message_id = state.world.history.next_id("", chat_id)
    for bot in bots:
        handle = state.files.store(bot.token, kind, content, filename, mime, by_bot=False)
        extra: dict[str, Any] = ({"photo": photo_json(handle)} if kind == "photo"
                                 else {"document": document_json(handle)})
        if caption:
            extra["caption"] = caption
        members._incoming(bot, member, group.chat_json(), None, reply_to_message_id,
                          message_id, extra=extra)
    return message_id
