"""The Telegram emulator's methods, called through a real aiogram 3.31 Bot."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from sandbox.telegram import BotMessage

try:
    from .test_telegram_support import (  # noqa: F401 (fixtures)
        OTHER_TOKEN,
        TOKEN,
        TgRig,
        png,
        tg,
    )
except ImportError:
    from test_telegram_support import OTHER_TOKEN, TOKEN, TgRig, png, tg  # noqa: F401 (fixtures)


def _keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=text, callback_data=data) for text, data in pairs]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


async def test_get_me_is_the_bot_of_the_token(tg: TgRig) -> None:
    me = await tg.bot().get_me()
    assert (me.id, me.is_bot, me.username) == (123456789, True, "rupor_test_bot")
    other = await tg.bot(OTHER_TOKEN).get_me()
    assert other.id == 987654321


async def test_send_message_parses_html_and_numbers_messages_per_chat(tg: TgRig) -> None:
    bot, anna, boris = tg.bot(), tg.member(), tg.member()
    first = await bot.send_message(
        anna,
        "<b>Собрание</b> в 18:00 &amp; <i>чай</i>",
        parse_mode="HTML",
        reply_markup=_keyboard(("Приду", "yes"), ("Нет", "no")),
    )
    second = await bot.send_message(boris, "Привет")
    assert first.text == "Собрание в 18:00 & чай"
    assert [(e.type, e.offset, e.length) for e in first.entities or []] == [
        ("bold", 0, 8),
        ("italic", 19, 3),
    ]
    assert first.from_user is not None and first.from_user.id == 123456789
    assert first.chat.id == anna and first.chat.type == "private"
    assert first.reply_markup is not None
    assert first.reply_markup.inline_keyboard[0][1].callback_data == "no"
    # message_id is unique per chat only: both chats start at 2 (after the member's /start).
    assert first.message_id == second.message_id == 2
    assert [m["text"] for m in tg.emulator.chat_log(TOKEN, anna)] == ["Собрание в 18:00 & чай"]


async def test_reply_keyboards_are_accepted_but_not_shown_in_the_message(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Помощь")]], resize_keyboard=True)
    shown = await bot.send_message(anna, "Меню", reply_markup=keyboard)
    tg.clock.advance(1)
    removed = await bot.send_message(anna, "Убрал", reply_markup=ReplyKeyboardRemove())
    assert shown.reply_markup is None and removed.reply_markup is None


async def test_upload_once_then_send_by_file_id_to_other_chats(tg: TgRig) -> None:
    bot, anna, boris = tg.bot(), tg.member(), tg.member()
    leaflet = BufferedInputFile(b"%PDF-1.4 leaflet", filename="leaflet.pdf")
    sent = await bot.send_document(anna, leaflet, caption="<b>Листовка</b>", parse_mode="HTML")
    assert sent.document is not None and sent.caption == "Листовка"
    assert sent.document.file_name == "leaflet.pdf"
    assert sent.document.mime_type == "application/pdf"
    again = await bot.send_document(boris, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == sent.document.file_unique_id
    tg.clock.advance(1)  # one message per second per chat
    photo = await bot.send_photo(anna, BufferedInputFile(png(40, 30), filename="p.png"))
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (40, 30)
    assert tg.emulator.stats()["uploads_total"] == 2


async def test_unknown_or_foreign_file_id_is_a_wrong_file_identifier(tg: TgRig) -> None:
    bot, other, anna = tg.bot(), tg.bot(OTHER_TOKEN), tg.member()
    tg.emulator.start_bot(OTHER_TOKEN, anna)
    sent = await other.send_document(anna, BufferedInputFile(b"data", filename="a.txt"))
    assert sent.document is not None
    for file_id in ("BQACAgIAAxkBAAnotAfileId", sent.document.file_id):
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_document(anna, file_id)
        assert caught.value.message == "Bad Request: wrong file identifier/HTTP URL specified"
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await other.send_photo(anna, sent.document.file_id)


async def test_get_file_and_download_path(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    sent = await bot.send_document(anna, BufferedInputFile(b"hello bytes", filename="h.txt"))
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None and file.file_size == 11
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"hello bytes"
    async with aiohttp.ClientSession() as http:
        url = f"{tg.api_base}/file/bot{TOKEN}/documents/nothing.txt"
        async with http.get(url) as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
    with pytest.raises(TelegramBadRequest, match="Bad Request: invalid file_id"):
        await bot.get_file("nope")


async def test_poll_votes_reach_the_bot_and_stop_poll_closes_it(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    updates = await bot.get_updates()
    offset = updates[-1].update_id + 1
    sent = await bot.send_poll(
        anna,
        "Придёте на собрание?",
        [InputPollOption(text="Да"), InputPollOption(text="Нет"), "Не знаю"],
        is_anonymous=False,
    )
    assert sent.poll is not None and [o.text for o in sent.poll.options] == ["Да", "Нет", "Не знаю"]
    assert (sent.poll.is_anonymous, sent.poll.type, sent.poll.total_voter_count) == (
        False,
        "regular",
        0,
    )
    tg.emulator.vote(TOKEN, anna, sent.poll.id, [0])
    tg.emulator.vote(TOKEN, anna, sent.poll.id, [])
    answers = [u.poll_answer for u in await bot.get_updates(offset=offset) if u.poll_answer]
    assert [(a.poll_id, a.option_ids, a.user and a.user.id) for a in answers] == [
        (sent.poll.id, [0], anna),
        (sent.poll.id, [], anna),
    ]
    tg.emulator.vote(TOKEN, anna, sent.poll.id, [1])
    stopped = await bot.stop_poll(anna, sent.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [0, 1, 0]
    with pytest.raises(TelegramBadRequest, match="poll has already been closed"):
        await bot.stop_poll(anna, sent.message_id)


async def test_anonymous_poll_votes_give_no_poll_answer(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    offset = (await bot.get_updates())[-1].update_id + 1
    sent = await bot.send_poll(anna, "Тайное голосование", ["За", "Против"])
    assert sent.poll is not None and sent.poll.is_anonymous
    tg.emulator.vote(TOKEN, anna, sent.poll.id, [1])
    kinds = [u.event_type for u in await bot.get_updates(offset=offset)]
    assert kinds == ["poll"]


async def test_button_press_and_answer_callback_query(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    offset = (await bot.get_updates())[-1].update_id + 1
    sent = await bot.send_message(anna, "Подписаться?", reply_markup=_keyboard(("Да", "sub:1")))
    query_id = tg.emulator.press_button(TOKEN, anna, sent.message_id, "sub:1")
    [update] = await bot.get_updates(offset=offset)
    query = update.callback_query
    assert query is not None and query.data == "sub:1" and query.from_user.id == anna
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Готово")
    assert tg.emulator.callback_answer(query_id) == {"text": "Готово"}
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(query.id)


async def test_edits_and_deletion(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    sent = await bot.send_message(anna, "Черновик", reply_markup=_keyboard(("Ок", "ok")))
    edited = await bot.edit_message_text(
        "<b>Итог</b>",
        chat_id=anna,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=_keyboard(("Ок", "ok")),
    )
    assert not isinstance(edited, bool) and edited.text == "Итог" and edited.edit_date
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message"):
        await bot.edit_message_text(
            "<b>Итог</b>",
            chat_id=anna,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=_keyboard(("Ок", "ok")),
        )
    unmarked = await bot.edit_message_reply_markup(chat_id=anna, message_id=sent.message_id)
    assert not isinstance(unmarked, bool) and unmarked.reply_markup is None
    assert await bot.delete_message(anna, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("x", chat_id=anna, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(anna, sent.message_id)
    assert tg.emulator.chat_log(TOKEN, anna) == []


async def test_copy_message_and_replies(tg: TgRig) -> None:
    bot, anna, boris = tg.bot(), tg.member(), tg.member()
    question = tg.emulator.send_text(TOKEN, anna, "Когда взносы?")
    answer = await bot.send_message(
        anna, "До 10 числа", reply_parameters=ReplyParameters(message_id=question)
    )
    assert answer.reply_to_message is not None and answer.reply_to_message.text == "Когда взносы?"
    copied = await bot.copy_message(boris, anna, answer.message_id)
    assert tg.emulator.chat_log(TOKEN, boris)[-1]["message_id"] == copied.message_id
    assert tg.emulator.chat_log(TOKEN, boris)[-1]["text"] == "До 10 числа"
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to copy not found"):
        await bot.copy_message(boris, anna, 999)
    tg.clock.advance(1)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to be replied not found"):
        await bot.send_message(anna, "x", reply_parameters=ReplyParameters(message_id=999))


async def test_get_chat_and_set_my_commands(tg: TgRig) -> None:
    bot = tg.bot()
    anna = tg.member(first_name="Анна", last_name="Петрова")
    staff = tg.emulator.add_group("Штаб", member_ids=[anna], username="rupor_staff")
    private = await bot.get_chat(anna)
    assert (private.type, private.first_name, private.last_name) == ("private", "Анна", "Петрова")
    group = await bot.get_chat("@rupor_staff")
    assert (group.id, group.type, group.title) == (staff, "supergroup", "Штаб")
    commands = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(commands)
    assert tg.emulator.commands(TOKEN) == [{"command": "start", "description": "Начать"}]
    with pytest.raises(TelegramBadRequest, match="Bad Request: BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Старт", description="x")])


async def test_group_messages_replies_and_membership(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    staff = tg.emulator.add_group("Штаб", member_ids=[anna])
    elsewhere = tg.emulator.add_group("Другой", member_ids=[anna])
    tg.emulator.add_bot_to_group(TOKEN, staff)
    posted = await bot.send_message(staff, "Нужна помощь с рассылкой?")
    tg.emulator.group_message(staff, anna, "Да, вот текст", reply_to_message_id=posted.message_id)
    updates = await bot.get_updates()
    joined = [u.my_chat_member for u in updates if u.my_chat_member]
    assert joined and joined[0].new_chat_member.status == "member"
    [reply] = [u.message for u in updates if u.message and u.message.chat.id == staff]
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == posted.message_id
    assert reply.message_id == posted.message_id + 1
    with pytest.raises(TelegramForbiddenError, match="bot is not a member of the supergroup chat"):
        await bot.send_message(elsewhere, "Привет")


async def test_members_who_cannot_be_reached(tg: TgRig) -> None:
    bot = tg.bot()
    blocked, gone, stranger = tg.member(), tg.member(), tg.member(started=False)
    tg.emulator.block_bot(TOKEN, blocked)
    tg.emulator.deactivate_user(gone)
    forbidden = TelegramForbiddenError
    cases = [
        (blocked, forbidden, "Forbidden: bot was blocked by the user"),
        (gone, forbidden, "Forbidden: user is deactivated"),
        (stranger, forbidden, "Forbidden: bot can't initiate conversation with a user"),
        (424242, TelegramBadRequest, "Bad Request: chat not found"),
    ]
    for chat_id, error, description in cases:
        with pytest.raises(error) as caught:
            await bot.send_message(chat_id, "Привет")
        assert caught.value.message == description
    statuses = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in await bot.get_updates()
        if u.my_chat_member
    ]
    assert statuses == [("member", "kicked")]
    tg.emulator.start_bot(TOKEN, blocked, payload="back")
    restarted = await bot.get_updates()
    assert restarted[-1].message is not None and restarted[-1].message.text == "/start back"
    assert restarted[-2].my_chat_member is not None
    assert restarted[-2].my_chat_member.new_chat_member.status == "member"
    assert (await bot.send_message(blocked, "С возвращением")).text == "С возвращением"


async def test_listener_hears_every_accepted_send(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    heard: list[BotMessage] = []
    tg.emulator.add_bot_message_listener(heard.append)
    await bot.send_message(anna, "Раз")
    tg.clock.advance(1)
    poll = await bot.send_poll(anna, "Вопрос", ["а", "б"])
    tg.clock.advance(1)
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(777, "никому")
    assert [(m.kind, m.chat_id, m.text) for m in heard] == [
        ("text", anna, "Раз"),
        ("poll", anna, None),
    ]
    assert poll.poll is not None and heard[1].poll_id == poll.poll.id
    assert [m["message_id"] for m in tg.emulator.inbox(anna)] == [m.message_id for m in heard]


async def test_bad_token_and_unknown_method(tg: TgRig) -> None:
    with pytest.raises(TelegramUnauthorizedError):
        await tg.bot("111:NotARegisteredToken").get_me()
    assert await tg.raw("getMe", token="not-a-token") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await tg.raw("sendSmokeSignal") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    with pytest.raises(TelegramNotFound) as caught:
        await tg.bot()(SendSmokeSignal())
    assert caught.value.message == "Not Found"


class SendSmokeSignal(TelegramMethod[bool]):
    """A method Telegram does not have, called the way aiogram calls real ones."""

    __returning__ = bool
    __api_method__ = "sendSmokeSignal"


async def test_method_names_are_case_insensitive_and_bodies_may_be_json(tg: TgRig) -> None:
    anna = tg.member()
    status, body = await tg.raw("SENDMESSAGE", json={"chat_id": anna, "text": "json"})
    assert status == 200 and body["result"]["text"] == "json"
    tg.clock.advance(1)
    status, body = await tg.raw("sendmessage", data={"chat_id": str(anna), "text": "form"})
    assert status == 200 and body["result"]["text"] == "form"
    tg.clock.advance(1)
    status, body = await tg.raw("sendMessage", params={"chat_id": str(anna), "text": "query"})
    assert status == 200 and body["result"]["text"] == "query"


async def test_stats_over_http_match_the_python_api(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    await bot.send_message(anna, "Раз")
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{tg.api_base}/__sandbox/stats") as response,
    ):
        served = await response.json()
    assert served == tg.emulator.stats()
    assert served["accepted_messages_total"] == 1
    assert served["accepted_messages_by_chat"] == {str(anna): 1}
    assert served["requests_by_method"]["sendMessage"] == 1
