"""A reply longer than the platform takes (a bot answer, a staff notice, poll results)
arrives whole through ChannelSender as several messages, each accepted by the emulator
(which checks length as the platform does), the buttons under the last; a crash between
two parts sends again at most the part in flight — on VK not even that (random_id)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports import Button, Channel, DeliveryResult, Outbound, Span
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.replies import PartsSent, claim_replies, queue_reply, recover_replies
from core.sending.reply_parts import deliver_reply
from core.sending.split import message_parts
from core.storage.models import Contact, Reply
from tests.integration.test_telegram_support import TgRig, start_rig
from tests.integration.test_viber_support import (  # noqa: F401 - the fixture is used by name
    Make,
    make_viber_fixture,
)
from tests.integration.test_vk_rig import (
    RigFactory,
    make_rig,  # noqa: F401 - the fixture is used by name
)

ROWS = ((Button("Ответить", payload="answer"),),)
PARAGRAPH = ("Профсоюз напоминает 👍🏽: собрание в пятницу <в 15:00> & «не опаздывайте». "
             * 8 + "\n\n")


def long_text(times: int = 1) -> tuple[Span, ...]:
    """About 10,000 characters (`times` that): numbered paragraphs with emoji and HTML
    specials, a bold line."""
    spans: list[Span] = []
    for copy in range(times):
        numbered = "".join(f"{copy}.{n}. {PARAGRAPH}" for n in range(18))
        spans += [Span(numbered[: len(numbered) // 2]), Span("Главное — **не молчать**.",
                                                              bold=True),
                  Span("\n\n" + numbered[len(numbered) // 2 :])]
    return tuple(spans)


def words(text: str) -> str:
    return re.sub(r"\s+", "", text)


async def contact(engine: AsyncEngine, channel: str, external_id: str) -> int:
    async with engine.begin() as conn:
        found = await conn.execute(insert(Contact).values(
            channel=channel, external_id=external_id, status="active").returning(Contact.id))
        return int(found.scalar_one())


async def reply_status(engine: AsyncEngine, reply_id: int) -> tuple[str, str | None, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(Reply.status, Reply.platform_message_id, Reply.content)
                                  .where(Reply.id == reply_id))).one()
    return row.status, row.platform_message_id, row.content


async def send_reply(engine: AsyncEngine, channel: Channel, contact_id: int) -> int:
    """Queue the long reply and let a ChannelSender send it; the reply's id."""
    async with engine.begin() as conn:
        await queue_reply(conn, channel.name, contact_id, long_text(), ROWS)
        reply_id = int((await conn.execute(select(Reply.id).order_by(Reply.id.desc()))
                        ).scalars().first())
    sender = ChannelSender(engine, channel, Policy())
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        deadline = time.monotonic() + 30
        while (await reply_status(engine, reply_id))[0] != "sent":
            assert time.monotonic() < deadline, await reply_status(engine, reply_id)
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
    return reply_id


def assert_whole(texts: list[str], boards: list[Any]) -> None:
    assert len("".join(s.text for s in long_text())) > 10_000
    assert words("".join(texts)) == words("".join(s.text for s in long_text()))
    assert not any(boards[:-1]) and boards[-1]


async def test_telegram_ten_thousand_characters_arrive_as_several_messages(
    engine: AsyncEngine
) -> None:
    rig: TgRig = await start_rig()
    try:
        member = rig.member(first_name="Анна")
        channel = rig.channel()
        reply_id = await send_reply(engine, channel, await contact(engine, "telegram",
                                                                   str(member)))
        log = rig.log(member)
        assert len(log) >= 3  # 4,096 UTF-16 units each, an emoji counting two
        assert_whole([m["text"] for m in log], [m.get("reply_markup") for m in log])
        assert "<b>Главное — **не молчать**.</b>" not in log[1]["text"]  # parsed, not shown
        _, first_id, content = await reply_status(engine, reply_id)
        assert first_id == str(log[0]["message_id"])
        assert PartsSent.of(content) == PartsSent(tuple(str(m["message_id"]) for m in log))
    finally:
        await rig.close()


