"""TelegramEmulator: the Bot API on loopback, with members acting on the other side."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from aiohttp import web

from sandbox.limits import Clock, monotonic

from . import forums
from .knobs import TelegramKnobs
from .members import Members
from .server import TOKEN, build_app
from .state import EmulatorState, Listener

_FAULT_KNOBS = frozenset(
    {"latency_s", "p_429", "p_5xx", "p_timeout", "hang_s", "random_retry_after_s"}
)


class TelegramEmulator:
    """One emulated Telegram: bots (tokens), members, groups; see the package docstring."""

    def __init__(self, knobs: TelegramKnobs | None = None, *, clock: Clock = monotonic) -> None:
        self.knobs = knobs or TelegramKnobs()
        self._state = EmulatorState(self.knobs, clock)
        self._members = Members(self._state)
        self.app = build_app(self._state)
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); returns the api_base, e.g. http://127.0.0.1:5123."""
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def close(self) -> None:
        """Stop serving; cancels webhook deliveries and closes the HTTP client."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._state.aclose()

    def set_faults(self, **faults: Any) -> None:
        """Change fault knobs while running (latency_s, p_429, p_5xx, p_timeout, hang_s, ...)."""
        unknown = set(faults) - _FAULT_KNOBS
        if unknown:
            raise ValueError(f"not a fault knob: {sorted(unknown)}; limits are fixed at start")
        self.knobs = replace(self.knobs, **faults)
        self._state.knobs = self._state.gate.knobs = self.knobs

    # Setup -----------------------------------------------------------------------------

    def add_bot(self, token: str, *, first_name: str = "Rupor", username: str | None = None) -> int:
        """Register a bot token ("<digits>:<chars>"); returns the bot's user id."""
        if not TOKEN.match(token):
            raise ValueError("a bot token looks like <digits>:<letters, digits, _ or ->")
        if token in self._state.world.bots:
            raise ValueError("this bot token is already registered")
        bot_id = int(token.split(":", 1)[0])
        self._state.add_bot(token, first_name, username or f"rupor_{bot_id}_bot")
        return bot_id

    def add_user(
        self,
        user_id: int | None = None,
        *,
        first_name: str = "Участник",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> int:
        return self._members.add_user(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    def add_group(
        self,
        title: str,
        *,
        member_ids: Iterable[int] = (),
        supergroup: bool = True,
        username: str | None = None,
    ) -> int:
        return self._members.add_group(
            title, member_ids=member_ids, supergroup=supergroup, username=username
        )

    def add_bot_to_group(self, token: str, chat_id: int, *, added_by: int | None = None) -> None:
        self._members.add_bot_to_group(token, chat_id, added_by=added_by)

    def add_channel(self, title: str, *, username: str | None = None) -> int:
        return self._members.add_channel(title, username=username)

    def add_bot_to_channel(self, token: str, chat_id: int) -> None:
        """Make the bot an administrator of a channel: it may post there (sendMessage,
        sendDocument… with chat_id = the id or the channel's @username)."""
        self._members.add_bot_to_channel(token, chat_id)

    # Member actions --------------------------------------------------------------------

    def forward_text(self, token: str, user_id: int, text: str, origin: str = "user",
                     **source: Any) -> int:
        """The member forwards a text to the bot (Message.forward_origin of type `origin`:
        user, hidden_user, chat, channel); `source`: from_user, hidden_name, from_chat,
        message_id, signature."""
        return self._members.forward_text(token, user_id, text, origin, **source)

    def message_on_behalf(self, chat_id: int, text: str, *, as_chat: int | None = None,
                          signature: str | None = None) -> int:
        """A group message with Message.sender_chat: an anonymous admin's, or as a channel."""
        return self._members.message_on_behalf(chat_id, text, as_chat=as_chat,
                                               signature=signature)

    def start_bot(self, token: str, user_id: int, payload: str | None = None) -> int:
        return self._members.start_bot(token, user_id, payload)

    def send_text(
        self, token: str, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> int:
        return self._members.send_text(
            token, user_id, text, reply_to_message_id=reply_to_message_id
        )

    def send_document(
        self, token: str, user_id: int, filename: str, content: bytes, caption: str | None = None
    ) -> int:
        """The member sends the bot a file with an optional caption; the message id."""
        return self._members.send_document(token, user_id, filename, content, caption)

    def group_message(
        self, chat_id: int, user_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> int:
        return self._members.group_message(
            chat_id, user_id, text, reply_to_message_id=reply_to_message_id
        )

    def press_button(
        self,
        token: str,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
    ) -> str:
        return self._members.press_button(
            token, user_id, message_id, callback_data, chat_id=chat_id
        )

    def vote(self, token: str, user_id: int, poll_id: str, option_ids: Sequence[int]) -> None:
        self._members.vote(token, user_id, poll_id, option_ids)

    def block_bot(self, token: str, user_id: int) -> None:
        self._members.block_bot(token, user_id)

    def unblock_bot(self, token: str, user_id: int) -> None:
        self._members.unblock_bot(token, user_id)

    def deactivate_user(self, user_id: int) -> None:
        self._members.deactivate(user_id)

    # Forum supergroups (forums.py) ----------------------------------------------------

    def make_forum(self, chat_id: int, *, manage_topics: bool = True) -> None:
        """The supergroup becomes a forum (divided into topics); `manage_topics` False: its
        bots lack can_manage_topics and createForumTopic is refused."""
        forums.make_forum(self._state, chat_id, manage_topics=manage_topics)

    def topic_message(self, chat_id: int, user_id: int, thread_id: int, text: str, *,
                      reply_to_message_id: int | None = None) -> int:
        """A member writes in a forum topic (replying to a message of it, or to nothing)."""
        return forums.topic_message(self._members, chat_id, user_id, thread_id, text,
                                    reply_to_message_id=reply_to_message_id)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """A member deletes a forum topic with all its messages."""
        forums.delete_topic(self._state, chat_id, thread_id)

    def topics(self, chat_id: int) -> dict[int, str]:
        """A forum's open topics: thread id -> name."""
        return dict(self._state.world.groups[chat_id].topics)

    def push_update(self, token: str, kind: str, payload: dict[str, Any]) -> None:
        """Queue an update as given, unchecked: a shape a newer Bot API (or a fault) may send."""
        self._state.push_update(token, kind, payload)

    # Listening and inspection ----------------------------------------------------------

    def add_bot_message_listener(self, listener: Listener) -> None:
        """Called synchronously with a BotMessage each time a bot's message is accepted."""
        self._state.listeners.append(listener)

    def remove_bot_message_listener(self, listener: Listener) -> None:
        self._state.listeners.remove(listener)

    def chat_log(self, token: str, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat, in order, as they are now (edited, minus deleted)."""
        messages = self._state.world.history.chat(token, chat_id)
        return [copy.deepcopy(m.payload) for m in messages if m.from_bot]

    def inbox(self, user_id: int) -> list[dict[str, Any]]:
        """What a member sees from all bots in their private chats, in delivery order."""
        history = self._state.world.history
        return [
            copy.deepcopy(m.payload)
            for m in history.order
            if m.from_bot and m.chat_id == user_id and not m.deleted
        ]

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said to a pressed button (None while unanswered)."""
        query = self._state.callbacks.get(query_id)
        return dict(query.answer) if query is not None and query.answered else None

    def poll(self, poll_id: str) -> dict[str, Any]:
        return self._state.polls[poll_id].to_json()

    def commands(self, token: str) -> list[dict[str, Any]]:
        return [dict(c) for c in self._state.world.bots[token].commands]

    def pending_updates(self, token: str) -> list[dict[str, Any]]:
        return self._state.queue(token).take(10**9)

    def stats(self) -> dict[str, Any]:
        """JSON-able counters; the same as GET {api_base}/__sandbox/stats."""
        return self._state.stats_snapshot()
