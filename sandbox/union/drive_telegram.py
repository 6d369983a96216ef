"""The union's members on the Telegram emulator (private chats with one bot)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp

from sandbox.telegram import BotMessage, MemberActionError, TelegramEmulator

from .chat import ActionError, Button, ChatLine, Hear
from .population import Account, Person

MEDIA_KINDS = ("document", "photo", "video", "audio", "animation", "voice")


def telegram_line(member: str, message: Mapping[str, Any]) -> ChatLine:
    """A ChatLine from a Message object the bot sent."""
    poll = message.get("poll")
    buttons = list(_buttons(message.get("reply_markup") or {}))
    text = message.get("text", message.get("caption", ""))
    if poll is not None:
        text = poll["question"]
        buttons += [
            Button(option["text"], "poll", str(index))
            for index, option in enumerate(poll["options"])
        ]
    return ChatLine(
        platform="telegram",
        member=member,
        ref=str(message["message_id"]),
        text=text,
        buttons=tuple(buttons),
        poll_id=poll["id"] if poll is not None else None,
        media=_media(message),
    )


def _buttons(markup: Mapping[str, Any]) -> Iterable[Button]:
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if "callback_data" in button:
                yield Button(button["text"], "callback", button["callback_data"])
    for row in markup.get("keyboard", []):
        for button in row:
            label = button["text"] if isinstance(button, Mapping) else str(button)
            yield Button(label, "text", label)


def _media(message: Mapping[str, Any]) -> str | None:
    for kind in MEDIA_KINDS:
        if kind in message:
            name = message[kind].get("file_name") if isinstance(message[kind], Mapping) else None
            return f"{kind} {name}" if name else kind
    return None


class TelegramDriver:
    """Members of one bot (token) on a TelegramEmulator."""

    platform = "telegram"

    def __init__(self, emulator: TelegramEmulator, token: str) -> None:
        self.emulator = emulator
        self.token = token
        self.members: set[int] = set()

    def register(self, person: Person, account: Account) -> None:
        """Create the account; those who joined started the bot (and maybe blocked it since)."""
        user_id = int(account.external_id)
        self.emulator.add_user(user_id, first_name=person.name.first, last_name=person.name.surname)
        self.members.add(user_id)
        if account.state == "unjoined":
            return
        self.emulator.start_bot(self.token, user_id)
        if account.state == "blocked":
            self.emulator.block_bot(self.token, user_id)
        elif account.state == "deactivated":
            self.emulator.deactivate_user(user_id)

    def add_staff_chat(self, title: str, user_ids: list[int]) -> int:
        """A supergroup of the staff with the bot in it; returns its chat id."""
        chat_id = self.emulator.add_group(title, member_ids=user_ids)
        self.emulator.add_bot_to_group(self.token, chat_id, added_by=user_ids[0])
        return chat_id

    async def settle(self) -> None:
        """Forget the updates that registering produced.

        Members joined long before this bot process existed: their /start updates were
        consumed by the earlier system (Telegram keeps updates 24 h at most). The emulator
        has no quiet join, so drop them the way an operator does, with
        deleteWebhook(drop_pending_updates=True) over the Bot API.
        """
        base = self.emulator.base_url
        if base is None:
            raise RuntimeError("start the Telegram emulator before attaching the union")
        url = f"{base}/bot{self.token}/deleteWebhook"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data={"drop_pending_updates": "true"}) as answer,
        ):
            body = await answer.json()
        if not body.get("ok"):
            raise RuntimeError(f"could not drop the join updates: {body}")

    def listen(self, hear: Hear) -> None:
        def on_message(event: BotMessage) -> None:
            if event.token == self.token and event.chat_id in self.members:
                hear(telegram_line(str(event.chat_id), event.message))

        self.emulator.add_bot_message_listener(on_message)

    def chat(self, member: str) -> list[ChatLine]:
        return [telegram_line(member, m) for m in self.emulator.chat_log(self.token, int(member))]

    def start(self, member: str, code: str | None) -> None:
        self._act(self.emulator.start_bot, self.token, int(member), code)

    def say(self, member: str, text: str) -> None:
        self._act(self.emulator.send_text, self.token, int(member), text)

    def press(self, line: ChatLine, button: Button) -> None:
        user_id = int(line.member)
        if button.kind == "poll":
            if line.poll_id is None:
                raise ActionError("that message is not a poll")
            self._act(self.emulator.vote, self.token, user_id, line.poll_id, [int(button.value)])
        elif button.kind == "callback":
            self._act(self.emulator.press_button, self.token, user_id, int(line.ref), button.value)
        else:
            self.say(line.member, button.value)

    def delivered(self, line: ChatLine) -> bool:
        return False  # Telegram tells bots nothing about delivery

    def read(self, line: ChatLine) -> bool:
        return False  # nor about reading

    def block(self, member: str) -> None:
        self._act(self.emulator.block_bot, self.token, int(member))

    def stats(self) -> dict[str, Any]:
        return self.emulator.stats()

    @staticmethod
    def _act(action: Any, *args: Any) -> None:
        try:
            action(*args)
        except (MemberActionError, KeyError, ValueError) as exc:
            raise ActionError(str(exc)) from exc