async def test_vk_ten_thousand_characters_arrive_as_two_messages(
    engine: AsyncEngine, make_rig: RigFactory  # noqa: F811 - the imported fixture, by name
) -> None:
    rig = await make_rig()
    rig.members(7001)
    await send_reply(engine, rig.channel(), await contact(engine, "vk", "7001"))
    dialog = rig.emulator.dialog(7001)
    assert len(dialog) == 2
    assert_whole([m.text for m in dialog], [m.keyboard for m in dialog])


async def test_viber_ten_thousand_characters_arrive_as_two_messages(
    engine: AsyncEngine, make_viber: Make  # noqa: F811 - the imported fixture, by name
) -> None:
    setup = await make_viber()
    member = setup.subscriber()
    await send_reply(engine, setup.channel, await contact(engine, "viber", member))
    log = setup.emulator.chat_log(member)
    assert len(log) == 2
    assert_whole([m.text or "" for m in log], [m.keyboard for m in log])


class Killed(BaseException):
    """The process dies: nothing after it runs (as kill -9 between two parts)."""


def dying_after(channel: Channel, recipient: str, part_key: str
                ) -> Callable[[Outbound], Awaitable[DeliveryResult]]:
    """Sends as the sender does; dies once the platform accepted the part `part_key`."""
    async def send(part: Outbound) -> DeliveryResult:
        (result,) = await channel.send([recipient], part)
        if part.key == part_key:
            raise Killed
        return result
    return send


async def crash_in_second_part(engine: AsyncEngine, channel: Channel, contact_id: int,
                               recipient: str) -> int:
    """Send the reply, die after the platform took part 1 (before its landing was kept),
    then start again as `rupor run` does and send what is left; how many parts it has."""
    async with engine.begin() as conn:
        await queue_reply(conn, channel.name, contact_id, long_text(2), ROWS)
    (reply,) = await claim_replies(engine, channel.name, 10)
    parts = len(message_parts(reply.message, channel.capabilities))
    assert parts >= 3
    with pytest.raises(Killed):
        await deliver_reply(engine, channel, reply, reply.message,
                            dying_after(channel, recipient, f"reply{reply.reply_id}p1"))
    await recover_replies(engine, channel.name)
    (again,) = await claim_replies(engine, channel.name, 10)
    assert again.sent is not None and len(again.sent.ids) == 1  # part 0 is not sent again

    async def send(part: Outbound) -> DeliveryResult:
        return (await channel.send([recipient], part))[0]
    await deliver_reply(engine, channel, again, again.message, send)
    assert (await reply_status(engine, reply.reply_id))[0] == "sent"
    return parts


async def test_a_crash_between_parts_resends_only_the_part_in_flight_on_telegram(
    engine: AsyncEngine
) -> None:
    rig: TgRig = await start_rig(per_chat_per_s=100)  # no pacer here: the sends follow quickly
    try:
        member = rig.member(first_name="Анна")
        parts = await crash_in_second_part(engine, rig.channel(), await contact(
            engine, "telegram", str(member)), str(member))
        texts = [m["text"] for m in rig.log(member)]
        assert len(texts) == parts + 1 and texts[1] == texts[2]  # part 1 was in flight
        assert len(set(texts)) == parts and rig.log(member)[-1].get("reply_markup")
    finally:
        await rig.close()


async def test_a_crash_between_parts_sends_every_part_once_on_vk(
    engine: AsyncEngine, make_rig: RigFactory  # noqa: F811 - the imported fixture, by name
) -> None:
    rig = await make_rig()
    rig.members(7001)
    parts = await crash_in_second_part(engine, rig.channel(), await contact(engine, "vk",
                                                                             "7001"), "7001")
    dialog = rig.emulator.dialog(7001)
    assert len(dialog) == parts == len({m.text for m in dialog})  # random_id per part
    assert [bool(m.keyboard) for m in dialog] == [False] * (parts - 1) + [True]
    assert words("".join(m.text for m in dialog)) == words(
        "".join(s.text for s in long_text(2)))
