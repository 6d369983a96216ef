"""A poll run's send: the channel's `send_poll` (Telegram's native poll, VK and Viber
buttons) in place of `send`, and where each poll landed — `poll_messages`: the platform's
poll id and message id per contact — written before the deliveries' results, so a vote can
always be matched to the poll the member got (core.polls)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.ports import Channel, DeliveryResult, OutboundPoll, PollSent, Status
from core.sending.outbox import Claimed
from core.storage.engine import writing


def poll_of(content: dict[str, Any], run_id: int) -> OutboundPoll:
    """The poll a campaign of kind "poll" sends (its content as core.polls wrote it)."""
    return OutboundPoll(
        key=f"r{run_id}poll",
        poll_id=int(content["poll_id"]),
        question=str(content["question"]),
        options=tuple(str(option) for option in content["options"]),
        allows_multiple=bool(content.get("multiple")),
    )


@dataclass
class PollCall:
    """One call's send_poll; `landed` keeps where each poll went for `record_landings`."""

    poll: OutboundPoll
    landed: list[PollSent] = field(default_factory=list)

    async def send_on(self, channel: Channel, recipients: list[str]) -> list[DeliveryResult]:
        self.landed = list(await channel.send_poll(recipients, self.poll))
        return [sent.result for sent in self.landed]


# An upsert: a re-send after a crash (or a Telegram poll sent again) replaces the landing.
_LAND = (
    "INSERT INTO poll_messages (poll_id, contact_id, channel, platform_poll_id, "
    "platform_message_id) VALUES (:poll, :contact, :channel, :platform_poll, :message) "
    "ON CONFLICT (poll_id, contact_id) DO UPDATE SET platform_poll_id = "
    "excluded.platform_poll_id, platform_message_id = excluded.platform_message_id"
)


async def record_landings(
    engine: AsyncEngine, poll_id: int, channel: str, group: Sequence[Claimed],
    landed: Sequence[PollSent],
) -> None:
    """poll_messages for every recipient the poll reached (SENT, or UNCERTAIN: it may have)."""
    contacts = {claimed.recipient: claimed.contact_id for claimed in group}
    rows = [
        {
            "poll": poll_id, "contact": contacts[sent.recipient], "channel": channel,
            "platform_poll": sent.platform_poll_id, "message": sent.result.platform_message_id,
        }
        for sent in landed
        if sent.recipient in contacts and sent.result.status in (Status.SENT, Status.UNCERTAIN)
    ]
    if rows:
        async with writing(engine) as conn:
            await conn.execute(text(_LAND), rows)
