"""A person sends an album — several photos at once — to the bot's private chat or in a
group the bot is in: one message per photo, all with the same `media_group_id` (Bot API
Message.media_group_id), the caption on the first, as the clients send it; in a group,
each part of an album sent as a reply carries `reply_to_message`. Each bot gets its own
file_ids (per bot, as on Telegram)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import MemberActionError
from .files import photo_json

if TYPE_CHECKING:
    from .emulator import TelegramEmulator
    from .world import BotAccount, Member


def send_album(emulator: TelegramEmulator, token: str, user_id: int,
               photos: Sequence[bytes], caption: str | None = None) -> list[int]:
    """A member's album in their private chat with the bot; the messages' ids."""
    members = emulator._members  # the emulator's own member-side actions
    bot, member = members.bot(token), members.member(user_id)
    members._ensure_can_write(bot, member)
    group_id = _new_group(photos)
    return [_part(emulator, bot, member, member.chat_json(), photo, group_id,
                  caption if index == 0 else None, None, None)
            for index, photo in enumerate(photos)]


def group_album(emulator: TelegramEmulator, chat_id: int, user_id: int,
                photos: Sequence[bytes], caption: str | None = None, *,
                reply_to_message_id: int | None = None) -> list[int]:
    """An album in a group, optionally as a reply; the messages' ids (the same for every
    bot in the group)."""
    members = emulator._members
    state = members.state
    group, member = members._group(chat_id), members.member(user_id)
    if user_id not in group.member_ids:
        raise MemberActionError(f"member {user_id} is not in group {chat_id}")
    bots = [b for b in state.world.bots.values() if chat_id in b.groups]
    group_id, ids = _new_group(photos), []
    for index, photo in enumerate(photos):
        message_id = state.world.history.next_id("", chat_id)
        for bot in bots:
            _part(emulator, bot, member, group.chat_json(), photo, group_id,
                  caption if index == 0 else None, reply_to_message_id, message_id)
        ids.append(message_id)
    return ids


def _new_group(photos: Sequence[bytes]) -> str:
    if len(photos) < 2 or len(photos) > 10:
        raise MemberActionError("an album holds 2 to 10 photos")
    return str(10**17 + secrets.randbelow(10**17))


def _part(emulator: TelegramEmulator, bot: BotAccount, member: Member, chat: dict[str, Any],
          photo: bytes, group_id: str, caption: str | None, reply_to: int | None,
          message_id: int | None) -> int:
    members = emulator._members
    handle = members.state.files.store(bot.token, "photo", photo, "photo.jpg", "image/jpeg",
                                       by_bot=False)
    extra: dict[str, Any] = {"photo": photo_json(handle), "media_group_id": group_id}
    if caption:
        extra["caption"] = caption
    stored = members._incoming(bot, member, chat, None, reply_to, message_id, extra=extra)
    return stored.message_id
