"""Community chats (беседы) as the VK API shows them to a community bot: peer ids from
2000000000 (CHAT_PEER_START + chat_id); message_new from any of several users, with
`from_id` the author and `peer_id` the chat; `id` 0 and `conversation_message_id` the
chat's own counter ([U] VK gives a community bot id 0 for chat messages, and
messages_base_message.is_unavailable says an id may be 0); `reply_message`
(messages_foreign_message) when the user replied; the bot writes to a chat only once it was
invited (else error 917), and without access to all messages it gets only what mentions it
or starts with "/".

Call these on the emulator's event loop thread (they touch asyncio primitives)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sandbox.vk.events import client_info
from sandbox.vk.member_files import member_files
from sandbox.vk.model import Chat, MemberMessage
from sandbox.vk.world import World

FOREIGN_FIELDS = ("date", "from_id", "text", "attachments", "conversation_message_id",
                  "peer_id")


class ChatActions:
    """Chats, the community joining them, and users writing in them."""

    world: World

    def add_chat(self, title: str, member_ids: Iterable[int] = ()) -> int:
        """A new chat of registered users; its peer id."""
        users = set(member_ids)
        for user_id in users:
            self.world.member(user_id)
        chat = Chat(len(self.world.chats) + 1, title, users)
        self.world.chats[chat.peer_id] = chat
        return chat.peer_id

    def add_bot_to_chat(self, peer_id: int, *, reads_all: bool = True) -> None:
        """A member invites the community into the chat (it may write there from now on)."""
        chat = self._chat(peer_id)
        chat.has_bot, chat.reads_all = True, reads_all

    def chat_message(self, peer_id: int, user_id: int, text: str, *,
                     reply_to_cmid: int | None = None, photo: bytes | None = None,
                     document: tuple[str, bytes] | None = None,
                     photos: Sequence[bytes] = (),
                     documents: Sequence[tuple[str, bytes]] = ()) -> MemberMessage:
        """`user_id` writes in the chat (optionally replying, with a photo or a document, or
        several `photos` and `documents` in one message); message_new reaches the bot if it
        is in the chat and may read the message."""
        chat = self._chat(peer_id)
        if user_id not in chat.member_ids:
            raise LookupError(f"VK user {user_id} is not in chat {peer_id}")
        attachments = member_files(self.world, user_id,
                                   [*([photo] if photo is not None else []), *photos],
                                   [*([document] if document is not None else []), *documents])
        dialog = self.world.dialog(peer_id)
        replied = _foreign(self.world, peer_id, reply_to_cmid) if reply_to_cmid else None
        message = MemberMessage(0, dialog.take_cmid(), peer_id, user_id, self.world.date(),
                                text, attachments=attachments, reply_to_cmid=reply_to_cmid)
        dialog.messages.append(message)
        if chat.has_bot and (chat.reads_all or self._for_bot(text)):
            body = message.as_vk()
            body["version"] = body["conversation_message_id"]
            if replied is not None:
                body["reply_message"] = replied
            self.world.events.publish("message_new", {
                "message": body, "client_info": client_info(self.world.member(user_id)
                                                            .old_client)})
        return message

    def chat_messages(self, peer_id: int) -> list[dict[str, Any]]:
        """Everything in the chat, both the users' and the community's, as VK objects."""
        dialog = self.world.dialogs.get(peer_id)
        return [] if dialog is None else [_as_object(m) for m in dialog.messages]

    def _chat(self, peer_id: int) -> Chat:
        chat = self.world.chats.get(peer_id)
        if chat is None:
            raise LookupError(f"no VK chat with peer id {peer_id}: call add_chat first")
        return chat

    def _for_bot(self, text: str) -> bool:
        return text.startswith("/") or f"[club{self.world.knobs.group_id}|" in text


def _as_object(message: Any) -> dict[str, Any]:
    if isinstance(message, MemberMessage):
        return message.as_vk()
    return {"date": message.date, "from_id": message.from_id, "id": 0,
            "text": message.text, "attachments": list(message.attachments),
            "conversation_message_id": message.conversation_message_id,
            "peer_id": message.peer_id}


def _foreign(world: World, peer_id: int, cmid: int) -> dict[str, Any]:
    """The replied message as messages_foreign_message (id 0 in a chat, as the bot sees it)."""
    dialog = world.dialog(peer_id)
    found = next((m for m in dialog.messages if m.conversation_message_id == cmid), None)
    if found is None:
        raise LookupError(f"no message with conversation_message_id {cmid} in {peer_id}")
    whole = _as_object(found)
    return {**{key: whole[key] for key in FOREIGN_FIELDS}, "id": 0}
