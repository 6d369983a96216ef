"""A member's photo, document and voice message over each platform's webhook, through
Rupor's own web server and the inbox into the feedback inbox of a real SQLite file.

The sandbox emulators let members write only text, so the bodies are built here as each
platform sends them (Bot API Update, VK Callback API message_new, Viber message callback)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram import TelegramChannel
from bots.texts import DIALOG
from bots.transport import ChannelDeps
from bots.viber.channel import ViberChannel
from bots.vk.channel import VkChannel
from bots.webhooks import WebServer
from core.config import settings_from_mapping
from core.inbound.dialogs import Dialogs
from core.inbound.inbox import Inbox
from core.storage.models import Contact, Inbound
from tests.factories import add_members, make_union

TG_SECRET = "tg_secret-1"
VK_SECRET = "vk-secret"
VK_GROUP = 4242
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
NOWHERE = "http://127.0.0.1:9"  # the adapters make no API call while answering these


@dataclass
class Site:
    engine: AsyncEngine
    url: str
    contacts: dict[str, str]  # channel -> an active member's external id


@pytest.fixture
async def site(engine: AsyncEngine) -> AsyncIterator[Site]:
    union = await make_union(engine)
    await add_members(engine, union, 1, {"telegram": 1.0, "vk": 1.0, "viber": 1.0})
    async with engine.connect() as conn:
        rows = (await conn.execute(select(Contact.channel, Contact.external_id))).all()
    settings = settings_from_mapping({
        "telegram": {"token": "123456:TEST-token", "api_base": NOWHERE, "mode": "webhook",
                     "webhook_secret": TG_SECRET},
        "vk": {"token": "vk-token", "group_id": VK_GROUP, "api_base": NOWHERE,
               "mode": "callback", "secret": VK_SECRET},
        "viber": {"token": VIBER_TOKEN, "api_base": NOWHERE, "name": "Профсоюз"},
    }, environ={})
    inbox = Inbox(engine, Dialogs(DIALOG))
    server = WebServer(engine, inbox.receive)
    url = await server.start("127.0.0.1", 0)
    deps = ChannelDeps(public_url=url, http_timeout_s=2.0)
    channels = [TelegramChannel.from_settings(settings, deps),
                VkChannel.from_settings(settings, deps),
                ViberChannel.from_settings(settings, deps)]
    server.add_receivers(channels)
    yield Site(engine, url, {str(c): str(e) for c, e in rows})
    await server.close()
    await inbox.close()
    for channel in channels:
        await channel.close()


async def _post(site: Site, path: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(
        f"{site.url}{path}", data=body, headers={"Content-Type": "application/json", **headers}
    ) as answer:
        return answer.status


async def _feedback(site: Site, channel: str) -> list[tuple[str, str | None]]:
    async with site.engine.connect() as conn:
        rows = await conn.execute(
            select(Inbound.text, Inbound.event)
            .where(Inbound.is_feedback, Inbound.channel == channel)
            .order_by(Inbound.id)
        )
        return [(str(text), event.get("attachment")) for text, event in rows.all()]


async def test_telegram_photo_with_caption_reaches_the_feedback_inbox(site: Site) -> None:
    member = int(site.contacts["telegram"])
    user = {"id": member, "is_bot": False, "first_name": "Анна"}
    photo = [{"file_id": f"AgAC{side}", "file_unique_id": f"u{side}", "width": side,
              "height": side} for side in (90, 1280)]
    update = {"update_id": 31, "message": {
        "message_id": 3, "date": 1_700_000_000, "from": user,
        "chat": {"id": member, "type": "private", "first_name": "Анна"},
        "photo": photo, "caption": "Расчётный лист"}}
    body = json.dumps(update).encode()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert await _post(site, "/webhooks/telegram", body, headers) == 200
    assert await _feedback(site, "telegram") == [
        ("Расчётный лист\n[фото]", "telegram:photo:AgAC1280")]


async def test_vk_document_reaches_the_feedback_inbox(site: Site) -> None:
    member = int(site.contacts["vk"])
    doc = {"id": 77, "owner_id": member, "title": "zayavlenie.pdf", "ext": "pdf",
           "access_key": "ak"}
    message = {"id": 5, "date": 1_700_000_000, "peer_id": member, "from_id": member,
               "text": "", "conversation_message_id": 2, "out": 0,
               "attachments": [{"type": "doc", "doc": doc}]}
    event = {"type": "message_new", "event_id": "e-doc-1", "v": "5.199", "group_id": VK_GROUP,
             "secret": VK_SECRET, "object": {"message": message, "client_info": {}}}
    assert await _post(site, "/webhooks/vk", json.dumps(event).encode(), {}) == 200
    assert await _feedback(site, "vk") == [
        ("[документ: zayavlenie.pdf]", f"vk:doc:{member}_77_ak")]


async def test_viber_picture_reaches_the_feedback_inbox(site: Site) -> None:
    member = site.contacts["viber"]
    callback = {"event": "message", "timestamp": 1_700_000_000_000, "chat_hostname": "SN-1",
                "message_token": 5_000_000_001, "silent": False,
                "sender": {"id": member, "name": "Анна", "language": "ru", "country": "RU",
                           "api_version": 10},
                "message": {"type": "picture", "media": "https://dl-media.viber.com/p.jpg",
                            "thumbnail": "https://dl-media.viber.com/t.jpg"}}
    body = json.dumps(callback).encode()
    signature = hmac.new(VIBER_TOKEN.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Viber-Content-Signature": signature}
    assert await _post(site, "/webhooks/viber", body, headers) == 200
    assert await _feedback(site, "viber") == [
        ("[фото]", "viber:picture:https://dl-media.viber.com/p.jpg")]
