"""A leaflet's real type comes from its bytes and its size is checked against every target
channel before the campaign is created (issue 12: a text file renamed fake.pdf went out);
nothing is stored when the file is refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram.capabilities import telegram_capabilities
from bots.viber.capabilities import viber_capabilities
from bots.vk.channel import vk_capabilities
from core.campaigns.content import ContentError
from core.campaigns.store import NewCampaign, create_campaign
from core.config import Settings
from core.sending.recording import FAST
from core.storage.models import Campaign, Media

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SMALL = replace(FAST, max_file_bytes=1024 * 1024, max_image_bytes=100 * 1024)
CHANNELS = {"big": FAST, "small": SMALL}


async def _stored(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        media = await conn.scalar(select(func.count()).select_from(Media))
        campaigns = await conn.scalar(select(func.count()).select_from(Campaign))
    return media or 0, campaigns or 0


async def _post(engine: AsyncEngine, path: Path, channels: tuple[str, ...] | None) -> int:
    new = NewCampaign(text="Листовка", media_path=path, channels=channels)
    return await create_campaign(engine, new, CHANNELS)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("fake.pdf", "Это не PDF, а текст.\n".encode(),
         "Файл fake.pdf не является PDF: его содержимое не PDF, не JPEG и не PNG (возможно, "
         "файлу сменили расширение); поддерживаются PDF, JPEG и PNG."),
        ("poster.png", JPEG,
         "Файл poster.png не является PNG: по содержимому это JPEG, исправьте расширение; "
         "поддерживаются PDF, JPEG и PNG."),
        ("photo.jpg", b"", "Файл photo.jpg не является JPEG: его содержимое не PDF, не JPEG и "
         "не PNG (возможно, файлу сменили расширение); поддерживаются PDF, JPEG и PNG."),
        ("leaflet.docx", PDF, "Файл leaflet.docx: поддерживаются PDF, JPEG и PNG."),
    ],
)
async def test_a_file_whose_bytes_are_not_its_type_is_refused_and_nothing_is_stored(
    engine: AsyncEngine, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ContentError) as refused:
        await _post(engine, path, ("big",))
    assert str(refused.value) == reason
    assert await _stored(engine) == (0, 0)


@pytest.mark.parametrize(("name", "content"), [("a.pdf", PDF), ("b.JPG", JPEG), ("c.png", PNG)])
async def test_real_pdf_jpeg_and_png_files_are_accepted(
    engine: AsyncEngine, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    await _post(engine, path, ("big",))
    assert await _stored(engine) == (1, 1)


async def test_a_file_too_large_for_one_target_channel_is_refused_naming_it(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(PDF + b"%" * 2_000_000)
    with pytest.raises(ContentError) as refused:
        await _post(engine, path, None)  # every configured channel: big and small
    assert str(refused.value) == (
        "Файл leaflet.pdf (1,9 МБ) слишком велик для small: small принимает файлы "
        "не больше 1 МБ."
    )
    assert await _stored(engine) == (0, 0)
    await _post(engine, path, ("big",))  # the channel without that limit takes it
    assert await _stored(engine) == (1, 1)


async def test_pictures_have_their_own_limit(engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "poster.png"
    path.write_bytes(PNG + b"\x00" * 200_000)
    with pytest.raises(ContentError, match="small принимает картинки не больше 100 КБ"):
        await _post(engine, path, ("small",))
    assert await _stored(engine) == (0, 0)


async def test_each_platform_refuses_what_it_cannot_take(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = Settings()
    platforms = {
        "telegram": telegram_capabilities(settings),
        "vk": vk_capabilities(settings),
        "viber": viber_capabilities(settings),
    }
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(PDF + b"%" * (50 * 1024 * 1024))
    for channel in ("telegram", "viber"):
        with pytest.raises(ContentError) as refused:
            await create_campaign(
                engine, NewCampaign(text="Листовка", media_path=path, channels=(channel,)),
                platforms,
            )
        assert str(refused.value) == (
            f"Файл leaflet.pdf (50 МБ) слишком велик для {channel}: {channel} принимает "
            "файлы не больше 50 МБ."
        )
    assert platforms["vk"].max_file_bytes == 200 * 1024 * 1024
    assert await _stored(engine) == (0, 0)
