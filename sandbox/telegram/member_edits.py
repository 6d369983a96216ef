"""A person edits a message they wrote — in their private chat with the bot or in a group
the bot is in: every bot that received it gets an `edited_message` update (Bot API Update:
"New version of a message that is known to the bot and was edited") carrying the whole
message as it is now, with `edit_date`; the message keeps its id, and a reply keeps its
`reply_to_message`. Only text messages and captions can be edited here, as in the clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import MemberActionError
from .world import StoredMessage

if TYPE_CHECKING:
    from .emulator import TelegramEmulator


def edit_text(emulator: TelegramEmulator, chat_id: int, user_id: int, message_id: int,
              text: str) -> int:
    """The author changes the text (or a file's caption) of message `message_id` in
    `chat_id` (a member's private chat: their own id); how many bots were told."""
    state = emulator._members.state  # the emulator's own member-side state
    if not text.strip():
        raise MemberActionError("an edited message needs some text")
    copies = [m for bot in state.world.bots.values()
              if (m := state.world.history.get(bot.token, chat_id, message_id)) is not None]
    if not copies:
        raise MemberActionError(f"message {message_id} is not in chat {chat_id}")
    for message in copies:
        _edit(message, user_id, text, state.now())
        state.push_update(message.token, "edited_message", message.payload)
    return len(copies)


def _edit(message: StoredMessage, user_id: int, text: str, now: int) -> None:
    payload = message.payload
    if message.from_bot or payload.get("from", {}).get("id") != user_id:
        raise MemberActionError(f"message {message.message_id} was not written by {user_id}")
    key = "text" if "text" in payload else "caption"
    payload[key] = text
    payload.pop("entities" if key == "text" else "caption_entities", None)
    payload["edit_date"] = max(now, int(payload.get("date", now)))
