"""Forum topics of a Telegram supergroup (the staff chat): whether the chat is a forum
(getChat's is_forum) and a new topic (createForumTopic; the bot must be an administrator
with can_manage_topics, Bot API). A message goes to a topic by its message_thread_id
(outbound.thread_of); a deleted topic answers 400 "message thread not found"
(errors.status_of: THREAD_GONE)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import AiogramError

from core.ports import DeliveryResult, Status

from .errors import result_for
from .outbound import chat_ref

log = logging.getLogger("rupor.telegram")


async def is_forum(bot: Bot, chat: str) -> bool | None:
    """getChat's is_forum; None when Telegram could not be asked."""
    try:
        found = await bot.get_chat(chat_ref(chat))
    except AiogramError as exc:
        log.warning("telegram: getChat %s failed: %s", chat, exc)
        return None
    return bool(found.is_forum)


async def create_topic(bot: Bot, chat: str, name: str) -> DeliveryResult:
    """createForumTopic: SENT with the topic's message_thread_id, or Telegram's refusal
    as a status ("not enough rights", "the chat is not a forum": a refusal)."""
    try:
        topic = await bot.create_forum_topic(chat_ref(chat), name)
    except AiogramError as exc:
        return result_for(chat, exc)
    return DeliveryResult(chat, Status.SENT, str(topic.message_thread_id))
