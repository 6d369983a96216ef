"""The emulated community's world: members, dialogs, messages and the random_id memory."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

CHAT_PEER_START = 2_000_000_000


@dataclass
class Member:
    """A VK user as the community knows them; the flags decide what messages.send answers."""

    user_id: int
    first_name: str
    last_name: str
    allowed: bool = False  # messages from the community allowed (message_allow / wrote first)
    privacy_closed: bool = False  # error 902
    deleted: bool = False  # error 18
    blacklisted: bool = False  # error 900: the community blacklisted the user
    # An older VK client: message_new's client_info.button_actions lacks "callback", and
    # such a client cannot press a callback button (events.client_info).
    old_client: bool = False


@dataclass
class Chat:
    """A VK community chat (беседа): its peer id is CHAT_PEER_START + chat_id."""

    chat_id: int
    title: str
    member_ids: set[int] = field(default_factory=set)
    has_bot: bool = False  # the community was invited (it may then write to the chat)
    # An admin gave the community access to all messages; without it the bot gets only the
    # messages that mention it or start with "/" (VK: chat bots' message access).
    reads_all: bool = True

    @property
    def peer_id(self) -> int:
        return CHAT_PEER_START + self.chat_id


@dataclass(frozen=True)
class BotMessage:
    """A community message as the member sees it (after any messages.edit)."""

    message_id: int
    conversation_message_id: int
    peer_id: int
    from_id: int
    date: int
    text: str
    attachments: tuple[dict[str, Any], ...] = ()
    keyboard: dict[str, Any] | None = None
    random_id: int = 0
    payload: str | None = None
    edited: bool = False


@dataclass(frozen=True)
class MemberMessage:
    """A message the member wrote to the community."""

    message_id: int
    conversation_message_id: int
    peer_id: int
    from_id: int
    date: int
    text: str
    payload: str | None = None
    ref: str | None = None
    ref_source: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()  # a document or photo the member attached
    reply_to_cmid: int | None = None  # in a chat: the message it replies to

    def as_vk(self) -> dict[str, Any]:
        """The message object of a message_new event (callback/objects.json, 5.199)."""
        message: dict[str, Any] = {
            "date": self.date,
            "from_id": self.from_id,
            "id": self.message_id,
            "version": self.message_id,
            "out": 0,
            "attachments": list(self.attachments),
            "conversation_message_id": self.conversation_message_id,
            "fwd_messages": [],
            "important": False,
            "is_hidden": False,
            "peer_id": self.peer_id,
            "random_id": 0,
            "text": self.text,
        }
        for key in ("payload", "ref", "ref_source"):
            if getattr(self, key) is not None:
                message[key] = getattr(self, key)
        return message


@dataclass(frozen=True)
class SentRecord:
    random_id: int
    message_id: int
    conversation_message_id: int
    at: float


@dataclass
class Dialog:
    """One peer's conversation with the community, both directions, in order."""

    peer_id: int
    depth: int
    messages: list[BotMessage | MemberMessage] = field(default_factory=list)
    next_cmid: int = 1
    recent_sends: deque[SentRecord] = field(init=False)

    def __post_init__(self) -> None:
        self.recent_sends = deque(maxlen=self.depth)

    def take_cmid(self) -> int:
        cmid = self.next_cmid
        self.next_cmid += 1
        return cmid

    def repeated(self, random_id: int, now: float, ttl_s: float) -> SentRecord | None:
        """The earlier send with this random_id, if VK would still drop a repeat of it."""
        if random_id == 0:
            return None  # [U] 0 is VK's "no de-duplication"; our adapter never sends it
        for record in self.recent_sends:
            if record.random_id == random_id and now - record.at < ttl_s:
                return record
        return None

    def bot_messages(self) -> list[BotMessage]:
        return [m for m in self.messages if isinstance(m, BotMessage)]

    def find_bot_message(self, message_id: int | None, cmid: int | None) -> int | None:
        """Index in `messages` of the community's message with that id or cmid."""
        for index, message in enumerate(self.messages):
            if not isinstance(message, BotMessage):
                continue
            if message.message_id == message_id or message.conversation_message_id == cmid:
                return index
        return None
