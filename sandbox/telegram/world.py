"""Who exists in the sandbox: members (user accounts), groups, bots, and each chat's messages."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    BLOCKED,
    CHAT_NOT_FOUND,
    DEACTIVATED,
    NOT_STARTED,
    bad_request,
    forbidden,
)


@dataclass
class Member:
    """A Telegram user account that members of the union use."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    deactivated: bool = False

    def user_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass
class Group:
    """A group or supergroup (a staff chat, a branch chat)."""

    id: int
    title: str
    kind: str = "supergroup"
    username: str | None = None
    member_ids: set[int] = field(default_factory=set)
    # A forum supergroup (forums.py): its open topics, thread id -> name.
    is_forum: bool = False
    manage_topics: bool = True  # its bots may create topics (can_manage_topics)
    topics: dict[int, str] = field(default_factory=dict)

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.kind, "title": self.title}
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass
class BotAccount:
    """One bot (one token) and what it knows of its members."""

    token: str
    id: int
    first_name: str
    username: str
    started: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)
    commands: list[dict[str, Any]] = field(default_factory=list)

    def user_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class StoredMessage:
    """A message of a chat as one bot sees it; `payload` is its current Message JSON."""

    token: str
    chat_id: int
    message_id: int
    from_bot: bool
    payload: dict[str, Any]
    kind: str = "text"
    deleted: bool = False


class History:
    """Messages per (bot, chat); ids are per chat (per bot in private chats, shared in groups)."""

    def __init__(self) -> None:
        self._chats: dict[tuple[str, int], dict[int, StoredMessage]] = {}
        self._counters: dict[Hashable, int] = {}
        self.order: list[StoredMessage] = []

    def next_id(self, token: str, chat_id: int) -> int:
        key: Hashable = chat_id if chat_id < 0 else (token, chat_id)
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    def add(self, message: StoredMessage) -> None:
        self._chats.setdefault((message.token, message.chat_id), {})[message.message_id] = message
        self.order.append(message)

    def get(self, token: str, chat_id: int, message_id: int) -> StoredMessage | None:
        message = self._chats.get((token, chat_id), {}).get(message_id)
        return None if message is None or message.deleted else message

    def chat(self, token: str, chat_id: int) -> list[StoredMessage]:
        messages = self._chats.get((token, chat_id), {}).values()
        return [m for m in messages if not m.deleted]


@dataclass
class Target:
    """A chat a bot addresses: a member's private chat or a group."""

    chat_id: int
    member: Member | None = None
    group: Group | None = None

    @property
    def is_group(self) -> bool:
        return self.group is not None

    def chat_json(self) -> dict[str, Any]:
        owner = self.member or self.group
        assert owner is not None
        return owner.chat_json()


class World:
    """Members, groups and bots; chat lookups with Telegram's refusals."""

    def __init__(self) -> None:
        self.members: dict[int, Member] = {}
        self.groups: dict[int, Group] = {}
        self.bots: dict[str, BotAccount] = {}
        self.history = History()

    def find_chat(self, chat_ref: int | str) -> Target:
        """Any known chat; @usernames resolve only for groups (bots can't look up users)."""
        if isinstance(chat_ref, str):
            name = chat_ref.removeprefix("@").lower()
            for group in self.groups.values():
                if group.username and group.username.lower() == name:
                    return Target(group.id, group=group)
            raise bad_request(CHAT_NOT_FOUND)
        if chat_ref in self.members:
            return Target(chat_ref, member=self.members[chat_ref])
        if chat_ref in self.groups:
            return Target(chat_ref, group=self.groups[chat_ref])
        raise bad_request(CHAT_NOT_FOUND)

    def writable_chat(self, bot: BotAccount, chat_ref: int | str) -> Target:
        """A chat the bot may send to now, or the 400/403 Telegram answers."""
        target = self.find_chat(chat_ref)
        if target.group is not None:
            if target.chat_id not in bot.groups:
                raise forbidden(f"bot is not a member of the {target.group.kind} chat")
            return target
        member = target.member
        assert member is not None
        if member.deactivated:
            raise forbidden(DEACTIVATED)
        if member.id in bot.blocked:
            raise forbidden(BLOCKED)
        if member.id not in bot.started:
            raise forbidden(NOT_STARTED)
        return target

    def readable_chat(self, bot: BotAccount, chat_ref: int | str) -> Target:
        """A chat whose messages the bot may edit or delete (it may be blocked meanwhile)."""
        target = self.find_chat(chat_ref)
        if target.group is not None and target.chat_id not in bot.groups:
            raise forbidden(f"bot is not a member of the {target.group.kind} chat")
        return target
