"""The union's channel in the Telegram emulator: a bot posts there only as its admin, by
id or @username; a channel post has sender_chat = the channel and no `from`."""

from __future__ import annotations

import asyncio

import requests

from sandbox.telegram import TelegramEmulator

TOKEN = "123456:channel-test"


async def test_a_bot_posts_to_a_channel_only_as_its_admin() -> None:
    now = [1000.0]  # a clock moved by hand past the 1 message/s per chat
    emulator = TelegramEmulator(clock=lambda: now[0])
    emulator.add_bot(TOKEN)
    base = await emulator.start()
    try:
        channel = emulator.add_channel("Профсоюз — новости", username="profsoyuz_news")

        def send(chat: str) -> dict[str, object]:
            answer = requests.post(f"{base}/bot{TOKEN}/sendMessage",
                                   data={"chat_id": chat, "text": "Листок"}, timeout=5)
            return dict(answer.json())

        refused = await asyncio.to_thread(send, "@profsoyuz_news")
        emulator.add_bot_to_channel(TOKEN, channel)
        by_name = await asyncio.to_thread(send, "@profsoyuz_news")
        now[0] += 5
        by_id = await asyncio.to_thread(send, str(channel))
    finally:
        await emulator.close()

    assert refused["ok"] is False and refused["error_code"] == 403
    assert "not a member of the channel chat" in str(refused["description"])
    assert by_name["ok"] is True and by_id["ok"] is True
    log = emulator.chat_log(TOKEN, channel)
    assert [m["text"] for m in log] == ["Листок", "Листок"]
    assert all("from" not in m and m["sender_chat"]["id"] == channel for m in log)
    assert log[0]["chat"]["type"] == "channel"
