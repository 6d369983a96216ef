"""Members' forum topics in the staff chat. Where a staff chat is divided into topics (a
Telegram forum supergroup, ForumTopics.is_forum), every member has one topic, named
"Иванова Мария · Школа №5 · Район", and each of their questions is posted there; staff answer
by replying to a notice or by writing in the topic (bots.chat.staff_chat maps the topic back
to the member by the stored thread id, never by a forward's sender).

- One topic per member and chat: the row is claimed under its unique key before the platform
  is asked (topic_rows.claim), so two rounds or two `rupor run` processes create one topic.
- A question waits (its notice is queued to no chat yet) while its member's topic is being
  made; where the platform refuses topics (no right to manage them) notices go to the chat
  itself for REFUSED_S, and a channel not running posts there too.
- A deleted topic: a notice sent there ends THREAD_GONE; the round forgets the topic, makes a
  new one and posts the notice again, claimed once by a conditional update of the failed
  reply (its status becomes "reposted"), so no question is lost."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.ports import DeliveryResult, ForumTopics, Span, Status
from core.sending.replies import PARTS, reply_content
from core.staff.binding import chat_contact
from core.staff.questions import Question, question, unnoticed
from core.staff.topic_rows import (
    Claim,
    Member,
    claim,
    forget,
    members_of,
    settle,
    thread_of,
    topic_name,
    unclaim,
)
from core.storage.engine import writing
from core.storage.models import Contact, KeyValue, Reply

log = logging.getLogger("rupor.staff")

Forums = Callable[[str], ForumTopics | None]  # a channel's topics while it runs, else None
Chat = tuple[str, str]  # (channel, chat id)
WATCH_KEY = "staff:topic_watch"  # notices sent to a topic, not known to be delivered yet
FORUM_CHECK_S = 60.0  # how long a chat's "is it a forum" answer is trusted
REFUSED_S = 300.0  # after the platform refused a topic: notices go to the chat itself
RETRY_S = 5.0  # after a transient failure: no topic is asked for this long
CREATES_PER_ROUND = 2  # each is paced as a message to the group (Telegram: 20 a minute)
_REFUSALS = (Status.INVALID, Status.WRONG_ID, Status.BLOCKED, Status.UNSUBSCRIBED)


class TopicDesk:
    """The topics of the staff chats; the staff desk calls `prepare` before the notices'
    transaction and `threads` / `post` inside it."""

    def __init__(self, engine: AsyncEngine, reader: AsyncEngine, forums: Forums,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine, self.reader, self.forums, self.clock = engine, reader, forums, clock
        self._forum: dict[Chat, tuple[bool, float]] = {}  # the last answer and when
        self._refused: dict[Chat, float] = {}  # until when notices go to the chat itself
        self._paused: dict[Chat, float] = {}  # until when no topic is asked for

    async def prepare(self, chats: Mapping[str, str]) -> None:
        """The network step: which chats are forums now, the topics new questions need,
        and the notices whose topic was deleted posted again."""
        ours = {ch: chat for ch, chat in chats.items() if self.forums(ch) is not None}
        if not ours:
            return
        async with self.reader.connect() as conn:
            found = await unnoticed(conn)
            watched = await _watched(conn)
        if not found and not watched:
            return
        for channel, chat in ours.items():
            if await self._is_forum(channel, chat):
                await self._make_topics(channel, chat, found)
        if watched:
            await self._check_watched(watched)

    async def threads(self, conn: AsyncConnection, chats: Mapping[str, str],
                      found: Question) -> dict[str, str] | None:
        """Channel -> the topic the question's notice goes to, for every forum staff chat;
        None while one of those topics is still being made (the question waits)."""
        topics: dict[str, str] = {}
        member: Member | None = None
        for channel, chat in chats.items():
            if not self._uses_topics(channel, chat):
                continue
            member = member or (await members_of(conn, [found]))[found.inbound_id]
            thread = await thread_of(conn, channel, chat, member.key)
            if thread is None:
                return None
            topics[channel] = thread
        return topics

    async def post(self, conn: AsyncConnection, topics: Mapping[str, str],
                   chats: Mapping[str, str], text: str, inbound_id: int) -> int:
        """Queue the notice to each chat's topic (inside the notices' transaction) and
        watch it until it is sent; how many."""
        made = []
        for channel, thread in topics.items():
            contact = await chat_contact(conn, channel, chats[channel])
            content = {**reply_content((Span(text),)), "thread": thread}
            made.append(await _queue(conn, channel, contact, content, inbound_id))
        await _save(conn, [*await _watched(conn), *made])
        return len(made)

    def _uses_topics(self, channel: str, chat: str) -> bool:
        known = self._forum.get((channel, chat))
        return (known is not None and known[0] and self.forums(channel) is not None
                and self.clock() >= self._refused.get((channel, chat), 0.0))

    async def _is_forum(self, channel: str, chat: str) -> bool:
        known, now = self._forum.get((channel, chat)), self.clock()
        if known is not None and now - known[1] < FORUM_CHECK_S:
            return known[0]
        port = self.forums(channel)
        answer = await port.is_forum(chat) if port is not None else None
        if answer is None:  # could not ask: keep what was known, ask again next round
            return known is not None and known[0]
        self._forum[(channel, chat)] = (answer, now)
        return answer

    async def _make_topics(self, channel: str, chat: str, found: list[Question]) -> None:
        if not self._uses_topics(channel, chat):
            return
        async with self.reader.connect() as conn:
            members = await members_of(conn, found)
        asked, seen = 0, set()
        for item in found:
            member = members[item.inbound_id]
            if member.key in seen or asked >= CREATES_PER_ROUND:
                continue
            seen.add(member.key)
            _, called = await self.topic(channel, chat, member, topic_name(item))
            asked += called

    async def topic(self, channel: str, chat: str, member: Member, name: str
                    ) -> tuple[str | None, bool]:
        """The member's thread in the chat (None: not made yet), and whether the platform
        was asked for it now."""
        if self.clock() < self._paused.get((channel, chat), 0.0):
            return None, False
        async with writing(self.engine) as conn:
            claimed = await claim(conn, channel, chat, member, name, time.time())
        if claimed.state is not Claim.CLAIMED:
            return claimed.thread, False
        result = await self._create(channel, chat, name)
        async with writing(self.engine) as conn:
            if result.status is Status.SENT and result.platform_message_id:
                await settle(conn, claimed.topic_id, result.platform_message_id)
            else:
                await unclaim(conn, claimed.topic_id)
        if result.status is Status.SENT and result.platform_message_id:
            return result.platform_message_id, True
        self._hold((channel, chat), result)
        return None, True

    async def _create(self, channel: str, chat: str, name: str) -> DeliveryResult:
        port = self.forums(channel)
        if port is None:
            return DeliveryResult(chat, Status.FAILED, error=f"{channel} is not running")
        try:
            return await port.create_topic(chat, name)
        except Exception as exc:  # an adapter-wide fault (a revoked token): try again later
            return DeliveryResult(chat, Status.FAILED, error=repr(exc))

    def _hold(self, key: Chat, result: DeliveryResult) -> None:
        now = self.clock()
        log.warning("staff chat %s: no forum topic made: %s %s", key[1], result.status.value,
                    result.error or "")
        if result.status in _REFUSALS:
            self._refused[key] = now + REFUSED_S
        elif result.status is Status.RETRY_AFTER:
            self._paused[key] = now + (result.retry_after or RETRY_S)
        else:
            self._paused[key] = now + RETRY_S

    async def _check_watched(self, watched: list[int]) -> None:
        """Notices sent stop being watched; one whose topic is gone is posted again."""
        async with self.reader.connect() as conn:
            rows = (await conn.execute(
                select(Reply.id, Reply.status, Reply.error, Reply.content, Reply.inbound_id,
                       Reply.channel, Reply.contact_id, Contact.external_id)
                .join(Contact, Contact.id == Reply.contact_id)
                .where(Reply.id.in_(watched)))).all()
        settled = {row.id for row in rows if row.status not in ("pending", "claimed")}
        for row in rows:
            if row.status == "failed" and (row.error or "").startswith(Status.THREAD_GONE):
                settled.discard(row.id)
                if await self._repost(row):
                    settled.add(row.id)
        settled |= set(watched) - {row.id for row in rows}  # erased meanwhile
        if settled:
            async with writing(self.engine) as conn:
                await _save(conn, [r for r in await _watched(conn) if r not in settled])

    async def _repost(self, row: Any) -> bool:
        """A new topic for the member and the notice posted there again; False: not yet."""
        channel, chat, gone = str(row.channel), str(row.external_id), _content(row.content)
        async with writing(self.engine) as conn:
            await forget(conn, channel, chat, str(gone.get("thread")))
            found = await question(conn, int(row.inbound_id)) if row.inbound_id else None
            member = (await members_of(conn, [found]))[found.inbound_id] if found else None
        if found is None or member is None:
            return True  # the question was erased meanwhile
        self._forum[(channel, chat)] = (True, self.clock())
        thread, _ = await self.topic(channel, chat, member, topic_name(found))
        if thread is None and self._uses_topics(channel, chat):
            return False  # the topic is still being made: the next round tries again
        async with writing(self.engine) as conn:
            moved = (await conn.execute(update(Reply).where(
                Reply.id == row.id, Reply.status == "failed").values(status="reposted")
                .returning(Reply.id))).scalar()
            if moved is not None:
                content = {key: value for key, value in gone.items()
                           if key not in ("thread", PARTS)}  # all of it, in the new topic
                if thread is not None:
                    content["thread"] = thread
                made = await _queue(conn, channel, int(row.contact_id), content,
                                    found.inbound_id)
                await _save(conn, [*await _watched(conn), made])
        return True


async def _queue(conn: AsyncConnection, channel: str, contact_id: int,
                 content: dict[str, Any], inbound_id: int) -> int:
    found = await conn.execute(insert(Reply).values(
        channel=channel, contact_id=contact_id, inbound_id=inbound_id, content=content,
        status="pending", next_attempt_at=0.0).returning(Reply.id))
    return int(found.scalar_one())


async def _watched(conn: AsyncConnection) -> list[int]:
    value = (await conn.execute(select(KeyValue.value).where(KeyValue.key == WATCH_KEY))
             ).scalar()
    return [int(reply_id) for reply_id in json.loads(value)] if value else []


async def _save(conn: AsyncConnection, watched: list[int]) -> None:
    await conn.execute(delete(KeyValue).where(KeyValue.key == WATCH_KEY))
    if watched:
        await conn.execute(insert(KeyValue).values(key=WATCH_KEY, value=json.dumps(watched)))


def _content(value: Any) -> dict[str, Any]:
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, dict) else {}
