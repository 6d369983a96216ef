"""Several files in one VK message (the emulator's send_files, chat_message's photos= and
documents=, and the HTTP action "files"): one message_new whose attachments list every
photo and document in order, each downloadable; more than the knob's ten is refused."""

from __future__ import annotations

import asyncio
import base64
import io

import pytest
import requests
from PIL import Image
from vk_api.bot_longpoll import VkBotLongPoll

try:
    from .test_vk_support import VkRig, make_vk_rig, vk_rig  # noqa: F401 (fixtures)
except ImportError:
    from test_vk_support import VkRig, make_vk_rig, vk_rig  # noqa: F401 (fixtures)

PDF = b"%PDF-1.4\n%%EOF\n"


def _png(shade: int) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 3), (shade, 0, 0)).save(image, format="PNG")
    return image.getvalue()


async def test_one_message_with_several_files(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(20, "Ирина", "Соколова")
    emulator.register_user(21)
    peer = emulator.add_chat("Штаб", [20, 21])
    emulator.add_bot_to_chat(peer)
    lp = await asyncio.to_thread(VkBotLongPoll, vk_rig.session(), emulator.knobs.group_id, 0)

    emulator.send_files(20, photos=[_png(1), _png(2)], documents=[("акт.pdf", PDF)],
                        text="Три файла")
    emulator.chat_message(peer, 21, "Два фото", photos=[_png(3), _png(4)])
    body = {"photos_base64": [base64.b64encode(_png(5)).decode()],
            "documents": [{"filename": "б.pdf", "content_base64": base64.b64encode(PDF).decode()}],
            "text": "По HTTP"}
    sent = await asyncio.to_thread(requests.post, f"{vk_rig.api_base}/__sandbox/users/20/files",
                                   json=body, timeout=5)
    assert sent.status_code == 200
    events = await asyncio.to_thread(lp.check)

    dialog, chat, http = (event.message for event in events)
    assert [a["type"] for a in dialog.attachments] == ["photo", "photo", "doc"]
    assert [a["type"] for a in chat.attachments] == ["photo", "photo"] and chat.peer_id == peer
    assert [a["type"] for a in http.attachments] == ["photo", "doc"]
    urls = [a["photo"]["sizes"][0]["url"] for a in dialog.attachments[:2]]
    got = [(await asyncio.to_thread(requests.get, url, timeout=5)).content for url in urls]
    assert got == [_png(1), _png(2)]
    with pytest.raises(ValueError, match="at most 10"):
        emulator.send_files(20, photos=[_png(6)] * 11)
