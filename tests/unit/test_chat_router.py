"""The chat layer's routing (bots/chat/router.py) and its stored per-account state
(bots/chat/drafts.py), on a real SQLite file: which events go to the chat layer's queue
and which to the member dialogues, in order and once; the draft's JSON round trip, its
expiry, and the queue kept per account."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bots.chat import drafts
from bots.chat.router import COMMANDS, ChatRouter, StaffAccounts, for_chat
from core.ports import ButtonPress, Command, InboundEvent, Sender, Subscribed, Text, Unsubscribed

PRESS = Sender("telegram", "42", "Пресс-секретарь")
MEMBER = Sender("telegram", "7", "Член профсоюза")
GROUP = Sender("telegram", "-100500", "Профком", is_group=True)


def staff_cache() -> StaffAccounts:
    staff = StaffAccounts()
    staff.replace({("telegram", "42")})
    return staff


ROUTES: list[tuple[str, InboundEvent, bool]] = [
    ("a chat button", ButtonPress("1", MEMBER, "chat:audience:all"), True),
    ("a member dialogue's button", ButtonPress("2", PRESS, "consent:yes"), False),
    ("a member's /post (to be refused)", Command("3", MEMBER, "post"), True),
    ("a Russian alias", Command("4", MEMBER, "пост"), True),
    ("/resend", Command("5", PRESS, "resend", "12"), True),
    ("a member's /help stays theirs", Command("6", MEMBER, "help"), False),
    ("a staff account's /help", Command("7", PRESS, "help"), True),
    ("a command the chat does not know", Command("8", PRESS, "stop"), False),
    ("an anonymous admin's command", Command("9", GROUP, "stop", sender_chat="-100500"), True),
    ("a forwarded /post", Command("10", MEMBER, "post", forwarded=True), True),
    ("a staff account's text", Text("11", PRESS, "Текст листовки"), True),
    ("a member's text (feedback)", Text("12", MEMBER, "Вопрос о зарплате"), False),
    ("joining", Subscribed("13", PRESS), False),
    ("leaving", Unsubscribed("14", PRESS), False),
]


@pytest.mark.parametrize(("event", "ours"), [(e, o) for _, e, o in ROUTES],
                         ids=[name for name, _, _ in ROUTES])
def test_routing_decisions(event: InboundEvent, ours: bool) -> None:
    assert for_chat(event, staff_cache()) is ours


def test_every_command_name_routes_to_a_known_action() -> None:
    assert set(COMMANDS.values()) >= {"post", "plan", "cancel", "pause", "resume", "resend",
                                      "report", "audience", "help"}
    assert all(name == name.lower() for name in COMMANDS)


def test_the_route_cache_replaces_and_adds() -> None:
    staff = StaffAccounts()
    assert ("telegram", "42") not in staff
    staff.add(("telegram", "42"))
    staff.replace({("vk", "5")})
    assert ("telegram", "42") not in staff and ("vk", "5") in staff


class RecordingDialogs:
    """Stands in for the member dialogues: records what the router passes on."""

    def __init__(self) -> None:
        self.common: list[int] = []
        self.handled: list[int] = []

    def handle_common(self, sql: Any, items: Sequence[tuple[int, InboundEvent]]
                      ) -> list[tuple[int, InboundEvent]]:
        self.common += [inbound_id for inbound_id, _ in items]
        return list(items)

    async def handle(self, conn: AsyncConnection, event: InboundEvent, inbound_id: int) -> None:
        self.handled.append(inbound_id)


def _router() -> tuple[ChatRouter, RecordingDialogs, list[int]]:
    dialogs, woken = RecordingDialogs(), []
    router = ChatRouter(dialogs, staff_cache(), on_queued=lambda: woken.append(1))  # type: ignore[arg-type]  # a recording stand-in
    return router, dialogs, woken


def test_the_set_based_step_never_sees_the_chat_layers_events() -> None:
    router, dialogs, _ = _router()
    items = [(1, Text("a", MEMBER, "Вопрос")), (2, Text("b", PRESS, "Листовка")),
             (3, Command("c", MEMBER, "stop"))]
    left = router.handle_common(None, items)  # type: ignore[arg-type]  # unused by the stand-in
    assert dialogs.common == [1, 3]
    assert [inbound_id for inbound_id, _ in left] == [1, 2, 3]  # oldest first, ours kept


async def test_the_chat_layers_events_are_queued_per_account_once(engine: AsyncEngine) -> None:
    router, dialogs, woken = _router()
    items = [(10, Command("a", PRESS, "post")), (11, Text("b", MEMBER, "Спасибо")),
             (12, Text("c", PRESS, "Текст")), (13, Command("d", MEMBER, "post"))]
    async with engine.begin() as conn:
        await router.handle_batch(conn, items)
        await router.handle_batch(conn, items[:1])  # a redelivered batch
    assert dialogs.handled == [11]
    async with engine.connect() as conn:
        press = await drafts.load(conn, "telegram", "42")
        member = await drafts.load(conn, "telegram", "7")
    assert press.queue == [10, 12] and member.queue == [13]  # 10 redelivered: queued once
    assert press.step == "" and woken == [1, 1, 1, 1]


async def test_a_draft_survives_a_round_trip_and_is_listed(engine: AsyncEngine) -> None:
    state = drafts.ChatState("vk", "5", step="when", queue=[3],
                             draft={"text": "**Листок** «май»", "audience": "all"},
                             touched=time.time())
    async with engine.begin() as conn:
        await drafts.save(conn, state)
        state.step, state.queue = "confirm", [3, 4]
        await drafts.save(conn, state)  # an update, not a second row
    async with engine.connect() as conn:
        found = await drafts.load(conn, "vk", "5")
    assert (found.step, found.queue, found.draft) == ("confirm", [3, 4], state.draft)
    assert found.key == "chat:vk:5"
    listed = await drafts.every_state(engine)
    assert [(s.channel, s.account, s.step) for s in listed] == [("vk", "5", "confirm")]


def test_a_draft_expires_after_a_day_untouched_and_clears() -> None:
    now = time.time()
    state = drafts.ChatState("telegram", "42", step="audience", touched=now - drafts.EXPIRY_S - 1,
                             draft={"text": "x"}, queue=[1])
    assert state.expired(now)
    assert not drafts.ChatState("telegram", "42", step="audience", touched=now).expired(now)
    assert not drafts.ChatState("telegram", "42", touched=0).expired(now)  # no draft at all
    state.clear()
    assert (state.step, state.draft, state.queue) == ("", {}, [1])  # the queue stays


async def test_an_unknown_account_has_an_empty_state(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        state = await drafts.load(conn, "viber", "nobody")
    assert (state.step, state.draft, state.queue, state.touched) == ("", {}, [], 0.0)
