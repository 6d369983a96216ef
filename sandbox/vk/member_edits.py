"""A person edits a message they wrote to the community — in their dialog or in a community
chat: VK sends the community `message_edit`, whose object is the message itself as it is
now (messages_message, not wrapped like message_new's), with the same id or
conversation_message_id and `update_time`; a chat message that replied to another still
carries `reply_message`. In a chat the community hears the edit only when it may read the
message (access to all messages, or a message for the bot)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sandbox.vk.chats import _foreign
from sandbox.vk.model import MemberMessage
from sandbox.vk.world import World


def edit_message(world: World, peer_id: int, user_id: int, cmid: int, text: str
                 ) -> MemberMessage:
    """`user_id` changes the text of their message `cmid` (conversation_message_id) in the
    dialog or chat `peer_id`; the new version."""
    dialog = world.dialog(peer_id)
    index, old = next(((i, m) for i, m in enumerate(dialog.messages)
                       if isinstance(m, MemberMessage) and m.conversation_message_id == cmid),
                      (-1, None))
    if old is None or old.from_id != user_id:
        raise LookupError(f"no message {cmid} of user {user_id} in {peer_id}")
    new = replace(old, text=text)
    dialog.messages[index] = new
    chat = world.chats.get(peer_id)
    if chat is None or (chat.has_bot and (chat.reads_all or text.startswith("/"))):
        world.events.publish("message_edit", _body(world, new, chat is not None))
    return new


def _body(world: World, message: MemberMessage, in_chat: bool) -> dict[str, Any]:
    body = message.as_vk()
    body["update_time"] = world.date()
    if in_chat:
        body["version"] = body["conversation_message_id"]
    if message.reply_to_cmid is not None:
        body["reply_message"] = _foreign(world, message.peer_id, message.reply_to_cmid)
    return body
