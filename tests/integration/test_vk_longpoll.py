"""The VK adapter's Bots Long Poll against the emulator: translation, acknowledge after
handling, the ts kept across a restart, failures 1/2/3, callback-button answers."""

from __future__ import annotations

import json

from bots.transport import MemoryState
from core.ports import (
    Button,
    ButtonPress,
    Command,
    Outbound,
    Receipt,
    Span,
    Subscribed,
    Text,
    Unsubscribed,
)

try:
    from .test_vk_rig import (  # noqa: F401 (fixtures)
        Inbox,
        RigFactory,
        VkRig,
        make_rig,
        rig,
        wait_for,
    )
except ImportError:  # run as a top-level module
    from test_vk_rig import Inbox, RigFactory, VkRig, make_rig, rig, wait_for  # noqa: F401


def ts_key(rig: VkRig) -> str:
    return f"vk:{rig.emulator.knobs.group_id}:longpoll_ts"


async def test_member_events_become_inbound_events_in_order(rig: VkRig) -> None:
    emulator, inbox = rig.emulator, Inbox()
    emulator.register_user(10, "Ирина", "Соколова")
    channel = rig.channel()
    await channel.start(inbox)

    emulator.allow_messages(10, key="p1a2b3")
    emulator.write(10, "/Start@rupor_bot abc")
    emulator.write(10, "Вопрос про отпуск")
    emulator.write(10, "Да", payload=json.dumps({"rupor": "young:yes"}))
    await channel.send(["10"], Outbound(key="m", text=(Span("Привет"),)))
    emulator.read(10)
    emulator.deny_messages(10)
    await wait_for(lambda: len(inbox.events) == 6)

    subscribed, command, said, pressed, receipt, left = inbox.events
    assert isinstance(subscribed, Subscribed) and subscribed.invite == "p1a2b3"
    assert subscribed.sender.external_id == "10" and not subscribed.sender.is_group
    assert isinstance(command, Command) and (command.name, command.args) == ("start", "abc")
    assert isinstance(said, Text) and said.text == "Вопрос про отпуск"
    assert isinstance(pressed, ButtonPress) and pressed.payload == "young:yes"
    assert isinstance(receipt, Receipt) and receipt.up_to and receipt.kind == "read"
    assert receipt.platform_message_id == str(emulator.dialog(10)[0].message_id)
    assert isinstance(left, Unsubscribed)
    assert len({e.event_id for e in inbox.events}) == 6


async def test_an_invite_link_start_is_a_subscription_with_the_organisation(rig: VkRig) -> None:
    emulator, inbox = rig.emulator, Inbox()
    emulator.register_user(11)
    await rig.channel().start(inbox)
    emulator.write(11, "Начать", ref="p9f00", payload=json.dumps({"command": "start"}))
    emulator.write(11, "Начать")
    await wait_for(lambda: len(inbox.events) == 2)
    invited, started = inbox.events
    assert isinstance(invited, Subscribed) and invited.invite == "p9f00"
    assert isinstance(started, Command) and started.name == "start"


async def test_a_callback_button_press_is_handed_over_then_answered(rig: VkRig) -> None:
    emulator, inbox = rig.emulator, Inbox()
    (member,) = rig.members(12)
    channel = rig.channel()
    await channel.start(inbox)
    buttons = ((Button("Согласен(на)", payload="consent:yes"),),)
    await channel.send([member], Outbound(key="c", text=(Span("Согласие?"),), buttons=buttons))

    callback_id = emulator.press_callback_button(12, label="Согласен(на)")
    await wait_for(lambda: len(emulator.event_answers()) == 1)

    (press,) = inbox.of(ButtonPress)
    assert (press.payload, press.callback_id) == ("consent:yes", callback_id)
    assert emulator.event_answers()[0]["event_id"] == callback_id


async def test_the_ts_is_saved_only_after_the_batch_was_handled(rig: VkRig) -> None:
    emulator, state = rig.emulator, MemoryState()
    inbox = Inbox(fail_next=1)
    emulator.register_user(13)
    await rig.channel(state=state).start(inbox)

    emulator.write(13, "Первое")
    await wait_for(lambda: len(inbox.events) == 1)

    assert inbox.calls == 2  # refused once, then delivered again from the same ts
    assert isinstance(inbox.events[0], Text) and inbox.events[0].text == "Первое"
    assert state.values[ts_key(rig)] == "2"  # past the one event


