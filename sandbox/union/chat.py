"""What a member sees of a bot, the same for every platform, and the driver seam.

A driver adapts one emulator's member actions to the union: it registers accounts, turns
the bot's accepted messages into ChatLines, and performs a member's presses, replies,
reads and blocks. Drivers raise ActionError when the platform would not allow an action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .population import Account, Person


class ActionError(Exception):
    """A member action the platform refused (e.g. pressing a button no longer shown)."""


@dataclass(frozen=True)
class Button:
    """One thing a member can press: an inline/callback button, a reply button, a poll option.

    kind "callback": TG callback_data / VK callback payload; "text": a button that sends its
    label (TG reply keyboard, VK text button) or its ActionBody (Viber); "poll": an option of
    a poll (TG option index, VK answer id).
    """

    label: str
    kind: str
    value: str


@dataclass(frozen=True)
class ChatLine:
    """One message of the bot as the member sees it."""

    platform: str
    member: str  # the member's id on that platform, as text
    ref: str  # message_id (Telegram, VK) or message_token (Viber)
    text: str
    buttons: tuple[Button, ...] = ()
    poll_id: str | None = None
    media: str | None = None  # "document leaflet.pdf", "photo", a media URL

    @property
    def options(self) -> tuple[Button, ...]:
        """The poll's options (empty unless the message is a poll)."""
        return tuple(b for b in self.buttons if b.kind == "poll")

    @property
    def pressable(self) -> tuple[Button, ...]:
        """The buttons that are not poll options."""
        return tuple(b for b in self.buttons if b.kind != "poll")


Hear = Callable[[ChatLine], None]


class Driver(Protocol):
    """One platform as the union's members use it."""

    platform: str

    def register(self, person: Person, account: Account) -> None: ...

    async def settle(self) -> None: ...

    def listen(self, hear: Hear) -> None: ...

    def chat(self, member: str) -> list[ChatLine]: ...

    def start(self, member: str, code: str | None) -> None: ...

    def say(self, member: str, text: str) -> None: ...

    def press(self, line: ChatLine, button: Button) -> None: ...

    def delivered(self, line: ChatLine) -> bool: ...

    def read(self, line: ChatLine) -> bool: ...

    def block(self, member: str) -> None: ...

    def stats(self) -> dict[str, Any]: ...
