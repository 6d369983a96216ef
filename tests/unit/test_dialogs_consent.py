"""Consent is recorded only for what the member did (issue 12): a former member's message is
feedback, never a re-subscription; coming back takes their own /start or "Подписаться
снова"; the answered consent question is edited to show the answer, and a second press
changes nothing. Core with a real SQLite file and the recording fake channel."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.texts import DIALOG
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.ports import (
    ButtonPress,
    Command,
    DeliveryResult,
    InboundEvent,
    Sender,
    Status,
    Subscribed,
    Text,
    Unsubscribed,
)
from core.sending.dispatch import ChannelSender
from core.sending.outbox import Policy
from core.sending.recording import FAST, RecordingChannel
from core.storage.models import Consent, Contact, Inbound, Organization, Reply
from tests.factories import make_union

QUESTION = "Когда будет выплата?"
_ids = itertools.count(1)


class Member:
    """One member on one messenger, with the platform's numbering of events."""

    def __init__(self, inbox: Inbox, engine: AsyncEngine, channel: str, external_id: str):
        self.inbox, self.engine = inbox, engine
        self.sender = Sender(channel, external_id, "Мария")

    async def send(self, event: type[Any], *args: Any, **kwargs: Any) -> None:
        made: InboundEvent = event(f"e{next(_ids)}", self.sender, *args, **kwargs)
        await self.inbox.receive(made)

    async def contact(self) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(Contact).where(
                Contact.channel == self.sender.channel,
                Contact.external_id == self.sender.external_id,
            ))).one()

    async def replies(self) -> list[dict[str, Any]]:
        contact = await self.contact()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(Reply.content).where(Reply.contact_id == contact.id).order_by(Reply.id))
            return [content for (content,) in rows.all()]

    async def last(self) -> dict[str, Any]:
        return (await self.replies())[-1]

    async def consents(self) -> list[tuple[str, str, str]]:
        contact = await self.contact()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(Consent.action, Consent.source, Consent.text_version)
                .where(Consent.contact_id == contact.id).order_by(Consent.id))
            return [tuple(row) for row in rows.all()]  # type: ignore[misc]


def text_of(content: dict[str, Any]) -> str:
    return "".join(span[0] for span in content["spans"])


def payloads(content: dict[str, Any]) -> list[str]:
    return [b["payload"] for row in content["buttons"] for b in row]


async def joined(engine: AsyncEngine, channel: str = "telegram", ext: str = "42") -> Member:
    """A member who joined by the dialogue (consent given) and is active."""
    union = await make_union(engine)
    inbox = Inbox(engine, Dialogs(DIALOG))
    async with engine.connect() as conn:
        code = (await conn.execute(select(Organization.code).where(
            Organization.id == union.schools["Школа 1-1"]))).scalar_one()
    member = Member(inbox, engine, channel, ext)
    await member.send(Subscribed, code)
    await member.send(ButtonPress, "consent:yes", message_id="1")
    await member.send(Text, "Смирнова Анна Ивановна")
    await member.send(ButtonPress, "young:no")
    assert (await member.contact()).status == "active"
    return member


GIVEN = ("given", "dialog", DIALOG.consent_version)
WITHDRAWN = ("withdrawn", "dialog", DIALOG.consent_version)


@pytest.mark.parametrize("leave", ["stop", "blocked"])
async def test_a_former_members_question_is_feedback_and_no_resubscription(
    engine: AsyncEngine, leave: str
) -> None:
    member = await joined(engine)
    if leave == "stop":
        await member.send(Command, "stop")
    else:
        await member.send(Unsubscribed, "blocked")
    status = (await member.contact()).status
    await member.send(Text, QUESTION)
    assert (await member.contact()).status == status == (
        "unsubscribed" if leave == "stop" else "blocked")
    ack = await member.last()
    assert text_of(ack) == DIALOG.feedback_thanks_former
    assert payloads(ack) == ["resubscribe"]
    async with engine.connect() as conn:
        filed = (await conn.execute(select(Inbound.text, Inbound.contact_id).where(
            Inbound.is_feedback.is_(True)))).all()
    assert filed == [(QUESTION, (await member.contact()).id)]
    assert await member.consents() == [GIVEN, WITHDRAWN]


@pytest.mark.parametrize(
    ("how", "source"),
    [("button", "resubscribe_btn"), ("start_link", "start"), ("start_command", "start")],
)
async def test_coming_back_takes_the_members_own_action_and_records_it(
    engine: AsyncEngine, how: str, source: str
) -> None:
    member = await joined(engine, "vk", "77")
    await member.send(Command, "stop")
    await member.send(Text, QUESTION)
    if how == "button":
        await member.send(ButtonPress, "resubscribe")
    elif how == "start_link":
        await member.send(Subscribed, None)
    else:
        await member.send(Command, "start")
    assert (await member.contact()).status == "active"
    assert text_of(await member.last()) == DIALOG.resubscribed
    assert await member.consents() == [
        GIVEN, WITHDRAWN, ("given", source, DIALOG.consent_version)]


