"""What members do on their side: start the bot, write, press buttons, vote, block, leave.

Each action produces the updates Telegram would give the bot (message, callback_query,
poll_answer/poll, my_chat_member), queued for getUpdates or the webhook.
"""

from __future__ import annotations

import itertools
import mimetypes
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import MemberActionError
from .files import document_json
from .origins import CHANNEL_BOT, GROUP_ANONYMOUS_BOT, forward_origin
from .state import CallbackState, EmulatorState
from .text import command_entities
from .world import BotAccount, Group, Member, StoredMessage


class Members:
    """Member-side actions on one emulator's state (see the package docstring)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._callback_ids = itertools.count(state.rng.randint(10**15, 9 * 10**15))

    def bot(self, token: str) -> BotAccount:
        bot = self.state.world.bots.get(token)
        if bot is None:
            raise MemberActionError(f"no bot with token {token!r} is registered")
        return bot

    def member(self, user_id: int) -> Member:
        member = self.state.world.members.get(user_id)
        if member is None:
            raise MemberActionError(f"no member {user_id} is registered")
        return member

    def add_user(
        self,
        user_id: int | None = None,
        *,
        first_name: str = "Участник",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> int:
        new_id = user_id if user_id is not None else next(self._user_ids)
        member = Member(new_id, first_name, last_name, username, language_code)
        self.state.world.members[new_id] = member
        return new_id

    def add_group(
        self,
        title: str,
        *,
        member_ids: Iterable[int] = (),
        supergroup: bool = True,
        username: str | None = None,
    ) -> int:
        serial = next(self._group_ids)
        chat_id = -(10**12 + serial) if supergroup else -serial
        kind = "supergroup" if supergroup else "group"
        self.state.world.groups[chat_id] = Group(chat_id, title, kind, username, set(member_ids))
        return chat_id

    def add_channel(self, title: str, *, username: str | None = None) -> int:
        """A channel (forwards can come from its posts; a member can write as it)."""
        chat_id = -(10**12 + next(self._group_ids))
        self.state.world.groups[chat_id] = Group(chat_id, title, "channel", username)
        return chat_id

    def add_bot_to_channel(self, token: str, chat_id: int) -> None:
        """The bot becomes the channel's administrator (no my_chat_member update is queued:
        nothing in the sandbox reads it)."""
        bot, channel = self.bot(token), self._group(chat_id)
        if channel.kind != "channel":
            raise MemberActionError(f"{chat_id} is a {channel.kind}, not a channel")
        bot.groups.add(chat_id)

    def forward_text(self, token: str, user_id: int, text: str, origin: str = "user",
                     **source: Any) -> int:
        """The member forwards a text message to the bot's private chat: Message with
        `forward_origin` of type `origin` (see origins.forward_origin); `source`: from_user
        (a member id), hidden_name, from_chat (a group or channel id), message_id,
        signature."""
        bot, member = self.bot(token), self.member(user_id)
        self._ensure_can_write(bot, member)
        chat = self._group(source["from_chat"]).chat_json() if "from_chat" in source else None
        user = self.member(source["from_user"]).user_json() if "from_user" in source else None
        found = forward_origin(origin, self.state.now() - 60, user=user, chat=chat,
                               hidden_name=source.get("hidden_name"),
                               message_id=source.get("message_id"),
                               signature=source.get("signature"))
        extra = {"forward_origin": found}
        return self._incoming(bot, member, member.chat_json(), text, None,
                              extra=extra).message_id

    def message_on_behalf(self, chat_id: int, text: str, *, as_chat: int | None = None,
                          signature: str | None = None) -> int:
        """A message in a group or supergroup sent on behalf of a chat: by an anonymous
        administrator (as_chat None: sender_chat is the group itself, from is
        @GroupAnonymousBot, signature their custom title) or as a channel (as_chat: its id;
        from is @Channel_Bot). Every bot in the group receives it."""
        group = self._group(chat_id)
        if group.kind not in ("group", "supergroup"):
            raise MemberActionError(f"chat {chat_id} is a {group.kind}, not a group")
        sender = self._group(as_chat) if as_chat is not None else group
        if as_chat is not None and sender.kind != "channel":
            raise MemberActionError(f"chat {as_chat} is not a channel")
        extra: dict[str, Any] = {"sender_chat": sender.chat_json()}
        if signature and as_chat is None:
            extra["author_signature"] = signature
        fake = CHANNEL_BOT if as_chat is not None else GROUP_ANONYMOUS_BOT
        message_id = self.state.world.history.next_id("", chat_id)
        for bot in [b for b in self.state.world.bots.values() if chat_id in b.groups]:
            self._incoming(bot, None, group.chat_json(), text, None, message_id,
                           extra={"from": fake, **extra})
        return message_id

    def add_bot_to_group(self, token: str, chat_id: int, *, added_by: int | None = None) -> None:
        bot, group = self.bot(token), self._group(chat_id)
        adder = added_by if added_by is not None else min(group.member_ids, default=None)
        if adder is None:
            raise MemberActionError("someone in the group has to add the bot")
        bot.groups.add(chat_id)
        self._membership(bot, group.chat_json(), self.member(adder), "left", "member")

    def _group(self, chat_id: int) -> Group:
        group = self.state.world.groups.get(chat_id)
        if group is None:
            raise MemberActionError(f"no group {chat_id} is registered")
        return group

    def start_bot(self, token: str, user_id: int, payload: str | None = None) -> int:
        """The member presses Start (or opens t.me/bot?start=PAYLOAD): "/start PAYLOAD"."""
        bot, member = self.bot(token), self.member(user_id)
        self._ensure_active(member)
        if user_id in bot.blocked:
            self.unblock_bot(token, user_id)
        bot.started.add(user_id)
        text = f"/start {payload}" if payload else "/start"
        return self._private_message(bot, member, text).message_id

    def send_text(
        self, token: str, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> int:
        bot, member = self.bot(token), self.member(user_id)
        self._ensure_can_write(bot, member)
        self._ensure_known(bot.token, user_id, reply_to_message_id)
        return self._private_message(bot, member, text, reply_to_message_id).message_id

    def send_document(
        self, token: str, user_id: int, filename: str, content: bytes, caption: str | None = None
    ) -> int:
        """The member sends the bot a file: a message with `document` (Bot API Document:
        file_id, file_unique_id, file_name, mime_type, file_size) and an optional caption;
        the bot can getFile it and download it from /file/bot<token>/<file_path>."""
        bot, member = self.bot(token), self.member(user_id)
        self._ensure_can_write(bot, member)
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        handle = self.state.files.store(token, "document", content, filename, mime, by_bot=False)
        extra: dict[str, Any] = {"document": document_json(handle)}
        if caption:
            extra["caption"] = caption
        return self._incoming(bot, member, member.chat_json(), None, None, extra=extra).message_id

    def _ensure_known(self, token: str, chat_id: int, message_id: int | None) -> None:
        if (
            message_id is not None
            and self.state.world.history.get(token, chat_id, message_id) is None
        ):
            raise MemberActionError(f"message {message_id} is not in chat {chat_id}")

    def _ensure_active(self, member: Member) -> None:
        if member.deactivated:
            raise MemberActionError(f"member {member.id} is deactivated")

    def _ensure_can_write(self, bot: BotAccount, member: Member) -> None:
        self._ensure_active(member)
        if member.id in bot.blocked:
            raise MemberActionError(f"member {member.id} blocked the bot; start it again first")
        if member.id not in bot.started:
            raise MemberActionError(f"member {member.id} has not started the bot")

    def _private_message(
        self, bot: BotAccount, member: Member, text: str, reply_to: int | None = None
    ) -> StoredMessage:
        return self._incoming(bot, member, member.chat_json(), text, reply_to)

    def _incoming(
        self,
        bot: BotAccount,
        member: Member | None,
        chat: dict[str, Any],
        text: str | None,
        reply_to: int | None,
        message_id: int | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """Store and queue a message to `bot`; `member` None: extra gives its "from"."""
        history = self.state.world.history
        chat_id = chat["id"]
        payload: dict[str, Any] = {
            "message_id": message_id or history.next_id(bot.token, chat_id),
            **({"from": member.user_json()} if member is not None else {}),
            "chat": chat,
            "date": self.state.now(),
            **(extra or {}),
        }
        if text is not None:
            payload["text"] = text
        if text is not None and (entities := command_entities(text)):
            payload["entities"] = entities
        replied = history.get(bot.token, chat_id, reply_to) if reply_to is not None else None
        if replied is not None:
            payload["reply_to_message"] = {
                k: v for k, v in replied.payload.items() if k != "reply_to_message"
            }
        stored = StoredMessage(bot.token, chat_id, payload["message_id"], False, payload)
        history.add(stored)
        self.state.push_update(bot.token, "message", payload)
        return stored

    def group_message(
        self, chat_id: int, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> int:
        """A member writes in a group; every bot in it receives the message (privacy mode off)."""
        group, member = self._group(chat_id), self.member(user_id)
        if user_id not in group.member_ids:
            raise MemberActionError(f"member {user_id} is not in group {chat_id}")
        bots = [b for b in self.state.world.bots.values() if chat_id in b.groups]
        if reply_to_message_id is not None and not any(
            self.state.world.history.get(b.token, chat_id, reply_to_message_id) for b in bots
        ):
            raise MemberActionError(f"message {reply_to_message_id} is not in chat {chat_id}")
        message_id = self.state.world.history.next_id("", chat_id)
        for bot in bots:
            self._incoming(bot, member, group.chat_json(), text, reply_to_message_id, message_id)
        return message_id

    def press_button(
        self,
        token: str,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
    ) -> str:
        """The member presses an inline button of a bot's message: a callback_query update."""
        bot, member = self.bot(token), self.member(user_id)
        self._ensure_active(member)
        chat = chat_id if chat_id is not None else user_id
        message = self.state.world.history.get(token, chat, message_id)
        if message is None or not message.from_bot:
            raise MemberActionError(f"no bot message {message_id} in chat {chat}")
        if callback_data not in _callback_data(message.payload):
            raise MemberActionError(f"message {message_id} has no button {callback_data!r}")
        query_id = str(next(self._callback_ids))
        self.state.callbacks[query_id] = CallbackState(
            token, user_id, chat, message_id, callback_data
        )
        query = {
            "id": query_id,
            "from": member.user_json(),
            "message": message.payload,
            "chat_instance": str((bot.id * 1_000_003 + chat) % 10**18),
            "data": callback_data,
        }
        self.state.push_update(bot.token, "callback_query", query)
        return query_id

    def vote(self, token: str, user_id: int, poll_id: str, option_ids: Sequence[int]) -> None:
        """Choose options (an empty list retracts the vote)."""
        member = self.member(user_id)
        self._ensure_active(member)
        poll = self.state.polls.get(poll_id)
        if poll is None or poll.token != token:
            raise MemberActionError(f"bot has no poll {poll_id}")
        group = self.state.world.groups.get(poll.chat_id)
        in_chat = poll.chat_id == user_id or (group is not None and user_id in group.member_ids)
        if not in_chat:
            raise MemberActionError(f"member {user_id} cannot see poll {poll_id}")
        chosen = poll.vote(user_id, list(option_ids))
        message = self.state.world.history.get(token, poll.chat_id, poll.message_id)
        if message is not None:
            message.payload["poll"] = poll.to_json()
        if not poll.is_anonymous:
            self.state.push_update(
                token, "poll_answer", poll.answer_json(member.user_json(), chosen)
            )
        self.state.push_update(token, "poll", poll.to_json())

    def block_bot(self, token: str, user_id: int) -> None:
        """From now on sends answer 403 "bot was blocked by the user"."""
        bot, member = self.bot(token), self.member(user_id)
        if user_id in bot.blocked:
            return
        bot.blocked.add(user_id)
        self._membership(bot, member.chat_json(), member, "member", "kicked")

    def unblock_bot(self, token: str, user_id: int) -> None:
        bot, member = self.bot(token), self.member(user_id)
        if user_id not in bot.blocked:
            return
        bot.blocked.discard(user_id)
        self._membership(bot, member.chat_json(), member, "kicked", "member")

    def deactivate(self, user_id: int) -> None:
        """The account is deleted: sends answer 403 "user is deactivated"."""
        self.member(user_id).deactivated = True

    def _membership(
        self, bot: BotAccount, chat: dict[str, Any], actor: Member, old: str, new: str
    ) -> None:
        update = {
            "chat": chat,
            "from": actor.user_json(),
            "date": self.state.now(),
            "old_chat_member": _chat_member(bot, old),
            "new_chat_member": _chat_member(bot, new),
        }
        self.state.push_update(bot.token, "my_chat_member", update)


def _chat_member(bot: BotAccount, status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": bot.user_json()}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _callback_data(payload: dict[str, Any]) -> set[str]:
    rows = payload.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["callback_data"] for row in rows for button in row if "callback_data" in button}
