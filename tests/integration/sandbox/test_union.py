"""The simulated union: generation, accounts in the three emulators, the members file through
core.audience.importing.job, live reactions to bot messages sent with the real SDKs, scripted
actions."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audience.importing.job import import_members
from sandbox.union import REGION, ActionError, LiveRates, Union, UnionKnobs
from sandbox.union.questions import QUESTIONS

try:
    from .test_union_support import (  # noqa: F401 (fixtures)
        CONSENT,
        SMALL,
        VIBER_KEYBOARD,
        VK_KEYBOARD,
        ViberHook,
        World,
        WorldFactory,
        eventually,
        make_world,
        world,
    )
except ImportError:
    from test_union_support import (  # noqa: F401 (fixtures)
        CONSENT,
        SMALL,
        VIBER_KEYBOARD,
        VK_KEYBOARD,
        ViberHook,
        World,
        WorldFactory,
        eventually,
        make_world,
        world,
    )


# Generation ----------------------------------------------------------------------------


def test_same_seed_same_members_file(tmp_path: Path) -> None:
    first = Union.generate(SMALL).write_members_csv(tmp_path / "a.csv")
    second = Union.generate(SMALL).write_members_csv(tmp_path / "b.csv")
    other = Union.generate(UnionKnobs(**{**SMALL.__dict__, "seed": 8}))
    assert first.read_bytes() == second.read_bytes()
    assert other.members_csv() != first.read_text(encoding="utf-8")
    header = first.read_text(encoding="utf-8").splitlines()[0]
    assert header == "full_name,org_path,roles,telegram_id,vk_id,viber_id,member_id,tags"


def test_the_union_has_the_shape_its_knobs_ask_for() -> None:
    union = Union.generate(UnionKnobs(seed=3))
    people = union.people
    schools = {p.org_path for p in people if len(p.org_path) == 3}
    districts = {p.org_path[1] for p in people}
    assert len(people) == 3000
    assert len(schools) == 60
    assert len(districts) == 5 + 1  # and the regional committee's staff
    assert {p.org_path[0] for p in people} == {REGION}
    for school in schools:
        chairs = [p for p in people if p.org_path == school and "chair" in p.roles]
        assert len(chairs) == 1, school
    assert len({p.member_id for p in people}) == len(people)
    assert sum("young_teacher" in p.roles for p in people) > 300
    assert sum(bool({"staff", "press"} & set(p.roles)) for p in people) == 6
    kinds = {re.sub(r"[«»№\d ].*", "", path[-1]) for path in schools}
    assert {"МАОУ", "МАДОУ"} <= kinds


def test_names_agree_in_gender() -> None:
    for person in Union.generate(SMALL).people:
        name = person.name
        assert name.full.count(" ") == 2
        if name.female:
            assert name.patronymic.endswith(("вна", "ична")), name.full
            assert not name.surname.endswith(("ов", "ев", "ёв", "ин", "ский")), name.full
        else:
            assert name.patronymic.endswith("ич"), name.full
            assert not name.surname.endswith(("ова", "ева", "ина", "ская")), name.full


def test_messenger_shares_follow_the_knobs() -> None:
    knobs = UnionKnobs(
        seed=5, share_telegram=1.0, share_vk=0.0, share_viber=0.0, share_two=0.0, share_none=0.0
    )
    union = Union.generate(knobs)
    assert all([a.platform for a in p.accounts] == ["telegram"] for p in union.people)
    mixed = Union.generate(UnionKnobs(seed=5))
    counts = {n: sum(len(p.accounts) == n for p in mixed.people) for n in (0, 1, 2)}
    assert 200 < counts[0] < 400 and 200 < counts[2] < 400  # 10 % none, 10 % two of 3000


def test_bad_knobs_are_refused() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        UnionKnobs(share_none=0.5)
    with pytest.raises(ValueError, match="председатель"):
        UnionKnobs(members=10)
    with pytest.raises(ValueError, match="районов"):
        Union.generate(UnionKnobs(districts=40, schools=100))


# The members file through the importer -------------------------------------------------


async def test_members_file_imports_with_no_rejected_row(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    union = Union.generate(UnionKnobs(**{**SMALL.__dict__, "members": 900, "schools": 20}))
    path = union.write_members_csv(tmp_path / "members.csv")
    report = await import_members(sessions, path)
    listed = sum(a.listed for _, a in union.accounts())
    assert report.rejected == ()
    assert report.people_created == len(union) == 900
    assert report.contacts_created == listed
    assert listed < sum(1 for _ in union.accounts())  # the unjoined are left out
    assert report.organizations_created == 1 + 3 + 1 + 20  # region, districts, staff, schools


# Accounts in the emulators -------------------------------------------------------------


async def test_telegram_accounts_are_in_their_states(world: World) -> None:
    assert await world.tg_updates() == []  # joining long ago left no update behind
    member = int(world.first("telegram", "active"))
    sent = await world.bot.send_message(member, "Привет")
    assert sent.chat.id == member and sent.message_id == 2  # after the member's /start
    expected = {
        "blocked": "bot was blocked by the user",
        "deactivated": "user is deactivated",
        "unjoined": "bot can't initiate conversation",
    }
    for state, description in expected.items():
        with pytest.raises(TelegramForbiddenError, match=description):
            await world.bot.send_message(int(world.first("telegram", state)), "Привет")


async def test_vk_accounts_are_in_their_states(world: World) -> None:
    states = ("active", "denied", "deactivated", "unjoined")
    peers = [int(world.first("vk", state)) for state in states]
    api = world.vk_api.get_api()
    answer = await asyncio.to_thread(
        api.messages.send, peer_ids=",".join(map(str, peers)), random_id=7, message="Привет"
    )
    by_peer = {item["peer_id"]: item for item in answer}
    assert "message_id" in by_peer[peers[0]]
    assert by_peer[peers[1]]["error"]["code"] == 901
    assert by_peer[peers[2]]["error"]["code"] == 18
    assert by_peer[peers[3]]["error"]["code"] == 901


async def test_viber_accounts_are_in_their_states(world: World) -> None:
    expected = {"active": 0, "unsubscribed": 6, "deactivated": 5, "unjoined": 6}
    for state, status in expected.items():
        answer = await world.viber_send(world.first("viber", state), text="Привет")
        assert answer["status"] == status, (state, answer)
    assert world.hook.events("subscribed") == []  # they subscribed before this webhook


# Live behaviour ------------------------------------------------------------------------


async def test_telegram_members_press_vote_and_ask(world: World) -> None:
    live = await world.union.live(LiveRates(press=1.0, vote=1.0, reply=1.0))
    active = [a.external_id for _, a in world.union.accounts("telegram") if a.state == "active"]
    presser, voter = int(active[0]), int(active[1])  # one message per chat per second
    await world.bot.send_message(presser, "Согласны получать рассылку?", reply_markup=CONSENT)
    await world.bot.send_poll(voter, "Удобно ли время собрания?", ["Да", "Нет"], is_anonymous=False)

    async def reactions() -> list[Any]:
        updates = await world.tg_updates()
        kinds = [u.event_type for u in updates]
        return updates if kinds.count("message") == 2 and len(kinds) >= 4 else []

    updates = await eventually(reactions)
    press = next(u.callback_query for u in updates if u.callback_query)
    assert press.from_user.id == presser and press.data in ("consent:yes", "consent:no")
    answer = next(u.poll_answer for u in updates if u.poll_answer)
    assert answer.user.id == voter and len(answer.option_ids) == 1
    questions = {u.message.from_user.id: u.message.text for u in updates if u.message}
    assert set(questions) == {presser, voter} and set(questions.values()) <= set(QUESTIONS)
    assert live.counts["pressed"] == 1 and live.counts["voted"] == 1
    assert live.counts["replied"] == 2


async def test_vk_members_read_and_press_callback_buttons(world: World) -> None:
    events = await world.vk_events()
    await world.union.live(LiveRates(read=1.0, press=1.0))
    member = int(world.first("vk", "active"))
    message_id = await world.vk_send(member, "Согласны?", keyboard=VK_KEYBOARD)

    async def both() -> list[dict[str, Any]]:
        got = await events()
        return got if {"message_read", "message_event"} <= {e["type"] for e in got} else []

    got = await eventually(both)
    read = next(e["object"] for e in got if e["type"] == "message_read")
    assert read["from_id"] == member and read["read_message_id"] == message_id
    pressed = next(e["object"] for e in got if e["type"] == "message_event")
    assert pressed["user_id"] == member and pressed["payload"] == {"consent": 1}


async def test_viber_members_report_delivered_seen_and_press(world: World) -> None:
    await world.union.live(LiveRates(delivered=1.0, read=1.0, press=1.0))
    member = world.first("viber", "active")
    answer = await world.viber_send(member, text="Согласны?", keyboard=VIBER_KEYBOARD)
    token = answer["message_token"]
    await eventually(lambda: _events(world.hook, "delivered", "seen", "message"))
    assert [e["message_token"] for e in world.hook.events("delivered")] == [token]
    assert [e["message_token"] for e in world.hook.events("seen")] == [token]
    [message] = world.hook.events("message")
    assert message["sender"]["id"] == member and message["message"]["text"] == "consent:yes"


async def _events(hook: ViberHook, *names: str) -> bool:
    return all(hook.events(name) for name in names)


async def test_with_zero_rates_members_only_listen(world: World) -> None:
    live = await world.union.live()
    await world.viber_send(world.first("viber", "active"), text="Листовка", keyboard=VIBER_KEYBOARD)
    await world.bot.send_message(int(world.first("telegram", "active")), "Листовка")
    await live.idle()
    await world.viber.drain_callbacks()
    assert live.counts["heard"] == 2
    assert world.hook.received == [] or {e["event"] for e in world.hook.received} == {"webhook"}
    assert await world.tg_updates() == []


async def test_members_who_block_are_refused_afterwards(world: World) -> None:
    live = await world.union.live(LiveRates(block=1.0))
    member = world.first("telegram", "active")
    await world.bot.send_message(int(member), "Листовка")
    await live.idle()
    assert world.union.state("tg", member) == "blocked"
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await world.bot.send_message(int(member), "Ещё листовка")
    kinds = {u.event_type for u in await world.tg_updates()}
    assert kinds == {"my_chat_member"}


async def test_the_same_seed_reacts_the_same_way(make_world: WorldFactory) -> None:
    chosen = []
    for _ in range(2):
        world = await make_world()
        live = await world.union.live(LiveRates(seed=3, press=0.5))
        members = [int(a.external_id) for _, a in world.union.accounts("telegram")][:40]
        active = [m for m in members if world.union.state("tg", str(m)) == "active"]
        for member in active[:12]:
            await world.bot.send_message(member, "Согласны?", reply_markup=CONSENT)
        await live.idle()
        updates = await world.tg_updates()
        chosen.append(
            sorted((u.callback_query.from_user.id, u.callback_query.data) for u in updates)
        )
    assert chosen[0] == chosen[1] and 0 < len(chosen[0]) < 12


# Scripted actions ----------------------------------------------------------------------


async def test_an_unjoined_member_starts_with_an_invite_and_presses(world: World) -> None:
    index = next(
        p.index
        for p, a in world.union.accounts("telegram")
        if a.state == "unjoined" and len(p.accounts) == 1
    )
    actor = world.union.member(index)
    actor.start(invite="p0123456789ab")
    [update] = await world.tg_updates()
    assert update.message.text == "/start p0123456789ab"
    assert world.union.state("telegram", actor.external_id) == "active"
    await world.bot.send_message(int(actor.external_id), "Согласны?", reply_markup=CONSENT)
    [line] = actor.chat()
    assert line.text == "Согласны?" and [b.label for b in line.buttons] == ["Согласен", "Нет"]
    assert actor.press(2).value == "consent:no"
    with pytest.raises(ActionError, match="choose 1 to 2"):
        actor.press(3)


async def test_scripted_reads_on_vk_and_viber(world: World) -> None:
    events = await world.vk_events()
    vk_member = world.union.find(f"vk:{world.first('vk', 'active')}")
    await world.vk_send(int(vk_member.external_id), "Первое")
    second = await world.vk_send(int(vk_member.external_id), "Второе")
    assert vk_member.read() == 1 and vk_member.read() == 0
    got = await eventually(events)
    assert [e["object"]["read_message_id"] for e in got if e["type"] == "message_read"] == [second]
    viber_member = world.union.find(f"viber:{world.first('viber', 'active')}")
    await world.viber_send(viber_member.external_id, text="Листовка")
    assert viber_member.read() == 1
    await eventually(lambda: _events(world.hook, "delivered", "seen"))


async def test_find_and_member_refuse_unknown_members(world: World) -> None:
    with pytest.raises(LookupError, match="no member"):
        world.union.find("tg:1")
    no_messenger = next(p.index for p in world.union.people if not p.accounts)
    with pytest.raises(LookupError, match="has no account"):
        world.union.member(no_messenger)


# Counters ------------------------------------------------------------------------------


async def test_stats_merge_what_each_platform_saw(world: World) -> None:
    await world.bot.send_message(int(world.first("telegram", "active")), "Листовка")
    await world.vk_send(int(world.first("vk", "active")), "Листовка")
    await world.viber_send(world.first("viber", "active"), text="Листовка")
    stats = world.union.stats()
    assert set(stats) == {"telegram", "vk", "viber", "summary", "members"}
    for platform in ("telegram", "vk", "viber"):
        assert stats["summary"][platform]["accepted"] == 1, platform
        assert stats["summary"][platform]["violations"] == 0
    assert stats["telegram"]["accepted_messages_total"] == 1
