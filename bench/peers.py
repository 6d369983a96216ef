"""2. Against peers: the same 900 Telegram chats on the same emulator (a fresh emulator
process per contestant, so one's 429 windows never slow the next), one after another:

- Rupor: the Telegram adapter and the core's ChannelSender, from a real SQLite run;
- the aiogram tutorial loop: send, sleep 0.05 s, on TelegramRetryAfter sleep and retry;
- aiogram-broadcaster 0.6.8 as its README's example uses it: Broadcaster(bot),
  create_mailer(chats=..., content=...), mailer.start(), every default kept (no interval,
  no storage: failures are logged and skipped, not retried).

Goal: Rupor at least 2x faster than the tutorial loop, every message delivered, zero
requests inside retry_after windows — judged with every answer of the emulator 25 ms late
(its latency_s knob; the limits stay the defaults), as a real server's round trip would be:
the goal's "the loop reaches about 13.7/s" assumes one. Full mode also runs the three on
plain loopback, as a reference.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from bench.db import Cohort, fresh_database, populate, prepare_run
from bench.harness import Context, Figure, figure, note, rounded
from bench.platforms import TELEGRAM_TOKEN, Platforms
from bench.wiring import Rupor, settings_for

TEXT = "Информационный листок за декабрь: индексация зарплаты и отпуск 56 дней."
FIRST_ID = 100_000
GOAL_SPEEDUP = 2.0
LATENCY_S = 0.025  # an answer 25 ms later, as from a server a few hundred km away
Contestant = Callable[[Context, Platforms, list[int]], Awaitable[float]]


async def rupor(ctx: Context, platforms: Platforms, chats: list[int]) -> float:
    """Seconds from the sender's start until every delivery is recorded."""
    directory = ctx.subdir("peers-rupor")
    url = await fresh_database(directory)
    await populate(url, [Cohort("telegram", len(chats), FIRST_ID, "T")])
    wired = await Rupor.open(settings_for(url, platforms, ["telegram"]))
    try:
        await prepare_run(wired.engine, wired.capabilities(), text=TEXT)
        sent = await wired.send_all({"telegram": len(chats)})
    finally:
        await wired.close()
    return sent.elapsed_s.get("telegram", float("nan"))


def _bot(platforms: Platforms) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(platforms.base("telegram")))
    return Bot(TELEGRAM_TOKEN, session=session)


async def tutorial_loop(ctx: Context, platforms: Platforms, chats: list[int]) -> float:
    """The loop most aiogram broadcast tutorials show."""
    bot = _bot(platforms)
    began = time.perf_counter()
    try:
        for chat in chats:
            while True:
                try:
                    await bot.send_message(chat, TEXT)
                    break
                except TelegramRetryAfter as exc:
                    await asyncio.sleep(exc.retry_after)
                except TelegramAPIError:
                    break  # blocked, deactivated, not found: skip the chat
            await asyncio.sleep(0.05)
        return time.perf_counter() - began
    finally:
        await bot.session.close()


async def aiogram_broadcaster(ctx: Context, platforms: Platforms, chats: list[int]) -> float:
    """aiogram_broadcaster 0.6.8 with its defaults, as in its README's example."""
    from aiogram_broadcaster import Broadcaster
    from aiogram_broadcaster.contents import TextContent

    bot = _bot(platforms)
    try:
        broadcaster = Broadcaster(bot)
        mailer = await broadcaster.create_mailer(chats=chats, content=TextContent(text=TEXT))
        began = time.perf_counter()
        await mailer.start()
        return time.perf_counter() - began
    finally:
        await bot.session.close()


CONTESTANTS: dict[str, Contestant] = {
    "rupor": rupor,
    "aiogram tutorial loop": tutorial_loop,
    "aiogram-broadcaster 0.6.8": aiogram_broadcaster,
}


async def contest(ctx: Context, name: str, chats: list[int], latency_s: float
                  ) -> dict[str, Any]:
    directory = ctx.subdir(f"peers-{name.split()[0]}-{latency_s}")
    spec = {"telegram": {"users": len(chats), "first_id": FIRST_ID, "latency_s": latency_s}}
    platforms = await Platforms.start(spec, directory / "emulators.log")
    try:
        wall = await CONTESTANTS[name](ctx, platforms, chats)
        summary = await platforms.summary("telegram", messages=30, requests=30)
    finally:
        await platforms.close()
    stats = summary["stats"]
    by_chat = stats.get("accepted_messages_by_chat", {})
    chats_reached = by_chat.get("entries", len(by_chat)) if isinstance(by_chat, dict) else 0
    note(f"peers/{name}: {wall:.1f} s")
    return {"wall_s": wall, "delivered": int(stats["accepted_messages_total"]),
            "chats_reached": int(chats_reached), "429s": int(stats["rate_limited"]),
            "violations": int(stats["violations"]),
            "requests": int(summary["requests"]["count"])}


def _figures(results: dict[str, dict[str, Any]], chats: int, latency_s: float
             ) -> list[Figure]:
    base = results["rupor"]["wall_s"]
    tutorial = results["aiogram tutorial loop"]["wall_s"]
    made = []
    for name, found in results.items():
        ratio = found["wall_s"] / base if base else None
        common = {**found, "chats": chats, "wall_s": rounded(found["wall_s"], 2),
                  "wall_ratio_to_rupor": rounded(ratio, 2), "added_latency_ms": latency_s * 1000}
        case = name if not latency_s else f"{name}, {latency_s * 1000:.0f} ms latency"
        versus = "" if name == "rupor" else f" ({ratio:.2f}x Rupor's)"
        shown = (f"{found['wall_s']:.1f} s{versus}, {found['delivered']}/{chats} "
                 f"delivered, {found['429s']} 429s, {found['violations']} violations")
        if name == "rupor":
            speedup = tutorial / base if base else 0.0
            complete = found["chats_reached"] == chats and found["violations"] == 0
            # The goal's premise is a real round trip (the loop at ~13.7/s); on loopback the
            # loop makes ~18.8/s and 30/s can be at most 1.6x it: a reference, not judged.
            met: bool | None = speedup >= GOAL_SPEEDUP and complete
            if not latency_s:
                met = None if complete else False
            made.append(figure("peers", case, f">= {GOAL_SPEEDUP}x faster than the tutorial "
                               "loop with a real round trip, all delivered, 0 violations", met,
                               speedup_vs_tutorial=rounded(speedup, 2), **common,
                               summary=f"{shown}; {speedup:.2f}x faster than the tutorial loop"))
        else:
            made.append(figure("peers", case, "reference (no goal of its own)", None,
                               **common, summary=shown))
    return made


async def run(ctx: Context) -> None:
    count = int(ctx.mode.pick(30, 90, 900))
    chats = list(range(FIRST_ID, FIRST_ID + count))
    # Loopback answers in milliseconds; the real api.telegram.org is tens of ms away, which
    # slows a send-then-sleep loop but not a pipelined sender (full mode shows both).
    for latency_s in ctx.mode.pick([0.0], [LATENCY_S], [0.0, LATENCY_S]):
        results = {name: await contest(ctx, name, chats, latency_s) for name in CONTESTANTS}
        for made in _figures(results, count, latency_s):
            ctx.emit(made)
