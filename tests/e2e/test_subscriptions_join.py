"""Joining end to end, on all three messengers at once, in polling and in webhook mode:
invite link -> consent -> name -> young teacher -> active, or district -> school buttons;
a member still at the consent step gets no campaign."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bots.texts import DIALOG
from core.audience.roles import Role
from core.storage.models import Consent, Person
from sandbox.union import Actor
from tests.e2e.subs_support import (
    BOTH,
    Modes,
    Rig,
    answer,
    nothing_arrives,
    texts_of,
)


@pytest.fixture
async def rig_factory(tmp_path: Path, db_url: str) -> AsyncIterator[list[Rig]]:
    rigs: list[Rig] = []
    yield rigs
    for rig in rigs:
        await rig.close()


async def open_rig(rigs: list[Rig], tmp_path: Path, db_url: str, modes: Modes) -> Rig:
    rig = await Rig.open(tmp_path, db_url, modes)
    rigs.append(rig)
    await rig.start()
    return rig


async def join_by_invite(rig: Rig, actor: Actor, *, young: bool) -> None:
    """The whole dialogue from an invite link (the member's own school) to "active"."""
    code = await rig.org_code(actor.person.org_path)
    if actor.platform == "viber":
        # Opening the chat from viber://pa?...&context=<code> shows the welcome with a
        # button; the member is subscribed once they press it.
        await answer(actor, lambda: actor.start(code), contains="Начать")
        consent = await answer(actor, lambda: actor.press("Начать"), contains="согласие")
    else:
        consent = await answer(actor, lambda: actor.start(code), contains="согласие")
    assert DIALOG.consent_yes in [b.label for b in consent.buttons]
    assert await rig.status(actor) == "pending"
    named = await answer(actor, lambda: actor.press(DIALOG.consent_yes), contains="фамилию")
    assert actor.person.organisation[:20] in named.text
    await answer(actor, lambda: actor.say(actor.person.full_name), contains="молодой педагог")
    done = await answer(actor, lambda: actor.press(DIALOG.yes if young else DIALOG.no),
                        contains="Готово")
    assert [b.label for b in done.buttons] == [DIALOG.stop_button]
    await rig.wait_status(actor, "active")


async def join_by_buttons(rig: Rig, actor: Actor) -> None:
    """No invite: the member picks the district, then the school, from buttons."""
    district, school = actor.person.org_path[1], actor.person.org_path[2]
    if actor.platform == "viber":
        await answer(actor, lambda: actor.start(None), contains="Начать")
        await answer(actor, lambda: actor.press("Начать"), contains="согласие")
    else:
        await answer(actor, lambda: actor.start(None), contains="согласие")
    districts = await answer(actor, lambda: actor.press(DIALOG.consent_yes), contains="район")
    assert district in [b.label for b in districts.buttons]
    schools = await answer(actor, lambda: actor.press(district), contains="организацию")
    label = school if len(school) <= 40 else school[:39] + "…"
    await answer(actor, lambda: actor.press(label), contains="фамилию")
    await answer(actor, lambda: actor.say(actor.person.full_name), contains="молодой педагог")
    await answer(actor, lambda: actor.press(DIALOG.no), contains="Готово")
    assert DIALOG.back in [b.label for b in schools.buttons]
    await rig.wait_status(actor, "active")


async def stay_at_consent(rig: Rig, actor: Actor) -> None:
    if actor.platform == "viber":
        await answer(actor, lambda: actor.start(None), contains="Начать")
        await answer(actor, lambda: actor.press("Начать"), contains="согласие")
    else:
        await answer(actor, lambda: actor.start(None), contains="согласие")


@BOTH
async def test_join_by_invite_by_buttons_and_no_campaign_before_consent(
    rig_factory: list[Rig], tmp_path: Path, db_url: str, modes: Modes
) -> None:
    rig = await open_rig(rig_factory, tmp_path, db_url, modes)
    platforms = ("telegram", "vk", "viber")
    invited = {p: rig.newcomer(p) for p in platforms}
    picking = {p: rig.newcomer(p) for p in platforms}
    waiting = {p: rig.newcomer(p) for p in platforms}
    await asyncio.gather(
        *(join_by_invite(rig, invited[p], young=p != "vk") for p in platforms),
        *(join_by_buttons(rig, picking[p]) for p in platforms),
        *(stay_at_consent(rig, waiting[p]) for p in platforms),
    )
    for platform in platforms:
        assert await rig.status(waiting[platform]) == "pending"
    before = {p: len(waiting[p].chat()) for p in platforms}
    campaign = await rig.campaign("Листовка: индексация зарплаты с 1 января")
    await rig.sent(campaign)
    for platform in platforms:
        assert await rig.delivery_status(campaign, invited[platform]) == "sent"
        assert await rig.delivery_status(campaign, picking[platform]) == "sent"
        assert await rig.delivery_status(campaign, waiting[platform]) is None
        assert any("индексация" in t for t in texts_of(invited[platform]))
        await nothing_arrives(waiting[platform], before[platform], "индексация")
    for platform in platforms:
        contact = await rig.contact(invited[platform])
        async with rig.reader.connect() as conn:
            person = (await conn.execute(
                select(Person).where(Person.id == contact.person_id))).one()
            consent = (await conn.execute(select(Consent.text_version, Consent.source).where(
                Consent.contact_id == contact.id))).all()
        assert person.full_name == invited[platform].person.full_name
        assert person.member_id  # the imported member, not a new person
        imported_young = "young_teacher" in invited[platform].person.roles
        said_young = platform != "vk"
        assert bool(person.roles & Role.YOUNG_TEACHER) == (said_young or imported_young)
        assert consent == [(DIALOG.consent_version, "dialog")]
