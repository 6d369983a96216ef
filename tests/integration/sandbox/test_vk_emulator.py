"""The VK emulator driven by the real vk_api 11.10.1: sends, de-duplication, validation."""

from __future__ import annotations

import json

import requests
from vk_api.keyboard import VkKeyboard, VkKeyboardColor

from sandbox.vk import BotMessage

try:
    from .test_vk_support import VkRig, api_error, call, make_vk_rig, vk_rig  # noqa: F401 (fixtures)
except ImportError:
    from test_vk_support import VkRig, api_error, call, make_vk_rig, vk_rig  # noqa: F401 (fixtures)

PARAM_PREFIX = "One of the parameters specified was missing or invalid: "


def members(rig: VkRig) -> None:
    """10 and 11 allowed messages; 12 never did; 13 closed privacy; 14 deleted; 15 blacklisted."""
    emulator = rig.emulator
    for user_id in range(10, 16):
        emulator.register_user(user_id, "Имя", f"Фамилия{user_id}", allowed=user_id != 12)
    emulator.set_privacy(13)
    emulator.delete_user(14)
    emulator.blacklist(15)


async def test_single_send_reaches_the_member_and_the_listener(vk_rig: VkRig) -> None:
    members(vk_rig)
    seen: list[BotMessage] = []
    vk_rig.emulator.add_bot_message_listener(seen.append)
    api = vk_rig.session().get_api()

    message_id = await call(api.messages.send, peer_id=10, message="Листовка", random_id=101)

    assert isinstance(message_id, int)
    [message] = vk_rig.emulator.dialog(10)
    assert (message.message_id, message.text, message.random_id) == (message_id, "Листовка", 101)
    assert message.from_id == -vk_rig.emulator.knobs.group_id
    assert seen == [message]
    assert vk_rig.emulator.stats()["accepted_messages_by_peer"] == {"10": 1}


