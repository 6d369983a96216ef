"""The union's members on the VK emulator (dialogs with one community)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.vk import BotMessage, VkEmulator

from .chat import ActionError, Button, ChatLine, Hear
from .population import Account, Person

CHAT_PEER_START = 2_000_000_000  # peer ids of group chats start here (VK messages docs)


def vk_line(message: BotMessage) -> ChatLine:
    """A ChatLine from the community's message in a member's dialog."""
    buttons = list(_buttons(message.keyboard or {}))
    poll_id: str | None = None
    media: list[str] = []
    for attachment in message.attachments:
        kind = attachment["type"]
        if kind == "poll":
            poll = attachment["poll"]
            poll_id = str(poll["id"])
            buttons += [Button(a["text"], "poll", str(a["id"])) for a in poll["answers"]]
        elif kind == "doc":
            media.append(f"document {attachment['doc'].get('title', '')}".strip())
        else:
            media.append(kind)
    return ChatLine(
        platform="vk",
        member=str(message.peer_id),
        ref=str(message.message_id),
        text=message.text,
        buttons=tuple(buttons),
        poll_id=poll_id,
        media=", ".join(media) or None,
    )


def _buttons(keyboard: Mapping[str, Any]) -> Iterable[Button]:
    for row in keyboard.get("buttons", []):
        for button in row:
            action = button["action"]
            if action["type"] == "text":
                yield Button(action["label"], "text", action["label"])
            elif action["type"] == "callback":
                yield Button(action["label"], "callback", action["label"])


class VkDriver:
    """Members of the emulated community."""

    platform = "vk"

    def __init__(self, emulator: VkEmulator) -> None:
        self.emulator = emulator
        self.members: set[int] = set()
        # message_read says "read up to"; reading an older message again tells nothing.
        self._read_up_to: dict[int, int] = {}

    def register(self, person: Person, account: Account) -> None:
        """Allowed messages long ago, or denied them since, or deleted the page."""
        user_id = int(account.external_id)
        allowed = account.state in ("active", "deactivated")
        self.emulator.register_user(
            user_id, person.name.first, person.name.surname, allowed=allowed
        )
        self.members.add(user_id)
        if account.state == "deactivated":
            self.emulator.delete_user(user_id)

    async def settle(self) -> None:
        """Registering made no events: nothing to forget."""

    def listen(self, hear: Hear) -> None:
        def on_message(message: BotMessage) -> None:
            if message.peer_id < CHAT_PEER_START and message.peer_id in self.members:
                hear(vk_line(message))

        self.emulator.add_bot_message_listener(on_message)

    def chat(self, member: str) -> list[ChatLine]:
        return [vk_line(m) for m in self.emulator.dialog(int(member))]

    def start(self, member: str, code: str | None) -> None:
        """Allow messages, as from a vk.me link whose ref is `code`."""
        self._act(self.emulator.allow_messages, int(member), code or "")

    def say(self, member: str, text: str) -> None:
        self._act(self.emulator.write, int(member), text)

    def press(self, line: ChatLine, button: Button) -> None:
        user_id = int(line.member)
        if button.kind == "poll":
            if line.poll_id is None:
                raise ActionError("that message has no poll")
            self._act(self.emulator.vote, user_id, int(line.poll_id), [int(button.value)])
        elif button.kind == "callback":
            try:
                self.emulator.press_callback_button(
                    user_id, label=button.label, message_id=int(line.ref)
                )
            except (LookupError, ValueError) as exc:
                raise ActionError(str(exc)) from exc
        else:
            self._act(self.emulator.press_text_button, user_id, button.label)

    def delivered(self, line: ChatLine) -> bool:
        return False  # VK reports reading only

    def read(self, line: ChatLine) -> bool:
        user_id, message_id = int(line.member), int(line.ref)
        if message_id <= self._read_up_to.get(user_id, 0):
            return False
        self._act(self.emulator.read, user_id, message_id)
        self._read_up_to[user_id] = message_id
        return True

    def block(self, member: str) -> None:
        self._act(self.emulator.deny_messages, int(member))

    def stats(self) -> dict[str, Any]:
        return self.emulator.stats()

    @staticmethod
    def _act(action: Any, *args: Any) -> None:
        try:
            action(*args)
        except (LookupError, ValueError) as exc:
            raise ActionError(str(exc)) from exc
