"""Telegram's stopPoll at a poll's deadline (issue 15, item 2), against the emulator: the
edit-only stop closes the native poll, a repeat (a reply re-sent after a crash) is still
done, and a member can no longer vote in it."""

from __future__ import annotations

import pytest

from core.ports import MessageEdit, OutboundPoll, Status
from sandbox.telegram.errors import MemberActionError
from tests.integration.test_telegram_support import TOKEN, TgRig, rig

__all__ = ["rig"]  # the fixture used by name


async def test_a_poll_is_stopped_once_and_again_harmlessly(rig: TgRig) -> None:
    member = rig.member()
    channel = rig.channel()
    poll = OutboundPoll("r1poll", 1, "Какая дата форума удобнее?", ("10 декабря", "17 декабря"))
    [landed] = await channel.send_poll([str(member)], poll)
    assert landed.result.status is Status.SENT and landed.platform_poll_id
    stop = MessageEdit(landed.result.platform_message_id or "", (), stops_poll=True)
    assert (await channel.edit(str(member), stop)).status is Status.SENT
    assert (await channel.edit(str(member), stop)).status is Status.SENT  # closed already
    assert rig.emulator.poll(landed.platform_poll_id)["is_closed"]
    with pytest.raises(MemberActionError):
        rig.emulator.vote(TOKEN, member, landed.platform_poll_id, [0])
    missing = await channel.edit(str(member), MessageEdit("999", (), stops_poll=True))
    assert missing.status is Status.INVALID
