"""The demo's young teachers' poll, after the leaflet: the press secretary creates it through
the real /poll dialogue in the emulated Telegram; simulated young teachers vote on all three
messengers (some change their minds, some never answer); the reminder and the closing are
run at once — what the scheduler does at their times — so those who have not voted get the
reminder and the results go to the press secretary; the results table and the chart end it."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.console import show
from bots.demo_chat import Chat
from bots.poll_view import results_view, write_poll_chart
from bots.suite import Suite
from core.access.grants import list_grants
from core.config import Settings
from core.polls.closing import close_poll, remind
from core.polls.results import poll_results
from core.storage.engine import create_engine
from core.storage.poll_tables import Poll
from sandbox.runner import TELEGRAM_TOKEN, Sandbox
from sandbox.union import ActionError, Actor

QUESTION = "Какая дата форума молодых педагогов удобнее?"
OPTIONS = ("10 декабря", "17 декабря", "24 декабря")
ANSWERING, CHANGING = 0.7, 0.15  # shares of the young teachers who answer / then change
WAIT_S, STEP_S = 60.0, 0.1


async def poll_demo(sandbox: Sandbox, settings: Settings, workdir: Path,
                    say: Callable[[str], None]) -> Path:
    """The poll from creation to results, by the demo's press secretary; the chart's path."""
    engine = create_engine(settings.database.url)
    secretary = next(int(g.external_id) for g in await list_grants(engine)
                     if g.channel == "telegram" and g.role == "press")
    stop = asyncio.Event()
    suite = asyncio.create_task(Suite(settings).run(stop))
    try:
        poll_id = await _create(Chat(sandbox, secretary, say), sandbox)
        await _until(lambda: _sent(engine, poll_id), "the poll to be sent")
        voters = _vote(sandbox, await _landings(engine, poll_id))
        say(f"\nМолодые педагоги голосуют: ответили {voters} чел. в трёх мессенджерах, "
            "часть передумала и выбрала другой вариант.")
        await _until(lambda: _counted(engine, poll_id, voters), "the votes to be counted")
        tz = ZoneInfo(settings.scheduler.timezone)
        reminded = await remind(engine, poll_id, datetime.now(UTC), tz)
        say(f"Напоминание (в срок напоминания) ушло {reminded} не проголосовавшим.")
        await close_poll(engine, poll_id, "demo", datetime.now(UTC))
        await _until(lambda: _announced(engine, poll_id), "the results to be announced")
        await _until(lambda: _told(engine, poll_id), "the stops and reminders to be sent")
        say("Опрос закрыт (в срок): опросы в Telegram остановлены, итоги отправлены "
            "пресс-секретарю.")
    finally:
        stop.set()
        await suite
    try:
        found = await poll_results(engine, poll_id)
    finally:
        await engine.dispose()
    show(results_view(found, ZoneInfo(settings.scheduler.timezone)))
    return write_poll_chart(found, workdir / "poll-results.png")


async def _create(chat: Chat, sandbox: Sandbox) -> int:
    telegram, user = sandbox.telegram, chat.user_id
    await chat.act("/poll", lambda: telegram.send_text(TELEGRAM_TOKEN, user, "/poll"),
                   "Напишите вопрос")
    await chat.act(QUESTION, lambda: telegram.send_text(TELEGRAM_TOKEN, user, QUESTION),
                   "Варианты ответа")
    options = "\n".join(OPTIONS)
    await chat.act(options.replace("\n", " / "),
                   lambda: telegram.send_text(TELEGRAM_TOKEN, user, options), "Сколько")
    await chat.press("Один вариант", "анонимный или именной")
    await chat.press("Именной", "Кого спрашиваем")
    await chat.press("Молодые педагоги", "До какого времени")
    await chat.act("завтра в 18:00", lambda: telegram.send_text(
        TELEGRAM_TOKEN, user, "завтра в 18:00"), "Напомнить")
    await chat.act("завтра в 10:00", lambda: telegram.send_text(
        TELEGRAM_TOKEN, user, "завтра в 10:00"), "Когда отправить")
    await chat.press("Сейчас", "Так опрос увидят")
    done = await chat.press("✅ Создать опрос", "Опрос №")
    return int(done.split("№", 1)[1].split()[0])


def _vote(sandbox: Sandbox, landed: list[tuple[str, str, int | None]]) -> int:
    """Scripted young teachers: one account per person; some answer, some change."""
    rng, seen, voters = random.Random(15), set[int](), 0
    for platform, external_id, person in landed:
        if person in seen or rng.random() >= ANSWERING:
            continue
        seen.add(person or -1)
        actor: Actor = sandbox.union.find(f"{platform}:{external_id}")
        first = rng.randrange(len(OPTIONS))
        try:
            actor.vote(first + 1)
            if rng.random() < CHANGING:
                actor.vote((first + 1) % len(OPTIONS) + 1)
        except ActionError:
            continue  # left the bot meanwhile
        voters += 1
    return voters


async def _landings(engine: AsyncEngine, poll_id: int) -> list[tuple[str, str, int | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT c.channel, c.external_id, c.person_id FROM poll_messages pm "
            "JOIN contacts c ON c.id = pm.contact_id WHERE pm.poll_id = :p ORDER BY c.id"),
            {"p": poll_id})
        return [(str(row.channel), str(row.external_id), row.person_id) for row in rows.all()]


async def _sent(engine: AsyncEngine, poll_id: int) -> bool:
    async with engine.connect() as conn:
        busy = await conn.execute(text(
            "SELECT 1 FROM deliveries d JOIN campaign_runs r ON r.id = d.run_id "
            "JOIN polls p ON p.campaign_id = r.campaign_id WHERE p.id = :p "
            "AND d.status IN ('pending', 'claimed') LIMIT 1"), {"p": poll_id})
        return busy.first() is None


async def _counted(engine: AsyncEngine, poll_id: int, voters: int) -> bool:
    return (await poll_results(engine, poll_id)).voters >= voters


async def _announced(engine: AsyncEngine, poll_id: int) -> bool:
    async with engine.connect() as conn:
        found = await conn.execute(select(Poll.announced_at).where(Poll.id == poll_id))
        return found.scalar() is not None


async def _told(engine: AsyncEngine, poll_id: int) -> bool:
    """No reply is waiting for a member the poll reached (stops, reminders, answers)."""
    async with engine.connect() as conn:
        busy = await conn.execute(text(
            "SELECT 1 FROM replies r JOIN poll_messages pm ON pm.contact_id = r.contact_id "
            "WHERE pm.poll_id = :p AND r.status IN ('pending', 'claimed') LIMIT 1"),
            {"p": poll_id})
        return busy.first() is None


async def _until(check: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the demo waited {WAIT_S:.0f} s for {what}")
        await asyncio.sleep(STEP_S)