async def test_events_written_while_stopped_arrive_after_a_restart(rig: VkRig) -> None:
    emulator, state = rig.emulator, MemoryState()
    emulator.register_user(14)
    first_inbox = Inbox()
    first = rig.channel(state=state)
    await first.start(first_inbox)
    emulator.write(14, "До остановки")
    await wait_for(lambda: len(first_inbox.events) == 1)
    await first.close()

    emulator.write(14, "Пока бот стоял")
    emulator.write(14, "И ещё")
    second_inbox = Inbox()
    await rig.channel(state=state).start(second_inbox)
    await wait_for(lambda: len(second_inbox.events) == 2)

    assert [e.text for e in second_inbox.of(Text)] == ["Пока бот стоял", "И ещё"]
    assert state.values[ts_key(rig)] == "4"


async def test_long_poll_failures_are_recovered(rig: VkRig) -> None:
    emulator, inbox = rig.emulator, Inbox()
    emulator.register_user(15)
    await rig.channel().start(inbox)

    emulator.force_longpoll_failure(2)  # the key expired: a new key, nothing lost
    emulator.write(15, "После смены ключа")
    await wait_for(lambda: len(inbox.events) == 1)
    emulator.force_longpoll_failure(1)
    await wait_for(lambda: emulator.stats()["longpoll"].get("failed_1") == 1)
    emulator.write(15, "После failed 1")
    await wait_for(lambda: len(inbox.events) == 2)
    emulator.force_longpoll_failure(3)
    await wait_for(lambda: emulator.stats()["longpoll"].get("failed_3") == 1)
    checks = emulator.stats()["longpoll"]["checks"]
    await wait_for(lambda: emulator.stats()["longpoll"]["checks"] > checks)
    emulator.write(15, "После failed 3")
    await wait_for(lambda: len(inbox.events) == 3)

    assert [e.text for e in inbox.of(Text)] == ["После смены ключа", "После failed 1",
                                                "После failed 3"]
    assert emulator.stats()["longpoll"]["failed_2"] == 1


async def test_start_switches_long_poll_on_in_a_new_community(make_rig: RigFactory) -> None:
    rig = await make_rig(lp_preconfigured=False)
    inbox = Inbox()
    rig.emulator.register_user(16)
    await rig.channel().start(inbox)
    rig.emulator.allow_messages(16)
    await wait_for(lambda: len(inbox.events) == 1)
    assert isinstance(inbox.events[0], Subscribed) and inbox.events[0].invite is None


async def test_close_stops_polling(rig: VkRig) -> None:
    inbox = Inbox()
    rig.emulator.register_user(17)
    channel = rig.channel()
    await channel.start(inbox)
    await wait_for(lambda: rig.emulator.stats()["longpoll"].get("checks", 0) >= 1)
    await channel.close()
    rig.emulator.write(17, "Никто не слушает")
    checks = rig.emulator.stats()["longpoll"]["checks"]
    assert not channel._tasks and inbox.events == []
    assert rig.emulator.stats()["longpoll"]["checks"] == checks


async def test_a_first_round_that_dies_is_delivered_again_after_a_restart(rig: VkRig) -> None:
    emulator, state = rig.emulator, MemoryState()
    emulator.register_user(18)
    dying = Inbox(fail_next=10**6)  # the process "dies" in its first round
    first = rig.channel(state=state)
    await first.start(dying)
    assert state.values[ts_key(rig)] == "1"  # a fresh install keeps its starting point
    emulator.write(18, "Первое")
    emulator.write(18, "Второе")
    await wait_for(lambda: dying.calls >= 1)
    await first.close()

    inbox = Inbox()
    await rig.channel(state=state).start(inbox)
    await wait_for(lambda: len(inbox.events) == 2)
    assert [e.text for e in inbox.of(Text)] == ["Первое", "Второе"]