async def test_the_answered_consent_question_shows_the_answer_and_a_second_press_is_a_no_op(
    engine: AsyncEngine,
) -> None:
    await make_union(engine)
    member = Member(Inbox(engine, Dialogs(DIALOG)), engine, "telegram", "501")
    await member.send(Subscribed, None)
    await member.send(ButtonPress, "consent:yes", message_id="7", callback_id="q1")
    answer = await member.last()
    assert text_of(answer).startswith(DIALOG.choose_district)
    edit = answer["edit"]
    assert edit["message_id"] == "7" and text_of(edit).endswith(DIALOG.consent_given_note)
    assert text_of(edit).startswith(DIALOG.greeting)
    assert "".join(span[0] for span in edit["note"]) == DIALOG.consent_given_note
    before = (await member.contact()).dialog_state
    for payload in ("consent:yes", "consent:no"):  # a race, or an old client
        await member.send(ButtonPress, payload, message_id="7", callback_id="q2")
        again = await member.last()
        assert text_of(again) == DIALOG.consent_already and "edit" not in again
    assert (await member.contact()).dialog_state == before
    assert await member.consents() == [GIVEN]


async def test_a_declined_consent_shows_the_refusal(engine: AsyncEngine) -> None:
    await make_union(engine)
    member = Member(Inbox(engine, Dialogs(DIALOG)), engine, "viber", "v1=")
    await member.send(Subscribed, None)
    await member.send(ButtonPress, "consent:no")  # Viber: no message id
    answer = await member.last()
    assert text_of(answer) == DIALOG.consent_declined
    assert answer["edit"]["message_id"] is None
    assert "".join(span[0] for span in answer["edit"]["note"]) == DIALOG.consent_refused_note
    await member.send(ButtonPress, "consent:yes")
    assert text_of(await member.last()) == DIALOG.consent_already
    assert await member.consents() == []
    assert (await member.contact()).status == "pending"


# Sending: the edit first where the channel edits, the answer in the reply elsewhere ------

POLICY = Policy(max_attempts=3, backoff_base_s=0.01, backoff_cap_s=0.05)


async def serve_replies(engine: AsyncEngine, channel: RecordingChannel) -> None:
    """Run the channel's sender until no reply waits, then stop it."""
    sender = ChannelSender(engine, channel, POLICY)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    deadline = time.monotonic() + 20
    try:
        while True:
            async with engine.connect() as conn:
                waiting = (await conn.execute(select(func.count()).select_from(Reply).where(
                    Reply.status.in_(("pending", "claimed"))))).scalar_one()
            if not waiting:
                break
            assert time.monotonic() < deadline, "replies still waiting"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task


async def consent_given(engine: AsyncEngine, channel: str) -> Member:
    await make_union(engine)
    member = Member(Inbox(engine, Dialogs(DIALOG)), engine, channel, "900")
    await member.send(Subscribed, None)
    await member.send(ButtonPress, "consent:yes", message_id="31")
    return member


@pytest.mark.parametrize("refused", [False, True], ids=["edited", "edit-refused"])
async def test_a_channel_that_edits_changes_the_question_before_the_reply(
    engine: AsyncEngine, refused: bool
) -> None:
    await consent_given(engine, "telegram")
    channel = RecordingChannel("telegram", replace(FAST, edits_messages=True),
                               refuse_edits=refused)
    await serve_replies(engine, channel)
    question, answer = channel.received("900")
    assert [b.payload for row in question.buttons for b in row] == ["consent:yes", "consent:no"]
    said = "".join(span.text for span in answer.text)
    if refused:  # the message could not be changed: the answer opens the reply instead
        assert channel.edits == [] and said.startswith(DIALOG.consent_given_note)
        return
    ((who, change),) = channel.edits
    assert (who, change.message_id, change.buttons) == ("900", "31", ())
    assert "".join(s.text for s in change.text).endswith(DIALOG.consent_given_note)
    assert said == DIALOG.choose_district


async def test_a_channel_that_cannot_edit_gets_the_answer_atop_the_reply(
    engine: AsyncEngine,
) -> None:
    await consent_given(engine, "viber")
    channel = RecordingChannel("viber")  # capabilities without edits_messages
    await serve_replies(engine, channel)
    _, answer = channel.received("900")
    said = "".join(span.text for span in answer.text)
    assert said == f"{DIALOG.consent_given_note}\n\n{DIALOG.choose_district}"
    # The keyboard of Viber's latest message is the districts', no consent buttons.
    assert all(not b.payload.startswith("consent") for row in answer.buttons for b in row
               if b.payload)


@pytest.mark.parametrize("outcome", [Status.SENT, Status.UNSUBSCRIBED])
async def test_the_acknowledgement_reaches_a_former_member_or_is_recorded_failed(
    engine: AsyncEngine, outcome: Status
) -> None:
    """No status filter skips the reply to a member who left; where the platform refuses
    it (VK 901: messages denied) the reply is failed and the question stays filed."""
    member = await joined(engine, "vk", "77")
    await member.send(Command, "stop")
    await serve_replies(engine, RecordingChannel("vk"))
    await member.send(Text, QUESTION)

    def script(recipient: str, attempt: int) -> DeliveryResult | None:
        return DeliveryResult(recipient, outcome, error="[901] Can't send messages")

    channel = RecordingChannel("vk", script=script if outcome is not Status.SENT else None)
    await serve_replies(engine, channel)
    async with engine.connect() as conn:
        last = (await conn.execute(select(Reply.status).order_by(Reply.id.desc()))).first()
        filed = (await conn.execute(select(Inbound.text).where(
            Inbound.is_feedback.is_(True)))).scalars().all()
    assert filed == [QUESTION]
    assert last is not None and last.status == ("sent" if outcome is Status.SENT else "failed")
    if outcome is Status.SENT:
        (ack,) = channel.received("77")
        assert "".join(s.text for s in ack.text) == DIALOG.feedback_thanks_former
    assert (await member.contact()).status == "unsubscribed"
