"""The staff desk's round, run by the chat service every second after the inbox's commit:
queue the notices of new questions, link sent notices to their questions, tell the staff
chat about answers that could not be delivered, post the morning reminder and the news of
finished runs (core.staff.news).

Everything goes out through the paced reply path: a notice is queued in the same
transaction that marks it queued, so it is never lost and never queued twice (the reply
path itself may repeat a message only when a crash falls between the platform's answer
and its record)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.access.grants import list_grants
from core.audience.members import contact_for
from core.ports import Button, MediaFile, Sender, Span
from core.sending.replies import queue_reply
from core.sending.split import shortened
from core.staff import texts
from core.staff.binding import chat_contact, staff_chats
from core.staff.news import tell_finished
from core.staff.questions import (
    Question,
    link_sent,
    mark_queued,
    question,
    unanswered,
    unnoticed,
)
from core.staff.topics import Forums, TopicDesk
from core.storage.engine import writing
from core.storage.models import KeyValue, Reply

WATCH_KEY = "staff:watch"  # answers not known to be delivered yet: [[reply id, question id]]
REMINDED_KEY = "staff:reminded"  # the local date of the last morning reminder
REMIND_AT_HOUR = 9  # in the organisation's time zone
REMIND_AFTER = timedelta(days=1)
Buttons = tuple[tuple[Button, ...], ...]


def now_utc() -> datetime:
    return datetime.now(UTC)


def _spans(text: str) -> tuple[Span, ...]:
    return (Span(text),) if text else ()  # a file alone (Viber: a file takes no caption)


def question_text(question: Question, template: str = texts.QUESTION) -> str:
    return template.format(id=question.inbound_id, name=question.name, school=question.school,
                           district=question.district, messenger=question.messenger,
                           text=question.text)  # whole: a long notice is split


class StaffDesk:
    """Notices to the staff: the bound group chats, and 1:1 to staff accounts held on a
    channel without group chats (Viber)."""

    def __init__(self, engine: AsyncEngine, reader: AsyncEngine, channels: Mapping[str, bool],
                 tz: ZoneInfo, presets: Mapping[str, str] | None = None,
                 clock: Callable[[], datetime] = now_utc, forums: Forums | None = None
                 ) -> None:
        self.engine, self.reader, self.tz, self.clock = engine, reader, tz, clock
        self.channels = dict(channels)  # configured channel -> has group chats
        self.presets = dict(presets or {})
        # Staff chats divided into topics: one per member (core.staff.topics).
        self.topics = TopicDesk(engine, reader, forums) if forums is not None else None

    async def chats(self) -> dict[str, str]:
        found = await staff_chats(self.reader, self.presets)
        return {ch: chat for ch, chat in found.items() if self.channels.get(ch)}

    async def round(self) -> None:
        await self.notify_questions()
        async with writing(self.engine) as conn:
            await link_sent(conn)
        await self.check_answers()
        await self.remind()
        await tell_finished(self.engine, self.reader, self.post, self.clock())

    async def post(self, conn: AsyncConnection, text: str, buttons: Buttons = (),
                   inbound_id: int | None = None, solo_text: str | None = None,
                   skip: Collection[str] = (), media: MediaFile | None = None) -> int:
        """Queue `text` to every staff chat (but those of the channels in `skip`) and
        staff-only-on-Viber account; how many. `media`: a stored file (text "": alone)."""
        targets = 0
        for channel, chat_id in (await self.chats()).items():
            if channel in skip:
                continue
            chat = await chat_contact(conn, channel, chat_id)
            await queue_reply(conn, channel, chat, _spans(text), buttons, inbound_id,
                              media=media)
            targets += 1
        for channel, account in await self.solo_staff():
            contact = await contact_for(conn, Sender(channel, account))
            await queue_reply(conn, channel, contact.id, _spans(solo_text or text), buttons,
                              inbound_id, media=media)
            targets += 1
        return targets

    async def solo_staff(self) -> list[tuple[str, str]]:
        """(channel, account) of the staff held on a channel without group chats (Viber)."""
        grants = await list_grants(self.reader)
        return sorted({(g.channel, g.external_id) for g in grants
                       if g.channel in self.channels and not self.channels[g.channel]})

    async def notify_questions(self) -> None:
        chats = await self.chats()
        if self.topics is not None:  # the network step: forum topics made first
            await self.topics.prepare(chats)
        async with writing(self.engine) as conn:
            found = await unnoticed(conn)
            if not found:
                return
            posted = []
            for question in found:
                topics = await self.topics.threads(conn, chats, question) if self.topics else {}
                if topics is None:
                    continue  # its member's forum topic is being made: the next round
                sent = await self.post(conn, question_text(question), (), question.inbound_id,
                                       question_text(question, texts.QUESTION_1TO1), topics)
                if topics and self.topics is not None:
                    sent += await self.topics.post(conn, topics, chats, question_text(
                        question, texts.QUESTION_IN_TOPIC), question.inbound_id)
                if sent:
                    posted.append(question.inbound_id)
            await mark_queued(conn, posted)

    async def check_answers(self) -> None:
        """An answer that failed (the member blocked the bot) is told to the staff, once."""
        async with writing(self.engine) as conn:
            watched = await load_watch(conn)
            if not watched:
                return
            ids = [reply_id for reply_id, _ in watched]
            rows = (await conn.execute(select(Reply.id, Reply.status, Reply.error)
                                       .where(Reply.id.in_(ids)))).all()
            status = {row.id: (row.status, row.error or "") for row in rows}
            keep = []
            for reply_id, question_id in watched:
                state, error = status.get(reply_id, ("sent", ""))
                if state == "failed":
                    await self.tell(conn, question_id, not_delivered(question_id, error))
                elif state != "sent":
                    keep.append((reply_id, question_id))
            await save_watch(conn, keep)

    async def tell(self, conn: AsyncConnection, question_id: int, text: str) -> None:
        """`text` about a question to the staff: in a staff chat divided into topics, into
        its member's topic (where the staff answered), else to the chats themselves."""
        chats = await self.chats()
        found = await question(conn, question_id) if self.topics is not None else None
        topics = {}
        if found is not None and self.topics is not None:
            topics = await self.topics.threads(conn, chats, found) or {}  # None: not made
        await self.post(conn, text, skip=topics)
        if topics and self.topics is not None:
            await self.topics.post(conn, topics, chats, text, question_id)

    async def remind(self) -> None:
        """At 09:00 local time (or the first round after it), once a day: questions older
        than a day still unanswered."""
        now = self.clock()
        local = now.astimezone(self.tz)
        if local.hour < REMIND_AT_HOUR:
            return
        async with writing(self.engine) as conn:
            day = local.date().isoformat()
            if await _get(conn, REMINDED_KEY) == day:
                return
            await _set(conn, REMINDED_KEY, day)
            old = await unanswered(conn, before=now - REMIND_AFTER)
            if old:
                await self.post(conn, texts.REMINDER.format(count=len(old), lines=inbox_lines(
                    old, self.tz)))


