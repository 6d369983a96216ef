"""A member sends the community a document or a photo: message_new carries the attachment
objects of VK API 5.199 (docs_doc with url, photos_photo with sizes[].url), and the URLs
download the bytes from the emulator itself."""

from __future__ import annotations

import asyncio
import base64
import io

import requests
from PIL import Image
from vk_api.bot_longpoll import VkBotLongPoll

try:
    from .test_vk_support import VkRig, make_vk_rig, vk_rig  # noqa: F401 (fixtures)
except ImportError:
    from test_vk_support import VkRig, make_vk_rig, vk_rig  # noqa: F401 (fixtures)

PDF = b"%PDF-1.4\n%%EOF\n"


def _png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(image, format="PNG")
    return image.getvalue()


async def test_a_document_and_a_photo_arrive_with_downloadable_urls(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, "Ирина", "Соколова")
    lp = await asyncio.to_thread(VkBotLongPoll, vk_rig.session(), emulator.knobs.group_id, 0)

    emulator.send_document(10, "листок.pdf", PDF, "Листок за май")
    emulator.send_photo(10, _png())
    events = await asyncio.to_thread(lp.check)

    first, second = (event.message for event in events)
    assert first.text == "Листок за май" and second.text == ""
    (doc_item,), (photo_item,) = first.attachments, second.attachments
    doc, photo = doc_item["doc"], photo_item["photo"]
    assert doc_item["type"] == "doc" and photo_item["type"] == "photo"
    assert (doc["owner_id"], doc["title"], doc["ext"], doc["size"], doc["type"]) == (
        10, "листок", "pdf", len(PDF), 1)
    assert doc["access_key"] and photo["access_key"] and photo["owner_id"] == 10
    assert (photo["sizes"][0]["width"], photo["sizes"][0]["height"]) == (4, 3)
    got_doc = await asyncio.to_thread(requests.get, doc["url"], timeout=5)
    got_photo = await asyncio.to_thread(requests.get, photo["sizes"][0]["url"], timeout=5)
    assert got_doc.content == PDF and got_photo.content == _png()
    assert doc["url"].startswith(vk_rig.api_base)


async def test_member_files_over_http_and_refusals(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(11)
    url = f"{vk_rig.api_base}/__sandbox/users/11/document"
    body = {"filename": "a.pdf", "content_base64": base64.b64encode(PDF).decode(), "text": "x"}

    sent = await asyncio.to_thread(requests.post, url, json=body, timeout=5)
    not_image = await asyncio.to_thread(
        requests.post, f"{vk_rig.api_base}/__sandbox/users/11/photo",
        json={"content_base64": base64.b64encode(b"text").decode()}, timeout=5)

    assert sent.status_code == 200
    assert sent.json()["result"]["attachments"][0]["doc"]["ext"] == "pdf"
    assert not_image.status_code == 400 and "image" in not_image.json()["error"]
    [message] = emulator.conversation(11)
    assert message.text == "x"
