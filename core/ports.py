"""What core needs from a messenger: the Channel port and the messages that cross it.

Adapters in bots/ implement Channel and translate platform payloads into these frozen
dataclasses; nothing platform-specific crosses into core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple, Protocol


@dataclass(frozen=True)
class Capabilities:
    max_recipients_per_call: int  # TG 1, VK 100 (peer_ids), Viber 300 (broadcast_message)
    calls_per_second: float  # TG 30 msgs/s per bot (a setting), VK 20 req/s, Viber 50 req/s
    per_chat_interval_s: float  # TG 1.0; 0 when the platform has no per-chat limit
    per_group_interval_s: float  # TG 3.0 (20/min)
    native_polls: bool  # TG yes; VK and Viber: keyboard buttons
    delivery_receipts: bool  # Viber delivered/failed
    read_receipts: bool  # Viber seen, VK message_read
    group_chats: bool  # TG, VK yes; Viber no
    max_text_len: int  # TG 4096, VK 9000, Viber 7000
    max_caption_len: int  # TG 1024; 0 when the file and the text always travel apart
    media_by_url_only: bool  # Viber: media must be a public URL we serve
    text_format: Literal["html", "plain"] = "plain"
    # The platform drops a repeated send with the same key (VK random_id), so a send whose
    # answer was lost can always be repeated without a duplicate.
    idempotent_sends: bool = False
    # The largest document and the largest picture the channel can send, in bytes (0: no
    # stated limit). A picture above the platform's photo limit counts as the document it
    # is sent as where the adapter falls back (Telegram, Viber). Sources in bots/*/.
    max_file_bytes: int = 0
    max_image_bytes: int = 0
    # Requests per window when the platform states its limit over a longer window
    # (Viber: 500 per 10 s); calls_per_second still bounds every 1-second window.
    window_calls: int = 0
    window_s: float = 0.0
    # The platform can change a message already sent (Telegram, VK); the channel then is a
    # MessageEditor too. Viber cannot: its keyboard belongs to the chat's latest message.
    edits_messages: bool = False
    # Group chats may be divided into topics (Telegram forum supergroups); the channel then
    # is a ForumTopics too, and `Outbound.thread` names the topic a message goes to.
    forum_topics: bool = False


class Status(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked us to wait: pause the channel
    BLOCKED = "blocked"  # blocked the bot, deactivated or deleted
    UNSUBSCRIBED = "unsubscribed"  # no permission to write (VK 901, Viber 6)
    # The platform knows no such user or chat: a wrong id in our list, not a member who
    # blocked the bot (Telegram "chat not found", VK 113/936, Viber 5 receiverNotRegistered).
    WRONG_ID = "wrong_id"
    INVALID = "invalid"  # our request was wrong: never retried
    FAILED = "failed"  # transient: retried with backoff
    UNCERTAIN = "uncertain"  # may have reached the platform (a read timeout)
    # The topic `Outbound.thread` names is gone (deleted from the group chat): only messages
    # to a topic can end so (Telegram "message thread not found").
    THREAD_GONE = "thread_gone"


class DeliveryResult(NamedTuple):
    """One recipient's outcome of a send (a tuple: adapters make one per recipient, up to
    15,000 a second for Viber, where a frozen dataclass costs several times more)."""

    recipient: str
    status: Status
    platform_message_id: str | None = None
    retry_after: float | None = None
    error: str | None = None
    media_ref: str | None = None  # a file handle the send created (Telegram file_id)


@dataclass(frozen=True)
class Span:
    """A run of text with the markup subset Rupor supports: bold, italic, link."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None


@dataclass(frozen=True)
class Button:
    """A button under a message: a link (url) or a reply the member sends back (payload)."""

    text: str
    url: str | None = None
    payload: str | None = None


@dataclass(frozen=True)
class MediaFile:
    """A leaflet or picture; `ref` is this channel's reusable handle once there is one."""

    media_id: int
    sha256: str
    filename: str
    mime: str
    size: int
    ref: str | None = None
    content: bytes | None = field(default=None, repr=False)

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


@dataclass(frozen=True)
class Outbound:
    """One message to one or more identical recipients.

    `key` identifies the message part across re-sends (VK derives random_id from it).
    With media, `text` is its caption unless `caption_separate` says it goes after the file.
    """

    key: str
    text: tuple[Span, ...] = ()
    media: MediaFile | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    caption_separate: bool = False
    # A topic of the group chat (Capabilities.forum_topics); other channels ignore it.
    thread: str | None = None


