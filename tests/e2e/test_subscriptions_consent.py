"""Consent records only what the member did (issue 12), end to end on all three messengers,
in polling and in webhook mode. The answered consent question shows the answer with its
buttons gone (Telegram and VK edit it; Viber cannot edit, so the answer opens the next
message); a second press changes nothing. A member who left and writes a question is heard
(feedback, an answer with "Подписаться снова"), stays out and gets no consent written;
only their own press brings them back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bots.texts import DIALOG
from core.storage.models import Consent, Inbound
from sandbox.runner import TELEGRAM_TOKEN
from sandbox.union import Actor, ChatLine
from tests.e2e.subs_support import BOTH, Modes, Rig, answer, got, wait_for

PLATFORMS = ("telegram", "vk", "viber")
QUESTION = "Когда будет выплата?"


async def consents(rig: Rig, actor: Actor) -> list[tuple[str, str]]:
    contact = await rig.contact(actor)
    async with rig.reader.connect() as conn:
        rows = await conn.execute(select(Consent.action, Consent.source).where(
            Consent.contact_id == contact.id).order_by(Consent.id))
        return [(str(a), str(s)) for a, s in rows.all()]


async def ask_consent(actor: Actor) -> ChatLine:
    if actor.platform == "viber":
        await answer(actor, lambda: actor.start(None), contains="Начать")
        return await answer(actor, lambda: actor.press("Начать"), contains="согласие")
    return await answer(actor, lambda: actor.start(None), contains="согласие")


def line(actor: Actor, ref: str) -> ChatLine:
    return next(shown for shown in actor.chat() if shown.ref == ref)


async def consent_twice(rig: Rig, actor: Actor) -> None:
    """Two presses before the first is handled (a race): one consent, one step forward."""
    question = await ask_consent(actor)

    def press_twice() -> None:
        actor.press(DIALOG.consent_yes, question)
        actor.press(DIALOG.consent_yes, question)

    districts = await answer(actor, press_twice, contains=DIALOG.choose_district)
    await wait_for(got(actor, DIALOG.consent_already), f"{actor} to hear it is recorded")
    assert await consents(rig, actor) == [("given", "dialog")]
    assert (await rig.contact(actor)).dialog_state == {"step": "district"}
    if actor.platform == "viber":  # no edits: the answer opens the next message
        assert districts.text.startswith(DIALOG.consent_given_note)
        return

    def edited() -> bool:
        shown = line(actor, question.ref)
        return shown.text.endswith(DIALOG.consent_given_note) and not shown.buttons

    await wait_for(edited, f"{actor}'s consent question to show the answer")
    assert not districts.text.startswith(DIALOG.consent_given_note)


async def former_member_asks(rig: Rig, actor: Actor, *, by_platform: bool) -> None:
    """Leave (/stop, or the platform's own way), write a question, then come back by the
    button under its answer."""
    before = await consents(rig, actor)  # the import's
    if by_platform:
        actor.block()
        await rig.wait_status(actor, "blocked" if actor.platform == "telegram" else "unsubscribed")
        if actor.platform == "telegram":  # unblocking tells the bot nothing it acts on
            rig.sandbox.telegram.unblock_bot(TELEGRAM_TOKEN, int(actor.external_id))
    else:
        await answer(actor, lambda: actor.say("/stop"), contains="отписались")
        await rig.wait_status(actor, "unsubscribed")
    status = await rig.status(actor)
    heard = await answer(actor, lambda: actor.say(QUESTION), contains="Спасибо")
    assert heard.text == DIALOG.feedback_thanks_former
    assert [b.label for b in heard.buttons] == [DIALOG.resubscribe_button]
    assert await rig.status(actor) == status
    assert await consents(rig, actor) == [*before, ("withdrawn", "dialog")]
    contact = await rig.contact(actor)
    async with rig.reader.connect() as conn:
        filed = (await conn.execute(select(Inbound.text).where(
            Inbound.contact_id == contact.id, Inbound.is_feedback.is_(True)))).scalars().all()
    assert filed == [QUESTION]

    await answer(actor, lambda: actor.press(DIALOG.resubscribe_button, heard),
                 contains="возвращением")
    await rig.wait_status(actor, "active")
    assert (await consents(rig, actor))[-1] == ("given", "resubscribe_btn")


@BOTH
async def test_consent_is_recorded_only_for_what_the_member_did(
    rigs: list[Rig], tmp_path: Path, db_url: str, modes: Modes
) -> None:
    rig = await Rig.open(tmp_path, db_url, modes)
    rigs.append(rig)
    await rig.start()
    await asyncio.gather(
        *(consent_twice(rig, rig.newcomer(p)) for p in PLATFORMS),
        *(former_member_asks(rig, rig.subscriber(p), by_platform=False) for p in PLATFORMS),
        *(former_member_asks(rig, rig.subscriber(p), by_platform=True) for p in PLATFORMS),
    )