async def test_peer_ids_answer_per_peer_items_and_errors_without_raising(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    items = await call(
        api.messages.send, peer_ids=[10, 11, 12, 13, 14, 15], message="Всем", random_id=7
    )

    by_peer = {item["peer_id"]: item for item in items}
    assert [item["peer_id"] for item in items] == [10, 11, 12, 13, 14, 15]
    for delivered in (10, 11):
        assert by_peer[delivered]["message_id"] > 0
        assert by_peer[delivered]["conversation_message_id"] == 1
        assert "error" not in by_peer[delivered]
    assert by_peer[12]["error"] == {
        "code": 901,
        "description": "Can't send messages for users without permission",
    }
    assert [by_peer[p]["error"]["code"] for p in (13, 14, 15)] == [902, 18, 900]
    stats = vk_rig.emulator.stats()
    assert stats["accepted_messages_total"] == 2
    assert stats["per_peer_errors"] == {"18": 1, "900": 1, "901": 1, "902": 1}
    assert vk_rig.emulator.dialog(12) == []


async def test_a_refused_single_peer_is_the_calls_error(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    error = await api_error(api.messages.send, peer_id=12, message="Привет", random_id=1)

    assert error.code == 901
    assert error.error["error_msg"] == "Can't send messages for users without permission"


async def test_random_id_repeat_in_a_dialog_delivers_nothing_new(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    first = await call(api.messages.send, peer_id=10, message="Раз", random_id=555)
    again = await call(api.messages.send, peer_id=10, message="Раз", random_id=555)
    items = await call(api.messages.send, peer_ids=[10, 11], message="Раз", random_id=555)
    other_dialog = items[1]["message_id"]

    assert again == first
    assert items[0]["message_id"] == first  # the same random_id in the same dialog
    assert other_dialog != first  # de-duplication is per dialog
    assert [m.text for m in vk_rig.emulator.dialog(10)] == ["Раз"]
    stats = vk_rig.emulator.stats()
    assert stats["random_id_dedups"] == 2
    assert stats["accepted_messages_total"] == 2


async def test_random_id_is_forgotten_after_an_hour(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()
    first = await call(api.messages.send, peer_id=10, message="Раз", random_id=9)

    vk_rig.clock.advance(3600.5)
    later = await call(api.messages.send, peer_id=10, message="Раз", random_id=9)

    assert later != first
    assert len(vk_rig.emulator.dialog(10)) == 2


async def test_random_id_is_required_although_the_schema_says_optional(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    error = await api_error(api.messages.send, peer_id=10, message="Без random_id")

    assert error.code == 100
    assert error.error["error_msg"] == PARAM_PREFIX + "random_id is undefined"
    assert vk_rig.emulator.dialog(10) == []


async def test_unknown_parameter_is_refused_and_the_request_echoed(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    error = await api_error(
        api.messages.send, peer_id=10, message="x", random_id=1, parse_mode="HTML"
    )

    assert error.code == 100
    assert error.error["error_msg"] == PARAM_PREFIX + "parse_mode is unknown"
    echoed = {p["key"]: p["value"] for p in error.error["request_params"]}
    assert echoed["method"] == "messages.send"
    assert echoed["parse_mode"] == "HTML"
    assert "access_token" not in echoed
    assert vk_rig.emulator.stats()["validation_errors"] == 1


async def test_message_length_limit_is_9000_characters(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    await call(api.messages.send, peer_id=10, message="я" * 9000, random_id=1)
    error = await api_error(api.messages.send, peer_id=10, message="я" * 9001, random_id=2)

    assert (error.code, error.error["error_msg"]) == (914, "Message is too long")
    assert len(vk_rig.emulator.dialog(10)) == 1


async def test_peer_ids_take_at_most_100_recipients(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    error = await api_error(
        api.messages.send, peer_ids=list(range(1, 102)), message="x", random_id=1
    )

    assert error.code == 100
    assert "peer_ids has too many items (at most 100)" in error.error["error_msg"]


async def test_parameter_types_and_enums_are_checked(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    not_integer = await api_error(api.messages.send, peer_id="десять", message="x", random_id=1)
    bad_intent = await api_error(
        api.messages.send, peer_id=10, message="x", random_id=1, intent="spam"
    )
    too_wide = await api_error(api.messages.send, peer_id=10, message="x", random_id=2**40)
    missing = await api_error(api.groups.getLongPollServer)

    assert not_integer.error["error_msg"] == PARAM_PREFIX + "peer_id not integer"
    assert bad_intent.code == 100 and "intent should be one of" in bad_intent.error["error_msg"]
    assert too_wide.error["error_msg"] == PARAM_PREFIX + "random_id is out of range (int32)"
    assert missing.error["error_msg"] == PARAM_PREFIX + "group_id is undefined"


async def test_a_parameter_given_twice_is_refused(vk_rig: VkRig) -> None:
    members(vk_rig)
    vk = vk_rig.session()

    # requests repeats the key for a list; VK would keep one value silently.
    error = await api_error(
        vk.method, method="messages.send", values={"peer_ids": [10, 11], "random_id": 1}
    )

    assert error.code == 100
    assert "peer_ids is given more than once" in error.error["error_msg"]


async def test_unknown_method_bad_token_and_wrong_version(vk_rig: VkRig) -> None:
    api = vk_rig.session().get_api()
    bad_token = vk_rig.session("not-a-token").get_api()
    old_version = vk_rig.session()
    old_version.api_version = "5.92"  # vk_api's default

    unknown = await api_error(api.messages.sendEverything, peer_id=1)
    not_emulated = await api_error(api.friends.get)
    auth = await api_error(bad_token.groups.getById)
    version = await api_error(old_version.get_api().groups.getById)

    assert (unknown.code, unknown.error["error_msg"]) == (3, "Unknown method passed")
    assert not_emulated.code == 3
    assert (auth.code, auth.error["error_msg"]) == (
        5,
        "User authorization failed: invalid access_token (4).",
    )
    assert version.code == 8


async def test_token_types_follow_the_schema(vk_rig: VkRig) -> None:
    group = vk_rig.session().get_api()
    admin = vk_rig.admin().get_api()
    group_id = vk_rig.emulator.knobs.group_id

    wall = await api_error(group.wall.post, owner_id=-group_id, message="Пост")
    poll = await api_error(group.polls.create, question="?", add_answers='["да","нет"]')
    answer = await api_error(
        admin.messages.sendMessageEventAnswer, event_id="x", user_id=1, peer_id=1
    )
    posted = await call(admin.wall.post, owner_id=-group_id, from_group=1, message="Пост")
    created = await call(
        admin.polls.create, question="Идём?", add_answers='["да","нет"]', owner_id=-group_id
    )

    message = "Group authorization failed: method is unavailable with group auth."
    assert (wall.code, wall.error["error_msg"]) == (27, message)
    assert poll.code == 27
    assert answer.code == 15
    assert posted["post_id"] > 0
    assert [a["text"] for a in created["answers"]] == ["да", "нет"]
    assert created["owner_id"] == -group_id


async def test_get_query_parameters_are_accepted_as_vk_does(vk_rig: VkRig) -> None:
    members(vk_rig)
    params = {
        "peer_id": 10,
        "message": "GET",
        "random_id": 3,
        "access_token": vk_rig.emulator.knobs.group_token,
        "v": "5.199",
    }

    answer = await call(
        requests.get, url=f"{vk_rig.api_base}/method/messages.send", params=params, timeout=5
    )

    assert answer.json() == {"response": vk_rig.emulator.dialog(10)[0].message_id}


async def test_keyboards_are_stored_and_validated(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()
    keyboard = VkKeyboard(inline=True)
    keyboard.add_callback_button("Иду", VkKeyboardColor.POSITIVE, {"vote": "yes"})
    keyboard.add_button("Не иду", payload={"vote": "no"})

    await call(
        api.messages.send, peer_id=10, message="?", random_id=1, keyboard=keyboard.get_keyboard()
    )
    row_of_six = {"buttons": [[_text_button(i) for i in range(6)]]}
    inline_eleven = {"inline": True, "buttons": [[_text_button(i)] for i in range(11)][:6]}
    inline_eleven["buttons"][0] = [_text_button(i) for i in range(5)]
    inline_eleven["buttons"][1] = [_text_button(i) for i in range(2)]
    standard_41 = {"buttons": [[_text_button(i) for i in range(5)]] * 8 + [[_text_button(0)]]}
    refusals = [
        await api_error(api.messages.send, peer_id=10, message="?", random_id=2, keyboard=bad)
        for bad in [json.dumps(k) for k in (row_of_six, inline_eleven, standard_41)] + ["{x"]
    ]

    [message] = vk_rig.emulator.dialog(10)
    assert message.keyboard is not None and message.keyboard["inline"] is True
    assert [b["action"]["type"] for b in message.keyboard["buttons"][0]] == ["callback", "text"]
    assert {error.code for error in refusals} == {911}
    details = [error.error["error_msg"].split(": ", 1)[1] for error in refusals]
    assert details == [
        "too many buttons in a row: 6 (at most 5)",
        "too many buttons: 11 (at most 10)",
        "too many buttons: 41 (at most 40)",
        "keyboard is not valid JSON",
    ]


def _text_button(number: int) -> dict[str, object]:
    return {"action": {"type": "text", "label": f"Кнопка {number}", "payload": None}}


async def test_attachments_must_exist(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()

    error = await api_error(
        api.messages.send, peer_id=10, random_id=1, attachment="doc-200000001_404"
    )

    assert error.code == 100
    assert "doc-200000001_404 is invalid" in error.error["error_msg"]


async def test_consent_and_edit_and_community_info(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(20, "Анна", "Лебедева")
    api = vk_rig.session().get_api()
    group_id = emulator.knobs.group_id

    before = await call(api.messages.isMessagesFromGroupAllowed, group_id=group_id, user_id=20)
    emulator.allow_messages(20, key="leaflet-7")
    after = await call(api.messages.isMessagesFromGroupAllowed, group_id=group_id, user_id=20)
    sent = await call(api.messages.send, peer_id=20, message="Черновик", random_id=1)
    edited = await call(api.messages.edit, peer_id=20, message_id=sent, message="Итог")
    info = await call(api.groups.getById)
    people = await call(api.users.get, user_ids=[20, 999])

    assert [(p["id"], p["first_name"], p["last_name"]) for p in people] == [
        (20, "Анна", "Лебедева")
    ]
    assert (before, after) == ({"is_allowed": 0}, {"is_allowed": 1})
    assert edited == 1
    assert [m.text for m in emulator.dialog(20)] == ["Итог"]
    assert info["groups"][0]["id"] == group_id


async def test_stats_are_served_over_http(vk_rig: VkRig) -> None:
    members(vk_rig)
    api = vk_rig.session().get_api()
    await call(api.messages.send, peer_id=10, message="x", random_id=1)

    served = await call(requests.get, url=f"{vk_rig.api_base}/__sandbox/stats", timeout=5)

    assert served.json() == vk_rig.emulator.stats()
    assert served.json()["requests_by_method"] == {"messages.send": 1}


async def test_members_can_be_played_over_http(vk_rig: VkRig) -> None:
    base = f"{vk_rig.api_base}/__sandbox"
    api = vk_rig.session().get_api()

    def post(path: str, body: object) -> requests.Response:
        return requests.post(f"{base}{path}", json=body, timeout=5)

    registered = await call(post, path="/users", body={"user_id": 30, "first_name": "Вера"})
    await call(post, path="/users/30/allow", body={"key": "poster"})
    wrote = await call(post, path="/users/30/write", body={"text": "Привет", "ref": "poster"})
    await call(api.messages.send, peer_id=30, message="Здравствуйте", random_id=1)
    unknown = await call(post, path="/users/30/dance", body={})
    stranger = await call(post, path="/users/31/write", body={"text": "?"})
    dialog = await call(requests.get, url=f"{base}/dialogs/30", timeout=5)

    assert registered.json()["result"]["first_name"] == "Вера"
    assert wrote.json()["result"]["ref"] == "poster"
    assert [m["text"] for m in dialog.json()] == ["Привет", "Здравствуйте"]
    assert unknown.status_code == stranger.status_code == 400
    assert "register_user" in stranger.json()["error"]
