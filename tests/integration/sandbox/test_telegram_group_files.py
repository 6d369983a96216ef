"""A member's photo or document in a group (sandbox.telegram.group_files), through a real
aiogram 3.31 Bot: Message.photo / document with caption and reply_to_message, a file_id per
bot that getFile downloads and that this bot — and no other — can send again."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest

from sandbox.telegram.errors import MemberActionError
from sandbox.telegram.group_files import group_file

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


async def test_a_photo_reply_in_a_group_reaches_every_bot(tg: TgRig) -> None:
    bot, other, anna, boris = tg.bot(), tg.bot(OTHER_TOKEN), tg.member(), tg.member()
    staff = tg.emulator.add_group("Штаб", member_ids=[anna])
    for token in (TOKEN, OTHER_TOKEN):
        tg.emulator.add_bot_to_group(token, staff)
    posted = await bot.send_message(staff, "Вопрос №1")
    image = png(40, 30)
    sent_id = group_file(tg.emulator, staff, anna, "photo", "p.png", image, caption="Схема",
                         reply_to_message_id=posted.message_id)
    [message] = [u.message for u in await bot.get_updates() if u.message
                 and u.message.chat.id == staff and u.message.photo]
    assert message.message_id == sent_id and message.caption == "Схема"
    assert message.text is None and message.from_user is not None
    assert message.reply_to_message is not None
    assert message.reply_to_message.message_id == posted.message_id
    photo = message.photo[-1] if message.photo else None
    assert photo is not None and (photo.width, photo.height) == (40, 30)
    file = await bot.get_file(photo.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == image
    again = await bot.send_photo(boris, photo.file_id)  # by file_id: no upload
    assert again.photo is not None and tg.emulator.stats()["uploads_total"] == 0
    [theirs] = [u.message for u in await other.get_updates() if u.message and u.message.photo]
    assert theirs.photo is not None and theirs.photo[-1].file_id != photo.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await other.send_photo(boris, photo.file_id)


async def test_a_document_in_a_group_and_refusals(tg: TgRig) -> None:
    bot, anna, stranger = tg.bot(), tg.member(), tg.member()
    staff = tg.emulator.add_group("Штаб", member_ids=[anna])
    tg.emulator.add_bot_to_group(TOKEN, staff)
    group_file(tg.emulator, staff, anna, "document", "бланк.pdf", b"%PDF-1.4 x")
    [message] = [u.message for u in await bot.get_updates() if u.message and u.message.document]
    assert message.document is not None and message.document.file_name == "бланк.pdf"
    assert message.document.mime_type == "application/pdf" and message.caption is None
    with pytest.raises(MemberActionError, match="not in group"):
        group_file(tg.emulator, staff, stranger, "document", "a.pdf", b"%PDF-1.4")
    with pytest.raises(MemberActionError, match="kind"):
        group_file(tg.emulator, staff, anna, "voice", "a.ogg", b"OggS")
    with pytest.raises(MemberActionError, match="not in chat"):
        group_file(tg.emulator, staff, anna, "photo", "p.png", png(2, 2), reply_to_message_id=999)
