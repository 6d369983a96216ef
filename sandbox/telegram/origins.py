"""Who a message is really from, in the Bot API's shapes: a forwarded message's
`forward_origin` (MessageOriginUser / HiddenUser / Chat / Channel) and the fake `from` user
Telegram puts beside `sender_chat` when someone writes on behalf of a chat.

From the Bot API: "For backward compatibility, if the message was sent on behalf of a chat,
the field from contains a fake sender user in non-channel chats" — @GroupAnonymousBot for
an anonymous group administrator (sender_chat is the group itself), @Channel_Bot for a
member writing as their channel (sender_chat is the channel)."""

from __future__ import annotations

from typing import Any

from .errors import MemberActionError

ORIGIN_KINDS = ("user", "hidden_user", "chat", "channel")

GROUP_ANONYMOUS_BOT: dict[str, Any] = {
    "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot",
}
CHANNEL_BOT: dict[str, Any] = {
    "id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot",
}


def forward_origin(
    kind: str,
    date: int,
    *,
    user: dict[str, Any] | None = None,
    hidden_name: str | None = None,
    chat: dict[str, Any] | None = None,
    message_id: int | None = None,
    signature: str | None = None,
) -> dict[str, Any]:
    """One MessageOrigin object: `user` for "user", `hidden_name` for "hidden_user" (a
    sender who hides their account in forwards), `chat` for "chat" (a group's anonymous
    admin or a chat the message was sent on behalf of) and "channel" (with the post's
    `message_id`); `signature` is the optional author_signature of the last two."""
    origin: dict[str, Any] = {"type": kind, "date": date}
    if kind == "user" and user is not None:
        origin["sender_user"] = user
    elif kind == "hidden_user" and hidden_name:
        origin["sender_user_name"] = hidden_name
    elif kind == "chat" and chat is not None and chat["type"] in ("group", "supergroup"):
        origin["sender_chat"] = chat
    elif kind == "channel" and chat is not None and chat["type"] == "channel" and message_id:
        origin.update(chat=chat, message_id=message_id)
    else:
        raise MemberActionError(
            f"forward origin {kind!r} needs: user (user), hidden_name (hidden_user), a group "
            f"chat (chat), or a channel and message_id (channel); kinds: {ORIGIN_KINDS}")
    if signature and kind in ("chat", "channel"):
        origin["author_signature"] = signature
    return origin
