"""The press secretary's /post on VK with a PDF leaflet through the sandbox: the community
receives the document with its caption, the VK adapter downloads it from the URL VK gave
(doc.url), read_leaflet checks it, the preview and the members get the same document."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.chat_support import LEAFLET, campaigns, make_press, press, press_rig, received, say
from tests.e2e.subs_support import POLLING, Rig, answer


async def test_post_a_leaflet_on_vk(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig = await Rig.open(tmp_path, db_url, POLLING)
    rigs.append(rig)
    secretary, member = rig.subscriber("vk"), rig.subscriber("vk")
    await make_press(rig, secretary)
    await rig.start()
    await say(secretary, "/post", contains="Пришлите текст")
    before = len(secretary.chat())
    vk = rig.sandbox.vk
    await answer(secretary, lambda: vk.send_document(
        int(secretary.external_id), "листок.pdf", LEAFLET, "**Листок** за май: зарплата"),
        contains="Кому отправить")
    await press(secretary, "Весь регион", contains="Когда отправить")
    summary = await press(secretary, "Сейчас", contains="Отправить?")
    assert "ВКонтакте:" in summary.text
    preview = [line for line in secretary.chat()[before:] if line.media]
    assert len(preview) == 1 and preview[0].media == "document листок.pdf"
    assert preview[0].text == "Листок за май: зарплата"
    await press(secretary, "✅ Отправить", contains="Рассылка №")
    got = await received(rig, member, "Листок за май")
    assert (got.media, got.text) == (preview[0].media, preview[0].text)
    ((_, status, audience, _, _),) = await campaigns(rig)
    assert status in ("running", "done") and audience == "all"
    stored = [doc for (owner, _), doc in vk.world.media.docs.items() if owner < 0]
    assert stored and all(vk.world.media.contents[("doc", d["owner_id"], d["id"])] == LEAFLET
                          for d in stored)


async def test_a_file_that_is_no_leaflet_is_refused_on_vk(
        rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    rig, secretary = await press_rig(rigs, tmp_path, db_url, "vk")
    await say(secretary, "/post", contains="Пришлите текст")
    vk = rig.sandbox.vk
    refused = await answer(secretary, lambda: vk.send_document(
        int(secretary.external_id), "fake.pdf", b"not a pdf at all", "Листок"),
        contains="не является PDF")
    assert "Пришлите" in refused.text
    assert await campaigns(rig) == []
