"""Forum supergroups in the Telegram emulator (sandbox.telegram.forums), through a real
aiogram 3.31 Bot: getChat's is_forum, createForumTopic, messages sent to a topic and written
in one (message_thread_id, is_topic_message, the topic's first message as reply), a copy to a
topic, a deleted or unknown topic answered 400 "message thread not found" by sendMessage,
sendPhoto and copyMessage, refusals where there are no topics or no right to make them."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest

from sandbox.telegram.errors import MemberActionError

try:
    from .test_telegram_support import TOKEN, TgRig, png, tg  # noqa: F401 (fixtures)
except ImportError:
    from test_telegram_support import TOKEN, TgRig, png, tg  # noqa: F401 (fixtures)


def _forum(tg: TgRig, *members: int, manage_topics: bool = True) -> int:
    chat = tg.emulator.add_group("Аппарат крайкома", member_ids=members)
    tg.emulator.add_bot_to_group(TOKEN, chat)
    tg.emulator.make_forum(chat, manage_topics=manage_topics)
    return chat


async def test_a_topic_takes_messages_and_the_members_writing_in_it(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    chat = _forum(tg, anna)
    assert (await bot.get_chat(chat)).is_forum is True
    topic = await bot.create_forum_topic(chat, "Иванова Мария · Школа №5 · Центральный")
    assert topic.name.startswith("Иванова Мария") and topic.icon_color == 7322096
    assert tg.emulator.topics(chat) == {topic.message_thread_id: topic.name}
    thread = topic.message_thread_id
    notice = await bot.send_message(chat, "Вопрос №1", message_thread_id=thread)
    assert notice.message_thread_id == thread and notice.is_topic_message
    tg.clock.advance(1.1)  # Telegram's one message a second per chat
    photo = await bot.send_photo(chat, _photo(), message_thread_id=thread)
    assert photo.message_thread_id == thread
    tg.clock.advance(1.1)
    plain = await bot.send_message(chat, "Новости")  # the general topic
    assert plain.message_thread_id is None
    tg.emulator.topic_message(chat, anna, thread, "Отвечу сама")
    tg.emulator.topic_message(chat, anna, thread, "Уточнение",
                              reply_to_message_id=notice.message_id)
    [first, second] = [u.message for u in await bot.get_updates() if u.message
                       and u.message.chat.id == chat and u.message.text]
    assert first.is_topic_message and first.message_thread_id == thread
    assert first.reply_to_message is not None
    assert first.reply_to_message.message_id == thread  # the topic's first message
    assert first.reply_to_message.forum_topic_created is not None
    assert second.reply_to_message is not None
    assert second.reply_to_message.message_id == notice.message_id


async def test_a_deleted_or_unknown_topic_is_message_thread_not_found(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    chat = _forum(tg, anna)
    kept = (await bot.create_forum_topic(chat, "Петров Иван")).message_thread_id
    gone = (await bot.create_forum_topic(chat, "Сидорова Анна")).message_thread_id
    kept_notice = await bot.send_message(chat, "Вопрос №2", message_thread_id=kept)
    tg.clock.advance(1.1)
    copied = await bot.copy_message(chat, chat, kept_notice.message_id, message_thread_id=gone)
    assert tg.emulator.chat_log(TOKEN, chat)[-1]["message_thread_id"] == gone and copied.message_id
    tg.emulator.delete_topic(chat, gone)
    assert set(tg.emulator.topics(chat)) == {kept}
    assert not [m for m in tg.emulator.chat_log(TOKEN, chat) if m.get("message_thread_id") == gone]
    for thread in (gone, 999_999):
        with pytest.raises(TelegramBadRequest, match="message thread not found"):
            await bot.send_message(chat, "Вопрос №3", message_thread_id=thread)
        with pytest.raises(TelegramBadRequest, match="message thread not found"):
            await bot.send_photo(chat, _photo(), message_thread_id=thread)
        with pytest.raises(TelegramBadRequest, match="message thread not found"):
            await bot.copy_message(chat, chat, kept_notice.message_id, message_thread_id=thread)
    with pytest.raises(MemberActionError):
        tg.emulator.topic_message(chat, anna, gone, "Ау")
    assert await bot.delete_forum_topic(chat, kept)
    with pytest.raises(TelegramBadRequest, match="TOPIC_ID_INVALID"):
        await bot.delete_forum_topic(chat, kept)


async def test_no_topics_without_a_forum_or_the_right_to_make_them(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    plain = tg.emulator.add_group("Просто чат", member_ids=[anna])
    tg.emulator.add_bot_to_group(TOKEN, plain)
    assert not (await bot.get_chat(plain)).is_forum
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(plain, "Тема")
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(plain, "Вопрос", message_thread_id=5)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(anna, "Вопрос", message_thread_id=5)
    locked = _forum(tg, anna, manage_topics=False)
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(locked, "Тема")
    with pytest.raises(TelegramBadRequest, match="1-128|128"):
        await bot.create_forum_topic(_forum(tg, anna), "Я" * 129)
    old_group = tg.emulator.add_group("Старая группа", member_ids=[anna], supergroup=False)
    with pytest.raises(MemberActionError):
        tg.emulator.make_forum(old_group)


def _photo() -> object:
    from aiogram.types import BufferedInputFile

    return BufferedInputFile(png(20, 20), filename="p.png")