@dataclass(frozen=True)
class MessageEdit:
    """New content for a message the channel sent earlier (`message_id` as its send or the
    member's button press gave it): the text replaced, the buttons replaced or removed."""

    message_id: str
    text: tuple[Span, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    # The message is a native poll to close (Telegram stopPoll) rather than text to change;
    # a poll closed already counts as done.
    stops_poll: bool = False


@dataclass(frozen=True)
class OutboundPoll:
    key: str
    poll_id: int
    question: str
    options: tuple[str, ...]
    allows_multiple: bool = False


@dataclass(frozen=True)
class PollSent:
    """Where a poll landed for one recipient, so votes can be matched to it."""

    recipient: str
    result: DeliveryResult
    platform_poll_id: str | None = None


# Inbound events: a small closed set; `event_id` is the platform's id for de-duplication.


@dataclass(frozen=True)
class Sender:
    channel: str
    external_id: str
    display_name: str = ""
    is_group: bool = False


@dataclass(frozen=True)
class Subscribed:
    event_id: str
    sender: Sender
    invite: str | None = None  # the organisation code carried by an invite link


@dataclass(frozen=True)
class Unsubscribed:
    event_id: str
    sender: Sender
    reason: str = "unsubscribed"  # unsubscribed | blocked


@dataclass(frozen=True)
class Text:
    event_id: str
    sender: Sender
    text: str
    reply_to: str | None = None  # platform message id this answers (staff group replies)
    author_id: str | None = None  # who wrote it inside a group chat
    # A file the member sent, as "<channel>:<kind>:<platform handle>" (telegram:photo:<file_id>,
    # vk:doc:<owner_id>_<id>, viber:picture:<url>); `text` then describes it for the staff.
    attachment: str | None = None
    caption: str | None = None  # with a file: the sender's own words, without the description
    file_name: str | None = None  # with a document: its name as the sender's client gave it
    forwarded: bool = False  # forwarded from elsewhere (Telegram forward_origin, VK fwd_messages)
    sender_chat: str | None = None  # written on behalf of a chat (Telegram sender_chat)
    # With a file: where the platform said it can be downloaded, when the event carries that
    # (VK doc.url, a photo's largest sizes[].url); Telegram's file_id needs getFile instead.
    file_url: str | None = None
    # In a group chat divided into topics: the topic it was written in (Telegram
    # message_thread_id of a topic message), when it is not the chat's general one.
    thread: str | None = None
    # In a group chat: this message's own id there (the staff bridge quotes replies by it).
    message_id: str | None = None
    # A new version of a message already sent (Telegram edited_message, VK message_edit);
    # `message_id` then names the message that changed.
    edited: bool = False
    # One of several files sent together as an album (Telegram media_group_id).
    media_group: str | None = None
    # A message with several files in it (VK: photos and documents of one message): each of
    # them, in order, as (reference, download URL or "", name or ""); the first is also in
    # attachment/file_url/file_name. Empty for a message with one file or none.
    files: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Command:
    event_id: str
    sender: Sender
    name: str  # without the slash, lower case
    args: str = ""
    forwarded: bool = False  # a forwarded command is never obeyed (core.access)
    author_id: str | None = None  # who wrote it inside a group chat (the staff chat)
    sender_chat: str | None = None  # an anonymous group admin or a channel (Telegram)
    # In a group chat divided into topics: the topic it was written in (as Text.thread).
    thread: str | None = None


@dataclass(frozen=True)
class ButtonPress:
    event_id: str
    sender: Sender
    payload: str
    message_id: str | None = None
    callback_id: str | None = None  # TG callback_query id / VK event_id to acknowledge
    presser_id: str | None = None  # the account that pressed, when the platform says (TG, VK)


@dataclass(frozen=True)
class PollAnswer:
    event_id: str
    sender: Sender
    platform_poll_id: str
    option_ids: tuple[int, ...]


@dataclass(frozen=True)
class Receipt:
    event_id: str
    sender: Sender
    platform_message_id: str
    kind: Literal["delivered", "read"]
    # VK message_read means every message up to this id was read.
    up_to: bool = False


InboundEvent = Subscribed | Unsubscribed | Text | Command | ButtonPress | PollAnswer | Receipt
EventHandler = Callable[[InboundEvent], Awaitable[None]]


class ChannelError(Exception):
    """An adapter-wide fault (bad token, platform down for everyone): the batch is not sent."""


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    async def start(self, on_event: EventHandler) -> None: ...

    async def close(self) -> None: ...

    async def send(self, to: Sequence[str], msg: Outbound) -> list[DeliveryResult]: ...

    async def send_poll(self, to: Sequence[str], poll: OutboundPoll) -> list[PollSent]: ...

    async def prepare_media(self, media: MediaFile) -> str | None:
        """A reusable ref for the file, or None when the first send creates it (Telegram)."""
        ...


class MessageEditor(Protocol):
    """What a Channel whose capabilities say `edits_messages` offers besides sending."""

    async def edit(self, recipient: str, change: MessageEdit) -> DeliveryResult:
        """Change one message in the recipient's chat; SENT when it shows the change."""
        ...


class FileUnavailable(Exception):
    """A file a person sent could not be fetched from the platform (gone, too big, refused)."""


class FileFetcher(Protocol):
    """What a Channel that can read files people send it offers besides sending."""

    async def fetch_file(self, ref: str, url: str | None = None) -> bytes:
        """The bytes behind an event's `attachment` ("<channel>:<kind>:<handle>"), or its
        `file_url` when given; raises FileUnavailable when the platform will not give them."""
        ...


class ForumTopics(Protocol):
    """What a Channel whose capabilities say `forum_topics` offers besides sending."""

    async def is_forum(self, chat: str) -> bool | None:
        """Whether the group chat is divided into topics now (None: could not ask)."""
        ...

    async def create_topic(self, chat: str, name: str) -> DeliveryResult:
        """A new topic: SENT with its thread id as `platform_message_id`, else why not."""
        ...


class StateStore(Protocol):
    """Small durable values an adapter keeps between runs (VK long-poll ts)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...
