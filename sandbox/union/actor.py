"""A member acting on one messenger: what tests, the console and a trainer call."""

from __future__ import annotations

from collections.abc import Callable

from .chat import ActionError, Button, ChatLine, Driver
from .population import Person


class Actor:
    """One member's account on one platform; every action raises ActionError if refused."""

    def __init__(
        self,
        person: Person,
        platform: str,
        external_id: str,
        driver: Driver,
        on_state: Callable[[str, str, str], None],
    ) -> None:
        self.person = person
        self.platform = platform
        self.external_id = external_id
        self._driver = driver
        self._on_state = on_state

    def __repr__(self) -> str:
        return f"<Actor {self.person.full_name} {self.platform}:{self.external_id}>"

    def chat(self) -> list[ChatLine]:
        """The bot's messages to this member, oldest first."""
        return self._driver.chat(self.external_id)

    def start(self, invite: str | None = None) -> None:
        """Join: Telegram /start with the invite, VK allow messages (ref), Viber open the chat."""
        self._driver.start(self.external_id, invite)
        self._on_state(self.platform, self.external_id, "active")

    def say(self, text: str) -> None:
        self._driver.say(self.external_id, text)

    def last_with_buttons(self, *, poll: bool = False) -> ChatLine:
        for line in reversed(self.chat()):
            if line.options if poll else line.pressable:
                return line
        raise ActionError("no poll to vote in" if poll else "no message with buttons")

    def press(self, choice: int | str, line: ChatLine | None = None) -> Button:
        """Press a button of `line` (default: the latest message with buttons) by number
        (1-based) or label; returns the button."""
        line = line or self.last_with_buttons()
        button = _choose(line.pressable, choice)
        self._driver.press(line, button)
        return button

    def vote(self, choice: int | str, line: ChatLine | None = None) -> Button:
        """Choose an option (1-based number or text) of the latest poll, or of `line`.

        VK and Viber polls are buttons: without a native poll this presses button `choice`.
        """
        try:
            line = line or self.last_with_buttons(poll=True)
        except ActionError:
            if self.platform == "telegram":
                raise
            return self.press(choice)
        button = _choose(line.options, choice)
        self._driver.press(line, button)
        return button

    def read(self) -> int:
        """Read everything (Viber delivered + seen, VK message_read); how many receipts."""
        lines = self.chat()
        if self.platform == "vk":
            lines = lines[-1:]  # message_read covers every earlier message
        return sum(int(self._driver.read(line)) for line in lines)

    def block(self) -> None:
        """Block the bot (Telegram), deny messages (VK), unsubscribe (Viber)."""
        self._driver.block(self.external_id)
        self._on_state(self.platform, self.external_id, "left")


def _choose(buttons: tuple[Button, ...], choice: int | str) -> Button:
    if not buttons:
        raise ActionError("nothing to press there")
    if isinstance(choice, int) or choice.isdigit():
        number = int(choice)
        if not 1 <= number <= len(buttons):
            raise ActionError(f"choose 1 to {len(buttons)}")
        return buttons[number - 1]
    for button in buttons:
        if button.label.casefold() == choice.casefold():
            return button
    raise ActionError(f"no button {choice!r}")
