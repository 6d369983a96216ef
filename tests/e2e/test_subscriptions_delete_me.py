"""A member's own /delete_me, end to end on all three messengers: the bot says what will be
deleted and asks with «Да, удалить» / «Отмена»; confirming erases the member and the goodbye
still reaches them (their messenger id is replaced only after it is sent); a second press
does nothing, and a campaign posted afterwards reaches nobody of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bots.texts import DIALOG
from sandbox.union import Actor
from tests.e2e.subs_support import POLLING, Rig, answer, nothing_arrives, wait_for

PLATFORMS = ("telegram", "vk", "viber")
T = DIALOG.erase


async def delete_me(rig: Rig, actor: Actor) -> int:
    asked = await answer(actor, lambda: actor.say("/delete_me"), contains="Удалить все ваши")
    assert [b.label for b in asked.buttons] == [T.yes, T.no]
    contact = await rig.contact(actor)
    await answer(actor, lambda: actor.press(T.yes), contains="Ваши данные удалены")

    async def released() -> bool:
        return await rig.contact(actor) is None  # no contact has that messenger id any more

    await wait_for(released, f"{actor}'s messenger id to be replaced")
    return int(contact.id)


async def test_delete_me_erases_and_says_goodbye(rigs: list[Rig], tmp_path: Path,
                                                 db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    await rig.start()
    leaving = {p: rig.subscriber(p) for p in PLATFORMS}
    staying = {p: rig.subscriber(p) for p in PLATFORMS}
    contact_ids = await asyncio.gather(*(delete_me(rig, leaving[p]) for p in PLATFORMS))
    before = {a.external_id: len(a.chat()) for a in leaving.values()}

    for platform in ("telegram", "vk"):  # Viber's keyboard went with the question
        leaving[platform].press(T.yes)  # a second press, on the question still on screen
    await wait_for(lambda: _all_handled(rig), "the second presses to be handled")
    for actor in leaving.values():
        await nothing_arrives(actor, before[actor.external_id], "")

    campaign = await rig.campaign("Рассылка после удаления данных")
    rows = await rig.sent(campaign)
    assert not {r.contact_id for r in rows} & set(contact_ids)
    for actor in leaving.values():
        await nothing_arrives(actor, before[actor.external_id], "после удаления")
    for actor in staying.values():
        assert await rig.delivery_status(campaign, actor) == "sent"


async def _all_handled(rig: Rig) -> bool:
    return await rig.inbound_unhandled() == 0
