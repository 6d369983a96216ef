"""The union's members on the Viber emulator (one bot account)."""

from __future__ import annotations

import re
from typing import Any

from sandbox.viber import BotMessage, ViberEmulator

from .chat import ActionError, Button, ChatLine, Hear
from .population import Account, Person

_TAG = re.compile(r"<[^>]+>")


def viber_line(message: BotMessage, *, shown: bool = True) -> ChatLine:
    """A ChatLine from a bot message; its reply buttons only while its keyboard is `shown`.

    Viber shows the keyboard of the latest bot message only (keyboards doc).
    """
    buttons = tuple(
        Button(_TAG.sub("", str(b.get("Text") or b["ActionBody"])), "text", b["ActionBody"])
        for b in message.reply_buttons()
    )
    media = None
    if message.type not in ("text", "keyboard"):
        media = f"{message.type} {message.media}" if message.media else message.type
    return ChatLine(
        platform="viber",
        member=message.receiver,
        ref=str(message.message_token),
        text=message.text or "",
        buttons=buttons if shown else (),
        media=media,
    )


class ViberDriver:
    """Subscribers of the emulated bot account."""

    platform = "viber"

    def __init__(self, emulator: ViberEmulator) -> None:
        self.emulator = emulator
        self.members: set[str] = set()
        # A device reports each message delivered and seen once.
        self._reported: set[tuple[str, str, str]] = set()

    def register(self, person: Person, account: Account) -> None:
        """Subscribed long ago (before this bot's webhook: no callback), or left since."""
        user = self.emulator.add_user(
            account.external_id, name=f"{person.name.first} {person.name.surname}"
        )
        self.members.add(user.id)
        if account.state == "active":
            user.subscribed = True
        elif account.state == "deactivated":
            self.emulator.deactivate(user.id)

    async def settle(self) -> None:
        """Registering queued no callbacks: nothing to forget."""

    def listen(self, hear: Hear) -> None:
        def on_message(message: BotMessage) -> None:
            if message.receiver in self.members:
                hear(viber_line(message))

        self.emulator.add_bot_message_listener(on_message)

    def chat(self, member: str) -> list[ChatLine]:
        log = self._call(self.emulator.chat_log, member)
        last = len(log) - 1
        return [viber_line(m, shown=i == last) for i, m in enumerate(log)]

    def start(self, member: str, code: str | None) -> None:
        """Open the chat (from a deep link whose context is `code`)."""
        self._call(self.emulator.open_conversation, member, code)

    def say(self, member: str, text: str) -> None:
        self._call(self.emulator.send_text, member, text)

    def press(self, line: ChatLine, button: Button) -> None:
        if button.kind != "text":
            raise ActionError("Viber has reply buttons only")
        self._call(self.emulator.press_button, line.member, button.value)

    def delivered(self, line: ChatLine) -> bool:
        return self._report("delivered", line, self.emulator.report_delivered)

    def read(self, line: ChatLine) -> bool:
        self._report("delivered", line, self.emulator.report_delivered)
        return self._report("seen", line, self.emulator.report_seen)

    def _report(self, kind: str, line: ChatLine, report: Any) -> bool:
        key = (kind, line.member, line.ref)
        if key in self._reported:
            return False
        self._call(report, line.member, int(line.ref))
        self._reported.add(key)
        return True

    def block(self, member: str) -> None:
        self._call(self.emulator.unsubscribe, member)

    def stats(self) -> dict[str, Any]:
        return self.emulator.stats()

    @staticmethod
    def _call(action: Any, *args: Any) -> Any:
        try:
            return action(*args)
        except (KeyError, ValueError) as exc:
            raise ActionError(str(exc).strip("'\"")) from exc
