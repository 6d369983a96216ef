"""Media fetched by URL when a message is accepted, and the injected faults: hanging
answers (the uncertain case), 5xx, random status 12 and latency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from viberbot.api.messages import FileMessage, PictureMessage, TextMessage

try:  # the helpers sit next to this file; the directory may or may not be a package
    from .test_viber_support import BOT, TOKEN, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)
except ImportError:
    from test_viber_support import BOT, TOKEN, Rig, RigFactory, make_rig, rig  # noqa: F401 (fixtures)

LEAFLET = b"%PDF-1.4 leaflet " * 64
PICTURE = b"\x89PNG" + b"\x00" * 4096


@pytest.fixture
async def files() -> AsyncIterator[str]:
    """Our own server of leaflets: /leaflet.pdf and /poster.png exist, the rest is 404."""

    def serve(content: bytes) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=content)

        return handler

    app = web.Application()
    app.router.add_get("/leaflet.pdf", serve(LEAFLET))
    app.router.add_get("/poster.png", serve(PICTURE))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


def leaflet(url: str) -> dict[str, object]:
    return FileMessage(media=url, size=len(LEAFLET), file_name="листовка.pdf").to_dict()


async def test_media_is_fetched_once_per_url(rig: Rig, files: str) -> None:
    first, second = rig.subscriber(), rig.subscriber()
    await rig.set_webhook()
    for user in (first, second):
        assert (await rig.send(user, leaflet(f"{files}/leaflet.pdf")))["status"] == 0
    picture = PictureMessage(media=f"{files}/poster.png", text="Плакат").to_dict()
    assert (await rig.send(first, picture))["status"] == 0
    body = {**picture, "sender": BOT, "broadcast_list": [first, second]}
    assert (await rig.call("broadcast_message", body))["failed_list"] == []
    stats = rig.emulator.stats()
    assert stats["media_fetches"] == 2 and stats["media_fetch_failures"] == 0
    assert sorted(rig.emulator.fetched_media()) == [f"{files}/leaflet.pdf", f"{files}/poster.png"]


async def test_media_that_cannot_be_fetched_fails_the_send(rig: Rig, files: str) -> None:
    user = rig.subscriber()
    await rig.set_webhook()
    missing = await rig.send(user, leaflet(f"{files}/gone.pdf"))
    assert missing["status"] == 3 and "HTTP 404" in missing["status_message"]
    refused = await rig.send(user, leaflet("http://127.0.0.1:9/leaflet.pdf"))
    assert refused["status"] == 3 and "failed to download media" in refused["status_message"]
    again = await rig.send(user, leaflet(f"{files}/gone.pdf"))
    assert again["status"] == 3
    assert rig.emulator.chat_log(user) == []
    assert rig.emulator.stats()["media_fetch_failures"] == 3


async def test_a_picture_over_the_size_limit_is_refused(make_rig: RigFactory, files: str) -> None:
    rig: Rig = await make_rig(max_picture_bytes=1024)
    user = rig.subscriber()
    await rig.set_webhook()
    picture = PictureMessage(media=f"{files}/poster.png", text="").to_dict()
    answer = await rig.send(user, picture)
    assert answer["status"] == 3 and "too big" in answer["status_message"]


async def hung(rig: Rig, endpoint: str, body: dict[str, object]) -> None:
    """Post and give up after 0.3 s, as an adapter's read timeout would."""
    url, headers = f"{rig.base}/pa/{endpoint}", {"X-Viber-Auth-Token": TOKEN}
    timeout = aiohttp.ClientTimeout(total=0.3)
    with pytest.raises(asyncio.TimeoutError):
        async with rig.http.post(url, json=body, headers=headers, timeout=timeout):
            pass


async def test_a_hanging_answer_still_has_its_effect(make_rig: RigFactory) -> None:
    rig: Rig = await make_rig(p_timeout=1.0, hang_s=5.0)
    user = rig.subscriber()
    await hung(rig, "set_webhook", {"url": rig.webhook.url})
    assert rig.emulator.webhook.url == rig.webhook.url
    body = {"receiver": user, "sender": BOT, **TextMessage(text="Важно").to_dict()}
    await hung(rig, "send_message", body)
    [accepted] = rig.emulator.chat_log(user)
    assert accepted.text == "Важно"
    assert rig.emulator.stats()["faults_injected"]["timeouts"] == 2


async def test_injected_5xx_and_status_12(make_rig: RigFactory) -> None:
    broken: Rig = await make_rig(p_5xx=1.0)
    async with broken.http.post(
        f"{broken.base}/pa/get_account_info", json={}, headers={"X-Viber-Auth-Token": TOKEN}
    ) as response:
        assert response.status == 500
    assert broken.emulator.stats()["faults_injected"]["5xx"] == 1
    busy: Rig = await make_rig(p_429=1.0, fault_retry_window_s=1.0)
    assert await busy.call("get_account_info") == {
        "status": 12,
        "status_message": "tooManyRequests",
    }
    busy.clock.advance(0.5)
    assert (await busy.call("get_account_info"))["status"] == 12
    stats = busy.emulator.stats()
    assert stats["faults_injected"]["status_12"] == 2 and stats["violations"] == 1


async def test_latency_is_added_to_every_answer(make_rig: RigFactory) -> None:
    rig: Rig = await make_rig(latency_s=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await rig.call("get_account_info"))["status"] == 0
    assert loop.time() - started >= 0.05