def inbox_lines(found: Sequence[Question], tz: ZoneInfo) -> str:
    return "\n".join(texts.INBOX_LINE.format(
        id=q.inbound_id, name=q.name, district=q.district, messenger=q.messenger,
        day=q.received_at.replace(tzinfo=q.received_at.tzinfo or UTC).astimezone(tz)
        .strftime("%d.%m %H:%M"), text=shortened(q.text, 80)) for q in found)


def not_delivered(question_id: int, error: str) -> str:
    if error.startswith(("blocked", "unsubscribed")):
        return texts.NOT_DELIVERED_BLOCKED.format(id=question_id)
    return texts.NOT_DELIVERED.format(id=question_id, error=error or "ошибка платформы")


async def load_watch(conn: AsyncConnection) -> list[tuple[int, int]]:
    value = await _get(conn, WATCH_KEY)
    return [(int(a), int(b)) for a, b in json.loads(value)] if value else []


async def save_watch(conn: AsyncConnection, watched: Sequence[tuple[int, int]]) -> None:
    await _set(conn, WATCH_KEY, json.dumps([list(pair) for pair in watched]))


async def _get(conn: AsyncConnection, key: str) -> str | None:
    value = (await conn.execute(select(KeyValue.value).where(KeyValue.key == key))).scalar()
    return str(value) if value is not None else None


async def _set(conn: AsyncConnection, key: str, value: str) -> None:
    await conn.execute(delete(KeyValue).where(KeyValue.key == key))
    await conn.execute(insert(KeyValue).values(key=key, value=value))
