"""Member events through vk_api's VkBotLongPoll, Callback API delivery, uploads and polls."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from aiohttp import web
from PIL import Image
from vk_api import VkUpload
from vk_api.bot_longpoll import VkBotLongPoll
from vk_api.keyboard import VkKeyboard

try:
    from .test_vk_support import (  # noqa: F401 (fixtures)
        RigFactory,
        VkRig,
        api_error,
        call,
        make_vk_rig,
        vk_rig,
        wait_for,
    )
except ImportError:
    from test_vk_support import (  # noqa: F401 (fixtures)
        RigFactory,
        VkRig,
        api_error,
        call,
        make_vk_rig,
        vk_rig,
        wait_for,
    )


def _types(events: list[Any]) -> list[str]:
    """Event types as strings: vk_api leaves types its enum lacks (message_read) as str."""
    return [getattr(event.type, "value", event.type) for event in events]


async def _long_poll(rig: VkRig, wait: int = 0) -> VkBotLongPoll:
    return await asyncio.to_thread(VkBotLongPoll, rig.session(), rig.emulator.knobs.group_id, wait)


async def test_long_poll_carries_allow_new_button_read_and_deny(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, "Ирина", "Соколова")
    api = vk_rig.session().get_api()
    lp = await _long_poll(vk_rig)

    emulator.allow_messages(10, key="leaflet-7")
    emulator.write(10, "Начать", ref="leaflet-7", ref_source="qr")
    first = await asyncio.to_thread(lp.check)
    keyboard = VkKeyboard(inline=True)
    keyboard.add_callback_button("Приду", payload={"vote": "yes"})
    await call(
        api.messages.send,
        peer_id=10,
        message="Собрание?",
        random_id=1,
        keyboard=keyboard.get_keyboard(),
    )
    event_id = emulator.press_callback_button(10, label="Приду")
    emulator.read(10)
    emulator.deny_messages(10)
    second = await asyncio.to_thread(lp.check)

    assert _types(first) == ["message_allow", "message_new"]
    assert first[0].object.user_id == 10 and first[0].object.key == "leaflet-7"
    message = first[1].message
    assert (message.from_id, message.peer_id, message.text) == (10, 10, "Начать")
    assert (message.ref, message.ref_source) == ("leaflet-7", "qr")
    assert first[1].from_user and first[1].client_info.keyboard
    assert _types(second) == ["message_event", "message_read", "message_deny"]
    pressed = second[0].object
    sent = emulator.dialog(10)[0]
    assert pressed.payload == {"vote": "yes"}  # VK decodes the payload of message_event
    assert (pressed.event_id, pressed.user_id, pressed.peer_id) == (event_id, 10, 10)
    assert pressed.conversation_message_id == sent.conversation_message_id
    assert second[1].object.read_message_id == sent.message_id
    assert not emulator.world.members[10].allowed


async def test_button_presses_and_event_answers(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, allowed=True)
    api = vk_rig.session().get_api()
    keyboard = VkKeyboard(one_time=True)
    keyboard.add_button("Да", payload={"answer": "yes"})
    keyboard.add_callback_button("Подробнее", payload={"more": 1})
    kb = keyboard.get_keyboard()
    await call(api.messages.send, peer_id=10, message="?", random_id=1, keyboard=kb)

    reply = emulator.press_text_button(10, "Да")
    event_id = emulator.press_callback_button(10, payload='{"more":1}')
    snackbar = '{"type":"show_snackbar","text":"Принято"}'
    answered = await call(
        api.messages.sendMessageEventAnswer,
        event_id=event_id,
        user_id=10,
        peer_id=10,
        event_data=snackbar,
    )
    twice = await api_error(
        api.messages.sendMessageEventAnswer, event_id=event_id, user_id=10, peer_id=10
    )

    assert (reply.text, reply.payload) == ("Да", '{"answer":"yes"}')
    assert answered == 1
    assert twice.code == 100
    assert emulator.event_answers()[0]["event_data"] == {"type": "show_snackbar", "text": "Принято"}
    with pytest.raises(LookupError):
        emulator.press_callback_button(10, label="Нет такой")


async def test_a_waiting_check_returns_when_an_event_arrives(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, allowed=True)
    lp = await _long_poll(vk_rig, wait=20)

    waiting = asyncio.create_task(asyncio.to_thread(lp.check))
    await wait_for(lambda: emulator.stats()["longpoll"].get("checks", 0) == 1)
    emulator.write(10, "Вопрос")
    events = await asyncio.wait_for(waiting, timeout=10)

    assert [e.message.text for e in events] == ["Вопрос"]


async def test_long_poll_failures_1_2_3_are_handled_by_vk_api(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, allowed=True)
    lp = await _long_poll(vk_rig)
    key, ts = lp.key, lp.ts

    emulator.write(10, "потеряно")
    emulator.force_longpoll_failure(1)
    assert await asyncio.to_thread(lp.check) == []
    assert lp.key == key and int(lp.ts) == int(ts) + 1  # a new ts, past the lost event
    emulator.force_longpoll_failure(2)
    assert await asyncio.to_thread(lp.check) == []
    assert lp.key != key and int(lp.ts) == int(ts) + 1  # a new key, the same ts
    emulator.force_longpoll_failure(3)
    assert await asyncio.to_thread(lp.check) == []
    emulator.write(10, "дошло")
    events = await asyncio.to_thread(lp.check)

    assert [e.message.text for e in events] == ["дошло"]
    stats = emulator.stats()["longpoll"]
    assert (stats["failed_1"], stats["failed_2"], stats["failed_3"]) == (1, 1, 1)


async def test_long_poll_refuses_a_foreign_ts_and_an_unknown_key(vk_rig: VkRig) -> None:
    lp = await _long_poll(vk_rig)

    def check(key: str, ts: str) -> Any:
        params = {"act": "a_check", "key": key, "ts": ts, "wait": 0}
        return requests.get(lp.server, params=params, timeout=5).json()

    future_ts = await asyncio.to_thread(check, lp.key, "999")
    bad_key = await asyncio.to_thread(check, "0" * 40, lp.ts)

    assert future_ts == {"failed": 1, "ts": lp.ts}
    assert bad_key == {"failed": 2}


async def test_a_new_community_needs_long_poll_settings(make_vk_rig: RigFactory) -> None:
    rig = await make_vk_rig(lp_preconfigured=False)
    emulator, api = rig.emulator, rig.session().get_api()
    group_id = emulator.knobs.group_id
    emulator.register_user(10)

    disabled = await api_error(api.groups.getLongPollServer, group_id=group_id)
    await call(
        api.groups.setLongPollSettings,
        group_id=group_id,
        enabled=1,
        api_version="5.199",
        message_new=1,
    )
    lp = await _long_poll(rig)
    emulator.allow_messages(10)
    emulator.write(10, "Привет")
    events = await asyncio.to_thread(lp.check)

    assert disabled.code == 100
    assert _types(events) == ["message_new"]


class Receiver:
    """A bot's Callback API endpoint on port 0 that fails each event's first delivery."""

    def __init__(self, confirmation: str, secret: str) -> None:
        self.confirmation = confirmation
        self.secret = secret
        self.posts: list[tuple[dict[str, Any], str | None]] = []
        self.attempts: Counter[str] = Counter()
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posts.append((body, request.headers.get("X-Retry-Counter")))
        if body["type"] == "confirmation":
            return web.Response(text=self.confirmation)
        if body.get("secret") != self.secret:
            return web.Response(status=403, text="bad secret")
        self.attempts[body["event_id"]] += 1
        if self.attempts[body["event_id"]] == 1:
            return web.Response(status=500, text="busy")
        return web.Response(text="ok")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/vk", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/vk"

    def delivered(self, event_type: str) -> list[tuple[dict[str, Any], str | None]]:
        return [(body, retry) for body, retry in self.posts if body["type"] == event_type]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    bot = Receiver(confirmation="c0nf1rm", secret="s3cret")
    yield bot
    if bot.runner is not None:
        await bot.runner.cleanup()


async def test_callback_api_confirms_then_delivers_with_retries(
    make_vk_rig: RigFactory, receiver: Receiver
) -> None:
    rig = await make_vk_rig(callback_backoff_s=0.01)
    emulator = rig.emulator
    emulator.register_user(10)
    server_id = emulator.set_callback(
        await receiver.start(), confirmation="c0nf1rm", secret="s3cret"
    )

    emulator.allow_messages(10, key="qr")
    emulator.write(10, "Привет")
    await wait_for(lambda: emulator.stats()["callback"].get("delivered", 0) == 2)

    confirmation, retry = receiver.posts[0]
    assert confirmation == {"type": "confirmation", "group_id": emulator.knobs.group_id}
    assert retry is None
    for event_type in ("message_allow", "message_new"):
        (first, first_retry), (again, again_retry) = receiver.delivered(event_type)
        assert first == again  # the same event_id: the receiver dedupes by it
        assert (first_retry, again_retry) == (None, "1")
        assert set(first) == {"type", "event_id", "v", "object", "group_id", "secret"}
        assert first["v"] == "5.199" and first["secret"] == "s3cret"
    assert receiver.delivered("message_new")[0][0]["object"]["message"]["text"] == "Привет"
    assert emulator.callback_status(server_id) == "ok"
    assert emulator.stats()["callback"]["retries"] == 2


async def test_callback_server_with_a_wrong_confirmation_fails(
    make_vk_rig: RigFactory, receiver: Receiver
) -> None:
    rig = await make_vk_rig(callback_backoff_s=0.01, callback_attempts=2)
    server_id = rig.emulator.set_callback(await receiver.start(), confirmation="another")

    await wait_for(lambda: rig.emulator.callback_status(server_id) == "failed")

    assert [retry for _, retry in receiver.posts] == [None, "1"]


async def test_callback_server_set_up_through_the_api(
    make_vk_rig: RigFactory, receiver: Receiver
) -> None:
    rig = await make_vk_rig(callback_backoff_s=0.01, callback_confirmation="c0nf1rm")
    emulator, api = rig.emulator, rig.session().get_api()
    group_id = emulator.knobs.group_id
    emulator.register_user(10)
    url = await receiver.start()

    code = await call(api.groups.getCallbackConfirmationCode, group_id=group_id)
    added = await call(
        api.groups.addCallbackServer, group_id=group_id, url=url, title="rupor", secret_key="s3cret"
    )
    await call(
        api.groups.setCallbackSettings,
        group_id=group_id,
        server_id=added["server_id"],
        api_version="5.199",
        message_new=1,
    )
    emulator.allow_messages(10)  # not subscribed: not delivered
    emulator.write(10, "Привет")
    await wait_for(lambda: emulator.stats()["callback"].get("delivered", 0) == 1)
    servers = await call(api.groups.getCallbackServers, group_id=group_id)

    assert code == {"code": "c0nf1rm"}
    assert receiver.delivered("message_allow") == []
    assert len(receiver.delivered("message_new")) == 2
    assert servers["items"][0]["status"] == "ok"


def _png(width: int = 4, height: int = 3) -> io.BytesIO:
    image = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(image, "PNG")
    image.seek(0)
    image.name = "leaflet.png"
    return image


async def test_documents_and_photos_upload_and_attach(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(10, allowed=True)
    vk = vk_rig.session()
    upload = VkUpload(vk)
    pdf = io.BytesIO(b"%PDF-1.4 leaflet")
    pdf.name = "leaflet.pdf"

    saved = await call(upload.document_message, doc=pdf, title="Листовка", peer_id=10)
    photos = await call(upload.photo_messages, photos=_png(), peer_id=10)
    doc, photo = saved["doc"], photos[0]
    attachment = f"doc{doc['owner_id']}_{doc['id']},photo{photo['owner_id']}_{photo['id']}"
    await call(vk.get_api().messages.send, peer_id=10, random_id=1, attachment=attachment)
    content = await call(requests.get, url=doc["url"], timeout=5)

    assert saved["type"] == "doc"
    assert (doc["title"], doc["ext"], doc["owner_id"]) == (
        "Листовка",
        "pdf",
        -emulator.knobs.group_id,
    )
    assert photo["sizes"][0]["width"] == 4
    [message] = emulator.dialog(10)
    assert [a["type"] for a in message.attachments] == ["doc", "photo"]
    assert message.attachments[0]["doc"]["id"] == doc["id"]
    assert content.content == b"%PDF-1.4 leaflet"
    assert emulator.stats()["uploads"] == {"doc": 1, "photo": 1}


async def test_a_photo_that_is_no_image_is_refused_at_save(vk_rig: VkRig) -> None:
    upload = VkUpload(vk_rig.session())
    text = io.BytesIO(b"not an image")
    text.name = "note.png"

    error = await api_error(upload.photo_messages, photos=text, peer_id=10)

    assert error.code == 100
    assert "the upload held no image" in error.error["error_msg"]


async def test_polls_created_by_the_admin_collect_votes(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    group_id = emulator.knobs.group_id
    emulator.register_user(10, allowed=True)
    admin, api = vk_rig.admin().get_api(), vk_rig.session().get_api()
    lp = await _long_poll(vk_rig)

    public = await call(
        admin.polls.create, question="Идём?", add_answers='["Да","Нет"]', owner_id=-group_id
    )
    secret = await call(
        admin.polls.create,
        question="Тайно?",
        add_answers='["Да","Нет"]',
        owner_id=-group_id,
        is_anonymous=1,
    )
    await call(
        api.messages.send, peer_id=10, random_id=1, attachment=f"poll{-group_id}_{public['id']}"
    )
    yes = public["answers"][0]["id"]
    emulator.vote(10, public["id"], yes)
    emulator.vote(10, secret["id"], secret["answers"][1]["id"])
    events = await asyncio.to_thread(lp.check)

    assert emulator.dialog(10)[0].attachments[0]["poll"]["question"] == "Идём?"
    assert _types(events) == ["poll_vote_new"]
    vote = events[0].object
    assert (vote.owner_id, vote.poll_id, vote.option_id, vote.user_id) == (
        -group_id,
        public["id"],
        yes,
        10,
    )
    assert emulator.world.polls[public["id"]]["answers"][0]["votes"] == 1
    with pytest.raises(ValueError, match="already voted"):
        emulator.vote(10, public["id"], yes)
