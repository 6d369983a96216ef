"""Members talking back, end to end: linking a second messenger with /link (one person in the
reach report), messages that are no command land in the feedback inbox, and receipts (Viber
delivered/seen, VK message_read) move deliveries forward, never backwards, whatever their
order."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from core.reach.report import reach_report
from core.storage.models import Inbound
from sandbox.union import Actor
from tests.e2e.subs_support import BOTH, PAIRS, Modes, Rig, answer, wait_for


async def link(telegram: Actor, vk: Actor) -> None:
    """/link on Telegram gives a one-time code; "/link <code>" from VK joins the accounts."""
    issued = await answer(telegram, lambda: telegram.say("/link"), contains="код")
    code = re.search(r"\b(\d{6})\b", issued.text)
    assert code is not None, issued.text
    await answer(vk, lambda: vk.say(f"/link {code.group(1)}"), contains="связаны")
    refused = await answer(vk, lambda: vk.say(f"/link {code.group(1)}"), contains="не подошёл")
    assert refused.text  # a code works once


def line_of(actor: Actor, marker: str) -> str:
    return next(line.ref for line in actor.chat() if marker in line.text)


@BOTH
async def test_link_feedback_and_receipts(rigs: list[Rig], tmp_path: Path, db_url: str,
                                          modes: Modes) -> None:
    rig = await Rig.open(tmp_path, db_url, modes, PAIRS)
    rigs.append(rig)
    await rig.start()
    tg, vk = rig.pair(("telegram", "active"), ("vk", "unjoined"))
    await link(tg, vk)
    await rig.wait_status(vk, "active")
    person = (await rig.contact(tg)).person_id
    assert (await rig.contact(vk)).person_id == person

    await answer(tg, lambda: tg.say("Когда выплатят материальную помощь?"), contains="Спасибо")
    await answer(vk, lambda: vk.say("Добрый день! Где взять путёвку?"), contains="Спасибо")
    async with rig.reader.connect() as conn:
        inbox = (await conn.execute(select(Inbound.channel, Inbound.text).where(
            Inbound.is_feedback.is_(True)).order_by(Inbound.id))).all()
    assert inbox == [("telegram", "Когда выплатят материальную помощь?"),
                     ("vk", "Добрый день! Где взять путёвку?")]

    viber_reader, viber_late = rig.subscriber("viber"), rig.subscriber("viber")
    vk_reader = rig.subscriber("vk")
    first = await rig.campaign("Листовка №1: отпуск 56 дней")
    rows = await rig.sent(first)
    mine = [r for r in rows if r.person_id == person]
    assert sorted(r.channel for r in mine) == ["telegram", "vk"]
    report = await reach_report(rig.reader, first)
    assert report is not None
    people = {r.person_id for r in rows}
    per_channel = {(r.person_id, r.channel) for r in rows if r.channel is not None}
    # Once per messenger in the channel lines, once as a person in the total.
    assert sum(t.counts["targeted"] for t in report.channels.values()) == len(per_channel)
    assert report.total.counts["targeted"] == len(people)
    assert {(person, "telegram"), (person, "vk")} <= per_channel

    # Viber: delivered, then seen; and seen before delivered: both end as read.
    token = int(line_of(viber_reader, "Листовка №1"))
    rig.sandbox.viber.report_delivered(viber_reader.external_id, token)
    await wait_delivery(rig, first, viber_reader, "delivered")
    rig.sandbox.viber.report_seen(viber_reader.external_id, token)
    await wait_delivery(rig, first, viber_reader, "read")
    token = int(line_of(viber_late, "Листовка №1"))
    rig.sandbox.viber.report_seen(viber_late.external_id, token)
    await wait_delivery(rig, first, viber_late, "read")
    rig.sandbox.viber.report_delivered(viber_late.external_id, token)
    await rig.sandbox.viber.drain_callbacks()
    assert await rig.delivery_status(first, viber_late) == "read"

    # VK: message_read says "read up to"; an older one after a newer one changes nothing.
    second = await rig.campaign("Листовка №2: санатории со скидкой")
    await rig.sent(second)
    older, newer = (int(line_of(vk_reader, m)) for m in ("Листовка №1", "Листовка №2"))
    rig.sandbox.vk.read(int(vk_reader.external_id), older)
    await wait_delivery(rig, first, vk_reader, "read")
    assert await rig.delivery_status(second, vk_reader) == "sent"
    rig.sandbox.vk.read(int(vk_reader.external_id), newer)
    await wait_delivery(rig, second, vk_reader, "read")
    handled = await rig.count(Inbound, Inbound.handled_at.is_not(None))
    rig.sandbox.vk.read(int(vk_reader.external_id), older)

    async def late_read_handled() -> bool:
        return await rig.count(Inbound, Inbound.handled_at.is_not(None)) == handled + 1

    await wait_for(late_read_handled, "the late message_read to be handled")
    assert await rig.delivery_status(first, vk_reader) == "read"
    assert await rig.delivery_status(second, vk_reader) == "read"


async def wait_delivery(rig: Rig, campaign: int, actor: Actor, status: str) -> None:
    async def reached() -> bool:
        return await rig.delivery_status(campaign, actor) == status

    await wait_for(reached, f"{actor}'s delivery of campaign {campaign} to be {status}")
