"""Member messages without text through the adapters' real translation: Telegram updates,
VK message_new events and Viber callbacks built as the platforms send them (Bot API
Message, VK API 5.199 messages_message, Viber REST callbacks)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from aiogram.types import Update

from bots.telegram.inbound import translate as tg_translate
from bots.telegram.quick import quick_event
from bots.viber.inbound import SIGNATURE_HEADER, Webhook
from bots.vk.inbound import translate as vk_translate
from core.inbound.store import event_from_json, event_to_json
from core.ports import Command, Subscribed, Text

USER = {"id": 501, "is_bot": False, "first_name": "Анна", "last_name": "Петрова"}
PRIVATE = {"id": 501, "type": "private", "first_name": "Анна"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Штаб"}


def _size(file_id: str, side: int) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": side, "height": side}


def tg_update(chat: dict[str, Any] = PRIVATE, **content: Any) -> Update:
    message = {"message_id": 7, "date": 1_700_000_000, "chat": chat, "from": USER, **content}
    return Update.model_validate({"update_id": 900, "message": message})


def tg_file(file_id: str, **extra: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", **extra}


TELEGRAM_CASES = [
    ({"photo": [_size("small", 90), _size("big", 1280), _size("mid", 320)]},
     "[фото]", "telegram:photo:big"),
    ({"document": tg_file("d1", file_name="zayavlenie.pdf", mime_type="application/pdf")},
     "[документ: zayavlenie.pdf]", "telegram:document:d1"),
    ({"voice": tg_file("v1", duration=12)}, "[голосовое сообщение, 0:12]", "telegram:voice:v1"),
    ({"audio": tg_file("a1", duration=125)}, "[аудио, 2:05]", "telegram:audio:a1"),
    ({"video": tg_file("vd", width=640, height=480, duration=3)}, "[видео, 0:03]",
     "telegram:video:vd"),
    ({"video_note": tg_file("vn", length=240, duration=9)}, "[видеосообщение, 0:09]",
     "telegram:video_note:vn"),
    # An animation comes with `document` too (Bot API, Message.animation).
    ({"animation": tg_file("an", width=1, height=1, duration=1),
      "document": tg_file("an", file_name="cat.mp4")}, "[GIF-анимация]", "telegram:animation:an"),
    ({"sticker": tg_file("st", type="regular", width=512, height=512, is_animated=False,
                         is_video=False, emoji="👍")}, "[стикер 👍]", "telegram:sticker:st"),
    ({"location": {"latitude": 55.75, "longitude": 37.61}}, "[геопозиция: 55.75, 37.61]", None),
    ({"contact": {"phone_number": "+79001234567", "first_name": "Иван"}},
     "[контакт: Иван, +79001234567]", None),
    # A forwarded poll as Bot API 10.3 sends it (aiogram 3.31 requires its new fields).
    ({"poll": {"id": "p1", "question": "Выходим?", "options": [
        {"persistent_id": "o1", "text": "да", "voter_count": 0},
        {"persistent_id": "o2", "text": "нет", "voter_count": 0}],
        "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
        "allows_multiple_answers": False, "allows_revoting": False, "members_only": False}},
     "[опрос: Выходим?]", None),
]


@pytest.mark.parametrize(("content", "text", "ref"), TELEGRAM_CASES)
def test_telegram_private_attachments_become_described_texts(
    content: dict[str, Any], text: str, ref: str | None
) -> None:
    event = tg_translate(tg_update(**content))
    assert isinstance(event, Text)
    assert (event.event_id, event.text, event.attachment) == ("900", text, ref)
    assert event.sender.external_id == "501" and not event.sender.is_group


def test_telegram_caption_is_kept_before_the_description() -> None:
    event = tg_translate(tg_update(photo=[_size("p", 800)], caption="Расчётный лист за октябрь"))
    assert isinstance(event, Text)
    assert event.text == "Расчётный лист за октябрь\n[фото]"
    assert event.attachment == "telegram:photo:p"


def test_telegram_caption_command_stays_a_command_and_service_messages_give_nothing() -> None:
    command = tg_translate(tg_update(photo=[_size("p", 8)], caption="/help"))
    assert isinstance(command, Command) and command.name == "help"
    joined = tg_update(chat=GROUP, new_chat_members=[USER])
    assert tg_translate(joined) is None


def test_telegram_group_files_keep_author_and_reference() -> None:
    event = tg_translate(tg_update(chat=GROUP, document=tg_file("g1", file_name="устав.docx")))
    assert isinstance(event, Text) and event.sender.is_group
    assert (event.text, event.attachment, event.author_id) == (
        "[документ: устав.docx]", "telegram:document:g1", "501")


def test_telegram_plain_text_is_unchanged_and_the_shortcut_steps_aside_for_files() -> None:
    said = tg_translate(tg_update(text="  Вопрос  "))
    assert isinstance(said, Text) and (said.text, said.attachment) == ("  Вопрос  ", None)
    body = {"update_id": 900, "message": {"message_id": 7, "date": 1, "chat": PRIVATE,
                                          "from": USER, "photo": [_size("p", 8)]}}
    assert quick_event(json.dumps(body).encode(), None) is None


def vk_event(message: dict[str, Any], peer_id: int = 301) -> dict[str, Any]:
    base = {"id": 11, "date": 1_700_000_000, "peer_id": peer_id, "from_id": 301, "text": "",
            "conversation_message_id": 4, "out": 0, "attachments": [], **message}
    return {"type": "message_new", "event_id": "ev1", "v": "5.199", "group_id": 1,
            "object": {"message": base, "client_info": {}}}


def vk_item(kind: str, **body: Any) -> dict[str, Any]:
    return {"type": kind, kind: body}


VK_CASES = [
    ([vk_item("photo", id=5, owner_id=301, access_key="k", sizes=[])], "[фото]",
     "vk:photo:301_5_k"),
    ([vk_item("doc", id=6, owner_id=301, title="zayavlenie", ext="pdf")],
     "[документ: zayavlenie.pdf]", "vk:doc:301_6"),
    ([vk_item("audio_message", id=7, owner_id=301, duration=12, link_ogg="https://x")],
     "[голосовое сообщение, 0:12]", "vk:audio_message:301_7"),
    ([vk_item("sticker", sticker_id=163, product_id=4)], "[стикер]", "vk:sticker:163"),
    ([vk_item("video", id=8, owner_id=-9, duration=61, title="Митинг")], "[видео, 1:01]",
     "vk:video:-9_8"),
    ([vk_item("wall", id=9, owner_id=-9, from_id=-9)], "[запись со стены]", "vk:wall:-9_9"),
    ([vk_item("link", url="https://eseur.ru/news", title="Новость")],
     "[ссылка: https://eseur.ru/news]", None),
    ([vk_item("geo", coordinates={"latitude": 55.7, "longitude": 37.6})],
     "[геопозиция: 55.7, 37.6]", None),
    ([vk_item("gift", id=1)], "[вложение]", None),
    ([vk_item("photo", id=1, owner_id=2), vk_item("photo", id=3, owner_id=2)],
     "[фото] [фото]", "vk:photo:2_1 vk:photo:2_3"),
]


@pytest.mark.parametrize(("attachments", "text", "ref"), VK_CASES)
def test_vk_attachments_become_described_texts(
    attachments: list[dict[str, Any]], text: str, ref: str | None
) -> None:
    [event] = vk_translate(vk_event({"attachments": attachments}))
    assert isinstance(event, Text)
    assert (event.event_id, event.text, event.attachment) == ("ev1", text, ref)


def test_vk_message_geo_text_and_group_chat() -> None:
    geo = {"type": "point", "coordinates": {"latitude": 1.5, "longitude": 2.5}}
    [event] = vk_translate(vk_event({"geo": geo, "text": "Я тут"}))
    assert isinstance(event, Text) and event.text == "Я тут\n[геопозиция: 1.5, 2.5]"
    photo = [vk_item("photo", id=5, owner_id=301)]
    [group] = vk_translate(vk_event({"attachments": photo}, peer_id=2_000_000_001))
    assert isinstance(group, Text) and group.sender.is_group
    assert (group.text, group.attachment, group.author_id) == ("[фото]", "vk:photo:301_5", "301")


def test_vk_message_with_several_files_names_each_of_them() -> None:
    """Every photo and document of one message, with its download URL (a sticker among
    them is only described); a message with one file keeps Text.files empty."""
    sizes = [{"type": "s", "url": "https://vk/p1s", "width": 75, "height": 50},
             {"type": "x", "url": "https://vk/p1x", "width": 604, "height": 403}]
    several = [vk_item("photo", id=1, owner_id=301, access_key="a", sizes=sizes),
               vk_item("sticker", sticker_id=163),
               vk_item("doc", id=2, owner_id=301, title="акт", ext="pdf", url="https://vk/d2")]
    [event] = vk_translate(vk_event({"attachments": several, "text": "Смотрите"}))
    assert isinstance(event, Text)
    assert event.files == (("vk:photo:301_1_a", "https://vk/p1x", ""),
                           ("vk:doc:301_2", "https://vk/d2", "акт.pdf"))
    assert (event.file_url, event.file_name) == ("https://vk/p1x", None)  # the first file
    assert event_from_json(json.loads(json.dumps(event_to_json(event)))) == event
    [one] = vk_translate(vk_event({"attachments": several[1:]}))
    assert isinstance(one, Text) and one.files == () and one.file_url == "https://vk/d2"


def test_vk_invite_with_a_photo_subscribes_and_files_it() -> None:
    photo = [vk_item("photo", id=5, owner_id=301)]
    joined, said = vk_translate(vk_event({"attachments": photo, "ref": "s42"}))
    assert isinstance(joined, Subscribed) and joined.invite == "s42"
    assert isinstance(said, Text) and (said.event_id, said.text) == ("ev1:text", "[фото]")


TOKEN = "viber-token"


def viber_answer(message: dict[str, Any]) -> tuple[Any, ...]:
    payload = {"event": "message", "timestamp": 1_700_000_000_000, "message_token": 77,
               "chat_hostname": "SN-1", "silent": False,
               "sender": {"id": "vu1==", "name": "Анна", "language": "ru", "country": "RU",
                          "api_version": 10},
               "message": message}
    body = json.dumps(payload).encode()
    signature = hmac.new(TOKEN.encode(), body, hashlib.sha256).hexdigest()
    answer = Webhook(TOKEN, {"name": "Профсоюз"}).answer({SIGNATURE_HEADER: signature}, body)
    assert answer.status == 200
    return tuple(answer.events)


VIBER_CASES = [
    ({"type": "picture", "media": "https://dl-media.viber.com/p.jpg", "thumbnail": "t"},
     "[фото]", "viber:picture:https://dl-media.viber.com/p.jpg"),
    ({"type": "video", "media": "https://v/m.mp4", "size": 100, "duration": 12},
     "[видео, 0:12]", "viber:video:https://v/m.mp4"),
    ({"type": "file", "media": "https://v/f", "size": 10, "file_name": "zayavlenie.pdf"},
     "[документ: zayavlenie.pdf]", "viber:file:https://v/f"),
    ({"type": "sticker", "sticker_id": 46105}, "[стикер]", "viber:sticker:46105"),
    ({"type": "location", "location": {"lat": 55.7, "lon": 37.6}},
     "[геопозиция: 55.7, 37.6]", None),
    ({"type": "contact", "contact": {"name": "Иван", "phone_number": "+79001234567"}},
     "[контакт: Иван, +79001234567]", None),
    ({"type": "url", "media": "https://eseur.ru/news"}, "https://eseur.ru/news", None),
]


@pytest.mark.parametrize(("message", "text", "ref"), VIBER_CASES)
def test_viber_media_become_described_texts(
    message: dict[str, Any], text: str, ref: str | None
) -> None:
    [event] = viber_answer(message)
    assert isinstance(event, Text)
    assert (event.event_id, event.text, event.attachment) == ("message:77:vu1==", text, ref)


def test_viber_picture_caption_is_kept() -> None:
    [event] = viber_answer({"type": "picture", "media": "https://v/p.jpg", "text": "Лист"})
    assert isinstance(event, Text) and event.text == "Лист\n[фото]"
