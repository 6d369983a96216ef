"""The VK emulator's older app (issue 15): message_new's client_info.button_actions lacks
"callback" (callback/objects.json, callback_info_for_bots), such a member cannot press a
callback button, and a text button with a payload comes back as message_new with it."""

from __future__ import annotations

import asyncio

import pytest
from vk_api.bot_longpoll import VkBotLongPoll
from vk_api.keyboard import VkKeyboard

try:
    from .test_vk_support import RigFactory, VkRig, call, make_vk_rig, vk_rig  # noqa: F401
except ImportError:
    from test_vk_support import RigFactory, VkRig, call, make_vk_rig, vk_rig  # noqa: F401


async def test_an_older_app_says_so_and_presses_text_buttons_only(vk_rig: VkRig) -> None:
    emulator = vk_rig.emulator
    emulator.register_user(11, "Олег", "Петров")
    emulator.register_user(12, "Анна", "Белова")
    emulator.use_old_client(11)
    lp = await asyncio.to_thread(VkBotLongPoll, vk_rig.session(),
                                 emulator.knobs.group_id, 0)
    emulator.write(11, "Здравствуйте")
    emulator.write(12, "Добрый день")
    first = await asyncio.to_thread(lp.check)
    older, current = (event.object["client_info"]["button_actions"] for event in first)
    assert "callback" not in older and "text" in older and "callback" in current

    api = vk_rig.session().get_api()
    board = VkKeyboard(one_time=False)
    board.add_button("17 декабря", payload={"rupor": "vote:3:1"})
    await call(api.messages.send, peer_id=11, message="Когда?", random_id=5,
               keyboard=board.get_keyboard())
    inline = VkKeyboard(inline=True)
    inline.add_callback_button("10 декабря", payload={"rupor": "vote:3:0"})
    await call(api.messages.send, peer_id=11, message="Когда?", random_id=6,
               keyboard=inline.get_keyboard())
    with pytest.raises(LookupError):
        emulator.press_callback_button(11, label="10 декабря")
    emulator.press_text_button(11, "17 декабря")
    (pressed,) = await asyncio.to_thread(lp.check)
    assert pressed.message["payload"] == '{"rupor":"vote:3:1"}'
    assert "callback" not in pressed.object["client_info"]["button_actions"]
