"""The press secretary's side of the chat benchmark, inside the Telegram emulator's process
(bench.platforms loads it when the spec has "probe"): registered accounts that write
commands to the bot on request, and the time from each command entering the emulator's
update queue (a waiting getUpdates returns it at once) to the bot's answer accepted in that
chat — both read from this process's clock, so no clock is compared across processes.

    POST /__bench/ask {"user_id": N, "text": "/plan"}   the account writes to the bot
                                   ({"ok": false} while its last command is unanswered)
    GET  /__bench/answers                               [{user_id, text, latency_s}, ...]
    GET  /__bench/first_after?at=EPOCH&marker=TEXT      wall time of the first bot message
                          containing TEXT accepted at or after EPOCH (or null)
"""

from __future__ import annotations

import bisect
import time
from array import array
from typing import Any

from aiohttp import web


class Probe:
    """Commands asked, answers timed; every bot message's wall time (for first sends)."""

    def __init__(self, emulator: Any, token: str, users: list[int]) -> None:
        self.emulator, self.token, self.users = emulator, token, set(users)
        self.asked: dict[int, tuple[float, str]] = {}  # user -> (monotonic, command)
        self.answers: list[dict[str, Any]] = []
        self.accepted = array("d")  # wall times of accepted bot messages, in order
        self.texts: list[str] = []  # their texts (or captions), in the same order

    def on_message(self, message: Any) -> None:
        self.accepted.append(time.time())
        self.texts.append(message.text or "")
        asked = self.asked.pop(message.chat_id, None)
        if asked is not None:
            self.answers.append({"user_id": message.chat_id, "text": asked[1],
                                 "latency_s": time.monotonic() - asked[0]})

    async def ask(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id, text = int(body["user_id"]), str(body["text"])
        if user_id not in self.users:
            raise web.HTTPBadRequest(text=f"user {user_id} is not a probe account")
        if user_id in self.asked:
            return web.json_response({"ok": False})
        self.asked[user_id] = (time.monotonic(), text)
        self.emulator.send_text(self.token, user_id, text)
        return web.json_response({"ok": True})

    async def answered(self, _request: web.Request) -> web.Response:
        return web.json_response(self.answers)

    async def first_after(self, request: web.Request) -> web.Response:
        at, marker = float(request.query["at"]), request.query.get("marker", "")
        index = bisect.bisect_left(self.accepted, at)
        found = next((self.accepted[i] for i in range(index, len(self.accepted))
                      if marker in self.texts[i]), None)
        return web.json_response({"first": found})


def add_probe(emulator: Any, token: str, users: list[int]) -> Probe:
    """Register and start the probe accounts and serve the probe's routes. (The members'
    /start updates stay queued: bench.chat drops them through the Bot API first.)"""
    for user_id in users:
        emulator.add_user(user_id, first_name="Пресс-секретарь")
        emulator.start_bot(token, user_id)
    probe = Probe(emulator, token, users)
    emulator.add_bot_message_listener(probe.on_message)
    emulator.app.router.add_post("/__bench/ask", probe.ask)
    emulator.app.router.add_get("/__bench/answers", probe.answered)
    emulator.app.router.add_get("/__bench/first_after", probe.first_after)
    return probe
