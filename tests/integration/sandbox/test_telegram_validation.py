"""Every call is checked against the Bot API spec; refusals are worded as Telegram words them."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import methods
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputPollOption,
    LinkPreviewOptions,
)

from sandbox.telegram.server import HANDLERS
from sandbox.telegram.spec import load_spec

try:
    from .test_telegram_support import TOKEN, TgRig, tg  # noqa: F401 (fixtures)
except ImportError:
    from test_telegram_support import TOKEN, TgRig, tg  # noqa: F401 (fixtures)


def _bad(description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}


async def test_unknown_parameters_are_refused_in_form_and_json_bodies(tg: TgRig) -> None:
    anna = tg.member()
    form = {"chat_id": str(anna), "text": "x", "parse_mod": "HTML"}
    assert await tg.raw("sendMessage", data=form) == (400, _bad('unknown parameter "parse_mod"'))
    body = {"chat_id": anna, "text": "x", "reply_markup": {"inline_keyboard": [], "colour": 1}}
    assert await tg.raw("sendMessage", json=body) == (
        400,
        _bad('can\'t parse reply markup: unknown field "colour"'),
    )
    assert tg.emulator.chat_log(TOKEN, anna) == []
    stats = tg.emulator.stats()
    assert stats["validation_errors"] == 2
    assert 'Bad Request: unknown parameter "parse_mod"' in stats["validation_error_descriptions"]


@pytest.mark.parametrize(
    ("method", "form", "description"),
    [
        ("sendMessage", {"chat_id": "1"}, "message text is empty"),
        ("sendMessage", {"chat_id": "1", "text": ""}, "message text is empty"),
        ("sendMessage", {"text": "x"}, "chat_id is empty"),
        ("sendDocument", {"chat_id": "1"}, "there is no document in the request"),
        (
            "sendPhoto",
            {"chat_id": "1", "photo": "attach://nothing"},
            "there is no photo in the request",
        ),
        ("getFile", {}, "file_id not specified"),
        ("deleteMessage", {"message_id": "1"}, "chat identifier is not specified"),
        ("deleteMessage", {"chat_id": "1"}, "message identifier is not specified"),
        ("setMyCommands", {}, 'parameter "commands" is required'),
        (
            "copyMessage",
            {"chat_id": "1", "message_id": "1"},
            'parameter "from_chat_id" is required',
        ),
    ],
)
async def test_missing_required_parameters(
    tg: TgRig, method: str, form: dict[str, str], description: str
) -> None:
    assert await tg.raw(method, data=form) == (400, _bad(description))


@pytest.mark.parametrize(
    ("form", "description"),
    [
        ({"chat_id": "anna", "text": "x"}, "chat_id must be a valid Integer or an @username"),
        (
            {"chat_id": "1", "text": "x", "disable_notification": "yes"},
            "disable_notification must be a Boolean",
        ),
        (
            {"chat_id": "1", "text": "x", "message_thread_id": "1.5"},
            "message_thread_id must be a valid Integer",
        ),
        (
            {"chat_id": "1", "text": "x", "reply_markup": "{"},
            "can't parse reply keyboard markup JSON object",
        ),
        (
            {"chat_id": "1", "text": "x", "entities": "[1]"},
            "can't parse MessageEntity: expected an Object",
        ),
    ],
)
async def test_wrongly_typed_parameters(tg: TgRig, form: dict[str, str], description: str) -> None:
    assert await tg.raw("sendMessage", data=form) == (400, _bad(description))


async def test_explicit_entities_must_have_a_known_type(tg: TgRig) -> None:
    anna = tg.member()
    body = {
        "chat_id": anna,
        "text": "abc",
        "entities": [{"type": "shiny", "offset": 0, "length": 1}],
    }
    assert await tg.raw("sendMessage", json=body) == (
        400,
        _bad("can't parse MessageEntity: Unsupported type specified"),
    )
    body["entities"] = [{"type": "bold", "offset": 0, "length": 1}]
    status, answer = await tg.raw("sendMessage", json=body)
    assert status == 200 and answer["result"]["entities"] == body["entities"]
    assert await tg.raw("sendMessage", data="{", headers={"Content-Type": "application/json"}) == (
        400,
        _bad("can't parse JSON encoded request"),
    )


async def test_text_length_counts_utf16_after_html_parsing(tg: TgRig) -> None:
    bot = tg.bot()
    anna, boris, vera = tg.member(), tg.member(), tg.member()
    # 4096 visible characters inside markup: the raw text is longer, the message is not.
    fits = await bot.send_message(anna, "<b>" + "я" * 4096 + "</b>", parse_mode="HTML")
    assert len(fits.text or "") == 4096
    # An emoji outside the BMP is two UTF-16 code units.
    assert await bot.send_message(boris, "😀" * 2048)
    for text in ("я" * 4097, "😀" * 2048 + "!"):
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_message(vera, text)
        assert caught.value.message == "Bad Request: message is too long"
    with pytest.raises(TelegramBadRequest, match="Bad Request: message must be non-empty"):
        await bot.send_message(vera, "<b> </b>", parse_mode="HTML")


async def test_caption_length_counts_after_html_parsing(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    sent = await bot.send_document(
        anna, _file(), caption="<i>" + "ё" * 1024 + "</i>", parse_mode="HTML"
    )
    assert sent.document is not None
    with pytest.raises(TelegramBadRequest) as caught:
        await bot.send_document(anna, sent.document.file_id, caption="ё" * 1025)
    assert caught.value.message == "Bad Request: message caption is too long"


def _file() -> Any:
    from aiogram.types import BufferedInputFile

    return BufferedInputFile(b"%PDF-1.4", filename="a.pdf")


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("Привет <x>", 'Unsupported start tag "x" at byte offset 13'),
        ("<b>жирный", 'Can\'t find end tag corresponding to start tag "b"'),
        ("текст</b>", "Unexpected end tag at byte offset 10"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
    ],
)
async def test_broken_html_is_refused_with_telegrams_detail(
    tg: TgRig, html: str, detail: str
) -> None:
    with pytest.raises(TelegramBadRequest) as caught:
        await tg.bot().send_message(tg.member(), html, parse_mode="HTML")
    assert caught.value.message == f"Bad Request: can't parse entities: {detail}"


async def test_html_entities_and_supported_tags(tg: TgRig) -> None:
    html = (
        "&lt;a&gt; &amp; &quot;b&quot; &#1071;&#x44F; <s>s</s> <u>u</u> <code>c</code> "
        '<pre><code class="language-python">p</code></pre> <a href="https://union.example/">l</a> '
        '<span class="tg-spoiler">h</span> <tg-spoiler>t</tg-spoiler> '
        "<blockquote expandable>q</blockquote>"
    )
    sent = await tg.bot().send_message(tg.member(), html, parse_mode="HTML")
    assert sent.text == '<a> & "b" Яя s u c p l h t q'
    kinds = [(e.type, sent.text[e.offset : e.offset + e.length]) for e in sent.entities or []]
    assert kinds == [
        ("strikethrough", "s"),
        ("underline", "u"),
        ("code", "c"),
        ("pre", "p"),
        ("text_link", "l"),
        ("spoiler", "h"),
        ("spoiler", "t"),
        ("expandable_blockquote", "q"),
    ]
    pre = [e for e in sent.entities or [] if e.type == "pre"]
    assert pre[0].language == "python"


async def test_markdown_is_not_emulated(tg: TgRig) -> None:
    with pytest.raises(TelegramBadRequest, match='parse_mode "MarkdownV2" is not supported'):
        await tg.bot().send_message(tg.member(), "*x*", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match="Bad Request: unsupported parse_mode"):
        await tg.bot().send_message(tg.member(), "x", parse_mode="BBCode")


async def test_poll_limits(tg: TgRig) -> None:
    bot = tg.bot()
    cases = [
        ("?" * 301, ["a", "b"], "poll question length must not exceed 300"),
        ("   ", ["a", "b"], "text must be non-empty"),
        ("Q", [str(i) for i in range(13)], "poll can't have more than 12 options"),
        ("Q", ["a", "я" * 101], "poll options length must not exceed 100"),
        ("Q", ["a", " "], "text must be non-empty"),
    ]
    for question, options, description in cases:
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_poll(tg.member(), question, options)
        assert caught.value.message == f"Bad Request: {description}"
    sent = await bot.send_poll(
        tg.member(), "Я" * 300, [InputPollOption(text="😀" * 100) for _ in range(12)]
    )
    assert sent.poll is not None and len(sent.poll.options) == 12
    anna = tg.member()
    status, body = await tg.raw(
        "sendPoll", data={"chat_id": anna, "question": "Q", "options": "[]"}
    )
    assert (status, body) == (400, _bad("poll must have at least one answer option"))


async def test_inline_buttons(tg: TgRig) -> None:
    bot = tg.bot()

    def markup(**button: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="B", **button)]])

    # callback_data is 1-64 bytes: 32 Cyrillic letters are 64 bytes.
    assert await bot.send_message(tg.member(), "x", reply_markup=markup(callback_data="д" * 32))
    refusals = [
        (markup(callback_data="д" * 33), "BUTTON_DATA_INVALID"),
        (
            markup(),
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            markup(url="not a link"),
            "inline keyboard button URL 'not a link' is invalid: Wrong HTTP URL",
        ),
    ]
    for reply_markup, description in refusals:
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_message(tg.member(), "x", reply_markup=reply_markup)
        assert caught.value.message == f"Bad Request: {description}"
    assert await bot.send_message(tg.member(), "x", reply_markup=markup(url="https://t.me/x"))


async def test_fields_newer_than_the_spec_are_accepted(tg: TgRig) -> None:
    bot, anna, boris = tg.bot(), tg.member(), tg.member()
    hello = await bot.send_message(
        anna, "Привет", link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    tg.clock.advance(1)
    # Legacy parameters aiogram 3.31 still sends when a caller sets them (Telegram honours them).
    reply = await bot.send_message(
        anna, "Ответ", reply_to_message_id=hello.message_id, disable_web_page_preview=True
    )
    assert reply.reply_to_message is not None
    body = {
        "chat_id": boris,
        "text": "x",
        "ephemeral_message_parameters": {"receiver_user_id": boris},
    }
    status, answer = await tg.raw("sendMessage", json=body)
    assert status == 200 and answer["result"]["text"] == "x"


_NOT_A_PARAMETER = {"rich_message"}


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_every_field_aiogram_can_send_is_known(name: str) -> None:
    """aiogram 3.31 speaks Bot API 10.3; the spec file is 10.1 plus an explicit allow-list."""
    method = load_spec().method(name)
    assert method is not None
    model = _aiogram_method(method.name)
    sendable = {field.alias or key for key, field in model.model_fields.items()}
    assert sendable - set(method.fields) == set()


def _aiogram_method(api_name: str) -> type[TelegramMethod[Any]]:
    for value in vars(methods).values():
        if isinstance(value, type) and getattr(value, "__api_method__", None) == api_name:
            return value
    raise AssertionError(f"aiogram has no {api_name}")
