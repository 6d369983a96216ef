"""The staff desk's way to the platforms' forum topics (core.staff.topics): the running
channel whose capabilities say `forum_topics`, its new topics paced as messages to the group
(a topic opens with a service message there, and Telegram allows a group 20 a minute)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import cast

from core.ports import DeliveryResult, ForumTopics
from core.sending.dispatch import ChannelSender
from core.sending.waves import chat_keys
from core.staff.topics import Forums


class PacedTopics:
    """ForumTopics of one channel's sender: createForumTopic takes a slot of the group's
    window in the sender's pacer, as a reply to the group does."""

    def __init__(self, sender: ChannelSender) -> None:
        self.sender = sender
        self.topics = cast(ForumTopics, sender.channel)

    async def is_forum(self, chat: str) -> bool | None:
        return await self.topics.is_forum(chat)

    async def create_topic(self, chat: str, name: str) -> DeliveryResult:
        pacer = self.sender.pacer
        keys = chat_keys(chat, is_group=True)
        await asyncio.sleep(max(0.0, pacer.key_ready_at(keys) - time.monotonic()))
        slot = await pacer.acquire(keys, urgent=True)
        try:
            result = await self.topics.create_topic(chat, name)
        finally:
            slot.finish()
        if result.retry_after:
            pacer.pause(result.retry_after)
        return result


def forums_of(senders: Mapping[str, ChannelSender]) -> Forums:
    """channel -> its forum topics while its sender runs (None otherwise or without them)."""
    def forums(channel: str) -> ForumTopics | None:
        sender = senders.get(channel)
        if sender is None or not sender.channel.capabilities.forum_topics:
            return None
        return PacedTopics(sender)

    return forums
