"""The demo's press secretary: the leaflet goes out through the real /post dialogue in the
emulated Telegram — /post, the leaflet as a document with its caption, "Весь регион",
"Сейчас", the preview, "Отправить" — while `rupor run` handles it; a short transcript."""

from __future__ import annotations

import asyncio
import re
import time
from importlib import resources
from typing import Any

from bots.suite import Suite
from core.access.grants import grant
from core.access.rules import Role
from core.config import Settings
from core.sending.split import shortened
from core.storage.engine import create_engine
from sandbox.runner import TELEGRAM_TOKEN, Sandbox

WAIT_S = 60.0
STEP_S = 0.05


async def post_through_chat(sandbox: Sandbox, settings: Settings, caption: str,
                            say: Any) -> int:
    """Run the dialogue against a running suite; the campaign's number."""
    telegram = sandbox.telegram
    secretary = telegram.add_user(first_name="Ольга", last_name="Пресс-секретарь")
    telegram.start_bot(TELEGRAM_TOKEN, secretary)
    engine = create_engine(settings.database.url)
    try:
        async with engine.begin() as conn:
            await grant(conn, "telegram", str(secretary), Role.PRESS, "demo")
    finally:
        await engine.dispose()
    stop = asyncio.Event()
    suite = asyncio.create_task(Suite(settings).run(stop))
    try:
        chat = Chat(sandbox, secretary, say)
        await chat.settled()  # the greeting of their /start, before the dialogue is shown
        await chat.act("/post", lambda: telegram.send_text(TELEGRAM_TOKEN, secretary, "/post"),
                       "Пришлите текст")
        leaflet = (resources.files("bots") / "assets" / "leaflet.pdf").read_bytes()
        await chat.act(f"[листовка leaflet.pdf] {caption}", lambda: telegram.send_document(
            TELEGRAM_TOKEN, secretary, "leaflet.pdf", leaflet, caption), "Кому отправить")
        await chat.press("Весь регион", "Когда отправить")
        await chat.press("Сейчас", "Отправить?")
        done = await chat.press("✅ Отправить", "Рассылка №")
    finally:
        stop.set()
        await suite
    found = re.search(r"№(\d+)", done)
    assert found is not None, done
    return int(found.group(1))


class Chat:
    """The press secretary's side of the chat, printed as it goes."""

    def __init__(self, sandbox: Sandbox, user_id: int, say: Any) -> None:
        self.telegram, self.user_id, self.say = sandbox.telegram, user_id, say

    def log(self) -> list[dict[str, Any]]:
        return self.telegram.chat_log(TELEGRAM_TOKEN, self.user_id)

    async def settled(self) -> None:
        deadline = time.monotonic() + WAIT_S
        while not self.log() and time.monotonic() < deadline:
            await asyncio.sleep(STEP_S)

    async def act(self, shown: str, action: Any, expect: str) -> str:
        self.say(f"  Пресс-секретарь: {shown}")
        before = len(self.log())
        action()
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            new = self.log()[before:]
            if any(expect in _text(m) for m in new):
                for message in new:
                    self._show(message)
                return next(_text(m) for m in new if expect in _text(m))
            await asyncio.sleep(STEP_S)
        raise RuntimeError(f"the bot did not answer {shown!r} in {WAIT_S:.0f} s")

    async def press(self, label: str, expect: str) -> str:
        message = next(m for m in reversed(self.log()) if m.get("reply_markup"))
        button = next(b for row in message["reply_markup"]["inline_keyboard"] for b in row
                      if b["text"].startswith(label))
        return await self.act(f"[{button['text']}]", lambda: self.telegram.press_button(
            TELEGRAM_TOKEN, self.user_id, message["message_id"], button["callback_data"]),
            expect)

    def _show(self, message: dict[str, Any]) -> None:
        if "poll" in message:  # the /poll preview: Telegram's own poll
            poll = message["poll"]
            options = [option["text"] for option in poll.get("options", [])]
            self.say(f"  Бот: [опрос] {poll.get('question', '')}  {options}")
            return
        if "document" in message:
            self.say(f"  Бот: [листовка {message['document'].get('file_name', '')}] "
                     f"{shortened(_text(message), 70)}")
            return
        first = _text(message).splitlines()[0] if _text(message) else ""
        buttons = [b["text"] for row in (message.get("reply_markup") or {}).get(
            "inline_keyboard", []) for b in row]
        self.say(f"  Бот: {shortened(first, 90)}" + (f"  {buttons}" if buttons else ""))
        for line in _text(message).splitlines()[1:]:
            self.say(f"       {shortened(line, 90)}")


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")
