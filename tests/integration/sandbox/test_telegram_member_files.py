"""A member sends the bot a document (Bot API Message.document + caption): the bot reads it
from getUpdates, getFile gives its path, and the file downloads as sent."""

from __future__ import annotations

import pytest

from sandbox.telegram import MemberActionError

try:
    from .test_telegram_support import OTHER_TOKEN, TOKEN, TgRig, tg  # noqa: F401 (fixtures)
except ImportError:
    from test_telegram_support import OTHER_TOKEN, TOKEN, TgRig, tg  # noqa: F401 (fixtures)

LEAFLET = b"%PDF-1.4\n% a tiny leaflet\n"


async def test_a_member_document_reaches_the_bot_and_downloads(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    uploads = tg.emulator.stats()["uploads_total"]
    message_id = tg.emulator.send_document(TOKEN, anna, "листок.pdf", LEAFLET, "Листок за май")
    update = (await bot.get_updates())[-1]
    message = update.message
    assert message is not None and message.message_id == message_id
    assert message.text is None and message.caption == "Листок за май"
    document = message.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "листок.pdf", "application/pdf", len(LEAFLET))
    found = await bot.get_file(document.file_id)
    assert found.file_path is not None
    downloaded = await bot.download_file(found.file_path)
    assert downloaded is not None and downloaded.read() == LEAFLET
    assert tg.emulator.stats()["uploads_total"] == uploads  # the member's, not the bot's


async def test_a_member_document_without_caption_has_none(tg: TgRig) -> None:
    bot, anna = tg.bot(), tg.member()
    tg.emulator.send_document(TOKEN, anna, "a.pdf", LEAFLET)
    message = (await bot.get_updates())[-1].message
    assert message is not None and message.caption is None and message.document is not None


async def test_the_file_id_is_the_receiving_bots_only(tg: TgRig) -> None:
    anna = tg.member()
    tg.emulator.send_document(TOKEN, anna, "a.pdf", LEAFLET)
    message = (await tg.bot().get_updates())[-1].message
    assert message is not None and message.document is not None
    with pytest.raises(Exception, match="invalid file_id"):
        await tg.bot(OTHER_TOKEN).get_file(message.document.file_id)


async def test_a_member_who_never_started_the_bot_cannot_send(tg: TgRig) -> None:
    stranger = tg.member(started=False)
    with pytest.raises(MemberActionError):
        tg.emulator.send_document(TOKEN, stranger, "a.pdf", LEAFLET)
